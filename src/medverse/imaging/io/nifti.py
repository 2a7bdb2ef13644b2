"""NIfTI-1/2 reading and writing (``.nii`` and ``.nii.gz``).

NIfTI stores a voxel -> RAS affine; :class:`~medverse.imaging.volume.Volume` carries voxel ->
LPS, so both directions flip the sign of x and y.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

import numpy as np

from medverse.errors import optional_import
from medverse.imaging.errors import InvalidStudy
from medverse.imaging.volume import LPS_TO_RAS, Volume

__all__ = ["is_nifti", "nifti_bytes", "read_nifti", "write_nifti"]

_MAX_NIFTI_VOXELS = 1024 * 1024 * 1024  # 1 G voxels: refuse headers that claim more


def _nib() -> Any:
    return optional_import("nibabel", "imaging")


def is_nifti(data: bytes) -> bool:
    """True when ``data`` (the first bytes of a file, gzip-compressed or not) look like NIfTI."""
    head = data[:352]
    if head[:2] == b"\x1f\x8b":
        try:
            head = gzip.GzipFile(fileobj=io.BytesIO(data)).read(352)
        except (OSError, EOFError):
            return False
    return (len(head) >= 348 and head[344:348] in (b"n+1\x00", b"ni1\x00", b"n+2\x00")) or (
        len(head) >= 8 and head[4:8] in (b"n+2\x00",)
    )


def read_nifti(source: str | Path | bytes, *, volume_index: int = 0) -> Volume:
    """Read a NIfTI image into a :class:`Volume` (affine converted RAS -> LPS).

    Parameters
    ----------
    source : path or bytes
        A ``.nii`` / ``.nii.gz`` file, or its content.
    volume_index : int
        For 4D images, which volume (0-based) to take.

    Returns
    -------
    Volume
        ``array`` shape (I, J, K) with the scaling (``scl_slope``/``scl_inter``) applied;
        integer data stays integer when unscaled.
    """
    nib = _nib()
    try:
        if isinstance(source, (bytes, bytearray)):
            raw = bytes(source)
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            img = nib.Nifti1Image.from_bytes(raw) if raw[344:348] in (b"n+1\x00", b"ni1\x00") \
                else nib.Nifti2Image.from_bytes(raw)
            name = "<bytes>"
        else:
            path = Path(source)
            if not path.is_file():
                raise InvalidStudy(f"expected a NIfTI file, but {str(path)!r} does not exist")
            img = nib.load(str(path))
            name = path.name
        if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
            raise InvalidStudy(f"expected a NIfTI image (got {type(img).__name__})")
        shape = img.shape
        if int(np.prod(shape, dtype=np.int64)) > _MAX_NIFTI_VOXELS:
            raise InvalidStudy(f"NIfTI image too large: {shape}")
        if len(shape) == 4:
            if not 0 <= volume_index < shape[3]:
                raise InvalidStudy(
                    f"volume_index must be in 0..{shape[3] - 1} for this 4D image (got {volume_index})")
            data = np.asarray(img.dataobj[..., volume_index])
        elif len(shape) == 3:
            data = np.asarray(img.dataobj)
        elif len(shape) == 5 and shape[3] == 1 and shape[4] == 1:
            data = np.asarray(img.dataobj)[:, :, :, 0, 0]
        else:
            raise InvalidStudy(f"expected a 3D or 4D NIfTI image (got shape {shape})")
        affine_ras = np.asarray(img.affine, dtype=np.float64)
        header = img.header
        descrip = header.get("descrip")
        modality = "OT"
    except InvalidStudy:
        raise
    except Exception as exc:  # nibabel raises many kinds on malformed input
        raise InvalidStudy(f"expected a NIfTI image, but it could not be read: {exc}") from exc
    if data.dtype == np.float64:
        data = data.astype(np.float32)
    if data.dtype.kind == "f" and np.all(np.isfinite(data)):
        rounded = np.rint(data)
        if np.array_equal(rounded, data) and data.size and data.min() >= -32768 and data.max() <= 32767:
            data = rounded.astype(np.int16)
    if data.dtype.kind in "iu" and data.dtype.itemsize > 2 and data.size:
        lo, hi = int(data.min()), int(data.max())
        if lo >= -32768 and hi <= 32767:
            data = data.astype(np.int16)  # e.g. HU stored as int32: half the memory
    meta: dict[str, Any] = {"modality": modality, "source_format": "nifti", "source_name": name}
    if descrip is not None:
        meta["description"] = ""  # free text may identify the patient: dropped on purpose
    return Volume(np.ascontiguousarray(data), LPS_TO_RAS @ affine_ras, meta)


def nifti_bytes(volume: Volume, *, compress: bool = True) -> bytes:
    """Encode ``volume`` as NIfTI-1 (RAS affine in the sform, and in the qform unless the grid is
    sheared) and return the bytes."""
    nib = _nib()
    affine_ras = LPS_TO_RAS @ volume.affine
    img = nib.Nifti1Image(volume.array, affine_ras)
    img.header.set_xyzt_units("mm")
    img.set_sform(affine_ras, code=1)
    cols = affine_ras[:3, :3] / np.linalg.norm(affine_ras[:3, :3], axis=0)
    if np.allclose(cols.T @ cols, np.eye(3), atol=1e-6):
        img.set_qform(affine_ras, code=1)
    else:  # a sheared (gantry-tilted) grid: the qform cannot hold it, only the sform does
        img.set_qform(None, code=0)
    raw = img.to_bytes()
    return gzip.compress(raw, compresslevel=1) if compress else raw


def write_nifti(volume: Volume, path: str | Path) -> Path:
    """Write ``volume`` to ``path`` (gzip-compressed when the name ends in ``.gz``)."""
    path = Path(path)
    path.write_bytes(nifti_bytes(volume, compress=path.name.endswith(".gz")))
    return path
