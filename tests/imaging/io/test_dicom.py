"""DICOM series reading: geometry, transfer syntaxes, series choice, refusals."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from medverse.imaging.errors import (
    InvalidStudy,
    MissingSlices,
    MixedSeries,
    NotDicom,
    UnsafeArchive,
    UnsupportedTransferSyntax,
)
from medverse.imaging.io import list_series, read_dicom
from medverse.imaging.io.dicom import ZipLimits
from tests.imaging.conftest import rotation, sample_path, write_series


def _affine(spacing=(0.8, 0.8, 2.0), rot=None, origin=(-20.0, -30.0, 40.0)) -> np.ndarray:
    rot = np.eye(3) if rot is None else rot
    a = np.eye(4)
    a[:3, :3] = rot @ np.diag(spacing)
    a[:3, 3] = origin
    return a


def _ramp(shape=(24, 20, 8)) -> np.ndarray:
    i, j, k = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    return (i * 10 + j * 3 + k * 50 - 500).astype(np.float32)


def test_sample_j2k_and_uncompressed_series_give_identical_volumes(dicom20_j2k) -> None:
    plain = read_dicom(sample_path("ct_abdomen_20slices_uncompressed"))
    assert dicom20_j2k.shape == plain.shape == (512, 512, 20)
    assert np.array_equal(dicom20_j2k.array, plain.array)
    assert np.allclose(dicom20_j2k.affine, plain.affine)


def test_sample_series_geometry_and_hounsfield_units(dicom20_j2k) -> None:
    v = dicom20_j2k
    assert v.spacing == pytest.approx((0.9765625, 0.9765625, 2.0))
    # lowest slice first: z from -804.5 to -766.5 mm
    assert v.affine[2, 3] == pytest.approx(-804.5)
    assert v.index_to_patient([[0, 0, 19]])[0, 2] == pytest.approx(-766.5)
    assert v.array.min() == -1024  # RescaleIntercept applied: air outside the FOV
    assert v.metadata["units"] == "HU"


def test_sample_series_with_blank_dataset_uids_is_read_and_quirk_recorded(dicom20_j2k) -> None:
    quirks = " ".join(dicom20_j2k.metadata["quirks"])
    assert "blank SeriesInstanceUID" in quirks
    assert dicom20_j2k.metadata["series_uid"].startswith("2.25.")


def test_shuffled_files_are_sorted_along_the_slice_normal(tmp_path: Path) -> None:
    hu = _ramp()
    affine = _affine(rot=rotation("x", 25) @ rotation("z", 10))
    write_series(tmp_path, hu, affine)
    v = read_dicom(tmp_path)
    assert np.array_equal(v.array, hu.astype(np.int16))
    assert np.allclose(v.affine, affine, atol=1e-4)


@pytest.mark.parametrize("syntax", ["j2k", "jpeg-lossless"])
def test_compressed_transfer_syntaxes_decode_to_the_same_volume(tmp_path: Path, syntax: str) -> None:
    hu = _ramp((64, 48, 3))
    write_series(tmp_path / "plain", hu, _affine())
    write_series(tmp_path / syntax, hu, _affine(), syntax=syntax)
    plain = read_dicom(tmp_path / "plain")
    packed = read_dicom(tmp_path / syntax)
    assert np.array_equal(plain.array, packed.array)
    assert packed.metadata["transfer_syntax"] != plain.metadata["transfer_syntax"]


def test_rescale_slope_and_intercept_are_applied(tmp_path: Path) -> None:
    from tests.imaging.conftest import make_slice

    for k in range(2):
        ds = make_slice(
            np.full((4, 4), 100, np.uint16),
            np.array([0, 0, 2.0 * k]),
            np.array([1.0, 0, 0, 0, 1, 0]),
            (1.0, 1.0),
            series_uid="1.2.9",
            slope=2.5,
            intercept=-100.0,
        )
        ds.save_as(tmp_path / f"s{k}.dcm", enforce_file_format=True)
    v = read_dicom(tmp_path)
    assert v.array.dtype == np.float32
    assert np.allclose(v.array, 150.0)


def test_mixed_series_are_refused_with_a_listing_then_read_when_chosen(tmp_path: Path) -> None:
    write_series(
        tmp_path,
        _ramp((8, 8, 4)),
        _affine(),
        series_uid="1.2.826.0.1.1",
        prefix="A",
        extra={"SeriesNumber": 3, "SeriesDescription": "AX DOE^JANE"},
    )
    write_series(tmp_path, _ramp((8, 8, 6)), _affine(), series_uid="1.2.826.0.1.2", prefix="B", extra={"SeriesNumber": 4})
    with pytest.raises(MixedSeries) as info:
        read_dicom(tmp_path)
    message = str(info.value)
    assert "found 2" in message
    assert "[0] CT series 4, 6 file(s) of 8x8" in message
    assert "[1] CT series 3, 4 file(s) of 8x8" in message
    assert "1.2.826.0.1" not in message and "DOE" not in message and str(tmp_path) not in message
    assert [s.n_files for s in info.value.series] == [6, 4]
    assert [s.to_dict() for s in info.value.series] == [s.to_dict() for s in list_series(tmp_path)]
    assert "1.2.826.0.1" not in str([s.to_dict() for s in info.value.series])
    assert read_dicom(tmp_path, series=0).shape[2] == 6
    assert read_dicom(tmp_path, series="1").shape[2] == 4
    assert read_dicom(tmp_path, series="1.2.826.0.1.1").shape[2] == 4  # a UID the caller knows
    assert [s.n_files for s in list_series(tmp_path)] == [6, 4]
    assert [s.index for s in list_series(tmp_path)] == [0, 1]


def test_missing_slices_are_reported(tmp_path: Path) -> None:
    write_series(tmp_path, _ramp((8, 8, 8)), _affine(), skip=(3, 4))
    with pytest.raises(MissingSlices, match="2 slice"):
        read_dicom(tmp_path)


def test_non_uniform_spacing_is_resampled_or_refused(tmp_path: Path) -> None:
    hu = _ramp((8, 8, 5))
    affine = _affine()
    zs = [0.0, 2.0, 4.0, 7.0, 10.0]  # 2 mm then 3 mm steps: not a missing-slice pattern
    positions = [affine[:3, 3] + np.array([0, 0, z]) for z in zs]
    write_series(tmp_path, hu, affine, positions=positions)
    with pytest.raises(InvalidStudy, match="uniform"):
        read_dicom(tmp_path, nonuniform="refuse")
    v = read_dicom(tmp_path)
    assert v.spacing[2] == pytest.approx(2.0)
    assert v.shape[2] == 6  # 0..10 mm every 2 mm
    assert any("non-uniform" in q for q in v.metadata["quirks"])


def test_gantry_tilt_is_carried_by_a_sheared_affine(tmp_path: Path) -> None:
    hu = _ramp((8, 8, 6))
    affine = _affine()
    tilt = np.radians(15)
    positions = [affine[:3, 3] + np.array([0, 2.0 * k * np.tan(tilt), 2.0 * k]) for k in range(6)]
    write_series(tmp_path, hu, affine, positions=positions)
    v = read_dicom(tmp_path)
    assert np.allclose(v.index_to_patient([[0, 0, 5]])[0], positions[5], atol=1e-3)
    assert any("gantry tilt 15.00" in q for q in v.metadata["quirks"])


def test_unsupported_transfer_syntax_is_refused(tmp_path: Path) -> None:
    write_series(tmp_path, _ramp((8, 8, 2)), _affine(), syntax="1.2.840.10008.1.2.4.100")  # MPEG2
    with pytest.raises(UnsupportedTransferSyntax, match="MPEG2"):
        read_dicom(tmp_path)


def test_folder_without_dicom_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "random.dcm").write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(NotDicom, match="2 file"):
        read_dicom(tmp_path)


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    files = write_series(tmp_path, _ramp((16, 16, 1)), _affine())
    data = files[0].read_bytes()
    files[0].write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidStudy):
        read_dicom(tmp_path)


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_of_a_series_reads_like_the_folder(tmp_path: Path) -> None:
    files = write_series(tmp_path / "s", _ramp((8, 8, 4)), _affine())
    blob = _zip({f"study/{p.name}": p.read_bytes() for p in files})
    from_zip = read_dicom(blob)
    assert np.array_equal(from_zip.array, read_dicom(tmp_path / "s").array)
    (tmp_path / "s.zip").write_bytes(blob)
    assert read_dicom(tmp_path / "s.zip").shape == (8, 8, 4)


@pytest.mark.parametrize("name", ["../evil.dcm", "/etc/passwd", "a/../../b.dcm", "C:/x.dcm"])
def test_zip_with_path_traversal_names_is_refused(name: str) -> None:
    with pytest.raises(UnsafeArchive, match="member name"):
        read_dicom(_zip({name: b"x"}))


def test_zip_bomb_is_refused_before_unpacking() -> None:
    bomb = _zip({"zeros.dcm": bytes(50 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(UnsafeArchive, match="zip bomb"):
        read_dicom(bomb)
    with pytest.raises(UnsafeArchive, match="limit"):
        read_dicom(_zip({"a": bytes(2000), "b": bytes(2000)}, zipfile.ZIP_STORED), limits=ZipLimits(max_total_bytes=3000))


def test_zip_with_a_symlink_is_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("link.dcm")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeArchive, match="symbolic link"):
        read_dicom(buf.getvalue())


def test_random_bytes_and_broken_zip_are_not_dicom() -> None:
    with pytest.raises(NotDicom):
        read_dicom(np.random.default_rng(2).bytes(10_000))
    with pytest.raises(NotDicom):
        read_dicom(b"PK\x03\x04" + b"\x00" * 100)


def test_validation_setting_records_ignores_or_raises_quirks() -> None:
    path = sample_path("ct_abdomen_20slices_uncompressed")
    assert read_dicom(path, validation="record").metadata["quirks"]
    assert "quirks" not in read_dicom(path, validation="ignore").metadata
    with pytest.raises(InvalidStudy, match="strict validation"):
        read_dicom(path, validation="raise")
