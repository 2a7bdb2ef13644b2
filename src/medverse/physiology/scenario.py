"""Scenario files: patient + timed actions, every quantity as ``{value, unit}``.

A scenario is YAML or JSON (see docs/physiology.md and ``scenario.schema.json``)::

    name: Class III hemorrhage
    seed: 1
    duration: {value: 20, unit: min}
    patient:
      sex: male
      age: {value: 44, unit: yr}
      height: {value: 180, unit: cm}
      weight: {value: 77, unit: kg}
      conditions: [{type: copd, severity: 0.3}]
    actions:
      - at: {value: 30, unit: s}
        action: hemorrhage
        site: right_leg
        rate: {value: 150, unit: mL/min}

Loading checks the structure against the JSON Schema, then each field's unit and range; the
first problem is raised as :class:`ScenarioError` with the file's line and the field's path.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from . import layout as L
from .errors import InvalidAction, InvalidPatient, ScenarioError
from .interventions import SPECS, Action, make_action
from .patient import Patient
from .units import DIMENSIONS, convert

MAX_BYTES = 1_000_000
MAX_DURATION_S = 48 * 3600.0
#: the most memory a run may hold for its recorded output (trend rows, and waveforms when asked)
MAX_OUTPUT_BYTES = 512 * 1024**2
#: bytes per simulated second of waveforms (ECG 500 Hz + three 100 Hz signals, float64)
WAVE_BYTES_PER_S = (500 + 3 * 100) * 8


def output_bytes(duration_s: float, trend_interval_s: float, waveforms: bool = False) -> int:
    """Memory (bytes) one patient's recorded output needs: trend rows and, optionally, waveforms."""
    rows = int(duration_s / trend_interval_s)
    total = rows * L.N_OUT * 8
    if waveforms:
        total += int(duration_s * WAVE_BYTES_PER_S)
    return total


def _human_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def check_output_size(duration_s: float, trend_interval_s: float, waveforms: bool = False, patients: int = 1) -> str:
    """'' if the recorded output fits in :data:`MAX_OUTPUT_BYTES`, else why not (with the figure)."""
    need = patients * output_bytes(duration_s, trend_interval_s, waveforms)
    if need <= MAX_OUTPUT_BYTES:
        return ""
    rows = int(duration_s / trend_interval_s)
    what = f"{rows:,} trend rows x {L.N_OUT} columns x 8 bytes"
    if waveforms:
        what += f" + {duration_s:,.0f} s of waveforms x {WAVE_BYTES_PER_S:,} bytes/s"
    if patients > 1:
        what = f"{patients} patients x ({what})"
    budget = MAX_OUTPUT_BYTES / patients - (duration_s * WAVE_BYTES_PER_S if waveforms else 0.0)
    min_interval = duration_s * L.N_OUT * 8 / budget if budget > 0 else math.inf
    hint = f"; use a trend interval of at least {min_interval:.3g} s" if min_interval < duration_s else ""
    return (
        f"the run would hold {_human_bytes(need)} of output ({what}), more than the "
        f"{_human_bytes(MAX_OUTPUT_BYTES)} allowed{hint}"
    )


_PATIENT_FIELDS = {  # scenario key -> (Patient attribute, dimension)
    "age": ("age_yr", "age"),
    "height": ("height_cm", "length"),
    "weight": ("weight_kg", "body_mass"),
    "heart_rate": ("heart_rate_bpm", "frequency"),
    "systolic_pressure": ("systolic_mmhg", "pressure_mmhg"),
    "diastolic_pressure": ("diastolic_mmhg", "pressure_mmhg"),
    "respiration_rate": ("respiration_rate_per_min", "frequency"),
}


@dataclass
class Scenario:
    """A checked scenario (times in s, quantities in the engine's units)."""

    name: str
    duration_s: float
    patient: Patient = field(default_factory=Patient)
    actions: list[Action] = field(default_factory=list)
    seed: int = 0
    trend_interval_s: float = 1.0
    description: str = ""
    source: str = ""


def _quantity_schema(dim: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{dim}"}


def build_schema() -> dict[str, Any]:
    """The scenario JSON Schema (draft 2020-12), generated from the action and unit tables."""
    defs: dict[str, Any] = {}
    for dim, units in DIMENSIONS.items():
        defs[dim] = {
            "type": "object",
            "required": ["value", "unit"],
            "properties": {"value": {"type": "number"}, "unit": {"enum": list(units)}},
            "additionalProperties": False,
        }
    actions = []
    for name, spec in SPECS.items():
        props: dict[str, Any] = {"at": _quantity_schema("time"), "action": {"const": name}}
        req = ["at", "action"]
        for fname, f in spec.items():
            if f.kind in ("choice",):
                props[fname] = {"enum": list(f.choices)}
            elif f.kind == "drug":
                props[fname] = {"type": "string"}
            elif f.kind in ("severity", "fraction"):
                props[fname] = {"oneOf": [{"type": "number"}, _quantity_schema("fraction")]}
            else:
                props[fname] = _quantity_schema(f.kind)
            if f.required:
                req.append(fname)
        actions.append(
            {
                "if": {"properties": {"action": {"const": name}}, "required": ["action"]},
                "then": {"properties": props, "required": req, "additionalProperties": False},
            }
        )
    patient_props: dict[str, Any] = {"sex": {"enum": ["male", "female"]}}
    for key, (_, dim) in _PATIENT_FIELDS.items():
        patient_props[key] = _quantity_schema(dim)
    patient_props["conditions"] = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["type", "severity"],
            "additionalProperties": False,
            "properties": {
                "type": {"enum": ["chronic_anemia", "copd"]},
                "severity": {"type": "number", "minimum": 0, "maximum": 1},
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://medverse.invalid/schemas/physiology-scenario.json",
        "title": "medverse physiology scenario",
        "type": "object",
        "required": ["name", "duration"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "seed": {"type": "integer", "minimum": 0, "maximum": 2**32 - 1},
            "duration": _quantity_schema("time"),
            "trend_interval": _quantity_schema("time"),
            "patient": {"type": "object", "properties": patient_props, "additionalProperties": False},
            "actions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["at", "action"],
                    "properties": {"action": {"enum": list(SPECS)}},
                    "allOf": actions,
                },
            },
        },
        "$defs": defs,
    }


def schema() -> dict[str, Any]:
    """The committed schema file ``scenario.schema.json``."""
    text = resources.files(__package__).joinpath("scenario.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


_YAML_FLOAT = re.compile(r"""^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$|^[-+]?\.[0-9_]+[eE][-+]?[0-9]+$""")
_LOADER: Any = None


def _yaml_loader() -> Any:
    """PyYAML's safe loader, reading YAML 1.2 exponent numbers (``1e9``, ``2E-3``) as floats.

    YAML 1.1 (PyYAML) requires a dot in a float, so ``1e9`` would otherwise arrive as the
    string "1e9" and be refused as "not a number"; YAML 1.2 and JSON read it as a number.
    """
    global _LOADER
    if _LOADER is None:
        import yaml

        class Loader(yaml.SafeLoader):
            pass

        Loader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML_FLOAT, list("-+0123456789."))
        _LOADER = Loader
    return _LOADER


def _locator(text: str) -> Callable[[list[Any]], int | None]:
    """Map a JSON path to a 1-based line number of the YAML/JSON text (None if unknown)."""
    import yaml

    roots: list[Any] = []

    def root_node() -> Any:
        # parsed only when a problem has to be located (composing a large file is slow)
        if not roots:
            try:
                roots.append(yaml.compose(text, Loader=_yaml_loader()))
            except Exception:
                roots.append(None)
        return roots[0]

    def locate(path: list[Any]) -> int | None:
        node = root_node()
        if node is None:
            return None
        line = node.start_mark.line + 1
        for key in path:
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value == key:
                        line = k.start_mark.line + 1
                        node = v
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    return locate


def _path_str(path: list[Any]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def load_scenario(source: str | Path, text: str | None = None) -> Scenario:
    """Read and check a scenario file.

    Parameters
    ----------
    source : str or Path
        The file path (or a name used in messages when ``text`` is given).
    text : str, optional
        The file's content; read from ``source`` when omitted.

    Raises
    ------
    ScenarioError
        With the line and field of the first problem and what was expected.
    """
    name = str(source)
    if text is None:
        try:
            raw = Path(source).read_bytes()
        except OSError as exc:
            raise ScenarioError(f"cannot read the file ({exc.strerror})", source=name) from None
        if len(raw) > MAX_BYTES:
            raise ScenarioError(f"file is larger than {MAX_BYTES} bytes", source=name)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError("file is not UTF-8 text", source=name) from None
    if len(text) > MAX_BYTES:
        raise ScenarioError(f"text is larger than {MAX_BYTES} bytes", source=name)
    data = _parse_text(text, name)
    return parse_scenario(data, source=name, locate=_locator(text))


def _parse_text(text: str, name: str) -> Any:
    if name.endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"invalid JSON: {exc.msg}", line=exc.lineno, source=name) from None
        except RecursionError:
            raise ScenarioError("invalid JSON: nested too deeply", source=name) from None
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise ScenarioError(f"invalid YAML: {exc.problem}", line=line, source=name) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError) as exc:
        raise ScenarioError(f"invalid YAML: {type(exc).__name__}", source=name) from None


def parse_scenario(data: Any, source: str = "scenario", locate: Callable[[list[Any]], int | None] | None = None) -> Scenario:
    """Check an already-parsed scenario (a dict) and build a :class:`Scenario`."""
    loc = locate or (lambda _path: None)

    def fail(msg: str, path: list[Any]) -> ScenarioError:
        return ScenarioError(msg, field=_path_str(path), line=loc(path), source=source)

    if not isinstance(data, dict):
        raise fail(f"expected a mapping with name, duration, patient, actions (got {type(data).__name__})", [])
    top, per_action = _validators()
    path: list[Any] = []
    try:
        errors = sorted(top.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
        if not errors:
            # each action is checked against its own action's schema: linear in the number of
            # actions, and one schema per action instead of every if/then of the combined schema
            for j, act in enumerate(data.get("actions") or []):
                errors = list(per_action[act["action"]].iter_errors(act))
                if errors:
                    path = ["actions", j]
                    break
    except (RecursionError, TypeError, ValueError) as exc:
        raise fail(f"cannot check the structure ({type(exc).__name__})", []) from None
    if errors:
        err = _best_error(errors)
        raise fail(_schema_message(err), path + list(err.absolute_path))
    try:
        return _build(data, source, fail)
    except (InvalidAction, InvalidPatient) as exc:  # pragma: no cover - _build wraps these
        raise ScenarioError(str(exc), source=source) from None


_SCHEMA: dict[str, Any] | None = None
_VALIDATORS: tuple[Any, dict[str, Any]] | None = None


def _validators() -> tuple[Any, dict[str, Any]]:
    """The committed schema split in two: the top level (actions only need ``at`` and a known
    ``action``) and one validator per action (its ``then`` branch, with the shared ``$defs``)."""
    global _VALIDATORS
    if _VALIDATORS is None:
        import copy

        import jsonschema

        full = _schema_cached()
        top = copy.deepcopy(full)
        items = top["properties"]["actions"]["items"]
        branches = items.pop("allOf")
        per = {}
        for br in branches:
            name = br["if"]["properties"]["action"]["const"]
            per[name] = jsonschema.Draft202012Validator({"$defs": full["$defs"], "type": "object", **br["then"]})
        _VALIDATORS = (jsonschema.Draft202012Validator(top), per)
    return _VALIDATORS


def _schema_cached() -> dict[str, Any]:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = schema()
    return _SCHEMA


def _best_error(errors: list[Any]) -> Any:
    """The most specific schema error (deepest path; inside if/then when that applies)."""
    import jsonschema

    best = jsonschema.exceptions.best_match(errors)
    deepest = max(errors, key=lambda e: len(e.absolute_path))
    return deepest if len(deepest.absolute_path) > len(best.absolute_path) else best


def _schema_message(err: Any) -> str:
    v = err.validator
    inst = err.instance
    if v == "required":
        return err.message.replace("is a required property", "is required")
    if v == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        return f"{err.message}; allowed: {', '.join(allowed)}"
    if v == "enum":
        return f"got {inst!r}, expected one of: {', '.join(map(str, err.validator_value))}"
    if v == "const":
        return f"got {inst!r}, expected {err.validator_value!r}"
    if v == "type":
        return f"got {type(inst).__name__} {inst!r:.40}, expected {err.validator_value}"
    return err.message[:300]


def _build(data: dict[str, Any], source: str, fail: Callable[[str, list[Any]], ScenarioError]) -> Scenario:
    def q(value: Any, dim: str, path: list[Any], weight: float | None = None) -> float:
        try:
            return convert(value, dim, _path_str(path), weight)
        except InvalidAction as exc:
            raise fail(str(exc), path) from None

    duration = q(data["duration"], "time", ["duration"])
    if not 0.0 < duration <= MAX_DURATION_S:
        raise fail(f"duration must be > 0 and <= 48 h (got {duration:g} s)", ["duration"])
    trend = q(data.get("trend_interval", {"value": 1, "unit": "s"}), "time", ["trend_interval"])
    if not 0.01 <= trend <= 600.0:
        raise fail(f"trend_interval must be between 0.01 and 600 s (got {trend:g} s)", ["trend_interval"])
    too_big = check_output_size(duration, trend)
    if too_big:
        raise fail(too_big, ["trend_interval"] if "trend_interval" in data else ["duration"])
    pdata = data.get("patient", {}) or {}
    kwargs: dict[str, Any] = {}
    if "sex" in pdata:
        kwargs["sex"] = pdata["sex"]
    for pkey, (attr, dim) in _PATIENT_FIELDS.items():
        if pkey in pdata:
            kwargs[attr] = q(pdata[pkey], dim, ["patient", pkey])
    for _j, cond in enumerate(pdata.get("conditions", []) or []):
        kwargs[cond["type"]] = float(cond["severity"])
    try:
        patient = Patient(**kwargs, name=str(data["name"]))
    except InvalidPatient as exc:
        msg = str(exc)
        key: str | None = next((k for k, (attr, _d) in _PATIENT_FIELDS.items() if msg.startswith(attr)), None)
        if key is None and msg.startswith(("copd", "chronic_anemia")):
            key = "conditions"
        if key is None and msg.startswith("sex"):
            key = "sex"
        raise fail(msg, ["patient"] + ([key] if key and key in pdata else [])) from None
    actions = []
    for j, raw in enumerate(data.get("actions", []) or []):
        at = q(raw["at"], "time", ["actions", j, "at"])
        if at < 0:
            raise fail(f"actions happen at times >= 0 s (got {at:g} s)", ["actions", j, "at"])
        if at > duration:
            raise fail(f"action at {at:g} s is after the end of the scenario ({duration:g} s)", ["actions", j, "at"])
        fields = {k: v for k, v in raw.items() if k not in ("at", "action")}
        try:
            actions.append(make_action(raw["action"], fields, at, patient.weight_kg))
        except InvalidAction as exc:
            msg = str(exc)
            bad = next((k for k in fields if f".{k}" in msg or f"'{k}'" in msg), None)
            raise fail(msg, ["actions", j] + ([bad] if bad else [])) from None
    actions.sort(key=lambda a: a.at_s)
    seed = int(data.get("seed", 0))
    if not math.isfinite(duration):  # pragma: no cover - checked above
        raise fail("duration must be finite", ["duration"])
    return Scenario(
        name=str(data["name"]),
        duration_s=duration,
        patient=patient,
        actions=actions,
        seed=seed,
        trend_interval_s=trend,
        description=str(data.get("description", "")),
        source=source,
    )


def builtin_scenarios() -> dict[str, Path]:
    """Example scenarios shipped with the package: name -> path."""
    root = Path(str(resources.files(__package__).joinpath("scenarios")))
    return {p.stem: p for p in sorted(root.glob("*.yaml"))}
