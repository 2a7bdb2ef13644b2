"""De-identification of DICOM datasets (DICOM PS3.15 Annex E, Basic Application Level
Confidentiality Profile).

:func:`deidentify` applies the profile's actions to a dataset in place and returns what it did:
which attributes were removed, emptied, replaced with a dummy value or given a new UID. The
record names attributes only; it never stores the original values. Options of the profile that we
apply on top: private attributes are removed (no "retain safe private" option), and curves,
overlays and free-text comments go with them.

Actions (PS3.15 Table E.1-1 codes):

``X``  remove the attribute
``Z``  replace with a zero-length value
``D``  replace with a non-identifying dummy value of the same VR
``U``  replace the UID with a new one, consistent within one import (same input -> same output)
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from typing import Any

__all__ = ["BASIC_PROFILE", "DeidRecord", "deidentify"]

#: keyword -> action. The attributes of PS3.15 Table E.1-1 that appear in image objects.
BASIC_PROFILE: dict[str, str] = {
    # patient
    "PatientName": "Z", "PatientID": "Z", "IssuerOfPatientID": "X", "PatientBirthDate": "Z",
    "PatientBirthTime": "X", "PatientSex": "Z", "OtherPatientIDs": "X",
    "OtherPatientIDsSequence": "X", "OtherPatientNames": "X", "PatientBirthName": "X",
    "PatientAge": "X", "PatientSize": "X", "PatientWeight": "X", "PatientAddress": "X",
    "PatientMotherBirthName": "X", "MilitaryRank": "X", "BranchOfService": "X",
    "MedicalRecordLocator": "X", "MedicalAlerts": "X", "Allergies": "X",
    "CountryOfResidence": "X", "RegionOfResidence": "X", "PatientTelephoneNumbers": "X",
    "EthnicGroup": "X", "Occupation": "X", "SmokingStatus": "X", "AdditionalPatientHistory": "X",
    "PregnancyStatus": "X", "LastMenstrualDate": "X", "PatientReligiousPreference": "X",
    "PatientComments": "X", "PatientState": "X", "ResponsiblePerson": "X",
    "ResponsibleOrganization": "X", "PatientInsurancePlanCodeSequence": "X",
    "InsurancePlanIdentification": "X", "PatientSexNeutered": "X",
    # study / visit
    "StudyDate": "Z", "SeriesDate": "X", "AcquisitionDate": "X", "ContentDate": "Z",
    "StudyTime": "Z", "SeriesTime": "X", "AcquisitionTime": "X", "ContentTime": "Z",
    "AcquisitionDateTime": "X", "OverlayDate": "X", "CurveDate": "X", "OverlayTime": "X",
    "CurveTime": "X", "InstanceCreationDate": "X", "InstanceCreationTime": "X",
    "AccessionNumber": "Z", "StudyID": "Z", "StudyDescription": "X", "SeriesDescription": "X",
    "AdmittingDiagnosesDescription": "X", "AdmittingDiagnosesCodeSequence": "X",
    "AdmissionID": "X", "IssuerOfAdmissionID": "X", "ReasonForStudy": "X",
    "RequestedProcedureDescription": "X", "RequestedProcedureID": "X",
    "PerformedProcedureStepDescription": "X", "PerformedProcedureStepID": "X",
    "PerformedProcedureStepStartDate": "X", "PerformedProcedureStepStartTime": "X",
    "PerformedProcedureStepEndDate": "X", "PerformedProcedureStepEndTime": "X",
    "ScheduledProcedureStepDescription": "X", "ProtocolName": "X", "ImageComments": "X",
    "RequestAttributesSequence": "X", "ProcedureCodeSequence": "X",
    "ReferencedStudySequence": "X", "ReferencedPerformedProcedureStepSequence": "X",
    "ReferencedPatientSequence": "X", "ReferencedImageSequence": "X",
    "SourceImageSequence": "X", "DerivationDescription": "X", "AcquisitionComments": "X",
    "VisitComments": "X", "ServiceEpisodeID": "X", "ServiceEpisodeDescription": "X",
    # people and places
    "ReferringPhysicianName": "Z", "ReferringPhysicianAddress": "X",
    "ReferringPhysicianTelephoneNumbers": "X", "PhysiciansOfRecord": "X",
    "PerformingPhysicianName": "X", "NameOfPhysiciansReadingStudy": "X", "OperatorsName": "X",
    "RequestingPhysician": "X", "InstitutionName": "X", "InstitutionAddress": "X",
    "InstitutionalDepartmentName": "X", "InstitutionCodeSequence": "X", "StationName": "X",
    "DeviceSerialNumber": "X", "DetectorID": "X", "PlateID": "X", "GantryID": "X",
    "CassetteID": "X", "GeneratorID": "X", "SourceApplicationEntityTitle": "X",
    "ContentCreatorName": "Z", "PersonName": "X", "VerifyingObserverName": "X",
    "ScheduledPerformingPhysicianName": "X", "RequestedProcedureLocation": "X",
    # UIDs
    "StudyInstanceUID": "U", "SeriesInstanceUID": "U", "SOPInstanceUID": "U",
    "FrameOfReferenceUID": "U", "IrradiationEventUID": "U", "SynchronizationFrameOfReferenceUID": "U",
    "ReferencedSOPInstanceUID": "U", "MediaStorageSOPInstanceUID": "U",
    "InstanceCreatorUID": "U", "DimensionOrganizationUID": "U",
}

_DUMMY_BY_VR = {"DA": "19000101", "TM": "000000", "DT": "19000101000000", "PN": "ANONYMOUS",
                "LO": "ANONYMOUS", "SH": "ANON", "CS": "", "AS": "000Y"}


@dataclasses.dataclass
class DeidRecord:
    """What de-identification did to one series.

    Attributes
    ----------
    profile : str
        The profile applied.
    removed, emptied, dummied, uid_replaced : list of str
        Attribute keywords (or ``(gggg,eeee)`` for private ones), sorted, without values.
    private_tags_removed : int
        How many private attributes were dropped.
    files : int
        How many files the record covers.
    """

    profile: str = "DICOM PS3.15 E.1 Basic Application Level Confidentiality Profile"
    removed: set[str] = dataclasses.field(default_factory=set)
    emptied: set[str] = dataclasses.field(default_factory=set)
    dummied: set[str] = dataclasses.field(default_factory=set)
    uid_replaced: set[str] = dataclasses.field(default_factory=set)
    private_tags_removed: int = 0
    files: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: sorted lists of keywords."""
        return {
            "profile": self.profile,
            "options": ["remove private attributes", "remove curves, overlays and comments"],
            "removed": sorted(self.removed),
            "emptied": sorted(self.emptied),
            "dummied": sorted(self.dummied),
            "uid_replaced": sorted(self.uid_replaced),
            "private_tags_removed": self.private_tags_removed,
            "files": self.files,
            "values_recorded": False,
        }


class UidMapper:
    """Replaces UIDs consistently within one import, unlinkable to the originals (salted)."""

    def __init__(self) -> None:
        self._salt = secrets.token_bytes(16)
        self._map: dict[str, str] = {}

    def __call__(self, uid: str) -> str:
        if uid not in self._map:
            digest = hashlib.sha256(self._salt + uid.encode()).digest()
            self._map[uid] = "2.25." + str(int.from_bytes(digest[:16], "big"))
        return self._map[uid]


def deidentify(ds: Any, record: DeidRecord | None = None, uids: UidMapper | None = None) -> DeidRecord:
    """Apply the basic profile to a pydicom ``Dataset`` in place (including nested sequences and
    the file meta header).

    Parameters
    ----------
    ds : pydicom.Dataset
    record : DeidRecord, optional
        Accumulates across the files of a series; a new one is made when omitted.
    uids : UidMapper, optional
        Shares UID replacements across files so references stay consistent.

    Returns
    -------
    DeidRecord
    """
    record = record if record is not None else DeidRecord()
    uids = uids if uids is not None else UidMapper()
    record.files += 1
    _deid_dataset(ds, record, uids)
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        for kw in ("MediaStorageSOPInstanceUID", "SourceApplicationEntityTitle"):
            if kw in meta and meta[kw].value:
                if BASIC_PROFILE[kw] == "U":
                    meta[kw].value = uids(str(meta[kw].value))
                    record.uid_replaced.add(kw)
                else:
                    del meta[kw]
                    record.removed.add(kw)
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "medverse basic profile (PS3.15 E.1)"
    return record


def _deid_dataset(ds: Any, record: DeidRecord, uids: UidMapper) -> None:
    for elem in list(ds):
        tag = elem.tag
        if tag.is_private:
            del ds[tag]
            record.private_tags_removed += 1
            continue
        group = tag.group
        if 0x5000 <= group <= 0x50FF or (0x6000 <= group <= 0x60FF):
            del ds[tag]  # curves and overlays (overlays may burn in text)
            record.removed.add(elem.keyword or f"({group:04X},xxxx)")
            continue
        action = BASIC_PROFILE.get(elem.keyword)
        if action is None:
            if elem.VR == "SQ":
                for item in elem.value:
                    _deid_dataset(item, record, uids)
            continue
        if action == "X":
            del ds[tag]
            record.removed.add(elem.keyword)
        elif action == "Z":
            if elem.value not in (None, "", b""):
                record.emptied.add(elem.keyword)
            elem.value = [] if elem.VR == "SQ" else ""
        elif action == "D":
            elem.value = _DUMMY_BY_VR.get(elem.VR, "")
            record.dummied.add(elem.keyword)
        elif action == "U":
            if elem.VM > 1:
                elem.value = [uids(str(v)) for v in elem.value if str(v)]
                record.uid_replaced.add(elem.keyword)
            elif elem.value:
                elem.value = uids(str(elem.value))
                record.uid_replaced.add(elem.keyword)
