"""The rules of the "simbay" space kind: a team treats virtual patients while an instructor runs
the case (docs/simbay.md).

Pure but for the clock: the simulation time of a running case follows the wall clock
(``sim_s + (now - wall_ts) * speed``), read through the ``now`` function handed to
:func:`simbay_rules` (tests hand in their own). Every action is stamped with the simulation
time at which the engine applies it (``at_s``), so the log alone reproduces the case bit for bit:
the runner (:mod:`medverse.simbay.runner`) re-simulates from the start, applying each action at
its ``at_s``.

Kind state (``state["kind"]``)::

    case        None, or the loaded case (medverse.simbay.cases.parse_case); students do not see
                its expected actions, critical errors and outcome criteria
    patients    [{id, label, patient: {sex, age_yr, height_cm, weight_kg, copd, chronic_anemia},
                  seed, triage}]
    clock       {running, speed, sim_s, wall_ts}: the simulation time is sim_s at wall_ts
    finished    None, or {at_s, outcome: [{label, measure, op, value, observed, met}]}
    actions     [{id, patient, at_s, name, fields, by, source, hidden}]: everything applied to
                the engine (source: script, instructor or team); hidden until the engine
                reaches them (scripted and scheduled injections); students never see hidden ones
    labs        [{id, patient, at_s, ready_s, by, results}]   (results None until ready)
    findings    [{id, patient, what, at_s, by, text}]         (text None until examined)
    said        [{patient, text, at_s}]: the instructor speaking as the patient
    notes       [{text, at_s, by}]                  (instructors only)
    checkpoints [{at_s, vitals: {patient id: {hr, sbp, ...}}}]: for the debrief's plots
    replay      None, or the past moment (s) the instructor shows everyone (re-simulated from the
                log; the monitor and the patients show it instead of the live case)
    score       {expected: {id: {status, at_s, by}}, critical: [{id, label, at_s, by, action}]}
                (instructors only; status pending, done, late or missed)
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from medverse.auth.roles import INSTRUCTOR, PARTICIPANT
from medverse.errors import Conflict, InvalidInput, NotFound
from medverse.spaces.kinds import Actor, Command, EventSpec, SpaceKind, State, Viewer

KIND = "simbay"
SPEEDS = (1, 2, 5, 10, 30, 60)
MAX_PATIENTS = 20
MAX_ACTIONS = 5000
MAX_CHECKPOINTS = 3000
ACTION_LEAD_S = 0.3  # wall seconds ahead of "now" at which an action reaches the engine
STEP_S = 0.001  # the engine's step: every at_s is a whole number of steps
LAB_DELAY_S = 120.0  # simulated seconds from drawing blood to the blood gas result
EXAMS = ("breath_sounds", "pupils", "capillary_refill", "skin", "airway", "pulse")
TRIAGE = ("red", "yellow", "green", "black")
# what the instructor starts (the patient's conditions); everything else is treatment
CONDITIONS = frozenset(
    {
        "hemorrhage",
        "stop_hemorrhage",
        "tension_pneumothorax",
        "open_pneumothorax",
        "asthma_attack",
        "anaphylaxis",
        "sepsis",
        "airway_obstruction",
        "apnea",
        "opioid_overdose",
        "set_rhythm",
    }
)
# the largest single bolus the bay accepts per drug, in ug: ten times a large clinical dose;
# beyond it the dose is a typing error, refused (below it a wrong dose is graded, not refused)
MAX_BOLUS_UG = {
    "epinephrine": 10_000.0,
    "norepinephrine": 1_000.0,
    "fentanyl": 2_000.0,
    "morphine": 100_000.0,
    "naloxone": 20_000.0,
    "succinylcholine": 300_000.0,
    "rocuronium": 200_000.0,
}
HIDDEN_EVENTS = frozenset({"sim.noted", "sim.expected_met", "sim.expected_missed", "sim.critical_error"})


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PatientArgs(_Args):
    sex: Literal["male", "female"] | None = None
    age_yr: float | None = Field(default=None, ge=18, le=100, allow_inf_nan=False)
    height_cm: float | None = Field(default=None, ge=120, le=230, allow_inf_nan=False)
    weight_kg: float | None = Field(default=None, ge=35, le=250, allow_inf_nan=False)
    copd: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    chronic_anemia: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)


class LoadCase(_Args):
    case_id: str = Field(pattern=r"^[a-z0-9_-]{1,60}$")
    patient: PatientArgs | None = None


class AddPatient(_Args):
    label: str = Field(min_length=1, max_length=40)
    patient: PatientArgs | None = None
    seed: int | None = Field(default=None, ge=0, le=2**31)


class Empty(_Args):
    pass


class SetSpeed(_Args):
    speed: int


class Act(_Args):
    patient: str = Field(max_length=20)
    action: str = Field(max_length=40)
    fields: dict[str, Any] = Field(default_factory=dict, max_length=10)


class Inject(Act):
    in_s: float = Field(default=0.0, ge=0, le=24 * 3600, allow_inf_nan=False)


class Note(_Args):
    text: str = Field(min_length=1, max_length=2000)


class Say(_Args):
    patient: str = Field(max_length=20)
    text: str = Field(min_length=1, max_length=500)


class Labs(_Args):
    patient: str = Field(max_length=20)


class Examine(_Args):
    patient: str = Field(max_length=20)
    what: Literal["breath_sounds", "pupils", "capillary_refill", "skin", "airway", "pulse"]


class Triage(_Args):
    patient: str = Field(max_length=20)
    tag: Literal["red", "yellow", "green", "black"] | None


class Reveal(_Args):
    ids: list[str] = Field(max_length=MAX_ACTIONS)


class LabResult(_Args):
    id: str
    results: dict[str, float]


class Finding(_Args):
    id: str
    text: str = Field(max_length=500)


class Checkpoint(_Args):
    at_s: float = Field(ge=0, allow_inf_nan=False)
    vitals: dict[str, dict[str, float]]


class Ended(_Args):
    at_s: float = Field(ge=0, allow_inf_nan=False)
    outcome: list[dict[str, Any]]


class UploadedCase(_Args):
    case: dict[str, Any]


class Replay(_Args):
    at_s: float | None = Field(ge=0, allow_inf_nan=False)


class Resume(_Args):
    sim_s: float = Field(ge=0, allow_inf_nan=False)


class CaseCatalogue:
    """Where cases come from (the built-in library; tests may hand in their own)."""

    def __init__(self, cases: Callable[[], dict[str, dict[str, Any]]] | None = None) -> None:
        self._cases = cases

    def get(self, case_id: str) -> dict[str, Any]:
        if self._cases is None:
            from medverse.simbay.cases import builtin_cases

            self._cases = builtin_cases
        case = self._cases().get(case_id)
        if case is None:
            raise NotFound(f"no case {case_id!r} in the library")
        return case


def initial() -> State:
    return {
        "case": None,
        "patients": [],
        "clock": {"running": False, "speed": 1, "sim_s": 0.0, "wall_ts": 0.0},
        "finished": None,
        "actions": [],
        "labs": [],
        "findings": [],
        "said": [],
        "notes": [],
        "checkpoints": [],
        "score": {"expected": {}, "critical": []},
        "replay": None,
    }


def sim_now(clock: dict[str, Any], wall: float) -> float:
    """The simulation time at wall time ``wall``."""
    if not clock["running"]:
        return float(clock["sim_s"])
    return float(clock["sim_s"]) + max(0.0, wall - float(clock["wall_ts"])) * int(clock["speed"])


def on_step(t: float) -> float:
    """``t`` rounded up to a whole engine step (so replays apply an action at the same step)."""
    return round(math.ceil(round(t / STEP_S, 6)) * STEP_S, 3)


def _kind(state: State) -> dict[str, Any]:
    kind: dict[str, Any] = state["kind"]
    return kind


def _patient(kind: dict[str, Any], pid: str) -> dict[str, Any]:
    for p in kind["patients"]:
        if p["id"] == pid:
            return p
    names = ", ".join(p["id"] for p in kind["patients"]) or "none"
    raise NotFound(f"no patient {pid!r} in this bay (patients: {names})")


def _need_case(kind: dict[str, Any]) -> dict[str, Any]:
    case = kind["case"]
    if case is None:
        raise Conflict("no case is loaded; an instructor picks one first")
    return case


def _patient_dict(base: dict[str, Any], args: PatientArgs | None) -> dict[str, Any]:
    out = dict(base)
    if args is not None:
        out.update({k: v for k, v in args.model_dump().items() if v is not None})
    return out


def simbay_rules(catalogue: CaseCatalogue | None = None, now: Callable[[], float] = time.time) -> SpaceKind:
    """The kind's rules, with the case library and the wall clock they read."""
    cases = catalogue or CaseCatalogue()

    def check_action(kind: dict[str, Any], args: Act, allowed: frozenset[str] | None) -> tuple[dict[str, Any], Any]:
        from medverse.physiology import InvalidAction, make_action
        from medverse.physiology.interventions import SPECS

        patient = _patient(kind, args.patient)
        if args.action not in SPECS:
            raise InvalidInput(f"unknown action {args.action!r}; the engine knows: {', '.join(sorted(SPECS))}")
        if allowed is not None and args.action not in allowed:
            raise InvalidInput(f"{args.action} is a condition only an instructor can start (inject it from the console)")
        try:
            action = make_action(args.action, args.fields, 0.0, float(patient["patient"]["weight_kg"]))
        except InvalidAction as exc:
            raise InvalidInput(str(exc)) from None
        if action.name == "drug_bolus":
            cap = MAX_BOLUS_UG.get(action.fields["drug"])
            if cap is not None and action.fields["dose"] > cap:
                raise InvalidInput(
                    f"drug_bolus: {action.fields['dose'] / 1000:g} mg of {action.fields['drug']} is more than ten times "
                    f"any clinical dose ({cap / 1000:g} mg); check the dose and its unit"
                )
        return patient, action

    def running_case(state: State) -> tuple[dict[str, Any], float]:
        kind = _kind(state)
        _need_case(kind)
        if kind["finished"] is not None:
            raise Conflict("the case has ended; the instructor can reset it or load another")
        return kind, sim_now(kind["clock"], now())

    def action_event(kind: dict[str, Any], args: Act, action: Any, at_s: float, actor: Actor, source: str) -> EventSpec:
        if len(kind["actions"]) >= MAX_ACTIONS:
            raise Conflict(f"this case holds {MAX_ACTIONS} actions already")
        entry = {
            "id": f"a{len(kind['actions']) + 1}",
            "patient": args.patient,
            "at_s": at_s,
            "name": action.name,
            "fields": dict(action.fields),
            "label": action.describe(),
            "by": actor.public(),
            "source": source,
            "hidden": source != "team" and at_s > sim_now(kind["clock"], now()) + 1e-9,
        }
        return ("sim.action", entry)

    def lead(kind: dict[str, Any], t: float) -> float:
        clock = kind["clock"]
        return on_step(t + (ACTION_LEAD_S * int(clock["speed"]) if clock["running"] else 0.0))

    # --- instructor: the case and the clock ----------------------------------------------------
    def load_case(state: State, args: LoadCase, actor: Actor) -> list[EventSpec]:
        case = cases.get(args.case_id)
        patient = _patient_dict(case["patient"], args.patient)
        return [
            (
                "sim.case_loaded",
                {
                    "case": case,
                    "patients": [{"id": "p1", "label": "Patient", "patient": patient, "seed": case["seed"], "triage": None}],
                },
            )
        ]

    def load_uploaded(state: State, args: UploadedCase, actor: Actor) -> list[EventSpec]:
        case = args.case  # checked by medverse.simbay.cases.load_case_text in the upload route
        patient = {"id": "p1", "label": "Patient", "patient": case["patient"], "seed": case["seed"], "triage": None}
        return [("sim.case_loaded", {"case": case, "patients": [patient]})]

    def reset(state: State, args: Empty, actor: Actor) -> list[EventSpec]:
        kind = _kind(state)
        case = _need_case(kind)
        patients = [dict(p, triage=None) for p in kind["patients"]]
        return [("sim.case_loaded", {"case": case, "patients": patients})]

    def add_patient(state: State, args: AddPatient, actor: Actor) -> list[EventSpec]:
        kind = _kind(state)
        case = _need_case(kind)
        if kind["clock"]["sim_s"] > 0 or kind["clock"]["running"]:
            raise Conflict("add patients before the case starts (reset it first)")
        if len(kind["patients"]) >= MAX_PATIENTS:
            raise Conflict(f"a bay holds at most {MAX_PATIENTS} patients")
        n = len(kind["patients"]) + 1
        seed = args.seed if args.seed is not None else int(case["seed"]) * 1000 + n
        patient = {
            "id": f"p{n}",
            "label": args.label,
            "patient": _patient_dict(case["patient"], args.patient),
            "seed": seed,
            "triage": None,
        }
        return [("sim.patient_added", {"patient": patient})]

    def clock_event(kind: dict[str, Any], running: bool, speed: int) -> EventSpec:
        t = now()
        return ("sim.clock", {"running": running, "speed": speed, "sim_s": on_step(sim_now(kind["clock"], t)), "wall_ts": t})

    def start(state: State, args: Empty, actor: Actor) -> list[EventSpec]:
        kind, _t = running_case(state)
        if kind["clock"]["running"]:
            raise Conflict("the case is running already")
        back: list[EventSpec] = [("sim.replay_set", {"at_s": None})] if kind.get("replay") is not None else []
        return [*back, clock_event(kind, True, int(kind["clock"]["speed"]))]

    def replay(state: State, args: Replay, actor: Actor) -> list[EventSpec]:
        kind = _kind(state)
        _need_case(kind)
        if args.at_s is not None:
            if kind["clock"]["running"]:
                raise Conflict("pause the case to show a past moment")
            reached = float(kind["finished"]["at_s"]) if kind["finished"] else sim_now(kind["clock"], now())
            if args.at_s > reached + 1e-6:
                raise InvalidInput(
                    f"the case has reached {reached:.0f} s; a replay shows a moment up to then (got {args.at_s:.0f} s)"
                )
        return [("sim.replay_set", {"at_s": None if args.at_s is None else on_step(args.at_s)})]

    def pause(state: State, args: Empty, actor: Actor) -> list[EventSpec]:
        kind, _t = running_case(state)
        if not kind["clock"]["running"]:
            raise Conflict("the case is paused already")
        return [clock_event(kind, False, int(kind["clock"]["speed"]))]

    def set_speed(state: State, args: SetSpeed, actor: Actor) -> list[EventSpec]:
        kind, _t = running_case(state)
        if args.speed not in SPEEDS:
            raise InvalidInput(f"speed must be one of {', '.join(f'x{s}' for s in SPEEDS)} (got {args.speed})")
        return [clock_event(kind, bool(kind["clock"]["running"]), args.speed)]

    def inject(state: State, args: Inject, actor: Actor) -> list[EventSpec]:
        kind, t = running_case(state)
        _patient, action = check_action(kind, args, None)
        at_s = lead(kind, t) if args.in_s == 0 else on_step(t + args.in_s)
        return [action_event(kind, args, action, at_s, actor, "instructor")]

    def note(state: State, args: Note, actor: Actor) -> list[EventSpec]:
        kind = _kind(state)
        _need_case(kind)
        return [("sim.noted", {"text": args.text, "at_s": on_step(sim_now(kind["clock"], now())), "by": actor.public()})]

    def say(state: State, args: Say, actor: Actor) -> list[EventSpec]:
        kind = _kind(state)
        _need_case(kind)
        _patient(kind, args.patient)
        return [("sim.said", {"patient": args.patient, "text": args.text, "at_s": on_step(sim_now(kind["clock"], now()))})]

    # --- the team -------------------------------------------------------------------------------
    def act(state: State, args: Act, actor: Actor) -> list[EventSpec]:
        kind, t = running_case(state)
        if not kind["clock"]["running"] and kind["clock"]["sim_s"] == 0:
            raise Conflict("the case has not started yet; wait for the instructor")
        _patient, action = check_action(kind, args, None if actor.role == INSTRUCTOR else _team_actions())
        at_s = lead(kind, t)
        entry = action_event(kind, args, action, at_s, actor, "team")
        return [entry, *score_action(kind, entry[1])]

    def score_action(kind: dict[str, Any], entry: dict[str, Any]) -> list[EventSpec]:
        case = kind["case"]
        out: list[EventSpec] = []
        done = kind["score"]["expected"]
        for exp in case["expected"]:
            if done.get(exp["id"], {}).get("status") in ("done", "late") or not _matches(exp, entry):
                continue
            status = "done"
            if exp["after"] is not None and exp["within_s"] is not None:
                onset = _onset(kind, exp["after"], entry["patient"])
                if onset is not None and entry["at_s"] - onset > exp["within_s"]:
                    status = "late"
            out.append(
                (
                    "sim.expected_met",
                    {"id": exp["id"], "status": status, "at_s": entry["at_s"], "by": entry["by"], "action": entry["id"]},
                )
            )
        for crit in case["critical"]:
            if _matches(crit, entry) and (
                crit.get("min") is None or entry["fields"].get(crit["min"]["field"], 0) >= crit["min"]["value"]
            ):
                out.append(
                    (
                        "sim.critical_error",
                        {
                            "id": crit["id"],
                            "label": crit["label"],
                            "at_s": entry["at_s"],
                            "by": entry["by"],
                            "action": entry["id"],
                        },
                    )
                )
        return out

    def draw_labs(state: State, args: Labs, actor: Actor) -> list[EventSpec]:
        kind, t = running_case(state)
        _patient(kind, args.patient)
        at_s = lead(kind, t)
        lab = {
            "id": f"l{len(kind['labs']) + 1}",
            "patient": args.patient,
            "at_s": at_s,
            "ready_s": at_s + LAB_DELAY_S,
            "by": actor.public(),
            "results": None,
        }
        return [("sim.labs_drawn", lab)]

    def examine(state: State, args: Examine, actor: Actor) -> list[EventSpec]:
        kind, t = running_case(state)
        _patient(kind, args.patient)
        finding = {
            "id": f"f{len(kind['findings']) + 1}",
            "patient": args.patient,
            "what": args.what,
            "at_s": lead(kind, t),
            "by": actor.public(),
            "text": None,
        }
        return [("sim.examined", finding)]

    def triage(state: State, args: Triage, actor: Actor) -> list[EventSpec]:
        kind = _kind(state)
        _need_case(kind)
        _patient(kind, args.patient)
        return [("sim.triaged", {"patient": args.patient, "tag": args.tag, "by": actor.public()})]

    # --- the server (the runner) ----------------------------------------------------------------
    def reveal(state: State, args: Reveal, actor: Actor) -> list[EventSpec]:
        kind = _kind(state)
        wanted = set(args.ids)
        found = [a for a in kind["actions"] if a["id"] in wanted and a["hidden"]]
        return [("sim.revealed", {"actions": [dict(a, hidden=False) for a in found]})] if found else []

    def lab_result(state: State, args: LabResult, actor: Actor) -> list[EventSpec]:
        kind = _kind(state)
        if not any(lab["id"] == args.id and lab["results"] is None for lab in kind["labs"]):
            raise NotFound(f"no pending lab {args.id}")
        return [("sim.lab_result", {"id": args.id, "results": args.results})]

    def finding(state: State, args: Finding, actor: Actor) -> list[EventSpec]:
        kind = _kind(state)
        if not any(f["id"] == args.id and f["text"] is None for f in kind["findings"]):
            raise NotFound(f"no pending examination {args.id}")
        return [("sim.finding", {"id": args.id, "text": args.text})]

    def checkpoint(state: State, args: Checkpoint, actor: Actor) -> list[EventSpec]:
        kind = _kind(state)
        _need_case(kind)
        out: list[EventSpec] = [("sim.checkpoint", {"at_s": args.at_s, "vitals": args.vitals})]
        done = kind["score"]["expected"]
        for exp in kind["case"]["expected"]:
            if exp["id"] in done or exp["after"] is None or exp["within_s"] is None:
                continue
            onsets = [o for o in (_onset(kind, exp["after"], p["id"]) for p in kind["patients"]) if o is not None]
            if onsets and args.at_s > min(onsets) + exp["within_s"]:
                out.append(("sim.expected_missed", {"id": exp["id"], "at_s": min(onsets) + exp["within_s"]}))
        return out

    def ended(state: State, args: Ended, actor: Actor) -> list[EventSpec]:
        kind = _kind(state)
        _need_case(kind)
        if kind["finished"] is not None:
            return []
        out: list[EventSpec] = [
            ("sim.clock", {"running": False, "speed": kind["clock"]["speed"], "sim_s": args.at_s, "wall_ts": now()})
        ]
        for exp in kind["case"]["expected"]:
            if exp["id"] not in kind["score"]["expected"]:
                out.append(("sim.expected_missed", {"id": exp["id"], "at_s": args.at_s}))
        out.append(("sim.ended", {"at_s": args.at_s, "outcome": args.outcome}))
        return out

    def resume(state: State, args: Resume, actor: Actor) -> list[EventSpec]:
        kind = _kind(state)
        _need_case(kind)
        return [
            (
                "sim.clock",
                {
                    "running": bool(kind["clock"]["running"]),
                    "speed": kind["clock"]["speed"],
                    "sim_s": args.sim_s,
                    "wall_ts": now(),
                },
            )
        ]

    kind = SpaceKind(
        name=KIND,
        title="Simulation bay",
        description="A team treats a virtual patient driven by the physiology engine while an instructor runs the case.",
        initial=initial,
        view_state=_view_state,
        view_event=_view_event,
    )
    for cmd in (
        Command("sim.load_case", LoadCase, INSTRUCTOR, load_case, "load a case from the library (resets the bay)"),
        Command("sim.reset", Empty, INSTRUCTOR, reset, "start the loaded case again from the beginning"),
        Command("sim.add_patient", AddPatient, INSTRUCTOR, add_patient, "add a patient before the case starts"),
        Command("sim.start", Empty, INSTRUCTOR, start, "run the clock"),
        Command("sim.pause", Empty, INSTRUCTOR, pause, "stop the clock"),
        Command("sim.set_speed", SetSpeed, INSTRUCTOR, set_speed, "run faster than real time (x1 to x60)"),
        Command("sim.inject", Inject, INSTRUCTOR, inject, "start a condition or event now or in some seconds"),
        Command("sim.note", Note, INSTRUCTOR, note, "a private note on the timeline"),
        Command("sim.say", Say, INSTRUCTOR, say, "speak as the patient"),
        Command("sim.replay", Replay, INSTRUCTOR, replay, "show everyone a past moment (null: back to live)"),
        Command("sim.act", Act, PARTICIPANT, act, "treat a patient (drug, fluid, oxygen, airway, shock, CPR ...)"),
        Command("sim.labs", Labs, PARTICIPANT, draw_labs, "draw a blood gas (results after a delay)"),
        Command("sim.examine", Examine, PARTICIPANT, examine, "examine a patient"),
        Command("sim.triage", Triage, PARTICIPANT, triage, "tag a casualty"),
        Command("sim.reveal", Reveal, INSTRUCTOR, reveal, "the engine reached scheduled actions", internal=True),
        Command("sim.lab_result", LabResult, INSTRUCTOR, lab_result, "a blood gas result is ready", internal=True),
        Command("sim.finding", Finding, INSTRUCTOR, finding, "what an examination found", internal=True),
        Command("sim.checkpoint", Checkpoint, INSTRUCTOR, checkpoint, "vital signs for the debrief", internal=True),
        Command("sim.end", Ended, INSTRUCTOR, ended, "the case reached its end", internal=True),
        Command("sim.resume", Resume, INSTRUCTOR, resume, "the server restarted: go on from a checkpoint", internal=True),
        Command(
            "sim.load_uploaded", UploadedCase, INSTRUCTOR, load_uploaded, "load a checked, uploaded case file", internal=True
        ),
    ):
        kind.command(cmd)
    for name, fn in APPLIERS.items():
        kind.applier(name)(fn)
    return kind


@functools.cache
def _team_actions() -> frozenset[str]:
    """The engine's actions a team may take: all but the conditions an instructor starts (read
    on first use, so that loading the rules does not load the engine)."""
    from medverse.physiology.interventions import SPECS

    return frozenset(set(SPECS) - CONDITIONS)


def _matches(item: dict[str, Any], entry: dict[str, Any]) -> bool:
    if item["action"] != entry["name"]:
        return False
    return all(str(entry["fields"].get(k)) == v for k, v in item.get("match", {}).items())


def _onset(kind: dict[str, Any], condition: str, patient: str) -> float | None:
    times = [a["at_s"] for a in kind["actions"] if a["name"] == condition and a["patient"] == patient and a["source"] != "team"]
    return min(times) if times else None


# --- appliers ------------------------------------------------------------------------------------
def _add_script(kind: dict[str, Any], patient: str) -> None:
    """The case's scripted conditions for one patient, hidden until the engine reaches them
    (a student's copy of the case has no script: nothing is added there)."""
    for a in (kind["case"] or {}).get("script", []):
        kind["actions"].append(
            {
                "id": f"a{len(kind['actions']) + 1}",
                "patient": patient,
                "at_s": a["at_s"],
                "name": a["name"],
                "fields": dict(a["fields"]),
                "label": a["name"].replace("_", " "),
                "by": None,
                "source": "script",
                "hidden": True,
            }
        )


def _case_loaded(state: State, data: dict[str, Any]) -> None:
    kind = _kind(state)
    kind.update(initial())
    kind["case"] = data["case"]
    kind["patients"] = [dict(p) for p in data["patients"]]
    for p in kind["patients"]:
        _add_script(kind, p["id"])


def _patient_added(state: State, data: dict[str, Any]) -> None:
    kind = _kind(state)
    patient = dict(data["patient"])
    kind["patients"].append(patient)
    _add_script(kind, patient["id"])


def _clock(state: State, data: dict[str, Any]) -> None:
    _kind(state)["clock"] = dict(data)


def _action(state: State, data: dict[str, Any]) -> None:
    if data.get("redacted"):
        return
    _kind(state)["actions"].append(dict(data))


def _revealed(state: State, data: dict[str, Any]) -> None:
    kind = _kind(state)
    by_id = {a["id"]: a for a in kind["actions"]}
    for a in data["actions"]:
        if a["id"] in by_id:
            by_id[a["id"]]["hidden"] = False
        else:  # a student's copy never had the hidden action
            kind["actions"].append(dict(a))
    kind["actions"].sort(key=lambda a: (a["at_s"], int(a["id"][1:])))


def _labs_drawn(state: State, data: dict[str, Any]) -> None:
    _kind(state)["labs"].append(dict(data))


def _lab_result(state: State, data: dict[str, Any]) -> None:
    for lab in _kind(state)["labs"]:
        if lab["id"] == data["id"]:
            lab["results"] = dict(data["results"])


def _examined(state: State, data: dict[str, Any]) -> None:
    _kind(state)["findings"].append(dict(data))


def _finding(state: State, data: dict[str, Any]) -> None:
    for f in _kind(state)["findings"]:
        if f["id"] == data["id"]:
            f["text"] = data["text"]


def _said(state: State, data: dict[str, Any]) -> None:
    said = _kind(state)["said"]
    said.append(dict(data))
    del said[:-50]


def _noted(state: State, data: dict[str, Any]) -> None:
    if not data.get("redacted"):
        _kind(state)["notes"].append(dict(data))


def _triaged(state: State, data: dict[str, Any]) -> None:
    for p in _kind(state)["patients"]:
        if p["id"] == data["patient"]:
            p["triage"] = data["tag"]


def _checkpoint(state: State, data: dict[str, Any]) -> None:
    points = _kind(state)["checkpoints"]
    points.append(dict(data))
    del points[:-MAX_CHECKPOINTS]


def _expected_met(state: State, data: dict[str, Any]) -> None:
    if not data.get("redacted"):
        _kind(state)["score"]["expected"][data["id"]] = {"status": data["status"], "at_s": data["at_s"], "by": data["by"]}


def _expected_missed(state: State, data: dict[str, Any]) -> None:
    if not data.get("redacted"):
        _kind(state)["score"]["expected"].setdefault(data["id"], {"status": "missed", "at_s": data["at_s"], "by": None})


def _critical(state: State, data: dict[str, Any]) -> None:
    if not data.get("redacted"):
        _kind(state)["score"]["critical"].append(dict(data))


def _replay_set(state: State, data: dict[str, Any]) -> None:
    _kind(state)["replay"] = data["at_s"]


def _ended(state: State, data: dict[str, Any]) -> None:
    _kind(state)["finished"] = {"at_s": data["at_s"], "outcome": data["outcome"]}


APPLIERS = {
    "sim.case_loaded": _case_loaded,
    "sim.patient_added": _patient_added,
    "sim.clock": _clock,
    "sim.action": _action,
    "sim.revealed": _revealed,
    "sim.labs_drawn": _labs_drawn,
    "sim.lab_result": _lab_result,
    "sim.examined": _examined,
    "sim.finding": _finding,
    "sim.said": _said,
    "sim.noted": _noted,
    "sim.triaged": _triaged,
    "sim.checkpoint": _checkpoint,
    "sim.expected_met": _expected_met,
    "sim.expected_missed": _expected_missed,
    "sim.critical_error": _critical,
    "sim.ended": _ended,
    "sim.replay_set": _replay_set,
}


# --- what students see ---------------------------------------------------------------------------
def _public_case(case: dict[str, Any] | None) -> dict[str, Any] | None:
    if case is None:
        return None
    return {k: v for k, v in case.items() if k not in ("expected", "critical", "outcome", "script")}


def _view_state(kind: State, viewer: Viewer) -> State:
    if viewer.role == INSTRUCTOR:
        return kind
    return {
        **kind,
        "case": _public_case(kind["case"]),
        "actions": [a for a in kind["actions"] if not a["hidden"]],
        "notes": [],
        "score": None,
    }


def _view_event(name: str, data: dict[str, Any], viewer: Viewer) -> dict[str, Any]:
    if viewer.role == INSTRUCTOR:
        return data
    if name in HIDDEN_EVENTS or (name == "sim.action" and data.get("hidden")):
        return {"redacted": True}
    if name == "sim.case_loaded":
        return {**data, "case": _public_case(data["case"])}
    return data


__all__ = ["CONDITIONS", "SPEEDS", "CaseCatalogue", "on_step", "sim_now", "simbay_rules"]
