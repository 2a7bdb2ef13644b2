"""medverse.physiology: a virtual-patient physiology engine (a pure library, no server imports).

The public names are imported lazily so that ``medverse.physiology.cli`` (and therefore
``medverse --help``) does not load NumPy or compile the engine.

Main entry points: :class:`Patient`, :class:`PatientBatch` (N patients advancing together),
:func:`load_scenario` / :func:`run` / :func:`run_many` (scenario files), :func:`run_validation`.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import InvalidAction, InvalidPatient, PhysiologyError, ScenarioError

_LAZY = {
    "Action": ".interventions",
    "ActionApplier": ".interventions",
    "make_action": ".interventions",
    "Chunk": ".engine",
    "PatientBatch": ".engine",
    "Patient": ".patient",
    "Scenario": ".scenario",
    "load_scenario": ".scenario",
    "parse_scenario": ".scenario",
    "builtin_scenarios": ".scenario",
    "Event": ".simulation",
    "Result": ".simulation",
    "run": ".simulation",
    "run_many": ".simulation",
    "run_validation": ".validation",
    "render_markdown": ".validation",
}

__all__ = [
    "Action",
    "ActionApplier",
    "Chunk",
    "Event",
    "InvalidAction",
    "InvalidPatient",
    "Patient",
    "PatientBatch",
    "PhysiologyError",
    "Result",
    "Scenario",
    "ScenarioError",
    "builtin_scenarios",
    "load_scenario",
    "make_action",
    "parse_scenario",
    "render_markdown",
    "run",
    "run_many",
    "run_validation",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
