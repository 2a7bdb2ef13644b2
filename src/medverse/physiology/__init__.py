"""medverse.physiology: a virtual-patient physiology engine (pure library, no server imports)."""

from __future__ import annotations

from .engine import Chunk, PatientBatch
from .errors import InvalidAction, InvalidPatient, PhysiologyError, ScenarioError
from .patient import Patient

__all__ = [
    "Chunk",
    "InvalidAction",
    "InvalidPatient",
    "Patient",
    "PatientBatch",
    "PhysiologyError",
    "ScenarioError",
]
