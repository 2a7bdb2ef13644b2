"""Errors raised by the imaging engine.

Every error a user's upload can cause is an :class:`InvalidStudy` (a
:class:`medverse.errors.InvalidInput`, hence a ``ValueError``); its ``code`` is the stable
machine-readable reason the server and the CLI report. Messages say what was expected and what
arrived.

Messages reach every client of a space, so they carry no patient data and no server paths: files
are named by their position in the upload ("file 3"), series by index, modality, number and size
(never description or UID), and :func:`redact_paths` scrubs what a third-party library may have
put into a message it wraps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from medverse.errors import InvalidInput, MedverseError

__all__ = [
    "BurnedInAnnotation",
    "Cancelled",
    "ImagingError",
    "InvalidStudy",
    "LabelGridMismatch",
    "MissingSlices",
    "MixedSeries",
    "NotDicom",
    "UnsafeArchive",
    "UnsupportedTransferSyntax",
    "redact_paths",
]

# an absolute POSIX path (not a fraction such as 1/2 nor "unpacked/packed"), or a Windows one
_ABS_PATH = re.compile(r"(?<![\w.~-])(?:/[^\s'\"<>|,;()\[\]{}]+)+|\b[A-Za-z]:\\[^\s'\"<>|,;]+")


def redact_paths(text: str, known: Iterable[str] = ()) -> str:
    """Return ``text`` without file system paths.

    Anything that looks like an absolute path becomes ``<path>``; then the ``known`` strings (a
    source path, its file name...) that remain become ``<file>``, longest first.
    """
    text = _ABS_PATH.sub("<path>", text)
    for item in sorted({k for k in known if k and len(k) > 2}, key=len, reverse=True):
        text = text.replace(item, "<file>")
    return text


class ImagingError(MedverseError):
    """Base of errors the imaging engine raises on purpose that are not the input's fault."""

    code = "imaging-error"


class InvalidStudy(InvalidInput):
    """The uploaded study cannot be used; the message says why."""

    code = "invalid-study"
    title = "Invalid study"


class NotDicom(InvalidStudy):
    """No readable DICOM image was found where one was expected."""

    code = "not-dicom"
    title = "Not a DICOM file"


class MissingSlices(InvalidStudy):
    """The series has gaps along the slice normal that look like missing files."""

    code = "missing-slices"
    title = "Missing slices"


class MixedSeries(InvalidStudy):
    """Several image series were found and none was chosen.

    ``series`` holds the :class:`~medverse.imaging.io.dicom.SeriesInfo` of each one, so a caller
    can offer the choice.
    """

    code = "mixed-series"
    title = "Several series, none chosen"

    def __init__(self, message: str, series: list | None = None) -> None:  # type: ignore[type-arg]
        super().__init__(message)
        self.series = list(series or [])


class UnsupportedTransferSyntax(InvalidStudy):
    """The pixel data are encoded with a transfer syntax this installation cannot decode."""

    code = "unsupported-transfer-syntax"
    title = "Unsupported transfer syntax"


class UnsafeArchive(InvalidStudy):
    """A zip upload was refused: path traversal, links, encryption, or too large when unpacked."""

    code = "unsafe-archive"
    title = "Unsafe archive"


class LabelGridMismatch(InvalidStudy):
    """A label map does not lie on the grid of the image it is meant to label."""

    code = "label-grid-mismatch"
    title = "Label map grid does not match the image"


class BurnedInAnnotation(InvalidStudy):
    """The images carry text in their pixels (BurnedInAnnotation YES, or a secondary capture not
    marked NO): header de-identification cannot remove it, so the series is refused unless the
    importer explicitly allows it."""

    code = "burned-in-annotation"
    title = "Text burned into the images"


class Cancelled(ImagingError):
    """The job was cancelled by its owner."""

    code = "cancelled"
    status = 499
    title = "Cancelled"
