"""The anatomy lab: a space kind that adapts the imaging engine to shared spaces."""

from medverse.anatomy.kind import ANATOMY, use_catalogue
from medverse.anatomy.studies import SAMPLE_STUDIES, StudyLibrary

__all__ = ["ANATOMY", "SAMPLE_STUDIES", "StudyLibrary", "use_catalogue"]
