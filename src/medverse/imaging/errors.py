"""Errors raised by the imaging engine.

Every error a user's upload can cause is an :class:`InvalidStudy` (a
:class:`medverse.errors.InvalidInput`, hence a ``ValueError``); its ``code`` is the stable
machine-readable reason the server and the CLI report. Messages say what was expected and what
arrived.
"""

from __future__ import annotations

from medverse.errors import InvalidInput, MedverseError

__all__ = [
    "Cancelled",
    "ImagingError",
    "InvalidStudy",
    "LabelGridMismatch",
    "MissingSlices",
    "MixedSeries",
    "NotDicom",
    "UnsafeArchive",
    "UnsupportedTransferSyntax",
]


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


class Cancelled(ImagingError):
    """The job was cancelled by its owner."""

    code = "cancelled"
    status = 499
    title = "Cancelled"
