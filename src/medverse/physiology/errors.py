"""Physiology-specific errors (subclasses of the medverse exception tree)."""

from __future__ import annotations

from medverse.errors import InvalidInput


class PhysiologyError(InvalidInput):
    """Base of the errors the physiology engine raises on bad input."""

    code = "physiology-invalid"


class InvalidPatient(PhysiologyError):
    """A patient description is impossible or outside the modelled range."""

    code = "invalid-patient"


class InvalidAction(PhysiologyError):
    """An action or intervention is unknown or malformed."""

    code = "invalid-action"


class ScenarioError(PhysiologyError):
    """A scenario file is malformed; ``line`` and ``field`` say where."""

    code = "invalid-scenario"

    def __init__(self, message: str, field: str = "", line: int | None = None, source: str = "") -> None:
        where = source or "scenario"
        if line is not None:
            where += f", line {line}"
        if field:
            where += f", field {field}"
        super().__init__(f"{where}: {message}")
        self.field = field
        self.line = line
        self.detail = message
