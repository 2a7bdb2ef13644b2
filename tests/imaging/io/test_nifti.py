"""NIfTI reading: bounded like a zip upload (declared size, expansion ratio, gzip bombs), header
text never kept, and a property test of the header checks."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import time
import tracemalloc
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medverse.imaging.errors import InvalidStudy, UnsafeArchive
from medverse.imaging.io import NiftiLimits, ZipLimits, load_volume, read_nifti, write_nifti
from medverse.imaging.io.nifti import deidentified_nifti_bytes, nifti_bytes
from medverse.imaging.volume import Volume
from tests.imaging.conftest import phi_leaks

MiB = 2**20


def _header(shape: tuple[int, ...], dtype: type = np.float64) -> bytes:
    """A single-file NIfTI-1 header (348 bytes + the 4-byte extender) declaring ``shape``."""
    hdr = nib.Nifti1Header()
    hdr.set_data_shape(shape)
    hdr.set_data_dtype(dtype)
    hdr["vox_offset"] = 352
    hdr["magic"] = b"n+1"
    return hdr.binaryblock + bytes(4)


def _gzip_stream(head: bytes, zeros: int) -> bytes:
    """gzip of ``head`` followed by ``zeros`` zero bytes, compressed in pieces (never held)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31, 9, zlib.Z_RLE)
    chunk = bytes(16 * MiB)
    out = [packer.compress(head)]
    while zeros > 0:
        out.append(packer.compress(chunk[: min(zeros, len(chunk))]))
        zeros -= len(chunk)
    out.append(packer.flush())
    return b"".join(out)


@pytest.fixture(scope="module")
def nifti_bomb() -> bytes:
    """The issue's example: about 0.5 MiB of .nii.gz unpacking to a 512 MiB float64 volume."""
    return _gzip_stream(_header((512, 512, 256)), 512 * MiB)


def _peak_mib(fn, *args, **kwargs) -> float:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    with contextlib.suppress(InvalidStudy):
        fn(*args, **kwargs)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / MiB


def test_the_issues_gzip_bomb_is_refused_before_unpacking(nifti_bomb: bytes, tmp_path: Path) -> None:
    assert len(nifti_bomb) < 0.6 * MiB
    path = tmp_path / "scan.nii.gz"
    path.write_bytes(nifti_bomb)
    for source in (path, nifti_bomb):
        started = time.perf_counter()
        with pytest.raises(UnsafeArchive, match="gzip bomb") as info:
            read_nifti(source)
        assert time.perf_counter() - started < 1.0
        assert "512x512x256 float64" in str(info.value) and "limit 200x" in str(info.value)
    assert _peak_mib(read_nifti, path) < 8
    assert _peak_mib(load_volume, nifti_bomb) < 8


def test_the_ratio_limit_matches_the_zip_limit() -> None:
    assert NiftiLimits().max_ratio == ZipLimits().max_ratio
    assert NiftiLimits().max_data_bytes == ZipLimits().max_member_bytes


def test_a_tiny_header_declaring_a_huge_volume_is_refused(tmp_path: Path) -> None:
    # 4 GiB of int16 declared by a 352-byte uncompressed file: the size limit, not the ratio
    (tmp_path / "big.nii").write_bytes(_header((2048, 1024, 1024), np.int16))
    with pytest.raises(UnsafeArchive, match=r"bytes once unpacked \(limit 1073741824\)"):
        read_nifti(tmp_path / "big.nii")
    # more voxels per volume than allowed, within the byte limit (uint8)
    with pytest.raises(UnsafeArchive, match="voxels per volume"):
        read_nifti(_header((1024, 1024, 600), np.uint8), limits=NiftiLimits(max_voxels=512**3))


def test_the_limits_are_configurable(tmp_path: Path) -> None:
    values = np.random.default_rng(3).integers(0, 1000, (128, 128, 64)).astype(np.int16)
    path = write_nifti(Volume(values, np.eye(4)), tmp_path / "v.nii.gz")  # 2 MiB, about 1.5x
    with pytest.raises(UnsafeArchive, match="gzip bomb"):
        read_nifti(path, limits=NiftiLimits(max_ratio=1.1))
    with pytest.raises(UnsafeArchive, match="limit 1000"):
        read_nifti(path, limits=NiftiLimits(max_data_bytes=1000))
    with pytest.raises(UnsafeArchive, match="voxels per volume"):
        load_volume(path, nifti_limits=NiftiLimits(max_voxels=1000))
    assert np.array_equal(read_nifti(path).array, values)


def test_a_gzip_stream_longer_than_declared_is_not_unpacked(tmp_path: Path) -> None:
    volume = Volume(np.arange(24, dtype=np.int16).reshape(2, 3, 4), np.eye(4))
    raw = write_nifti(volume, tmp_path / "v.nii").read_bytes()
    bomb_tail = _gzip_stream(raw, 256 * MiB)  # the declared image, then 256 MiB of zeros
    assert len(bomb_tail) < 0.3 * MiB
    assert _peak_mib(read_nifti, bomb_tail) < 8
    assert np.array_equal(read_nifti(bomb_tail).array, volume.array)


def test_a_stream_shorter_than_declared_is_refused(tmp_path: Path) -> None:
    raw = _header((64, 64, 64), np.int16) + bytes(1000)
    for data in (raw, gzip.compress(raw)):
        with pytest.raises(InvalidStudy, match="524288 bytes"):
            read_nifti(data)
        with pytest.raises(InvalidStudy, match="ends after"):
            deidentified_nifti_bytes(data)


def test_header_text_extensions_and_file_name_are_never_kept(tmp_path: Path) -> None:
    from medverse.imaging.jobs import import_study

    img = nib.Nifti1Image(np.full((24, 24, 24), -1000, np.int16), np.diag([4.0, 4.0, 4.0, 1.0]))
    img.dataobj[6:18, 6:18, 6:18] = 40
    img.header["descrip"] = b"DOE^JANE 1961-07-04"
    img.header["aux_file"] = b"JANEDOE.img"
    img.header["intent_name"] = b"JANEDOE"
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"patient DOE^JANE MRN-JD-4711"))
    path = tmp_path / "DOE^JANE.nii.gz"
    nib.save(img, path)
    assert b"DOE^JANE" in gzip.decompress(path.read_bytes())

    volume = read_nifti(path)
    assert volume.metadata == {"modality": "OT", "source_format": "nifti"}
    out = tmp_path / "study"
    manifest = import_study(path, out, keep_originals=True, triangle_budget=20_000, working_mm=4.0)
    assert manifest["title"] == "Uploaded CT study"
    assert manifest["originals_kept"] == 1 and manifest["originals_deidentified"] is True
    assert phi_leaks(out, str(tmp_path)) == []
    kept = out / "originals" / "original-0001.nii.gz"
    clean = nib.load(kept)
    assert np.array_equal(np.asarray(clean.dataobj), np.asarray(img.dataobj))
    assert np.allclose(clean.affine, img.affine) and not clean.header.extensions
    assert "DOE" not in json.dumps(manifest)


_SETTINGS = settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
_VALID = nifti_bytes(Volume(np.arange(60, dtype=np.int16).reshape(3, 4, 5), np.diag([2.0, 2.0, 2.0, 1.0])), compress=False)


@_SETTINGS
@given(st.lists(st.tuples(st.integers(0, 351), st.integers(0, 255)), min_size=1, max_size=12), st.booleans())
def test_mutated_headers_are_read_or_refused_within_the_limits(flips: list, compress: bool) -> None:
    """Any header bytes: a volume within the limits, or an InvalidStudy - never another error,
    never an allocation beyond the limits."""
    data = bytearray(_VALID)
    for pos, value in flips:
        data[pos] = value
    blob = gzip.compress(bytes(data)) if compress else bytes(data)
    limits = NiftiLimits(max_data_bytes=64 * MiB, max_voxels=2**22)
    tracemalloc.start()
    try:
        v = read_nifti(blob, limits=limits)
    except InvalidStudy:
        v = None
    finally:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 4 * 64 * MiB
    if v is not None:
        assert isinstance(v, Volume) and v.array.size <= limits.max_voxels


@_SETTINGS
@given(st.binary(max_size=80), st.sampled_from([np.int16, np.uint8, np.float32]))
def test_deidentified_copies_keep_every_voxel(descrip: bytes, dtype: type) -> None:
    img = nib.Nifti1Image(np.arange(60).reshape(3, 4, 5).astype(dtype), np.diag([2.0, 3, 4, 1]))
    img.header["descrip"] = descrip.replace(b"\x00", b"x")[:79]
    raw = img.to_bytes()
    clean = deidentified_nifti_bytes(raw, compress=False)
    assert len(clean) == len(raw) and clean[352:] == raw[352:]
    back = nib.Nifti1Image.from_bytes(clean)
    assert back.header["descrip"].item() == b""
    assert np.array_equal(np.asarray(back.dataobj), np.asarray(img.dataobj))
    assert io.BytesIO(gzip.decompress(deidentified_nifti_bytes(raw))).read() == clean
