"""Quantities as ``{value, unit}``: unit checking and conversion to the engine's units.

Each field of a scenario has a *dimension*; its unit must be one of that dimension's units and
is converted to the canonical unit (the first listed). Per-kilogram units (``ug/kg``,
``ug/kg/min``, ``mL/kg``) are converted with the patient's weight.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import InvalidAction

#: dimension -> {unit: factor to the canonical unit (first entry)}; "/kg" units multiply by weight
DIMENSIONS: dict[str, dict[str, float]] = {
    "time": {"s": 1.0, "ms": 0.001, "min": 60.0, "h": 3600.0},
    "age": {"yr": 1.0, "y": 1.0, "month": 1.0 / 12.0},
    "length": {"cm": 1.0, "mm": 0.1, "m": 100.0, "in": 2.54, "ft": 30.48},
    "body_mass": {"kg": 1.0, "g": 0.001, "lb": 0.45359237},
    "volume": {"mL": 1.0, "L": 1000.0, "mL/kg": 1.0},
    "flow": {"mL/min": 1.0, "mL/h": 1.0 / 60.0, "mL/s": 60.0, "L/min": 1000.0, "L/h": 1000.0 / 60.0},
    "dose": {"ug": 1.0, "mcg": 1.0, "mg": 1000.0, "g": 1e6, "ug/kg": 1.0, "mcg/kg": 1.0, "mg/kg": 1000.0},
    "dose_rate": {
        "ug/min": 1.0,
        "mcg/min": 1.0,
        "mg/min": 1000.0,
        "mg/h": 1000.0 / 60.0,
        "ug/h": 1.0 / 60.0,
        "ug/kg/min": 1.0,
        "mcg/kg/min": 1.0,
        "mg/kg/h": 1000.0 / 60.0,
        "ug/kg/h": 1.0 / 60.0,
    },
    "pressure_mmhg": {"mmHg": 1.0, "cmH2O": 0.73556, "kPa": 7.50062},
    "pressure_cmh2o": {"cmH2O": 1.0, "mmHg": 1.0 / 0.73556, "kPa": 10.1972},
    "frequency": {"1/min": 1.0, "/min": 1.0, "bpm": 1.0, "breaths/min": 1.0, "1/s": 60.0, "Hz": 60.0},
    "fraction": {"1": 1.0, "fraction": 1.0, "%": 0.01},
    "energy": {"J": 1.0, "kJ": 1000.0},
    "temperature": {"degC": 1.0, "C": 1.0},
}
CANONICAL = {dim: next(iter(units)) for dim, units in DIMENSIONS.items()}


def is_per_kg(unit: str) -> bool:
    """Whether ``unit`` is a per-kilogram-of-body-weight unit."""
    return "/kg" in unit


def convert(quantity: Any, dimension: str, field: str = "quantity", weight_kg: float | None = None) -> float:
    """Convert ``{value, unit}`` (or a bare number for ``fraction``) to the canonical unit.

    Raises
    ------
    InvalidAction
        When the value is not a finite number, the unit is missing or not a unit of
        ``dimension``; the message names the field, what arrived and what was expected.
    """
    units = DIMENSIONS[dimension]
    if isinstance(quantity, (int, float)) and not isinstance(quantity, bool) and dimension == "fraction":
        value, unit = float(quantity), "1"
    elif isinstance(quantity, dict) and set(quantity) <= {"value", "unit"} and "value" in quantity:
        value = quantity["value"]
        unit = quantity.get("unit", "")
        if dimension == "fraction" and unit == "":
            unit = "1"
    else:
        raise InvalidAction(f"{field} must be {{value, unit}} with a unit of {dimension} ({', '.join(units)}); got {quantity!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidAction(f"{field} value must be a finite number (got {value!r})")
    if not isinstance(unit, str) or unit not in units:
        raise InvalidAction(f"{field} has unit {unit!r}, expected a unit of {dimension}: {', '.join(units)}")
    out = float(value) * units[unit]
    if is_per_kg(unit):
        if weight_kg is None:
            raise InvalidAction(f"{field}: per-kg unit {unit!r} needs the patient's weight")
        out *= weight_kg
    return out
