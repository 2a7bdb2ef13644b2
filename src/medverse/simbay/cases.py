"""Cases for the simulation bay: an engine scenario plus what a teacher needs.

A case file is a physiology scenario (YAML or JSON: patient, seed, duration and the timed
``actions`` that make up the script, e.g. anaphylaxis at 30 s; see docs/physiology.md) with a
``case`` section:

``story``       what the team is told when the case starts
``objectives``  learning objectives
``expected``    actions the team should take: ``{id, label, action, match?, after?, within?}``;
                ``after`` names the scripted condition whose onset starts the clock, ``within``
                the time allowed ({value, unit}); done in time, late, or missed
``critical``    critical errors: ``{id, label, action, match?, min?: {field, value}}``
``outcome``     end-of-case criteria on the patient: ``{label, measure, op, value}``

Loading checks everything: the scenario with the engine's own checks, the case section here
(unknown actions, fields, drugs or measures are named in the error), so a hostile or mistaken
file is refused with a message, never half-loaded.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medverse.errors import InvalidInput

MAX_CASE_BYTES = 200_000
MEASURES = ("hr", "sbp", "dbp", "map", "spo2", "etco2", "rr", "t_core", "pao2", "paco2", "ph", "lactate")


class CaseError(InvalidInput):
    code = "invalid-case"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Quantity(_M):
    value: float = Field(allow_inf_nan=False)
    unit: str = Field(max_length=20)


class Expected(_M):
    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    label: str = Field(min_length=1, max_length=120)
    action: str
    match: dict[str, str] = Field(default_factory=dict, max_length=8)
    after: str | None = None
    within: Quantity | None = None


class Threshold(_M):
    field: str = Field(max_length=40)
    value: Quantity


class Critical(_M):
    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    label: str = Field(min_length=1, max_length=120)
    action: str
    match: dict[str, str] = Field(default_factory=dict, max_length=8)
    min: Threshold | None = None


class Outcome(_M):
    label: str = Field(min_length=1, max_length=120)
    measure: str
    op: Literal[">=", "<="]
    value: float = Field(allow_inf_nan=False)


class CaseSection(_M):
    story: str = Field(default="", max_length=4000)
    objectives: list[str] = Field(default_factory=list, max_length=20)
    expected: list[Expected] = Field(default_factory=list, max_length=50)
    critical: list[Critical] = Field(default_factory=list, max_length=50)
    outcome: list[Outcome] = Field(default_factory=list, max_length=20)


def parse_case(data: Any, case_id: str, source: str = "case") -> dict[str, Any]:
    """A checked case as plain JSON (what the log stores): the scenario's patient, seed, script
    (canonical actions) and duration, and the teaching parts."""
    from medverse.physiology import InvalidAction, ScenarioError, parse_scenario
    from medverse.physiology.interventions import SPECS
    from medverse.physiology.units import convert

    if not isinstance(data, dict):
        raise CaseError(f"{source}: a case is a mapping with name, patient, actions and case")
    data = dict(data)
    section_raw = data.pop("case", None)
    if section_raw is None:
        raise CaseError(f"{source}: the 'case' section is missing (story, objectives, expected, critical, outcome)")
    try:
        scenario = parse_scenario(data, source)
    except ScenarioError as exc:
        raise CaseError(str(exc)) from None
    try:
        section = CaseSection.model_validate(section_raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CaseError(f"{source}: case.{where}: {first['msg']}") from None
    script_names = {a.name for a in scenario.actions}
    items: list[Expected | Critical] = [*section.expected, *section.critical]
    for item in items:
        if item.action not in SPECS:
            raise CaseError(f"{source}: {item.id}: the engine has no action {item.action!r}")
        for fname in item.match:
            if fname not in SPECS[item.action]:
                raise CaseError(f"{source}: {item.id}: {item.action} has no field {fname!r}")
    for exp in section.expected:
        if exp.after is not None and exp.after not in script_names:
            raise CaseError(f"{source}: {exp.id}: 'after' names {exp.after!r}, which the script never starts")
    critical = []
    for crit in section.critical:
        entry = crit.model_dump(exclude={"min"})
        if crit.min is not None:
            spec = SPECS[crit.action].get(crit.min.field)
            if spec is None or spec.kind in ("choice", "drug"):
                raise CaseError(f"{source}: {crit.id}: {crit.action}.{crit.min.field} is not a quantity")
            try:
                entry["min"] = {"field": crit.min.field, "value": convert(crit.min.value.model_dump(), spec.kind, crit.id)}
            except InvalidAction as exc:
                raise CaseError(f"{source}: {exc}") from None
        critical.append(entry)
    for out in section.outcome:
        if out.measure not in MEASURES:
            raise CaseError(f"{source}: outcome {out.label!r}: unknown measure {out.measure!r}; one of {', '.join(MEASURES)}")
    expected = []
    for exp in section.expected:
        entry = exp.model_dump(exclude={"within"})
        try:
            entry["within_s"] = convert(exp.within.model_dump(), "time", f"{exp.id}.within") if exp.within else None
        except InvalidAction as exc:
            raise CaseError(f"{source}: {exc}") from None
        if entry["within_s"] is not None and entry["within_s"] <= 0:
            raise CaseError(f"{source}: {exp.id}.within must be a time > 0")
        expected.append(entry)
    pt = scenario.patient
    return {
        "id": case_id,
        "title": scenario.name,
        "summary": scenario.description,
        "duration_s": scenario.duration_s,
        "seed": scenario.seed,
        "patient": {
            "sex": pt.sex,
            "age_yr": pt.age_yr,
            "height_cm": pt.height_cm,
            "weight_kg": pt.weight_kg,
            "copd": pt.copd,
            "chronic_anemia": pt.chronic_anemia,
        },
        "script": [{"at_s": a.at_s, "name": a.name, "fields": _plain(a.fields)} for a in scenario.actions],
        "story": section.story,
        "objectives": section.objectives,
        "expected": expected,
        "critical": critical,
        "outcome": [o.model_dump() for o in section.outcome],
    }


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: (float(v) if isinstance(v, float) and math.isfinite(v) else v) for k, v in fields.items()}


def load_case_text(text: str, case_id: str, source: str = "case") -> dict[str, Any]:
    """A case from YAML/JSON text (an uploaded file); CaseError on anything wrong."""
    if len(text.encode()) > MAX_CASE_BYTES:
        raise CaseError(f"{source}: a case file may be at most {MAX_CASE_BYTES // 1000} kB")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise CaseError(f"{source}: not valid YAML or JSON{where}") from None
    except RecursionError:
        raise CaseError(f"{source}: nested too deeply") from None
    return parse_case(data, case_id, source)


@lru_cache(maxsize=1)
def builtin_cases() -> dict[str, dict[str, Any]]:
    """The cases shipped with medverse, by id (file stem)."""
    root = Path(str(resources.files(__package__).joinpath("cases")))
    return {p.stem: load_case_text(p.read_text(), p.stem, p.name) for p in sorted(root.glob("*.yaml"))}


def case_summaries() -> list[dict[str, Any]]:
    """What the case picker lists."""
    return [
        {
            "id": c["id"],
            "title": c["title"],
            "summary": c["summary"],
            "objectives": c["objectives"],
            "duration_s": c["duration_s"],
        }
        for c in builtin_cases().values()
    ]
