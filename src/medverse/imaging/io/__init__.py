"""Readers: DICOM series (folder, zip, files) and NIfTI, all returning a
:class:`~medverse.imaging.volume.Volume` with a voxel -> LPS affine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from medverse.imaging.io.dicom import SeriesInfo, ZipLimits, list_series, read_dicom
from medverse.imaging.io.nifti import is_nifti, read_nifti, write_nifti
from medverse.imaging.volume import Volume

__all__ = ["SeriesInfo", "ZipLimits", "list_series", "load_volume", "read_dicom", "read_nifti",
           "write_nifti"]


def load_volume(source: str | Path | bytes | Sequence[str | Path], **options: Any) -> Volume:
    """Read a NIfTI file or a DICOM series, choosing by content.

    ``options`` go to :func:`read_dicom` (``series``, ``deid``, ...); for NIfTI only
    ``volume_index`` applies.
    """
    if isinstance(source, (bytes, bytearray)):
        if is_nifti(bytes(source[:4096])) or bytes(source[:2]) == b"\x1f\x8b":
            return read_nifti(bytes(source), volume_index=options.get("volume_index", 0))
        return read_dicom(bytes(source), **_dicom_opts(options))
    if isinstance(source, (str, Path)):
        p = Path(source)
        if p.is_file() and (p.name.endswith((".nii", ".nii.gz"))):
            return read_nifti(p, volume_index=options.get("volume_index", 0))
        if p.is_file():
            with open(p, "rb") as fh:
                head = fh.read(4096)
            if head[:2] == b"\x1f\x8b" or is_nifti(head):
                return read_nifti(p, volume_index=options.get("volume_index", 0))
    return read_dicom(source, **_dicom_opts(options))


def _dicom_opts(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k != "volume_index"}
