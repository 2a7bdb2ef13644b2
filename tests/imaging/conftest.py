"""Shared helpers for the imaging tests: sample resolution and synthetic DICOM/NIfTI writers."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402 - only after importorskip
from pydicom.uid import ExplicitVRLittleEndian, generate_uid  # noqa: E402

from medverse import samples  # noqa: E402
from medverse.imaging.volume import Volume  # noqa: E402

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"


def sample_path(name: str) -> Path:
    """The sample's path, or skip the test saying why (only when no mirror exists)."""
    try:
        return samples.path(name)
    except samples.SampleNotAvailable as exc:
        pytest.skip(f"sample {name!r} not available: {exc}")


@pytest.fixture(scope="session")
def abdomen_ct() -> Volume:
    from medverse.imaging.io import read_nifti

    v = read_nifti(sample_path("ct_abdomen_3mm"))
    v.metadata["modality"] = "CT"
    return v


@pytest.fixture(scope="session")
def dicom20_j2k() -> Volume:
    from medverse.imaging.io import read_dicom

    return read_dicom(sample_path("ct_abdomen_20slices_j2k"))


def _jpeg_lossless(arr: np.ndarray) -> bytes:
    """Encode a uint16 image as JPEG lossless, process 14, predictor 1 (for tests only)."""
    rows, cols = arr.shape
    x = arr.astype(np.int64)
    pred = np.empty_like(x)
    pred[0, 0] = 1 << 15
    pred[0, 1:] = x[0, :-1]
    pred[1:, 0] = x[:-1, 0]
    pred[1:, 1:] = x[1:, :-1]
    diff = (x - pred) % 65536
    diff = np.where(diff >= 32768, diff - 65536, diff).ravel()
    bits: list[str] = []
    for d in diff.tolist():
        ssss = 0 if d == 0 else int(abs(d)).bit_length()
        bits.append(format(ssss, "05b"))  # 17 symbols, all 5-bit canonical codes 0..16
        if 0 < ssss < 16:
            extra = d if d > 0 else d + (1 << ssss) - 1
            bits.append(format(extra, f"0{ssss}b"))
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)
    data = bytearray()
    for i in range(0, len(stream), 8):
        byte = int(stream[i : i + 8], 2)
        data.append(byte)
        if byte == 0xFF:
            data.append(0x00)
    sof = (
        b"\xff\xc3"
        + (11).to_bytes(2, "big")
        + bytes([16])
        + rows.to_bytes(2, "big")
        + cols.to_bytes(2, "big")
        + bytes([1, 1, 0x11, 0])
    )
    dht = (
        b"\xff\xc4" + (2 + 1 + 16 + 17).to_bytes(2, "big") + bytes([0x00]) + bytes([0, 0, 0, 0, 17] + [0] * 11) + bytes(range(17))
    )
    sos = b"\xff\xda" + (8).to_bytes(2, "big") + bytes([1, 1, 0x00, 1, 0, 0])
    return b"\xff\xd8" + sof + dht + sos + bytes(data) + b"\xff\xd9"


def make_slice(
    pixels: np.ndarray,
    ipp: np.ndarray,
    iop: np.ndarray,
    spacing: tuple[float, float],
    *,
    series_uid: str,
    slope: float = 1.0,
    intercept: float = -1024.0,
    modality: str = "CT",
    syntax: str = "explicit",
    instance: int = 1,
    patient_name: str = "Doe^Jane",
) -> Dataset:
    """One CT slice. ``pixels`` shape (rows, cols) holds stored values (uint16)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_IMAGE_STORAGE
    sop = generate_uid()
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CT_IMAGE_STORAGE
    ds.SOPInstanceUID = sop
    ds.Modality = modality
    ds.PatientName = patient_name
    ds.PatientID = "MRN-12345"
    ds.PatientBirthDate = "19700101"
    ds.InstitutionName = "General Hospital"
    ds.StudyDate = datetime.date(2024, 5, 1).strftime("%Y%m%d")
    ds.StudyInstanceUID = "1.2.3.4"
    ds.SeriesInstanceUID = series_uid
    ds.SeriesDescription = "synthetic"
    ds.FrameOfReferenceUID = "1.2.3.4.5"
    ds.InstanceNumber = instance
    ds.ImagePositionPatient = [float(v) for v in ipp]
    ds.ImageOrientationPatient = [float(v) for v in iop]
    ds.PixelSpacing = [float(spacing[0]), float(spacing[1])]
    ds.SliceThickness = 1.0
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.RescaleSlope = slope
    ds.RescaleIntercept = intercept
    ds.add_new(0x00091001, "LO", "private secret")
    ds.add_new(0x00090010, "LO", "ACME")
    raw = np.ascontiguousarray(pixels.astype(np.uint16))
    if syntax == "explicit":
        ds.PixelData = raw.tobytes()
    elif syntax == "j2k":
        from pydicom.uid import JPEG2000Lossless

        ds.PixelData = raw.tobytes()
        ds.compress(JPEG2000Lossless, raw, encoding_plugin="pylibjpeg")
    elif syntax == "jpeg-lossless":
        from pydicom.encaps import encapsulate

        meta.TransferSyntaxUID = JPEG_LOSSLESS_SV1
        ds.PixelData = encapsulate([_jpeg_lossless(raw)])
        ds["PixelData"].VR = "OB"
    else:
        from pydicom.encaps import encapsulate

        meta.TransferSyntaxUID = syntax  # e.g. an unsupported compressed UID, raw bytes inside
        ds.PixelData = encapsulate([raw.tobytes()])
        ds["PixelData"].VR = "OB"
    return ds


def write_series(
    folder: Path,
    hu: np.ndarray,
    affine: np.ndarray,
    *,
    syntax: str = "explicit",
    series_uid: str | None = None,
    skip: tuple[int, ...] = (),
    positions: list[np.ndarray] | None = None,
    prefix: str = "IM",
    extra: dict[str, Any] | None = None,
) -> list[Path]:
    """Write ``hu`` (shape (I, J, K), HU) as one DICOM file per k, placed by ``affine``
    (voxel -> LPS; its first two columns must be orthogonal). ``extra`` sets more attributes
    (keyword -> value) on every file. Returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    uid = series_uid or generate_uid()
    row_dir = affine[:3, 0] / np.linalg.norm(affine[:3, 0])
    col_dir = affine[:3, 1] / np.linalg.norm(affine[:3, 1])
    spacing = (float(np.linalg.norm(affine[:3, 1])), float(np.linalg.norm(affine[:3, 0])))
    out = []
    order = np.random.default_rng(0).permutation(hu.shape[2])  # files in shuffled order
    for n, k in enumerate(order):
        if k in skip:
            continue
        ipp = positions[k] if positions is not None else affine[:3, :3] @ [0, 0, k] + affine[:3, 3]
        stored = np.clip(np.rint(hu[:, :, k].T + 1024), 0, 65535)
        ds = make_slice(
            stored, ipp, np.concatenate([row_dir, col_dir]), spacing, series_uid=uid, syntax=syntax, instance=int(k) + 1
        )
        for keyword, value in (extra or {}).items():
            setattr(ds, keyword, value)
        p = folder / f"{prefix}{n:04d}.dcm"
        ds.save_as(p, enforce_file_format=True)
        out.append(p)
    return out


def rotation(axis: str, degrees: float) -> np.ndarray:
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    if axis == "y":
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def sphere_phantom(
    shape: tuple[int, int, int], affine: np.ndarray, spheres: list[tuple[np.ndarray, float, float]], background: float = -1000.0
) -> np.ndarray:
    """HU volume with balls (centre LPS mm, radius mm, HU) on the grid of ``affine``."""
    ii, jj, kk = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    pts = np.stack([ii, jj, kk], axis=-1).reshape(-1, 3) @ affine[:3, :3].T + affine[:3, 3]
    vol = np.full(pts.shape[0], background, dtype=np.float32)
    for centre, radius, value in spheres:
        vol[np.linalg.norm(pts - centre, axis=1) <= radius] = value
    return vol.reshape(shape)


def dicom_dataset_bytes(ds: Any) -> bytes:
    import io

    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


# -- planted patient data: what must never leave the importer ----------------------------------
PHI_UID = "1.2.826.0.1.3680043.99.4711"
#: attributes planted with identifying values; every one is removed, emptied, replaced or (for
#: Manufacturer and BodyPartExamined) refused by the allow-list's checks
PHI_ATTRIBUTES: dict[str, Any] = {
    "PatientName": "DOE^JANE",
    "PatientID": "MRN-JD-4711",
    "OtherPatientNames": "JANE^DOE^ALIAS",
    "PatientAddress": "1 Jane Doe Street",
    "PatientBirthDate": "19610704",
    "AdditionalPatientHistory": "DOE^JANE fell at home",
    "ContrastBolusAgent": "OMNIPAQUE 350 for DOE^JANE",
    "SeriesDescription": "DOE^JANE chest",
    "StudyDescription": "Jane Doe research scan",
    "StudyComments": "call JANEDOE's daughter",
    "InstitutionName": "St Jane Doe Hospital",
    "ReferringPhysicianName": "HOUSE^GREGORY",
    "PerformingPhysicianName": "WILSON^JAMES",
    "OperatorsName": "CUDDY^LISA",
    "ProtocolName": "JANEDOE protocol",
    "ImageComments": "patient DOE^JANE",
    "RequestedProcedureDescription": "JANEDOE request",
    "AccessionNumber": "ACC-JANEDOE",
    "StudyID": "JDSTUDY",
    "StationName": "JANEDOE-CT1",
    "Manufacturer": "DOE^JANE",
    "BodyPartExamined": "JANEDOE",
    "StudyInstanceUID": PHI_UID + ".1",
    "FrameOfReferenceUID": PHI_UID + ".2",
    "StudyDate": "20240501",
    "DateOfLastCalibration": "20240430",
}
#: case-insensitive needles: none may appear in a study folder or an error message
PHI_MARKERS = (
    "DOE^JANE",
    "JANE^DOE",
    "JANE DOE",
    "JANEDOE",
    "JANE_DOE",
    "DOE_JANE",
    "MRN-JD",
    "HOUSE^GREGORY",
    "WILSON^JAMES",
    "CUDDY",
    "OMNIPAQUE",
    "JDSTUDY",
    PHI_UID,
    "19610704",
    "20240501",
    "20240430",
    "private secret",
    "General Hospital",
    "MRN-12345",
)


def write_phi_series(folder: Path, *, n_slices: int = 10, **options: Any) -> list[Path]:
    """A small CT series (a soft-tissue ball with a bone core, 3 mm voxels) in a folder and
    files named after the patient, with patient data planted in its attributes, a private
    tag, and a nested sequence holding a person's name and a date."""
    affine = np.diag([3.0, 3.0, 3.0, 1.0])
    affine[:3, 3] = [-48.0, -48.0, -15.0]
    hu = sphere_phantom(
        (32, 32, n_slices), affine, [(np.array([0.0, 0.0, 0.0]), 40.0, 40.0), (np.array([0.0, 0.0, 0.0]), 12.0, 700.0)]
    )
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "T-D4000", "SRT", "Abdomen"
    item.ReviewerName = "DOE^JANE"
    item.DateOfLastCalibration = "19610704"
    extra = {**PHI_ATTRIBUTES, "AnatomicRegionSequence": [item], **options.pop("extra", {})}
    return write_series(folder, hu, affine, series_uid=PHI_UID, prefix="DOE^JANE_", extra=extra, **options)


def _unpacked(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        import gzip

        data = gzip.decompress(data)
    return data


def phi_leaks(folder: Path, *also: str) -> list[tuple[str, str]]:
    """(file, marker) for every marker (and every string of ``also``, e.g. server paths) found in
    any file of ``folder`` (gzip members unpacked, GLB JSON included) or in a file's name."""
    needles = [m.lower().encode() for m in (*PHI_MARKERS, *also)]
    found = []
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix().lower().encode()
        hay = name + b"\n" + (_unpacked(path).lower() if path.is_file() else b"")
        found += [(path.name, n.decode()) for n in needles if n in hay]
    return found


def message_leaks(message: str, *also: str) -> list[str]:
    """Markers, absolute paths and ``also`` strings found in an error message."""
    import re

    low = message.lower()
    found = [m for m in (*PHI_MARKERS, *also) if m.lower() in low]
    found += re.findall(r"(?<![\w.])/(?:tmp|home|root|var|data|work|srv)\b\S*", message)
    return found
