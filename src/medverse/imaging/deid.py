"""De-identification of DICOM datasets (DICOM PS3.15 Annex E, Basic Application Level
Confidentiality Profile).

:func:`deidentify` applies the profile's actions to a dataset in place and returns what it did:
which attributes were removed, emptied, replaced with a dummy value or given a new UID. The
record names attributes only; it never stores the original values. Options of the profile that we
apply on top: private attributes are removed (no "retain safe private" option), and curves,
overlays and free-text comments go with them. Beyond the table, any attribute the table does not
name is removed when its value representation can only hold identifying or free-text content:
person names (PN), dates and times (DA, DT, TM), free text (LT, ST, UT) and unknown public
attributes (UN). The file meta header loses its application entity titles, presentation addresses
and private information.

Pixel data are never changed: text burned into the images (``BurnedInAnnotation`` YES) survives
header cleaning, which is why the readers refuse such series unless told otherwise (see
:func:`burned_in_annotation`).

Actions (PS3.15 Table E.1-1 codes):

``X``  remove the attribute
``Z``  replace with a zero-length value
``D``  replace with a non-identifying dummy value of the same VR
``U``  replace the UID with a new one, consistent within one import (same input -> same output)
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
from typing import Any

__all__ = [
    "BASIC_PROFILE",
    "TECHNICAL_ATTRIBUTES",
    "DeidRecord",
    "UidMapper",
    "burned_in_annotation",
    "deidentify",
    "technical_metadata",
]

#: keyword -> action. The attributes of PS3.15 Table E.1-1 that appear in image objects.
BASIC_PROFILE: dict[str, str] = {
    # patient
    "PatientName": "Z",
    "PatientID": "Z",
    "IssuerOfPatientID": "X",
    "PatientBirthDate": "Z",
    "PatientBirthTime": "X",
    "PatientSex": "Z",
    "OtherPatientIDs": "X",
    "OtherPatientIDsSequence": "X",
    "OtherPatientNames": "X",
    "PatientBirthName": "X",
    "PatientAge": "X",
    "PatientSize": "X",
    "PatientWeight": "X",
    "PatientAddress": "X",
    "PatientMotherBirthName": "X",
    "MilitaryRank": "X",
    "BranchOfService": "X",
    "MedicalRecordLocator": "X",
    "MedicalAlerts": "X",
    "Allergies": "X",
    "CountryOfResidence": "X",
    "RegionOfResidence": "X",
    "PatientTelephoneNumbers": "X",
    "EthnicGroup": "X",
    "Occupation": "X",
    "SmokingStatus": "X",
    "AdditionalPatientHistory": "X",
    "PregnancyStatus": "X",
    "LastMenstrualDate": "X",
    "PatientReligiousPreference": "X",
    "PatientComments": "X",
    "PatientState": "X",
    "ResponsiblePerson": "X",
    "ResponsibleOrganization": "X",
    "PatientInsurancePlanCodeSequence": "X",
    "InsurancePlanIdentification": "X",
    "PatientSexNeutered": "X",
    # study / visit
    "StudyDate": "Z",
    "SeriesDate": "X",
    "AcquisitionDate": "X",
    "ContentDate": "Z",
    "StudyTime": "Z",
    "SeriesTime": "X",
    "AcquisitionTime": "X",
    "ContentTime": "Z",
    "AcquisitionDateTime": "X",
    "OverlayDate": "X",
    "CurveDate": "X",
    "OverlayTime": "X",
    "CurveTime": "X",
    "InstanceCreationDate": "X",
    "InstanceCreationTime": "X",
    "AccessionNumber": "Z",
    "StudyID": "Z",
    "StudyDescription": "X",
    "SeriesDescription": "X",
    "AdmittingDiagnosesDescription": "X",
    "AdmittingDiagnosesCodeSequence": "X",
    "AdmissionID": "X",
    "IssuerOfAdmissionID": "X",
    "ReasonForStudy": "X",
    "RequestedProcedureDescription": "X",
    "RequestedProcedureID": "X",
    "PerformedProcedureStepDescription": "X",
    "PerformedProcedureStepID": "X",
    "PerformedProcedureStepStartDate": "X",
    "PerformedProcedureStepStartTime": "X",
    "PerformedProcedureStepEndDate": "X",
    "PerformedProcedureStepEndTime": "X",
    "ScheduledProcedureStepDescription": "X",
    "ProtocolName": "X",
    "ImageComments": "X",
    "RequestAttributesSequence": "X",
    "ProcedureCodeSequence": "X",
    "ReferencedStudySequence": "X",
    "ReferencedPerformedProcedureStepSequence": "X",
    "ReferencedPatientSequence": "X",
    "ReferencedImageSequence": "X",
    "SourceImageSequence": "X",
    "DerivationDescription": "X",
    "AcquisitionComments": "X",
    "VisitComments": "X",
    "ServiceEpisodeID": "X",
    "ServiceEpisodeDescription": "X",
    # people and places
    "ReferringPhysicianName": "Z",
    "ReferringPhysicianAddress": "X",
    "ReferringPhysicianTelephoneNumbers": "X",
    "PhysiciansOfRecord": "X",
    "PerformingPhysicianName": "X",
    "NameOfPhysiciansReadingStudy": "X",
    "OperatorsName": "X",
    "RequestingPhysician": "X",
    "InstitutionName": "X",
    "InstitutionAddress": "X",
    "InstitutionalDepartmentName": "X",
    "InstitutionCodeSequence": "X",
    "StationName": "X",
    "DeviceSerialNumber": "X",
    "DetectorID": "X",
    "PlateID": "X",
    "GantryID": "X",
    "CassetteID": "X",
    "GeneratorID": "X",
    "SourceApplicationEntityTitle": "X",
    "ContentCreatorName": "Z",
    "PersonName": "X",
    "VerifyingObserverName": "X",
    "ScheduledPerformingPhysicianName": "X",
    "RequestedProcedureLocation": "X",
    # UIDs
    "StudyInstanceUID": "U",
    "SeriesInstanceUID": "U",
    "SOPInstanceUID": "U",
    "FrameOfReferenceUID": "U",
    "IrradiationEventUID": "U",
    "SynchronizationFrameOfReferenceUID": "U",
    "ReferencedSOPInstanceUID": "U",
    "MediaStorageSOPInstanceUID": "U",
    "InstanceCreatorUID": "U",
    "DimensionOrganizationUID": "U",
    # more of Table E.1-1: free text, people, places and devices
    "ContrastBolusAgent": "D",
    "ConsultingPhysicianName": "Z",
    "StudyComments": "X",
    "IdentifyingComments": "X",
    "AcquisitionDeviceProcessingDescription": "X",
    "RequestedContrastAgent": "X",
    "RequestingService": "X",
    "ReasonForVisit": "X",
    "ReasonForTheRequestedProcedure": "X",
    "RequestedProcedureComments": "X",
    "ReasonForTheImagingServiceRequest": "X",
    "ImagingServiceRequestComments": "X",
    "CommentsOnThePerformedProcedureStep": "X",
    "CommentsOnRadiationDose": "X",
    "PatientTransportArrangements": "X",
    "SpecialNeeds": "X",
    "CurrentPatientLocation": "X",
    "PatientInstitutionResidence": "X",
    "DischargeDiagnosisDescription": "X",
    "ScheduledStudyLocation": "X",
    "ScheduledStudyLocationAETitle": "X",
    "ScheduledStationAETitle": "X",
    "ScheduledStationName": "X",
    "ScheduledProcedureStepLocation": "X",
    "PerformedStationAETitle": "X",
    "PerformedStationName": "X",
    "PerformedLocation": "X",
    "PreMedication": "X",
    "OrderEnteredBy": "X",
    "OrderEntererLocation": "X",
    "OrderCallbackPhoneNumber": "X",
    "NamesOfIntendedRecipientsOfResults": "X",
    "PersonAddress": "X",
    "PersonTelephoneNumbers": "X",
    "HumanPerformerName": "X",
    "HumanPerformerOrganization": "X",
    "ActualHumanPerformersSequence": "X",
    "ScheduledHumanPerformersSequence": "X",
    "ReferringPhysicianIdentificationSequence": "X",
    "PerformingPhysicianIdentificationSequence": "X",
    "PhysiciansOfRecordIdentificationSequence": "X",
    "OperatorIdentificationSequence": "X",
    "PhysiciansReadingStudyIdentificationSequence": "X",
    "PatientTelecomInformation": "X",
    "ReferencedPatientPhotoSequence": "X",
    "IconImageSequence": "X",
    "ModifyingDeviceID": "X",
    "ModifiedImageDescription": "X",
    "FrameComments": "X",
    "ImagePresentationComments": "X",
    "StudyIDIssuer": "X",
    "AcquisitionProtocolDescription": "X",
    "RequestedSeriesDescription": "X",
    "ContributionDescription": "X",
    "UniqueDeviceIdentifier": "X",
    "UDISequence": "X",
    "DeviceDescription": "X",
    "LongDeviceDescription": "X",
    "TimezoneOffsetFromUTC": "X",
    "InstitutionalDepartmentTypeCodeSequence": "X",
    "AuthorObserverSequence": "X",
    "ParticipantSequence": "X",
    "CustodialOrganizationSequence": "X",
    "VerifyingObserverSequence": "X",
    "VerifyingOrganization": "X",
    "ContentSequence": "X",
    "GraphicAnnotationSequence": "X",
    "AcquisitionContextSequence": "X",
    "StorageMediaFileSetUID": "U",
    "ReferencedFrameOfReferenceUID": "U",
    "RelatedFrameOfReferenceUID": "U",
    "ConcatenationUID": "U",
    "DeviceUID": "U",
}

#: value representations removed wherever the table does not say otherwise: names, dates and
#: times, free text, and unknown public attributes.
GENERIC_REMOVE_VRS = frozenset({"PN", "DA", "DT", "TM", "LT", "ST", "UT", "UN"})

#: file meta attributes (group 0002) that name systems or carry private data.
_META_REMOVE = (
    "SourceApplicationEntityTitle",
    "SendingApplicationEntityTitle",
    "ReceivingApplicationEntityTitle",
    "SourcePresentationAddress",
    "SendingPresentationAddress",
    "ReceivingPresentationAddress",
    "PrivateInformationCreatorUID",
    "PrivateInformation",
)

_DUMMY_BY_VR = {
    "DA": "19000101",
    "TM": "000000",
    "DT": "19000101000000",
    "PN": "ANONYMOUS",
    "LO": "ANONYMOUS",
    "SH": "ANON",
    "CS": "",
    "AS": "000Y",
}
#: dummies that keep a non-identifying fact: "an agent was recorded" (the name is free text)
_DUMMY_BY_KEYWORD = {"ContrastBolusAgent": "CONTRAST"}

_SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"  # and its .1-.4 multi-frame variants


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
    burned_in_annotation : str
        What the files say about text in their pixels: ``"NO"``, ``"YES"``, ``"possible"``
        (a secondary capture not marked NO) or ``"not stated"``. Pixel data are never cleaned.
    burned_in_allowed : bool
        True when a series with (possible) burned-in text was imported on the importer's
        explicit request (``allow_burned_in``).
    """

    profile: str = "DICOM PS3.15 E.1 Basic Application Level Confidentiality Profile"
    removed: set[str] = dataclasses.field(default_factory=set)
    emptied: set[str] = dataclasses.field(default_factory=set)
    dummied: set[str] = dataclasses.field(default_factory=set)
    uid_replaced: set[str] = dataclasses.field(default_factory=set)
    private_tags_removed: int = 0
    files: int = 0
    burned_in_annotation: str = "not stated"
    burned_in_allowed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: sorted lists of keywords."""
        return {
            "profile": self.profile,
            "options": [
                "remove private attributes",
                "remove curves, overlays and comments",
                "remove other names, dates, times and free text",
            ],
            "removed": sorted(self.removed),
            "emptied": sorted(self.emptied),
            "dummied": sorted(self.dummied),
            "uid_replaced": sorted(self.uid_replaced),
            "private_tags_removed": self.private_tags_removed,
            "files": self.files,
            "pixel_data": "unchanged (text burned into the pixels is not removed)",
            "burned_in_annotation": self.burned_in_annotation,
            "burned_in_allowed": self.burned_in_allowed,
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
        if "MediaStorageSOPInstanceUID" in meta and meta.MediaStorageSOPInstanceUID:
            meta.MediaStorageSOPInstanceUID = uids(str(meta.MediaStorageSOPInstanceUID))
            record.uid_replaced.add("MediaStorageSOPInstanceUID")
        for kw in _META_REMOVE:
            if kw in meta:
                del meta[kw]
                record.removed.add(kw)
    _scrub_descriptors(ds, record)
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "medverse basic profile (PS3.15 E.1)"
    return record


def _scrub_descriptors(ds: Any, record: DeidRecord) -> None:
    """Remove the descriptors the profile retains (device names, body part) when their value
    fails the allow-list's check: a kept copy holds no value the study itself would refuse."""
    for kw in ("Manufacturer", "ManufacturerModelName", "ConvolutionKernel", "BodyPartExamined"):
        if kw not in ds or not _text(ds[kw].value):
            continue
        ok = _defined(ds[kw].value, _BODY_PARTS) if kw == "BodyPartExamined" else device_text(ds[kw].value)
        if not ok:
            del ds[kw]
            record.removed.add(kw)


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
                for item in elem.value or []:
                    _deid_dataset(item, record, uids)
                continue
            if elem.VR not in GENERIC_REMOVE_VRS:
                continue
            action = "X"
        if action == "X":
            del ds[tag]
            record.removed.add(elem.keyword or f"({group:04X},{tag.element:04X})")
        elif action == "Z":
            if elem.value not in (None, "", b""):
                record.emptied.add(elem.keyword)
            elem.value = [] if elem.VR == "SQ" else ""
        elif action == "D":
            if elem.value in (None, "", b""):
                continue  # nothing to hide; an empty value stays empty
            elem.value = _DUMMY_BY_KEYWORD.get(elem.keyword, _DUMMY_BY_VR.get(elem.VR, ""))
            record.dummied.add(elem.keyword)
        elif action == "U":
            if elem.VM > 1:
                elem.value = [uids(str(v)) for v in elem.value if str(v)]
                record.uid_replaced.add(elem.keyword)
            elif elem.value:
                elem.value = uids(str(elem.value))
                record.uid_replaced.add(elem.keyword)


def burned_in_annotation(ds: Any) -> str:
    """What a dataset says about text in its pixels.

    Returns
    -------
    str
        ``"YES"`` when ``BurnedInAnnotation`` (0028,0301) is YES; ``"possible"`` for a secondary
        capture (a screenshot or scanned picture, SOP class 1.2.840.10008.5.1.4.1.1.7*) that is
        not marked NO; ``"NO"`` when marked NO; otherwise ``"not stated"``.
    """
    value = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
    if value == "YES":
        return "YES"
    if value == "NO":
        return "NO"
    sop_class = str(ds.get("SOPClassUID", "") or "")
    meta = getattr(ds, "file_meta", None)
    if not sop_class and meta is not None:
        sop_class = str(meta.get("MediaStorageSOPClassUID", "") or "")
    if sop_class == _SECONDARY_CAPTURE or sop_class.startswith(_SECONDARY_CAPTURE + "."):
        return "possible"
    return "not stated"


# -- the allow-list of what a study keeps ------------------------------------------------------
#: The only DICOM attribute values a study keeps besides geometry and pixels (docs/imaging.md).
#: Each passes a check first; a value that fails is dropped, never stored raw.
TECHNICAL_ATTRIBUTES: dict[str, str] = {
    "Modality": "one of the DICOM defined terms (else OT)",
    "BodyPartExamined": "one of the common defined terms of PS3.16 Annex L (else dropped)",
    "RescaleType": "one of the defined terms (else dropped); CT is always HU",
    "SliceThickness": "a number (mm)",
    "Manufacturer": "device text: at most 64 plain characters, no person-name separators",
    "ManufacturerModelName": "as Manufacturer",
    "ConvolutionKernel": "as Manufacturer",
    "ContrastBolusAgent": "presence only (contrast: true/false); the agent's text is dropped",
}

_MODALITIES = frozenset(
    (
        "AR",
        "ASMT",
        "AU",
        "BDUS",
        "BI",
        "BMD",
        "CR",
        "CT",
        "CTPROTOCOL",
        "DG",
        "DOC",
        "DX",
        "ECG",
        "EPS",
        "ES",
        "FID",
        "GM",
        "HC",
        "HD",
        "IO",
        "IOL",
        "IVOCT",
        "IVUS",
        "KER",
        "KO",
        "LEN",
        "LS",
        "M3D",
        "MG",
        "MR",
        "NM",
        "OAM",
        "OCT",
        "OP",
        "OPM",
        "OPT",
        "OPTBSV",
        "OPTENF",
        "OPV",
        "OSS",
        "OT",
        "PLAN",
        "PR",
        "PT",
        "PX",
        "REG",
        "RESP",
        "RF",
        "RG",
        "RTDOSE",
        "RTIMAGE",
        "RTINTENT",
        "RTPLAN",
        "RTRAD",
        "RTRECORD",
        "RTSEGANN",
        "RTSTRUCT",
        "RWV",
        "SEG",
        "SM",
        "SMR",
        "SR",
        "SRF",
        "STAIN",
        "TEXTUREMAP",
        "TG",
        "US",
        "VA",
        "XA",
        "XAPROTOCOL",
        "XC",
    )
)
_BODY_PARTS = frozenset(
    (
        "ABDOMEN",
        "ABDOMENPELVIS",
        "ADRENAL",
        "ANKLE",
        "AORTA",
        "ARM",
        "BRAIN",
        "BREAST",
        "CHEST",
        "CHESTABDOMEN",
        "CHESTABDPELVIS",
        "CLAVICLE",
        "COCCYX",
        "COLON",
        "CSPINE",
        "CTSPINE",
        "ELBOW",
        "EXTREMITY",
        "FACE",
        "FOOT",
        "FOREARM",
        "HAND",
        "HEAD",
        "HEADNECK",
        "HEART",
        "HIP",
        "HUMERUS",
        "IAC",
        "JAW",
        "KIDNEY",
        "KNEE",
        "LEG",
        "LIVER",
        "LSPINE",
        "LSSPINE",
        "LUNG",
        "NECK",
        "ORBIT",
        "PANCREAS",
        "PELVIS",
        "PROSTATE",
        "RIB",
        "SACRUM",
        "SCAPULA",
        "SELLA",
        "SHOULDER",
        "SINUS",
        "SKULL",
        "SPINE",
        "SPLEEN",
        "SSPINE",
        "STOMACH",
        "THORAX",
        "THIGH",
        "TLSPINE",
        "TMJ",
        "TSPINE",
        "WHOLEBODY",
        "WRIST",
    )
)
_RESCALE_TYPES = frozenset(["OD", "HU", "US", "MGML", "Z_EFF", "ED", "EDW", "HU_MOD", "PCT"])
_DEVICE_TEXT = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._+\-/(),:#&]{0,63}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return "\\".join(str(v).strip() for v in value)
    return str(value).strip()


def device_text(value: Any) -> str:
    """``value`` when it looks like a device descriptor (plain characters, at most 64, no
    ``^``/``=`` person-name separators), else ``""``."""
    text = _text(value)
    return text if _DEVICE_TEXT.fullmatch(text.replace("\\", "/")) else ""


def _defined(value: Any, terms: frozenset[str]) -> str:
    text = _text(value).upper()
    return text if text in terms else ""


def technical_metadata(ds: Any) -> dict[str, Any]:
    """The allow-listed, checked, non-identifying facts of a (de-identified) dataset.

    Parameters
    ----------
    ds : pydicom.Dataset

    Returns
    -------
    dict
        ``modality``, ``manufacturer``, ``manufacturer_model``, ``body_part``,
        ``slice_thickness_mm`` (float or None), ``contrast`` (bool: a contrast/bolus agent is
        recorded), ``convolution_kernel``, ``units``. See :data:`TECHNICAL_ATTRIBUTES`.
    """
    modality = _defined(ds.get("Modality"), _MODALITIES) or "OT"
    try:
        thickness: float | None = float(ds.get("SliceThickness"))  # type: ignore[arg-type]
        if not (0 < thickness < 1000):  # type: ignore[operator]
            thickness = None
    except (TypeError, ValueError):
        thickness = None
    return {
        "modality": modality,
        "manufacturer": device_text(ds.get("Manufacturer")),
        "manufacturer_model": device_text(ds.get("ManufacturerModelName")),
        "body_part": _defined(ds.get("BodyPartExamined"), _BODY_PARTS),
        "slice_thickness_mm": thickness,
        "contrast": bool(_text(ds.get("ContrastBolusAgent"))),
        "convolution_kernel": device_text(ds.get("ConvolutionKernel")),
        "units": "HU" if modality == "CT" else _defined(ds.get("RescaleType"), _RESCALE_TYPES),
    }


def modality_of(ds: Any) -> str:
    """The dataset's modality if it is a DICOM defined term, else ``"OT"``."""
    return _defined(ds.get("Modality"), _MODALITIES) or "OT"
