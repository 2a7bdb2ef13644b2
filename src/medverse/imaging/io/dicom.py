"""DICOM series reading: folders, mixed folders, zip archives and single files.

Geometry follows PS3.3 C.7.6.2: slices are sorted by their ImagePositionPatient projected on the
slice normal (the cross product of the two ImageOrientationPatient directions), pixel spacing maps
columns and rows to millimetres, and the resulting 4x4 affine maps voxel indices to patient LPS
millimetres. Gantry tilt (slice positions offset within the slice plane) is carried exactly by a
sheared affine; non-uniform slice spacing is resampled onto a uniform grid (or refused, when asked);
gaps that are whole multiples of the usual spacing are reported as missing slices.

Lenient or strict reading of quirks (blank UIDs, MONOCHROME1, missing spacing tags...) is one
setting, ``validation``: ``"record"`` (default: listed in ``metadata["quirks"]``), ``"ignore"`` or
``"raise"``.

Nothing read from the files reaches the volume's metadata or an error message unchecked: the
series' datasets are de-identified first and only the allow-listed technical attributes of
:data:`~medverse.imaging.deid.TECHNICAL_ATTRIBUTES` are kept; messages name files by their position
in the upload ("file 3", "zip member 2") and series by index, modality, number and size.
"""

from __future__ import annotations

import dataclasses
import io
import os
import stat
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from medverse.errors import optional_import
from medverse.imaging.deid import (
    DeidRecord,
    UidMapper,
    burned_in_annotation,
    deidentify,
    modality_of,
    technical_metadata,
)
from medverse.imaging.errors import (
    BurnedInAnnotation,
    InvalidStudy,
    MissingSlices,
    MixedSeries,
    NotDicom,
    UnsafeArchive,
    UnsupportedTransferSyntax,
    redact_paths,
)
from medverse.imaging.volume import MAX_VOXELS, Volume

__all__ = [
    "DicomSource",
    "SeriesInfo",
    "ZipLimits",
    "collect_sources",
    "list_series",
    "read_dicom",
]

Validation = Literal["ignore", "record", "raise"]


@dataclasses.dataclass(frozen=True)
class ZipLimits:
    """Limits that make a zip upload safe to unpack in memory.

    Attributes
    ----------
    max_members : int
        Most files in one archive.
    max_total_bytes : int
        Most bytes once unpacked, all members together.
    max_member_bytes : int
        Most bytes of one member once unpacked.
    max_ratio : float
        Highest unpacked/packed size ratio of the archive (and of any member above 1 MiB).
    """

    max_members: int = 20_000
    max_total_bytes: int = 2 * 1024**3
    max_member_bytes: int = 1024**3
    max_ratio: float = 200.0


@dataclasses.dataclass
class DicomSource:
    """One candidate file: its name (internal: used to group files by folder, never shown),
    ``ref`` (how messages name it: ``"file 3"``, by position in the upload) and either a path or
    its bytes."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    ref: str = "the file"

    def open(self) -> Any:
        return open(self.path, "rb") if self.path is not None else io.BytesIO(self.data or b"")

    def read_bytes(self) -> bytes:
        return self.path.read_bytes() if self.path is not None else (self.data or b"")


@dataclasses.dataclass
class SeriesInfo:
    """A series found among the sources, for listing and choosing - without patient data.

    ``index`` chooses the series in :func:`read_dicom` (``series=index``); series are ordered
    largest first, then by their UID, so the same upload always lists them in the same order.
    Descriptions and UIDs are deliberately absent (they may identify the patient): a series is
    told apart by its modality, SeriesNumber, number of files and image size.
    """

    index: int
    modality: str
    series_number: int | None
    n_files: int
    rows: int
    columns: int
    uid_blank: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def label(self) -> str:
        """One line for messages: ``[0] CT series 3, 120 files of 512x512``."""
        number = f" series {self.series_number}" if self.series_number is not None else " (no series number)"
        return f"[{self.index}] {self.modality}{number}, {self.n_files} file(s) of {self.rows}x{self.columns}"


# -- gathering files ------------------------------------------------------------------------
def _safe_member_name(name: str) -> bool:
    if not name or "\x00" in name:
        return False
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return False
    return ".." not in norm.split("/")


def _read_zip(data_or_path: bytes | Path, label: str, limits: ZipLimits) -> list[DicomSource]:
    # Messages name members by position ("zip member 3"), never by name: names in uploads are
    # often the patient's, and echoing a hostile name back helps nobody.
    try:
        zf = zipfile.ZipFile(io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else str(data_or_path))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise NotDicom(f"expected a DICOM file or a zip of DICOM files; the zip is unreadable ({type(exc).__name__})") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise UnsafeArchive(f"the zip holds {len(infos)} files (at most {limits.max_members} files per zip)")
        total = packed = 0
        for n, info in enumerate(infos, 1):
            if not _safe_member_name(info.filename):
                raise UnsafeArchive(
                    f"zip member {n}: refused member name (absolute paths, drive letters and '..' are not allowed)"
                )
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise UnsafeArchive(f"zip member {n}: refused symbolic link")
            if info.flag_bits & 0x1:
                raise UnsafeArchive(f"zip member {n}: refused encrypted member")
            if info.file_size > limits.max_member_bytes:
                raise UnsafeArchive(f"zip member {n} unpacks to {info.file_size} bytes (limit {limits.max_member_bytes})")
            if info.file_size > 1024**2 and info.file_size > limits.max_ratio * max(1, info.compress_size):
                raise UnsafeArchive(
                    f"zip member {n} expands {info.file_size / max(1, info.compress_size):.0f}x "
                    f"(limit {limits.max_ratio:.0f}x): refused as a likely zip bomb"
                )
            total += info.file_size
            packed += info.compress_size
        if total > limits.max_total_bytes:
            raise UnsafeArchive(f"the zip unpacks to {total} bytes (limit {limits.max_total_bytes})")
        if total > 1024**2 and total > limits.max_ratio * max(1, packed):
            raise UnsafeArchive(
                f"the zip expands {total / max(1, packed):.0f}x (limit {limits.max_ratio:.0f}x): refused as a likely zip bomb"
            )
        out: list[DicomSource] = []
        read_total = 0
        for n, info in enumerate(infos, 1):
            if info.is_dir():
                continue
            try:
                with zf.open(info) as fh:  # zipfile stops at the declared size and checks the CRC
                    blob = fh.read(info.file_size + 1)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
                raise UnsafeArchive(f"zip member {n} is corrupt ({type(exc).__name__})") from exc
            if len(blob) > info.file_size:
                raise UnsafeArchive(f"zip member {n} is larger than declared")
            read_total += len(blob)
            if read_total > limits.max_total_bytes:
                raise UnsafeArchive(f"the zip unpacks to more than {limits.max_total_bytes} bytes")
            out.append(DicomSource(name=f"{label}:{info.filename}", data=blob, ref=f"zip member {n}"))
        return out


def collect_sources(source: str | Path | bytes | Sequence[str | Path], limits: ZipLimits = ZipLimits()) -> list[DicomSource]:
    """Gather candidate files from a folder (recursively), a zip (path or bytes), one file, or a
    list of files. Zip archives are checked against ``limits`` before anything is unpacked.

    Files of a folder are numbered (``ref``: ``"file 1"``...) in the sorted order of their
    relative paths; zip members in archive order."""
    out = _collect(source, limits)
    for n, src in enumerate(out, 1):
        if not src.ref.startswith("zip member"):
            src.ref = f"file {n}"
    return out


def _collect(source: str | Path | bytes | Sequence[str | Path], limits: ZipLimits) -> list[DicomSource]:
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
            return _read_zip(data, "<upload>", limits)
        return [DicomSource(name="<upload>", data=data)]
    if isinstance(source, (list, tuple)):
        out: list[DicomSource] = []
        for item in source:
            out.extend(_collect(item, limits))
        return out
    path = Path(source)  # type: ignore[arg-type]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        return [DicomSource(name=str(p.relative_to(path)), path=p) for p in files]
    if not path.is_file():
        raise InvalidStudy("expected a DICOM folder, file or zip, but the given path does not exist")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic in (b"PK\x03\x04", b"PK\x05\x06"):
        return _read_zip(path, path.name, limits)
    return [DicomSource(name=path.name, path=path)]


# -- parsing ---------------------------------------------------------------------------------
def _pydicom() -> Any:
    return optional_import("pydicom", "imaging")


@dataclasses.dataclass
class _Slice:
    source: DicomSource
    ds: Any
    series_key: str


def _str(ds: Any, kw: str) -> str:
    v = ds.get(kw, "")
    return "" if v is None else str(v).strip()


def _floats(ds: Any, kw: str, n: int) -> np.ndarray | None:
    v = ds.get(kw)
    if v is None:
        return None
    try:
        arr = np.array([float(x) for x in v], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr if arr.shape == (n,) and np.all(np.isfinite(arr)) else None


def _series_key(ds: Any, source: DicomSource) -> tuple[str, bool]:
    uid = _str(ds, "SeriesInstanceUID")
    if uid:
        return uid, False
    iop = _floats(ds, "ImageOrientationPatient", 6)
    iop_s = "none" if iop is None else ",".join(f"{v:.3f}" for v in iop)
    folder = os.path.dirname(source.name)
    parts = [
        _str(ds, "Modality"),
        _str(ds, "FrameOfReferenceUID"),
        _str(ds, "SeriesNumber"),
        iop_s,
        f"{ds.get('Rows', '?')}x{ds.get('Columns', '?')}",
        folder,
    ]
    return "series:" + "|".join(parts), True


def _parse(sources: Sequence[DicomSource], progress: Any = None) -> tuple[list[_Slice], list[str], dict[str, SeriesInfo]]:
    """Parse every source; return the image slices, the refs of unreadable files, and the series
    by their internal key (SeriesInstanceUID or a built key: never shown), indexed in order."""
    pydicom = _pydicom()
    slices: list[_Slice] = []
    rejected: list[str] = []
    infos: dict[str, SeriesInfo] = {}
    for n, src in enumerate(sources):
        if progress is not None and n % 8 == 0:
            progress(n / max(1, len(sources)))
        base = os.path.basename(src.name.split(":")[-1])
        if base.upper() == "DICOMDIR":
            continue
        try:
            with src.open() as fh:
                ds = pydicom.dcmread(fh, force=False)
            has_pixels = "PixelData" in ds or "FloatPixelData" in ds
        except Exception:  # any parse failure means "not a readable DICOM file"
            rejected.append(src.ref)
            continue
        if not has_pixels:
            continue  # structured reports, DICOMDIR, presentation states...: not images
        key, blank = _series_key(ds, src)
        info = infos.get(key)
        if info is None:
            try:
                number: int | None = int(ds.get("SeriesNumber"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                number = None
            try:
                rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
            except (TypeError, ValueError):
                rows = cols = 0
            info = infos[key] = SeriesInfo(
                index=-1, modality=modality_of(ds), series_number=number, n_files=0, rows=rows, columns=cols, uid_blank=blank
            )
        info.n_files += 1
        slices.append(_Slice(src, ds, key))
    for i, key in enumerate(sorted(infos, key=lambda k: (-infos[k].n_files, k))):
        infos[key].index = i
    return slices, rejected, infos


def list_series(source: str | Path | bytes | Sequence[str | Path], limits: ZipLimits = ZipLimits()) -> list[SeriesInfo]:
    """List the image series found in ``source`` (largest first), without decoding pixels.

    Each :class:`SeriesInfo` has its ``index`` (what ``series=`` takes), modality, SeriesNumber,
    number of files and image size - no description, no UID.
    """
    _slices, rejected, infos = _parse(collect_sources(source, limits))
    if not infos:
        raise _not_dicom(rejected)
    return sorted(infos.values(), key=lambda s: s.index)


def _not_dicom(rejected: list[str]) -> NotDicom:
    if not rejected:
        return NotDicom("expected DICOM image files, but found no files with pixel data")
    shown = ", ".join(rejected[:5])
    more = f" and {len(rejected) - 5} more" if len(rejected) > 5 else ""
    return NotDicom(
        f"expected DICOM image files (a 128-byte preamble then 'DICM'); {len(rejected)} file(s) are not DICOM: {shown}{more}"
    )


def _choose(infos: dict[str, SeriesInfo], series: str | int | None) -> tuple[str, SeriesInfo]:
    """The chosen series' internal key and info. ``series`` is an index, or a key the caller
    already knows (a SeriesInstanceUID from their own files); keys are never listed back."""
    ordered = sorted(infos.items(), key=lambda kv: kv[1].index)
    if series is None:
        if len(ordered) == 1:
            return ordered[0]
        listing = "; ".join(info.label() for _key, info in ordered)
        raise MixedSeries(
            f"expected one image series, found {len(ordered)}: {listing}. Choose one by its index.",
            [info for _key, info in ordered],
        )
    if isinstance(series, int) or (isinstance(series, str) and series.isdigit()):
        idx = int(series)
        if not 0 <= idx < len(ordered):
            raise InvalidStudy(f"series index must be in 0..{len(ordered) - 1} (got {idx})")
        return ordered[idx]
    if series in infos:
        return series, infos[series]
    raise InvalidStudy(f"no series has the key given; choose one by index (0..{len(ordered) - 1})")


def _check_transfer_syntax(ds: Any, ref: str) -> str:
    from pydicom.pixels import get_decoder

    meta = getattr(ds, "file_meta", None)
    ts = getattr(meta, "TransferSyntaxUID", None) if meta is not None else None
    if ts is None:
        return "Implicit VR Little Endian (assumed)"
    if not ts.is_compressed:
        return str(ts.name)
    try:
        decoder = get_decoder(ts)
    except NotImplementedError:
        decoder = None
    if decoder is None or not decoder.is_available:
        raise UnsupportedTransferSyntax(
            f"{ref}: pixel data are encoded as {ts.name} ({ts}), which this installation cannot "
            "decode; supported: uncompressed, RLE, JPEG lossless and JPEG 2000 "
            "(install medverse[imaging] for the JPEG codecs)"
        )
    return str(ts.name)


_PLUGIN_CACHE: dict[str, str] = {}


def _preferred_plugin(ds: Any) -> str:
    """pylibjpeg for JPEG 2000 when present: measured 2.6x faster than GDCM on the sample."""
    meta = getattr(ds, "file_meta", None)
    ts = getattr(meta, "TransferSyntaxUID", None) if meta is not None else None
    if ts is None or not ts.is_compressed:
        return ""
    key = str(ts)
    if key not in _PLUGIN_CACHE:
        from pydicom.pixels import get_decoder

        plugin = ""
        if "2000" in ts.name:
            try:
                if "pylibjpeg" in get_decoder(ts).available_plugins:
                    plugin = "pylibjpeg"
            except NotImplementedError:
                plugin = ""
        _PLUGIN_CACHE[key] = plugin
    return _PLUGIN_CACHE[key]


def _pixels(sl: _Slice) -> np.ndarray:
    try:
        plugin = _preferred_plugin(sl.ds)
        if plugin:
            sl.ds.pixel_array_options(decoding_plugin=plugin)
        arr = sl.ds.pixel_array
    except Exception as exc:
        raise InvalidStudy(f"{sl.source.ref}: the pixel data cannot be decoded ({redact_paths(str(exc))[:300]})") from exc
    if arr.ndim != 2:
        raise InvalidStudy(
            f"{sl.source.ref}: expected one grayscale frame of "
            f"{sl.ds.Rows}x{sl.ds.Columns} (got pixel array shape {arr.shape}); "
            "multi-frame and colour images are not supported"
        )
    return arr


def read_dicom(
    source: str | Path | bytes | Sequence[str | Path],
    series: str | int | None = None,
    *,
    deid: bool = True,
    allow_burned_in: bool = False,
    nonuniform: Literal["resample", "refuse"] = "resample",
    validation: Validation = "record",
    limits: ZipLimits = ZipLimits(),
    originals: str | Path | None = None,
    progress: Any = None,
) -> Volume:
    """Read one DICOM image series into a :class:`Volume` (CT in HU).

    Parameters
    ----------
    source : path, bytes or list of paths
        A folder (searched recursively), a zip archive, a single file, or their bytes.
    series : str or int, optional
        Which series to read when several are present: an index into :func:`list_series` (or the
        series' SeriesInstanceUID, when the caller knows it). Without it a folder holding several
        series is refused (:class:`MixedSeries`, whose message and ``series`` list index,
        modality, SeriesNumber, file count and size - no description, no UID).
    deid : bool
        Apply the PS3.15 basic profile to every file of the series (default) before anything is
        taken from them. The record is ``metadata["deid"]``.
    allow_burned_in : bool
        Accept a series whose pixels carry text (``BurnedInAnnotation`` YES, or a secondary
        capture not marked NO). Refused with :class:`BurnedInAnnotation` by default when
        ``deid``, since header cleaning cannot remove such text; when allowed, the de-identification
        record says so.
    nonuniform : {"resample", "refuse"}
        What to do with non-uniform slice spacing that is not a missing-slice gap.
    validation : {"record", "ignore", "raise"}
        Treatment of quirks that do not prevent a correct volume.
    limits : ZipLimits
        Safety limits for zip archives.
    originals : path, optional
        A folder (created) to receive a copy of the series' files, in slice order, named
        ``original-0001.dcm``...; de-identified copies (same profile and UIDs as the volume,
        pixel data untouched, preamble zeroed) when ``deid``, the files' bytes otherwise.
    progress : callable(fraction), optional
        Called with 0..1 while files are parsed (first half) and slices decode (second half);
        it may raise to stop the read (cancellation).

    Returns
    -------
    Volume
        ``array`` shape (columns, rows, slices); ``affine`` voxel -> LPS mm; ``metadata`` holds
        only the checked technical attributes (:func:`~medverse.imaging.deid.technical_metadata`),
        quirks and the de-identification record.

    Raises
    ------
    NotDicom, MixedSeries, MissingSlices, UnsupportedTransferSyntax, UnsafeArchive,
    BurnedInAnnotation, InvalidStudy
    """
    parse_progress = (lambda f: progress(0.5 * f)) if progress is not None else None
    slices, rejected, infos = _parse(collect_sources(source, limits), parse_progress)
    if not infos:
        raise _not_dicom(rejected)
    key, chosen = _choose(infos, series)
    chosen_slices = [s for s in slices if s.series_key == key]
    quirks: list[str] = []
    if chosen.uid_blank:
        quirks.append("blank SeriesInstanceUID in the dataset (grouped by frame of reference, orientation and folder)")
    if any(not _str(s.ds, "SOPInstanceUID") for s in chosen_slices):
        quirks.append("blank SOPInstanceUID in the dataset (file meta used)")
    if rejected:
        quirks.append(f"{len(rejected)} non-DICOM file(s) ignored")

    burned = _burned_in(chosen_slices)
    if burned in ("YES", "possible") and deid and not allow_burned_in:
        what = (
            "is marked BurnedInAnnotation = YES"
            if burned == "YES"
            else "is a secondary capture (a screenshot or scanned picture) not marked BurnedInAnnotation = NO"
        )
        raise BurnedInAnnotation(
            f"the series {what}: its pixels may show text such as the patient's name, which "
            "de-identifying the header cannot remove. Refused; import it only after checking "
            "the images, with allow_burned_in=True (--allow-burned-in)"
        )
    if burned in ("YES", "possible"):
        quirks.append(f"burned-in annotation {burned}: the pixels may show identifying text (imported on request)")

    record = DeidRecord(burned_in_annotation=burned, burned_in_allowed=burned in ("YES", "possible") and allow_burned_in)
    uids = UidMapper()
    if deid:
        # every file of the series, before anything is read from them
        for s in chosen_slices:
            deidentify(s.ds, record, uids)
    first = chosen_slices[0].ds
    ts_name = _check_transfer_syntax(first, chosen_slices[0].source.ref)
    for s in chosen_slices[1:]:
        _check_transfer_syntax(s.ds, s.source.ref)

    decode_progress = (lambda f: progress(0.5 + 0.5 * f)) if progress is not None else None
    volume, ordered = _assemble(chosen_slices, nonuniform, quirks, decode_progress)
    if validation == "raise" and quirks:
        raise InvalidStudy("strict validation refused the series: " + "; ".join(quirks))
    if originals is not None:
        _write_originals(ordered, Path(originals), uids if deid else None)

    meta: dict[str, Any] = {
        **technical_metadata(first),
        "source_format": "dicom",
        "transfer_syntax": ts_name,
        "n_files": len(chosen_slices),
    }
    if chosen.series_number is not None:
        meta["series_number"] = chosen.series_number
    if deid:
        meta["series_uid"] = uids(key)
        meta["deid"] = record.to_dict()
    else:  # the caller says the data are cleared; a built key (folder names) is still not kept
        meta["series_uid"] = None if chosen.uid_blank else key
        meta["series_description"] = _str(first, "SeriesDescription")
        meta["deid"] = None
    if validation != "ignore":
        meta["quirks"] = quirks
    volume.metadata = meta
    return volume


def _burned_in(slices: list[_Slice]) -> str:
    """The series' worst statement about burned-in text: YES > possible > NO > not stated."""
    states = {burned_in_annotation(s.ds) for s in slices}
    for state in ("YES", "possible", "NO"):
        if state in states:
            return state
    return "not stated"


def _write_originals(ordered: list[_Slice], dest: Path, uids: UidMapper | None) -> int:
    """Copy the series' files to ``dest`` as original-0001.dcm...; de-identified with ``uids``
    (the volume's UID mapping) when given, the files' bytes otherwise."""
    pydicom = _pydicom()
    dest.mkdir(parents=True, exist_ok=True)
    scratch = DeidRecord()  # the volume's record already covers these files
    for n, s in enumerate(ordered, 1):
        target = dest / f"original-{n:04d}.dcm"
        if uids is None:
            target.write_bytes(s.source.read_bytes())
            continue
        try:
            with s.source.open() as fh:
                ds = pydicom.dcmread(fh, force=False)
            deidentify(ds, scratch, uids)
            ds.preamble = b"\x00" * 128  # a preamble may hold anything (e.g. a TIFF header)
            try:
                ds.save_as(target, enforce_file_format=True)
            except (ValueError, AttributeError):
                ds.save_as(target, enforce_file_format=False)
        except Exception as exc:  # the file parsed once already; report without its name
            raise InvalidStudy(f"{s.source.ref}: a de-identified copy could not be written ({type(exc).__name__})") from exc
    return len(ordered)


def _assemble(slices: list[_Slice], nonuniform: str, quirks: list[str], progress: Any) -> tuple[Volume, list[_Slice]]:
    """The volume, and the slices in the order they were stacked (along the normal)."""
    ds0 = slices[0].ds
    name0 = slices[0].source.ref
    iop = _floats(ds0, "ImageOrientationPatient", 6)
    spacing = _floats(ds0, "PixelSpacing", 2)
    rows, cols = int(ds0.get("Rows", 0) or 0), int(ds0.get("Columns", 0) or 0)
    if rows < 1 or cols < 1:
        raise InvalidStudy(f"{name0}: expected positive Rows and Columns (got {rows}x{cols})")
    if rows * cols * len(slices) > MAX_VOXELS:
        raise InvalidStudy(
            f"the series declares {len(slices)} slices of {rows}x{cols} pixels, "
            f"more than the {MAX_VOXELS} voxels a volume may have"
        )
    if int(ds0.get("SamplesPerPixel", 1) or 1) != 1:
        raise InvalidStudy(f"{name0}: expected grayscale images (SamplesPerPixel 1, got {ds0.get('SamplesPerPixel')})")
    if iop is None:
        if len(slices) > 1:
            raise InvalidStudy(
                f"{name0}: ImageOrientationPatient is missing or malformed; a multi-slice series needs it to place slices"
            )
        iop = np.array([1.0, 0, 0, 0, 1.0, 0])
        quirks.append("no ImageOrientationPatient (axial assumed)")
    if spacing is None:
        spacing = np.array([1.0, 1.0])
        quirks.append("no PixelSpacing (1 mm assumed)")
    if np.any(spacing <= 0):
        raise InvalidStudy(f"{name0}: PixelSpacing must be positive (got {spacing.tolist()})")
    row_dir, col_dir = iop[:3], iop[3:]
    if not (0.98 < np.linalg.norm(row_dir) < 1.02 and 0.98 < np.linalg.norm(col_dir) < 1.02):
        raise InvalidStudy(f"{name0}: ImageOrientationPatient must hold two unit vectors (got {iop.tolist()})")
    row_dir = row_dir / np.linalg.norm(row_dir)
    col_dir = col_dir / np.linalg.norm(col_dir)
    if abs(float(row_dir @ col_dir)) > 1e-3:
        raise InvalidStudy(f"{name0}: ImageOrientationPatient directions must be orthogonal (got {iop.tolist()})")
    normal = np.cross(row_dir, col_dir)

    positions = []
    for s in slices:
        ipp = _floats(s.ds, "ImagePositionPatient", 3)
        if ipp is None:
            if len(slices) > 1:
                raise InvalidStudy(f"{s.source.ref}: ImagePositionPatient is missing or malformed")
            ipp = np.zeros(3)
            quirks.append("no ImagePositionPatient (origin assumed)")
        other_iop = _floats(s.ds, "ImageOrientationPatient", 6)
        if other_iop is not None and not np.allclose(other_iop, iop, atol=1e-3):
            raise InvalidStudy(
                f"expected one orientation for the whole series; {s.source.ref} has "
                f"{other_iop.tolist()} but {name0} has {iop.tolist()}"
            )
        if (int(s.ds.get("Rows", 0) or 0), int(s.ds.get("Columns", 0) or 0)) != (rows, cols):
            raise InvalidStudy(
                f"expected {rows}x{cols} images throughout the series; {s.source.ref} is {s.ds.get('Rows')}x{s.ds.get('Columns')}"
            )
        other_sp = _floats(s.ds, "PixelSpacing", 2)
        if other_sp is not None and not np.allclose(other_sp, spacing, atol=1e-4):
            raise InvalidStudy(f"expected pixel spacing {spacing.tolist()} mm throughout; {s.source.ref} has {other_sp.tolist()}")
        positions.append(ipp)
    pos = np.array(positions)
    d = pos @ normal
    order = np.argsort(d, kind="stable")
    slices = [slices[i] for i in order]
    pos, d = pos[order], d[order]

    if len(slices) > 1:
        gaps = np.diff(d)
        dup = np.nonzero(gaps < 1e-3)[0]
        if dup.size:
            i = int(dup[0])
            raise InvalidStudy(
                f"expected one slice per position, but {slices[i].source.ref} and "
                f"{slices[i + 1].source.ref} both lie at {d[i]:.3f} mm along the normal "
                "(several acquisitions in one series?)"
            )
        step = float(np.median(gaps))
        uniform = bool(np.all(np.abs(gaps - step) <= max(0.01, 0.01 * step)))
        if not uniform:
            ratios = gaps / step
            if np.all(np.abs(ratios - np.rint(ratios)) < 0.05) and np.any(np.rint(ratios) >= 2):
                where = int(np.argmax(ratios))
                missing = int(np.sum(np.rint(ratios) - 1))
                raise MissingSlices(
                    f"expected slices every {step:.3f} mm, but the gap between {d[where]:.2f} and "
                    f"{d[where + 1]:.2f} mm is {gaps[where]:.3f} mm: {missing} slice(s) missing "
                    f"from a series of {len(slices)}"
                )
            if nonuniform == "refuse":
                raise InvalidStudy(f"slice spacing must be uniform (got {gaps.min():.3f} to {gaps.max():.3f} mm)")
            step = float(gaps.min())  # resample at the finest spacing: no detail is lost
            quirks.append(f"non-uniform slice spacing ({gaps.min():.3f}-{gaps.max():.3f} mm) resampled to {step:.3f} mm")
        # in-plane drift of the slice positions: gantry tilt -> sheared affine
        along = (pos[-1] - pos[0]) / (d[-1] - d[0])  # mm of position per mm along the normal
        predicted = pos[0] + np.outer(d - d[0], along)
        if np.max(np.linalg.norm(predicted - pos, axis=1)) > max(0.05, 0.02 * step):
            raise InvalidStudy(
                "slice positions must lie on a straight line (got positions that wander off it by more than 0.05 mm)"
            )
        tilt = float(np.degrees(np.arccos(min(1.0, 1.0 / float(np.linalg.norm(along))))))
        if tilt > 0.01:
            quirks.append(f"gantry tilt {tilt:.2f} deg carried by a sheared affine")
    else:
        thick = ds0.get("SpacingBetweenSlices") or ds0.get("SliceThickness") or 1.0
        step = float(thick) if float(thick) > 0 else 1.0
        along = normal
        uniform = True

    # pixels, rescaled per slice
    # slices are filled contiguously as (k, row, column) and viewed as (i, j, k) at the end
    stack = np.empty((len(slices), rows, cols), dtype=np.float32)
    integral = True
    for k, s in enumerate(slices):
        arr = _pixels(s)
        if arr.shape != (rows, cols):
            raise InvalidStudy(f"{s.source.ref}: expected {rows}x{cols} pixels, got {arr.shape}")
        slope = float(s.ds.get("RescaleSlope", 1) or 1)
        intercept = float(s.ds.get("RescaleIntercept", 0) or 0)
        integral &= slope.is_integer() and intercept.is_integer()
        np.multiply(arr, np.float32(slope), out=stack[k], casting="unsafe")
        stack[k] += np.float32(intercept)
        del s.ds["PixelData"]  # release the raw bytes as we go (peak memory)
        if progress is not None:
            progress((k + 1) / len(slices))
    if _str(ds0, "PhotometricInterpretation") == "MONOCHROME1":
        quirks.append("MONOCHROME1 (values kept; displays invert)")

    affine = np.eye(4)
    affine[:3, 0] = row_dir * spacing[1]  # i: along a row, one column apart
    affine[:3, 1] = col_dir * spacing[0]  # j: down a column, one row apart
    affine[:3, 2] = along * step
    affine[:3, 3] = pos[0]

    if not uniform:
        n_new = int(np.floor((d[-1] - d[0]) / step + 1e-6)) + 1
        if n_new * rows * cols > MAX_VOXELS:
            raise InvalidStudy(
                f"resampling the non-uniform slices every {step:.3f} mm would make "
                f"{n_new} slices, more than the {MAX_VOXELS} voxels a volume may "
                "have"
            )
        targets = d[0] + step * np.arange(n_new)
        idx = np.clip(np.searchsorted(d, targets, side="right") - 1, 0, len(d) - 2)
        w = ((targets - d[idx]) / (d[idx + 1] - d[idx])).astype(np.float32)[:, None, None]
        stack = stack[idx] * (1 - w) + stack[idx + 1] * w
        integral = False

    if integral and stack.size and stack.min() >= -32768 and stack.max() <= 32767:
        data: np.ndarray = stack.astype(np.int16)
    else:
        data = stack
    return Volume(data.transpose(2, 1, 0), affine, {}), slices
