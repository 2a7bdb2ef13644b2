"""NIfTI-1/2 reading and writing (``.nii`` and ``.nii.gz``).

NIfTI stores a voxel -> RAS affine; :class:`~medverse.imaging.volume.Volume` carries voxel ->
LPS, so both directions flip the sign of x and y.

Reading is bounded like a zip upload (:class:`NiftiLimits`): the header is read first (at most
540 bytes, decompressed through a bounded stream) and the declared size is checked - bytes,
voxels, and for ``.nii.gz`` the expansion ratio over the file's size - before any voxel is read.
Then exactly the declared bytes are decompressed, never more, so a gzip stream that goes on
past them (a gzip bomb) is not unpacked. A NIfTI header's free text (``descrip``, ``aux_file``,
``intent_name``) and its extensions are never kept.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
from pathlib import Path
from typing import Any

import numpy as np

from medverse.errors import optional_import
from medverse.imaging.errors import InvalidStudy, UnsafeArchive, redact_paths
from medverse.imaging.volume import LPS_TO_RAS, MAX_VOXELS, Volume

__all__ = ["LABEL_MAP_LIMITS", "NiftiLimits", "deidentified_nifti_bytes", "is_nifti", "nifti_bytes", "read_nifti", "write_nifti"]

_GZIP = b"\x1f\x8b"


@dataclasses.dataclass(frozen=True)
class NiftiLimits:
    """Limits checked against a NIfTI header before any voxel is read.

    Aligned with :class:`~medverse.imaging.io.dicom.ZipLimits`: a NIfTI file is one member.

    Attributes
    ----------
    max_data_bytes : int
        Most bytes the file may unpack to (header, extensions and all volumes): 1 GiB, a zip
        member's limit.
    max_voxels : int
        Most voxels of the 3D volume read: :data:`~medverse.imaging.volume.MAX_VOXELS` (2**29,
        2 GiB as float32).
    max_ratio : float
        Highest declared-size / file-size ratio of a ``.nii.gz`` above 1 MiB unpacked: 200, as
        for zips. Real scans compress 2-10x; deflate cannot exceed about 1032x.
    """

    max_data_bytes: int = 1024**3
    max_voxels: int = MAX_VOXELS
    max_ratio: float = 200.0


#: Label maps are mostly zeros and compress far better than images (the samples: 13x and 59x;
#: whole-body maps beyond 200x), so only their size is bounded.
LABEL_MAP_LIMITS = NiftiLimits(max_ratio=1100.0)


@dataclasses.dataclass(frozen=True)
class _Declared:
    version: int  # 1 or 2
    header_size: int  # 348 or 540
    shape: tuple[int, ...]
    dtype: np.dtype
    vox_offset: int
    data_bytes: int  # all volumes

    @property
    def file_bytes(self) -> int:
        return self.vox_offset + self.data_bytes


def _nib() -> Any:
    return optional_import("nibabel", "imaging")


def is_nifti(data: bytes) -> bool:
    """True when ``data`` (the first bytes of a file, gzip-compressed or not) look like NIfTI."""
    head = data[:352]
    if head[:2] == _GZIP:
        try:
            head = gzip.GzipFile(fileobj=io.BytesIO(data)).read(352)
        except (OSError, EOFError):
            return False
    return (len(head) >= 348 and head[344:348] in (b"n+1\x00", b"ni1\x00", b"n+2\x00")) or (
        len(head) >= 8 and head[4:8] in (b"n+2\x00",)
    )


def _declared(head: bytes) -> _Declared:
    """Parse and check a header's own consistency; nothing about limits yet."""
    nib = _nib()
    if len(head) < 348:
        raise InvalidStudy(f"expected a NIfTI header of 348 or 540 bytes (got {len(head)} bytes)")
    sizes = {int.from_bytes(head[:4], "little"), int.from_bytes(head[:4], "big")}
    if 348 in sizes:
        header = nib.Nifti1Header(binaryblock=head[:348])
        version, header_size = 1, 348
    elif 540 in sizes and len(head) >= 540:
        header = nib.Nifti2Header(binaryblock=head[:540])
        version, header_size = 2, 540
    else:
        raise InvalidStudy("expected a NIfTI header (sizeof_hdr 348 or 540)")
    shape = tuple(int(n) for n in header.get_data_shape())
    dtype = np.dtype(header.get_data_dtype())
    if any(n < 1 for n in shape):
        raise InvalidStudy(f"a NIfTI image needs at least one voxel per axis (got shape {shape})")
    voxels = 1
    for n in shape:
        voxels *= n  # Python ints: a hostile header cannot overflow this
    vox_offset = int(header["vox_offset"])
    if vox_offset < header_size:
        raise InvalidStudy(f"the NIfTI header's vox_offset {vox_offset} lies inside the header")
    return _Declared(version, header_size, shape, dtype, vox_offset, voxels * dtype.itemsize)


def _check(decl: _Declared, packed_bytes: int | None, limits: NiftiLimits) -> None:
    """Refuse a declared size beyond ``limits``; ``packed_bytes`` is the .nii.gz file's size."""
    shape_s = "x".join(str(n) for n in decl.shape)
    what = f"the NIfTI header declares {shape_s} {decl.dtype.name} voxels"
    if decl.file_bytes > limits.max_data_bytes:
        raise UnsafeArchive(f"{what}, {decl.file_bytes} bytes once unpacked (limit {limits.max_data_bytes})")
    volume_voxels = 1
    for n in decl.shape[:3]:
        volume_voxels *= n
    if volume_voxels > limits.max_voxels:
        raise UnsafeArchive(f"{what}: {volume_voxels} voxels per volume (limit {limits.max_voxels})")
    if packed_bytes is not None and decl.file_bytes > 1024**2:
        ratio = decl.file_bytes / max(1, packed_bytes)
        if ratio > limits.max_ratio:
            raise UnsafeArchive(
                f"{what}, {_size(decl.file_bytes)} once unpacked from {_size(packed_bytes)}: it "
                f"would expand {ratio:.0f}x (limit {limits.max_ratio:.0f}x); refused as a likely "
                "gzip bomb"
            )


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 1024:.1f} KiB"


def _read_exactly(fh: Any, n: int) -> bytes:
    """``n`` bytes from a (gzip) stream, or a refusal when it ends first."""
    data = fh.read(n)
    if len(data) < n:
        raise InvalidStudy(f"the NIfTI file ends after {len(data)} bytes, before the {n} bytes its header declares")
    return data


def _opener(source: str | Path | bytes) -> tuple[Any, int | None]:
    """A function opening the uncompressed stream, and the compressed size (None when the file
    is not gzip-compressed)."""
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
        if raw[:2] == _GZIP:
            return (lambda: gzip.GzipFile(fileobj=io.BytesIO(raw))), len(raw)
        return (lambda: io.BytesIO(raw)), None
    path = Path(source)
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == _GZIP:
        return (lambda: gzip.open(path, "rb")), path.stat().st_size
    return (lambda: open(path, "rb")), None


def _checked(source: str | Path | bytes, limits: NiftiLimits) -> tuple[Any, _Declared]:
    """Read the header through a bounded stream and check it against ``limits``."""
    opener, packed = _opener(source)
    with opener() as fh:
        decl = _declared(fh.read(540))
    _check(decl, packed, limits)
    return opener, decl


def _bounded_bytes(source: str | Path | bytes, limits: NiftiLimits) -> tuple[bytes, _Declared]:
    """The uncompressed file (header through the last declared voxel, nothing more) after the
    header passed ``limits``."""
    opener, decl = _checked(source, limits)
    with opener() as fh:
        return _read_exactly(fh, decl.file_bytes), decl


def read_nifti(source: str | Path | bytes, *, volume_index: int = 0, limits: NiftiLimits = NiftiLimits()) -> Volume:
    """Read a NIfTI image into a :class:`Volume` (affine converted RAS -> LPS).

    Parameters
    ----------
    source : path or bytes
        A ``.nii`` / ``.nii.gz`` file, or its content.
    volume_index : int
        For 4D images, which volume (0-based) to take.
    limits : NiftiLimits
        Checked against the header before any voxel is read (:class:`UnsafeArchive` beyond them).

    Returns
    -------
    Volume
        ``array`` shape (I, J, K) with the scaling (``scl_slope``/``scl_inter``) applied;
        integer data stays integer when unscaled. ``metadata`` holds ``modality`` ("OT": NIfTI
        carries none) and ``source_format`` only - no file name, no header text.
    """
    nib = _nib()
    known: list[str] = []
    if not isinstance(source, (bytes, bytearray)):
        path = Path(source)
        known = [str(path), path.name]
        if not path.is_file():
            raise InvalidStudy("expected a NIfTI file, but the given path does not exist")
    try:
        opener, decl = _checked(source, limits)
        image_class = nib.Nifti1Image if decl.version == 1 else nib.Nifti2Image
        # nibabel reads the header, then exactly the declared voxels from the (gzip) stream
        with opener() as fh:
            holder = nib.fileholders.FileHolder(fileobj=fh)
            img = image_class.from_file_map({"header": holder, "image": holder})
            shape = img.shape
            if len(shape) == 4:
                if not 0 <= volume_index < shape[3]:
                    raise InvalidStudy(f"volume_index must be in 0..{shape[3] - 1} for this 4D image (got {volume_index})")
                data = np.asarray(img.dataobj[..., volume_index])
            elif len(shape) == 3:
                data = np.asarray(img.dataobj)
            elif len(shape) == 5 and shape[3] == 1 and shape[4] == 1:
                data = np.asarray(img.dataobj)[:, :, :, 0, 0]
            else:
                raise InvalidStudy(f"expected a 3D or 4D NIfTI image (got shape {shape})")
            affine_ras = np.asarray(img.affine, dtype=np.float64)
            del img
    except InvalidStudy:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # nibabel raises many kinds on malformed input
        detail = redact_paths(str(exc), known)[:300]
        raise InvalidStudy(f"expected a NIfTI image, but it could not be read ({type(exc).__name__}: {detail})") from exc
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
    # The header's free text (descrip, aux_file, intent_name) and extensions may identify the
    # patient: none of it is kept, nor the file's name.
    meta: dict[str, Any] = {"modality": "OT", "source_format": "nifti"}
    return Volume(np.ascontiguousarray(data), LPS_TO_RAS @ affine_ras, meta)


#: (offset, length) of the free-text fields of each header version: data_type, db_name,
#: descrip, aux_file, intent_name (NIfTI-1); descrip, aux_file, intent_name (NIfTI-2).
_TEXT_FIELDS = {1: ((4, 10), (14, 18), (148, 80), (228, 24), (328, 16)), 2: ((240, 80), (320, 24), (508, 16))}


def deidentified_nifti_bytes(source: str | Path | bytes, *, compress: bool = True, limits: NiftiLimits = NiftiLimits()) -> bytes:
    """The file with its header's free text blanked and its extensions zeroed.

    Everything else - geometry, scaling, data type and every data byte - is unchanged and stays
    at the same offset (the extension area becomes padding, the extender flag 0).

    Parameters
    ----------
    source : path or bytes
        A ``.nii`` / ``.nii.gz`` file or its content, read within ``limits``.
    compress : bool
        gzip the result.

    Returns
    -------
    bytes
    """
    raw, decl = _bounded_bytes(source, limits)
    out = bytearray(raw)
    for offset, length in _TEXT_FIELDS[decl.version]:
        out[offset : offset + length] = bytes(length)
    out[decl.header_size : decl.vox_offset] = bytes(decl.vox_offset - decl.header_size)
    return gzip.compress(bytes(out), compresslevel=6) if compress else bytes(out)


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
