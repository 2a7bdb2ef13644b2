"""medverse.imaging: a pure imaging engine (no server imports).

CT/MR scans (DICOM series, zip, NIfTI) -> de-identified :class:`Volume` (voxel -> patient LPS mm)
-> tissue segmentation or a given label map -> meshes within a triangle budget -> one glTF 2.0
binary (one named node per structure, glTF patient frame in metres) and slice images aligned
with it. Long work runs as a :class:`Job` with progress and cancellation. See docs/imaging.md.

Heavy dependencies (pydicom, nibabel, scipy, scikit-image, fast-simplification, pillow) come with
the ``imaging`` extra; importing this package needs only numpy.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> (module, attribute): imported on first use (PEP 562), so that importing the package -
# as ``medverse --help`` does through the CLI - stays cheap and needs no optional dependency.
_EXPORTS: dict[str, tuple[str, str]] = {
    "BurnedInAnnotation": ("medverse.imaging.errors", "BurnedInAnnotation"),
    "Cancelled": ("medverse.imaging.errors", "Cancelled"),
    "DeidRecord": ("medverse.imaging.deid", "DeidRecord"),
    "ImagingError": ("medverse.imaging.errors", "ImagingError"),
    "InvalidStudy": ("medverse.imaging.errors", "InvalidStudy"),
    "Job": ("medverse.imaging.jobs", "Job"),
    "JobContext": ("medverse.imaging.jobs", "JobContext"),
    "JobUpdate": ("medverse.imaging.jobs", "JobUpdate"),
    "LPS_MM_TO_GLTF": ("medverse.imaging.gltf", "LPS_MM_TO_GLTF"),
    "LabelGridMismatch": ("medverse.imaging.errors", "LabelGridMismatch"),
    "LabelMap": ("medverse.imaging.labelmap", "LabelMap"),
    "Mesh": ("medverse.imaging.mesh", "Mesh"),
    "MissingSlices": ("medverse.imaging.errors", "MissingSlices"),
    "MixedSeries": ("medverse.imaging.errors", "MixedSeries"),
    "NiftiLimits": ("medverse.imaging.io", "NiftiLimits"),
    "NotDicom": ("medverse.imaging.errors", "NotDicom"),
    "PRESETS": ("medverse.imaging.slices", "PRESETS"),
    "REFERENCE_CREDIT": ("medverse.imaging.atlas", "CREDIT"),
    "STUDY_FILES": ("medverse.imaging.jobs", "STUDY_FILES"),
    "Scene": ("medverse.imaging.jobs", "Scene"),
    "SeriesInfo": ("medverse.imaging.io", "SeriesInfo"),
    "SliceImage": ("medverse.imaging.slices", "SliceImage"),
    "StudyFolder": ("medverse.imaging.study", "StudyFolder"),
    "StructureInfo": ("medverse.imaging.labelmap", "StructureInfo"),
    "StructureMesh": ("medverse.imaging.mesh", "StructureMesh"),
    "UnsafeArchive": ("medverse.imaging.errors", "UnsafeArchive"),
    "UnsupportedTransferSyntax": ("medverse.imaging.errors", "UnsupportedTransferSyntax"),
    "Volume": ("medverse.imaging.volume", "Volume"),
    "ZipLimits": ("medverse.imaging.io", "ZipLimits"),
    "build_glb": ("medverse.imaging.gltf", "build_glb"),
    "build_scene": ("medverse.imaging.jobs", "build_scene"),
    "color_for": ("medverse.imaging.colors", "color_for"),
    "deidentify": ("medverse.imaging.deid", "deidentify"),
    "gltf_to_lps_mm": ("medverse.imaging.gltf", "gltf_to_lps_mm"),
    "import_study": ("medverse.imaging.jobs", "import_study"),
    "list_series": ("medverse.imaging.io", "list_series"),
    "load_reference_body": ("medverse.imaging.atlas", "load_reference_body"),
    "load_volume": ("medverse.imaging.io", "load_volume"),
    "lps_mm_to_gltf": ("medverse.imaging.gltf", "lps_mm_to_gltf"),
    "mesh_label_map": ("medverse.imaging.mesh", "mesh_label_map"),
    "read_dicom": ("medverse.imaging.io", "read_dicom"),
    "read_dicom_seg": ("medverse.imaging.labelmap", "read_dicom_seg"),
    "read_glb_meshes": ("medverse.imaging.gltf", "read_glb_meshes"),
    "read_label_map": ("medverse.imaging.labelmap", "read_label_map"),
    "read_label_table": ("medverse.imaging.labelmap", "read_label_table"),
    "read_nifti": ("medverse.imaging.io", "read_nifti"),
    "render_slice": ("medverse.imaging.slices", "render_slice"),
    "segment": ("medverse.imaging.segment", "segment"),
    "segment_ct": ("medverse.imaging.segment", "segment_ct"),
    "segment_mri_head": ("medverse.imaging.segment", "segment_mri_head"),
    "start_import": ("medverse.imaging.jobs", "start_import"),
    "write_nifti": ("medverse.imaging.io", "write_nifti"),
    "write_reference_study": ("medverse.imaging.atlas", "write_reference_study"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'medverse.imaging' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "LPS_MM_TO_GLTF",
    "PRESETS",
    "REFERENCE_CREDIT",
    "STUDY_FILES",
    "BurnedInAnnotation",
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
    "NiftiLimits",
    "NotDicom",
    "Scene",
    "SeriesInfo",
    "SliceImage",
    "StructureInfo",
    "StructureMesh",
    "StudyFolder",
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
