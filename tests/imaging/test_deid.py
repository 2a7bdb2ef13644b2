"""De-identification (PS3.15 basic profile): what goes, what is recorded."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from medverse.imaging.deid import BASIC_PROFILE, deidentify
from medverse.imaging.io import read_dicom
from tests.imaging.conftest import make_slice, write_series


def _slice():
    return make_slice(np.zeros((4, 4), np.uint16), np.zeros(3), np.array([1.0, 0, 0, 0, 1, 0]),
                      (1.0, 1.0), series_uid="1.2.840.99.1")


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
