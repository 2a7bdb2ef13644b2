"""Property-based fuzzing of the upload readers: any bytes in, a clean refusal or a volume out."""

from __future__ import annotations

import contextlib
import io
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medverse.imaging.errors import InvalidStudy
from medverse.imaging.io import load_volume, read_dicom
from medverse.imaging.volume import Volume
from tests.imaging.conftest import dicom_dataset_bytes, make_slice

_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

_VALID = dicom_dataset_bytes(
    make_slice(
        np.arange(64, dtype=np.uint16).reshape(8, 8), np.zeros(3), np.array([1.0, 0, 0, 0, 1, 0]), (1.0, 1.0), series_uid="1.2.3"
    )
)


def _accepts_or_refuses(data: bytes) -> None:
    try:
        v = load_volume(data)
    except InvalidStudy:
        return
    assert isinstance(v, Volume)


@_SETTINGS
@given(st.binary(max_size=4096))
def test_random_bytes_are_refused_cleanly(data: bytes) -> None:
    _accepts_or_refuses(data)


@_SETTINGS
@given(st.integers(0, len(_VALID)), st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), max_size=8))
def test_truncated_and_bit_flipped_dicom_is_refused_or_read(cut: int, flips: list) -> None:
    data = bytearray(_VALID[:cut])
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    with contextlib.suppress(InvalidStudy):
        read_dicom(bytes(data))


@_SETTINGS
@given(st.lists(st.tuples(st.text(min_size=1, max_size=30), st.binary(max_size=512)), max_size=5))
def test_arbitrary_zips_are_refused_or_read(members: list) -> None:
    buf = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            if name in seen:
                continue
            seen.add(name)
            try:
                zf.writestr(name, data)
            except (ValueError, UnicodeEncodeError, IndexError):  # zipfile cannot write it
                continue
    _accepts_or_refuses(buf.getvalue())


@_SETTINGS
@given(st.binary(min_size=22, max_size=2048))
def test_corrupted_zip_containers_are_refused(tail: bytes) -> None:
    _accepts_or_refuses(b"PK\x03\x04" + tail)


def test_a_valid_slice_survives_the_fuzz_harness(tmp_path: Path) -> None:
    v = read_dicom(_VALID)
    assert v.shape == (8, 8, 1)
