"""De-identification (PS3.15 basic profile): what goes, what is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from medverse.imaging.deid import BASIC_PROFILE, deidentify
from medverse.imaging.errors import BurnedInAnnotation
from medverse.imaging.io import read_dicom
from medverse.imaging.jobs import import_study
from tests.imaging.conftest import (
    make_slice,
    message_leaks,
    phi_leaks,
    write_phi_series,
    write_series,
)


def _slice():
    return make_slice(
        np.zeros((4, 4), np.uint16), np.zeros(3), np.array([1.0, 0, 0, 0, 1, 0]), (1.0, 1.0), series_uid="1.2.840.99.1"
    )


def test_identifiers_are_removed_and_only_their_names_recorded() -> None:
    ds = _slice()
    original_uid = ds.SOPInstanceUID
    record = deidentify(ds)
    assert ds.PatientName == "" and ds.PatientID == "" and ds.PatientBirthDate == ""
    assert "InstitutionName" not in ds and "SeriesDescription" not in ds
    assert ds.SOPInstanceUID != original_uid and ds.SOPInstanceUID.startswith("2.25.")
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert not any(e.tag.is_private for e in ds)
    assert ds.PatientIdentityRemoved == "YES"
    out = record.to_dict()
    assert "InstitutionName" in out["removed"] and "PatientName" in out["emptied"]
    assert "SOPInstanceUID" in out["uid_replaced"] and out["private_tags_removed"] == 2
    assert "Doe" not in str(out) and "General Hospital" not in str(out)


def test_uids_stay_consistent_within_a_series(tmp_path: Path) -> None:
    from medverse.imaging.deid import DeidRecord, UidMapper

    a, b = _slice(), _slice()
    uids, record = UidMapper(), DeidRecord()
    deidentify(a, record, uids)
    deidentify(b, record, uids)
    assert a.SeriesInstanceUID == b.SeriesInstanceUID != "1.2.840.99.1"
    assert record.files == 2


def test_reading_deidentifies_by_default_and_not_when_asked(tmp_path: Path) -> None:
    write_series(tmp_path, np.zeros((4, 4, 2), np.float32), np.eye(4))
    v = read_dicom(tmp_path)
    assert v.metadata["deid"]["files"] == 2
    raw = read_dicom(tmp_path, deid=False)
    assert raw.metadata["deid"] is None and raw.metadata["series_description"] == "synthetic"


def test_profile_keywords_are_real_dicom_keywords() -> None:
    from pydicom.datadict import tag_for_keyword

    unknown = [k for k in BASIC_PROFILE if tag_for_keyword(k) is None]
    assert unknown == []


# -- nothing identifying leaves the importer -------------------------------------------------------
def _phi_zip(tmp_path: Path) -> Path:
    import zipfile

    files = write_phi_series(tmp_path / "DOE^JANE 1961-07-04")
    archive = tmp_path / "DOE^JANE.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in files:
            zf.write(f, f"JANE_DOE/{f.name}")
    return archive


@pytest.mark.parametrize("packaging", ["folder", "zip"])
def test_planted_patient_data_appears_nowhere_in_the_study_folder(tmp_path: Path, packaging: str) -> None:
    source = _phi_zip(tmp_path) if packaging == "zip" else write_phi_series(tmp_path / "DOE^JANE 1961-07-04")[0].parent
    out = tmp_path / "studies" / "s1"
    manifest = import_study(source, out, triangle_budget=20_000, working_mm=3.0)
    assert phi_leaks(out, str(tmp_path)) == []
    assert manifest["structures"] >= 1 and manifest["deidentified"] is True
    meta = manifest["metadata"]
    # the allow-list: technical facts only, each checked
    assert meta["modality"] == "CT" and meta["contrast"] is True
    assert meta["manufacturer"] == "" and meta["body_part"] == ""  # refused by their checks
    assert meta["series_uid"].startswith("2.25.") and "series_description" not in meta
    assert "contrast_agent" not in meta and manifest["title"] == "Uploaded CT study"
    deid = json.loads((out / "deid.json").read_text())
    assert {"PatientName", "ReferringPhysicianName"} <= set(deid["emptied"])
    assert {
        "InstitutionName",
        "SeriesDescription",
        "StudyDescription",
        "OtherPatientNames",
        "StudyComments",
        "ReviewerName",
        "DateOfLastCalibration",
    } <= set(deid["removed"])
    assert "ContrastBolusAgent" in deid["dummied"] and deid["files"] == 10


def test_metadata_comes_from_the_deidentified_dataset_through_the_allow_list(tmp_path: Path) -> None:
    write_phi_series(
        tmp_path / "s",
        extra={
            "Manufacturer": "SIEMENS",
            "BodyPartExamined": "ABDOMEN",
            "ManufacturerModelName": "Biograph mCT",
            "ConvolutionKernel": ["B30f", "3"],
        },
    )
    meta = read_dicom(tmp_path / "s").metadata
    assert {
        k: meta[k]
        for k in ("modality", "manufacturer", "manufacturer_model", "body_part", "convolution_kernel", "units", "contrast")
    } == {
        "modality": "CT",
        "manufacturer": "SIEMENS",
        "manufacturer_model": "Biograph mCT",
        "body_part": "ABDOMEN",
        "convolution_kernel": "B30f\\3",
        "units": "HU",
        "contrast": True,
    }
    assert meta["slice_thickness_mm"] == 1.0
    assert message_leaks(json.dumps(meta)) == []


def test_kept_originals_have_neutral_names_and_are_deidentified(tmp_path: Path) -> None:
    import pydicom

    source = write_phi_series(tmp_path / "DOE^JANE 1961-07-04")[0].parent
    out = tmp_path / "s"
    manifest = import_study(source, out, keep_originals=True, triangle_budget=20_000, working_mm=3.0)
    kept = sorted((out / "originals").iterdir())
    assert [p.name for p in kept] == [f"original-{n:04d}.dcm" for n in range(1, 11)]
    assert manifest["originals_kept"] == 10 and manifest["originals_deidentified"] is True
    assert phi_leaks(out, str(tmp_path)) == []
    volume = read_dicom(source)
    zs = []
    for n, path in enumerate(kept):
        ds = pydicom.dcmread(path)
        assert ds.PatientIdentityRemoved == "YES" and ds.preamble == bytes(128)
        assert ds.SeriesInstanceUID == manifest["metadata"]["series_uid"]
        assert np.array_equal(ds.pixel_array.T.astype(np.int32) - 1024, volume.array[:, :, n])
        zs.append(float(ds.ImagePositionPatient[2]))
    assert zs == sorted(zs)  # in slice order


def test_kept_originals_without_deid_are_the_files_bytes_under_neutral_names(tmp_path: Path) -> None:
    files = write_phi_series(tmp_path / "DOE^JANE")
    out = tmp_path / "s"
    manifest = import_study(files[0].parent, out, keep_originals=True, deid=False, triangle_budget=20_000, working_mm=3.0)
    assert manifest["originals_kept"] == 10 and manifest["originals_deidentified"] is False
    assert manifest["deidentified"] is False
    kept = {p.read_bytes() for p in (out / "originals").iterdir()}
    assert kept == {f.read_bytes() for f in files}
    assert all(p.name.startswith("original-") for p in (out / "originals").iterdir())


# -- burned-in annotation ------------------------------------------------------------------------
def test_burned_in_annotation_is_refused_by_default(tmp_path: Path) -> None:
    write_phi_series(tmp_path / "s", extra={"BurnedInAnnotation": "YES"})
    with pytest.raises(BurnedInAnnotation, match="BurnedInAnnotation = YES") as info:
        read_dicom(tmp_path / "s")
    assert info.value.code == "burned-in-annotation" and "allow_burned_in" in str(info.value)
    with pytest.raises(BurnedInAnnotation):
        import_study(tmp_path / "s", tmp_path / "out" / "s1")
    assert list((tmp_path / "out").iterdir()) == []


def test_burned_in_annotation_is_imported_when_allowed_and_recorded(tmp_path: Path) -> None:
    write_phi_series(tmp_path / "s", extra={"BurnedInAnnotation": "YES"})
    out = tmp_path / "study"
    manifest = import_study(tmp_path / "s", out, allow_burned_in=True, triangle_budget=20_000, working_mm=3.0)
    deid = json.loads((out / "deid.json").read_text())
    assert deid["burned_in_annotation"] == "YES" and deid["burned_in_allowed"] is True
    assert deid["pixel_data"].startswith("unchanged")
    assert any("burned-in annotation YES" in q for q in manifest["metadata"]["quirks"])
    assert phi_leaks(out) == []


def test_secondary_capture_is_refused_unless_marked_without_burned_in_text(tmp_path: Path) -> None:
    sc = {"SOPClassUID": "1.2.840.10008.5.1.4.1.1.7"}
    write_phi_series(tmp_path / "sc", extra=sc)
    with pytest.raises(BurnedInAnnotation, match="secondary capture"):
        read_dicom(tmp_path / "sc")
    write_phi_series(tmp_path / "sc_no", extra={**sc, "BurnedInAnnotation": "NO"})
    v = read_dicom(tmp_path / "sc_no")
    assert v.metadata["deid"]["burned_in_annotation"] == "NO"


def test_undeclared_burned_in_text_is_recorded_as_not_stated(tmp_path: Path) -> None:
    write_phi_series(tmp_path / "s")
    record = read_dicom(tmp_path / "s").metadata["deid"]
    assert record["burned_in_annotation"] == "not stated" and record["burned_in_allowed"] is False


def test_generic_rules_remove_unlisted_names_dates_and_free_text() -> None:
    from pydicom.dataset import Dataset

    ds = _slice()
    item = Dataset()
    item.ReviewerName = "DOE^JANE"
    item.CodeMeaning = "Abdomen"
    ds.AnatomicRegionSequence = [item]
    ds.DateOfLastCalibration = "20240430"
    ds.add_new(0x00F00010, "UN", b"DOE^JANE")  # an unknown public attribute
    ds.file_meta.SourceApplicationEntityTitle = "JANEDOE_PACS"
    ds.file_meta.PrivateInformationCreatorUID = "1.2.3"
    ds.file_meta.PrivateInformation = b"DOE^JANE"
    record = deidentify(ds)
    assert "ReviewerName" not in ds.AnatomicRegionSequence[0]
    assert ds.AnatomicRegionSequence[0].CodeMeaning == "Abdomen"  # coded, kept
    assert "DateOfLastCalibration" not in ds and 0x00F00010 not in ds
    for kw in ("SourceApplicationEntityTitle", "PrivateInformationCreatorUID", "PrivateInformation"):
        assert kw not in ds.file_meta and kw in record.removed
    assert "(00F0,0010)" in record.removed
