"""The anatomy lab: a space kind that adapts the imaging engine to shared spaces."""

from medverse.anatomy.plugin import AnatomyPlugin
from medverse.anatomy.rules import anatomy_rules
from medverse.anatomy.studies import SAMPLE_STUDIES, StudyLibrary

__all__ = ["SAMPLE_STUDIES", "AnatomyPlugin", "StudyLibrary", "anatomy_rules"]
