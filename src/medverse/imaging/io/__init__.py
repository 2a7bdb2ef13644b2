"""Readers: DICOM series (folder, zip, files) and NIfTI, all returning a
:class:`~medverse.imaging.volume.Volume` with a voxel -> LPS affine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from medverse.imaging.io.dicom import SeriesInfo, ZipLimits, list_series, read_dicom
from medverse.imaging.io.nifti import NiftiLimits, is_nifti, read_nifti, write_nifti
from medverse.imaging.volume import Volume

__all__ = [
    "NiftiLimits",
    "SeriesInfo",
    "ZipLimits",
    "is_nifti_source",
    "list_series",
    "load_volume",
    "read_dicom",
    "read_nifti",
    "write_nifti",
]

_NIFTI_OPTIONS = ("volume_index", "nifti_limits")


def is_nifti_source(source: str | Path | bytes | Sequence[str | Path]) -> bool:
    """True when ``source`` is one NIfTI file (by name or content) or NIfTI bytes."""
    if isinstance(source, (bytes, bytearray)):
        return is_nifti(bytes(source[:4096])) or bytes(source[:2]) == b"\x1f\x8b"
    if isinstance(source, (str, Path)):
        p = Path(source)
        if not p.is_file():
            return False
        if p.name.endswith((".nii", ".nii.gz")):
            return True
        with open(p, "rb") as fh:
            head = fh.read(4096)
        return head[:2] == b"\x1f\x8b" or is_nifti(head)
    return False


def load_volume(source: str | Path | bytes | Sequence[str | Path], **options: Any) -> Volume:
    """Read a NIfTI file or a DICOM series, choosing by content.

    ``options`` go to :func:`read_dicom` (``series``, ``deid``, ``allow_burned_in``,
    ``originals``...); for NIfTI only ``volume_index`` and ``nifti_limits`` (a
    :class:`NiftiLimits`) apply.
    """
    if is_nifti_source(source):
        data = bytes(source) if isinstance(source, (bytes, bytearray)) else source
        return read_nifti(
            data,  # type: ignore[arg-type]
            volume_index=options.get("volume_index", 0),
            limits=options.get("nifti_limits") or NiftiLimits(),
        )
    return read_dicom(source, **{k: v for k, v in options.items() if k not in _NIFTI_OPTIONS})
