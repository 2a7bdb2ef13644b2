"""medverse.imaging: a pure imaging engine (no server imports).

CT/MR scans (DICOM series, zip, NIfTI) -> de-identified :class:`Volume` (voxel -> patient LPS mm)
-> tissue segmentation or a given label map -> meshes within a triangle budget -> one glTF 2.0
binary (one named node per structure, glTF patient frame in metres) and slice images aligned
with it. Long work runs as a :class:`Job` with progress and cancellation. See docs/imaging.md.

Heavy dependencies (pydicom, nibabel, scipy, scikit-image, fast-simplification, pillow) come with
the ``imaging`` extra; importing this package needs only numpy.
"""

from __future__ import annotations

from medverse.imaging.atlas import CREDIT as REFERENCE_CREDIT
from medverse.imaging.atlas import load_reference_body, write_reference_study
from medverse.imaging.colors import color_for
from medverse.imaging.deid import DeidRecord, deidentify
from medverse.imaging.errors import (
    Cancelled,
    ImagingError,
    InvalidStudy,
    LabelGridMismatch,
    MissingSlices,
    MixedSeries,
    NotDicom,
    UnsafeArchive,
    UnsupportedTransferSyntax,
)
from medverse.imaging.gltf import (
    LPS_MM_TO_GLTF,
    build_glb,
    gltf_to_lps_mm,
    lps_mm_to_gltf,
    read_glb_meshes,
)
from medverse.imaging.io import (
    SeriesInfo,
    ZipLimits,
    list_series,
    load_volume,
    read_dicom,
    read_nifti,
    write_nifti,
)
from medverse.imaging.jobs import (
    STUDY_FILES,
    Job,
    JobContext,
    JobUpdate,
    Scene,
    build_scene,
    import_study,
    start_import,
)
from medverse.imaging.labelmap import (
    LabelMap,
    StructureInfo,
    read_dicom_seg,
    read_label_map,
    read_label_table,
)
from medverse.imaging.mesh import Mesh, StructureMesh, mesh_label_map
from medverse.imaging.segment import segment, segment_ct, segment_mri_head
from medverse.imaging.slices import PRESETS, SliceImage, render_slice
from medverse.imaging.volume import Volume

__all__ = [
    "LPS_MM_TO_GLTF",
    "PRESETS",
    "REFERENCE_CREDIT",
    "STUDY_FILES",
    "Cancelled",
    "DeidRecord",
    "ImagingError",
    "InvalidStudy",
    "Job",
    "JobContext",
    "JobUpdate",
    "LabelGridMismatch",
    "LabelMap",
    "Mesh",
    "MissingSlices",
    "MixedSeries",
    "NotDicom",
    "Scene",
    "SeriesInfo",
    "SliceImage",
    "StructureInfo",
    "StructureMesh",
    "UnsafeArchive",
    "UnsupportedTransferSyntax",
    "Volume",
    "ZipLimits",
    "build_glb",
    "build_scene",
    "color_for",
    "deidentify",
    "gltf_to_lps_mm",
    "import_study",
    "list_series",
    "load_reference_body",
    "load_volume",
    "lps_mm_to_gltf",
    "mesh_label_map",
    "read_dicom",
    "read_dicom_seg",
    "read_glb_meshes",
    "read_label_map",
    "read_label_table",
    "read_nifti",
    "render_slice",
    "segment",
    "segment_ct",
    "segment_mri_head",
    "start_import",
    "write_nifti",
    "write_reference_study",
]
