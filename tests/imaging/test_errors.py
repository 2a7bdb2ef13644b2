"""Refusal messages reach every client of a space: none may carry patient data, UIDs or server
paths. Each refusal path the importer has is triggered with a hostile upload named after the
patient, through a job (what the server reports) and directly."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from medverse.imaging.errors import InvalidStudy, redact_paths
from medverse.imaging.io import list_series, read_dicom, read_nifti
from medverse.imaging.jobs import Job, import_study, start_import
from tests.imaging.conftest import PHI_UID, message_leaks, write_phi_series


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _upload_dir(tmp: Path) -> Path:
    folder = tmp / "upload-x1" / "DOE^JANE 1961-07-04"
    folder.mkdir(parents=True)
    return folder


def _not_dicom(tmp: Path) -> Path:
    folder = _upload_dir(tmp)
    (folder / "DOE^JANE report.txt").write_text("Jane Doe, MRN-JD-4711")
    (folder / "JANEDOE.dcm").write_bytes(np.random.default_rng(1).bytes(2000))
    return folder


def _mixed(tmp: Path) -> Path:
    folder = _upload_dir(tmp)
    write_phi_series(folder / "a")
    write_phi_series(
        folder / "b",
        n_slices=6,
        extra={"SeriesInstanceUID": PHI_UID + ".9", "SeriesNumber": 7, "SeriesDescription": "JANEDOE localizer"},
    )
    return folder


def _missing(tmp: Path) -> Path:
    folder = _upload_dir(tmp)
    write_phi_series(folder, skip=(4,))
    return folder


def _duplicate(tmp: Path) -> Path:
    folder = _upload_dir(tmp)
    files = write_phi_series(folder)
    files[1].write_bytes(files[0].read_bytes().replace(b"DOE^JANE_0000", b"DOE^JANE_0001"))
    import pydicom

    a, b = pydicom.dcmread(files[0]), pydicom.dcmread(files[1])
    b.ImagePositionPatient = a.ImagePositionPatient
    b.SOPInstanceUID = PHI_UID + ".77"
    b.save_as(files[1])
    return folder


def _orientation(tmp: Path) -> Path:
    import pydicom

    folder = _upload_dir(tmp)
    files = write_phi_series(folder)
    ds = pydicom.dcmread(files[3])
    ds.ImageOrientationPatient = [0.0, 1, 0, 0, 0, -1]
    ds.save_as(files[3])
    return folder


def _transfer_syntax(tmp: Path) -> Path:
    folder = _upload_dir(tmp)
    write_phi_series(folder, syntax="1.2.840.10008.1.2.4.100")
    return folder


def _undecodable(tmp: Path) -> Path:
    import pydicom

    folder = _upload_dir(tmp)
    files = write_phi_series(folder)
    ds = pydicom.dcmread(files[2])
    ds.PixelData = ds.PixelData[:100]
    ds.save_as(files[2])
    return folder


def _traversal(tmp: Path) -> Path:
    return _zip(tmp / "DOE^JANE.zip", {"../DOE^JANE.dcm": b"x"})


def _symlink(tmp: Path) -> Path:
    path = tmp / "DOE^JANE.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("JANEDOE.dcm")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    return path


def _zip_bomb(tmp: Path) -> Path:
    path = tmp / "DOE^JANE.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("DOE^JANE/zeros.dcm", bytes(50 * 2**20))
    return path


def _broken_zip(tmp: Path) -> Path:
    path = tmp / "DOE^JANE.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    return path


def _broken_nifti(tmp: Path) -> Path:
    path = tmp / "upload-x1" / "DOE^JANE.nii.gz"
    path.parent.mkdir()
    path.write_bytes(b"\x1f\x8b" + b"\x00" * 500)
    return path


def _nifti_bomb(tmp: Path) -> Path:
    import gzip

    import nibabel as nib

    hdr = nib.Nifti1Header()
    hdr.set_data_shape((512, 512, 256))
    hdr.set_data_dtype(np.float64)
    hdr["vox_offset"] = 352
    hdr["descrip"] = b"DOE^JANE"
    path = tmp / "DOE^JANE.nii.gz"
    path.write_bytes(gzip.compress(hdr.binaryblock + bytes(4 + 2**20)))
    return path


def _burned_in(tmp: Path) -> Path:
    folder = _upload_dir(tmp)
    write_phi_series(folder, extra={"BurnedInAnnotation": "YES"})
    return folder


def _absent(tmp: Path) -> Path:
    return tmp / "upload-x1" / "DOE^JANE.zip"


#: name -> (how to build the upload, import options, expected code)
REFUSALS: dict[str, tuple[Callable[[Path], Path], dict, str]] = {
    "not-dicom": (_not_dicom, {}, "not-dicom"),
    "mixed-series": (_mixed, {}, "mixed-series"),
    "series-index": (_mixed, {"series": 5}, "invalid-study"),
    "series-key": (_mixed, {"series": "JANEDOE"}, "invalid-study"),
    "missing-slices": (_missing, {}, "missing-slices"),
    "duplicate-positions": (_duplicate, {}, "invalid-study"),
    "orientation": (_orientation, {}, "invalid-study"),
    "transfer-syntax": (_transfer_syntax, {}, "unsupported-transfer-syntax"),
    "undecodable": (_undecodable, {}, "invalid-study"),
    "zip-traversal": (_traversal, {}, "unsafe-archive"),
    "zip-symlink": (_symlink, {}, "unsafe-archive"),
    "zip-bomb": (_zip_bomb, {}, "unsafe-archive"),
    "zip-broken": (_broken_zip, {}, "not-dicom"),
    "nifti-broken": (_broken_nifti, {}, "invalid-study"),
    "nifti-bomb": (_nifti_bomb, {}, "unsafe-archive"),
    "burned-in": (_burned_in, {}, "burned-in-annotation"),
    "absent": (_absent, {}, "invalid-study"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusal_messages_carry_no_patient_data_uids_or_paths(tmp_path: Path, case: str) -> None:
    build, options, code = REFUSALS[case]
    source = build(tmp_path)
    out = tmp_path / "data" / "studies" / "abc123"
    job = start_import(source, out, **options)
    assert job.wait(120)
    assert job.state == "failed" and job.error_code == code, job.error
    assert message_leaks(job.error or "", str(tmp_path), "1.2.826.0.1", "upload-x1") == [], job.error
    assert not out.exists() and list(out.parent.iterdir()) == []


def test_the_mixed_series_refusal_lists_what_a_user_needs_to_choose(tmp_path: Path) -> None:
    source = _mixed(tmp_path)
    job = start_import(source, tmp_path / "s")
    assert job.wait(60) and job.error_code == "mixed-series"
    assert job.error == (
        "expected one image series, found 2: [0] CT (no series number), 10 "
        "file(s) of 32x32; [1] CT series 7, 6 file(s) of 32x32. Choose one by "
        "its index."
    )
    assert isinstance(job.exception, InvalidStudy)
    listing = [s.to_dict() for s in job.exception.series]  # type: ignore[attr-defined]
    assert listing == [s.to_dict() for s in list_series(source)]
    assert message_leaks(repr(listing), "1.2.826.0.1") == []
    assert read_dicom(source, series=1).shape == (32, 32, 6)


def test_an_existing_study_folder_is_named_without_its_path(tmp_path: Path) -> None:
    out = tmp_path / "data" / "studies" / "abc123"
    out.mkdir(parents=True)
    with pytest.raises(InvalidStudy) as info:
        import_study(_not_dicom(tmp_path), out)
    assert "'abc123' already exists" in str(info.value)
    assert message_leaks(str(info.value), str(tmp_path)) == []


def test_an_unexpected_error_reports_its_type_only(tmp_path: Path) -> None:
    secret = tmp_path / "DOE^JANE" / "missing.dcm"
    job: Job[bytes] = Job(lambda ctx: secret.read_bytes())
    job.start()
    assert job.wait(10) and job.error_code == "internal"
    assert job.error == ("internal error (FileNotFoundError); the server log has the details")
    assert isinstance(job.exception, FileNotFoundError)  # the server keeps it for its log


def test_library_messages_lose_their_paths(tmp_path: Path) -> None:
    path = tmp_path / "upload-x1" / "DOE^JANE.nii"
    path.parent.mkdir()
    path.write_bytes(b"\x00" * 400)
    with pytest.raises(InvalidStudy) as info:
        read_nifti(path)
    assert message_leaks(str(info.value), str(tmp_path)) == []
    assert (
        redact_paths("[Errno 2] No such file: '/data/upload-x1/DOE^JANE.zip' (1/2 done)")
        == "[Errno 2] No such file: '<path>' (1/2 done)"
    )
    assert redact_paths(r"cannot open C:\Users\jane\DOE.dcm now") == "cannot open <path> now"
    assert redact_paths("read 'scan.nii.gz' fully", ["scan.nii.gz"]) == "read '<file>' fully"


def test_zip_member_names_are_not_echoed() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ok.txt", b"x")
        zf.writestr("/abs/DOE^JANE.dcm", b"x")
    with pytest.raises(InvalidStudy, match=r"^zip member 2: refused member name") as info:
        read_dicom(buf.getvalue())
    assert "DOE" not in str(info.value) and "/abs" not in str(info.value)
