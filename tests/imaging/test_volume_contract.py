"""One contract every loader's Volume must meet (like nibabel's image API tests)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from medverse.imaging.io import load_volume, read_dicom, read_nifti, write_nifti
from medverse.imaging.volume import Volume
from tests.imaging.conftest import rotation, sample_path, write_series

PHI = ("MRN-12345", "Doe^Jane", "General Hospital", "19700101", "20240501", "Petersgraben")


def _synthetic_affine() -> np.ndarray:
    a = np.eye(4)
    a[:3, :3] = rotation("y", 15) @ np.diag([0.9, 0.9, 2.0])
    a[:3, 3] = [5.0, -7.0, 11.0]
    return a


def _dicom_folder(tmp: Path) -> Volume:
    hu = np.arange(12 * 10 * 5, dtype=np.float32).reshape(12, 10, 5) - 300
    write_series(tmp / "s", hu, _synthetic_affine())
    return read_dicom(tmp / "s")


def _dicom_zip(tmp: Path) -> Volume:
    import zipfile

    files = write_series(tmp / "s", np.zeros((8, 8, 3), np.float32), _synthetic_affine())
    with zipfile.ZipFile(tmp / "s.zip", "w") as zf:
        for f in files:
            zf.write(f, f"x/{f.name}")
    return load_volume(tmp / "s.zip")


def _nifti(tmp: Path) -> Volume:
    v = Volume(np.arange(60, dtype=np.int16).reshape(3, 4, 5), _synthetic_affine())
    return read_nifti(write_nifti(v, tmp / "v.nii.gz"))


def _nifti_bytes(tmp: Path) -> Volume:
    v = Volume(np.ones((3, 4, 5), np.float32) * 0.5, _synthetic_affine())
    return load_volume(write_nifti(v, tmp / "v.nii").read_bytes())


LOADERS: dict[str, Callable[[Path], Volume]] = {
    "dicom-folder": _dicom_folder,
    "dicom-zip": _dicom_zip,
    "nifti-file": _nifti,
    "nifti-bytes": _nifti_bytes,
    "sample-dicom-j2k": lambda tmp: read_dicom(sample_path("ct_abdomen_20slices_j2k")),
    "sample-nifti-ct": lambda tmp: load_volume(sample_path("ct_abdomen_3mm")),
    "sample-nifti-mr": lambda tmp: load_volume(sample_path("brain_stroke_flair")),
}


@pytest.fixture(params=sorted(LOADERS))
def loaded(request: pytest.FixtureRequest, tmp_path: Path) -> Volume:
    return LOADERS[request.param](tmp_path)


def test_is_a_3d_volume_with_an_invertible_affine(loaded: Volume) -> None:
    assert isinstance(loaded, Volume)
    assert loaded.array.ndim == 3 and min(loaded.shape) >= 1
    assert loaded.affine.shape == (4, 4)
    assert abs(np.linalg.det(loaded.affine[:3, :3])) > 0
    assert np.allclose(loaded.affine[3], [0, 0, 0, 1])
    assert all(s > 0 for s in loaded.spacing)


def test_index_and_patient_coordinates_round_trip(loaded: Volume) -> None:
    ijk = np.array([[0, 0, 0], [1.5, 2.0, 0.5], [s - 1 for s in loaded.shape]], dtype=float)
    assert np.allclose(loaded.patient_to_index(loaded.index_to_patient(ijk)), ijk, atol=1e-6)
    lo, hi = loaded.bounds_mm()
    assert np.all(lo <= hi)


def test_metadata_is_json_and_carries_no_identifiers(loaded: Volume) -> None:
    text = json.dumps(loaded.describe(), default=str)
    for needle in PHI:
        assert needle not in text
    assert loaded.modality


def test_values_are_numeric_and_finite(loaded: Volume) -> None:
    assert loaded.array.dtype.kind in "iuf"
    assert np.isfinite(loaded.array).all()


def test_downsampling_keeps_the_physical_extent(loaded: Volume) -> None:
    if min(loaded.shape) < 2:
        pytest.skip("too small to downsample")
    small = loaded.downsample((2, 2, 1))
    assert small.spacing[0] == pytest.approx(loaded.spacing[0] * 2)
    # the first block's centre lies between the first two voxel centres
    mid = loaded.index_to_patient([[0.5, 0.5, 0]])[0]
    assert np.allclose(small.index_to_patient([[0, 0, 0]])[0], mid)
