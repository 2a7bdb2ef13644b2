"""The simulation bay's rules as pure functions, on a clock the test moves: cases, the clock,
actions checked for role and plausibility, scoring, and what students never see."""

from __future__ import annotations

from typing import Any

import pytest

from medverse.errors import Conflict, Forbidden, InvalidInput, NotFound
from medverse.simbay.rules import ACTION_LEAD_S, on_step, sim_now, simbay_rules
from medverse.spaces import core
from medverse.spaces.kinds import Actor, SpaceKind, State, Viewer

pytest.importorskip("medverse.physiology.interventions")

INES = Actor(1, "Dr Ines Moreau", "instructor")
SAM = Actor(2, "Sam Okafor", "participant")
KIM = Actor(3, "Kim Lindqvist", "observer")
EPI_IM = {"drug": "epinephrine", "dose": {"value": 0.5, "unit": "mg"}, "route": "IM"}


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def kind(clock: Clock) -> SpaceKind:
    return simbay_rules(now=clock)


@pytest.fixture
def state(kind: SpaceKind) -> State:
    s = kind.initial_state()
    for a in (INES, SAM, KIM):
        kind.apply(s, "member.role_changed", {"user_id": a.user_id, "role": a.role, "display_name": a.display_name})
    return s


def run(kind: SpaceKind, state: State, name: str, args: Any, actor: Actor) -> list[tuple[str, dict[str, Any]]]:
    return kind.run(state, name, args, actor)


def server(kind: SpaceKind, state: State, name: str, args: Any) -> list[tuple[str, dict[str, Any]]]:
    """An internal command, as the server's runner issues it."""
    return kind.run(state, name, args, Actor(0, "the simulation", "instructor", is_admin=True), trusted=True)


def started(kind: SpaceKind, state: State, clock: Clock, case: str = "anaphylaxis", speed: int = 1) -> State:
    run(kind, state, "sim.load_case", {"case_id": case}, INES)
    if speed != 1:
        run(kind, state, "sim.set_speed", {"speed": speed}, INES)
    run(kind, state, "sim.start", {}, INES)
    return state


def test_a_case_loads_with_its_script_hidden_from_students(kind: SpaceKind, state: State) -> None:
    [(name, data)] = run(
        kind, state, "sim.load_case", {"case_id": "anaphylaxis", "patient": {"age_yr": 70, "sex": "female"}}, INES
    )
    assert name == "sim.case_loaded"
    k = state["kind"]
    assert k["patients"][0]["patient"]["age_yr"] == 70 and k["patients"][0]["patient"]["sex"] == "female"
    assert [(a["name"], a["at_s"], a["hidden"]) for a in k["actions"]] == [("anaphylaxis", 30.0, True)]
    student = kind.state_for(state, Viewer(SAM.user_id, "participant"))["kind"]
    assert student["actions"] == [] and student["score"] is None
    assert "expected" not in student["case"] and "script" not in student["case"] and student["case"]["story"]
    seen = kind.event_for(name, data, Viewer(SAM.user_id, "participant"))
    assert "expected" not in seen["case"] and "critical" not in seen["case"]
    with pytest.raises(NotFound):
        run(kind, state, "sim.load_case", {"case_id": "no-such-case"}, INES)


def test_the_clock_follows_the_wall_clock_at_its_speed(kind: SpaceKind, state: State, clock: Clock) -> None:
    started(kind, state, clock, speed=10)
    clock.t += 3.0
    assert sim_now(state["kind"]["clock"], clock()) == pytest.approx(30.0)
    run(kind, state, "sim.pause", {}, INES)
    clock.t += 100.0
    assert sim_now(state["kind"]["clock"], clock()) == pytest.approx(30.0)
    with pytest.raises(InvalidInput, match="x1"):
        run(kind, state, "sim.set_speed", {"speed": 7}, INES)
    with pytest.raises(Conflict):
        run(kind, state, "sim.pause", {}, INES)


def test_a_students_action_is_stamped_ahead_on_an_engine_step_and_scored(kind: SpaceKind, state: State, clock: Clock) -> None:
    started(kind, state, clock)
    clock.t += 60.0  # anaphylaxis began at 30 s
    evs = run(kind, state, "sim.act", {"patient": "p1", "action": "drug_bolus", "fields": EPI_IM}, SAM)
    (name, action), (scored, met) = evs
    assert name == "sim.action" and action["at_s"] == on_step(60.0 + ACTION_LEAD_S) and not action["hidden"]
    assert action["fields"] == {"drug": "epinephrine", "dose": 500.0, "route": "IM"} and action["by"]["user_id"] == SAM.user_id
    assert scored == "sim.expected_met" and met["id"] == "epi_im" and met["status"] == "done"
    assert kind.event_for(scored, met, Viewer(SAM.user_id, "participant")) == {"redacted": True}
    assert state["kind"]["score"]["expected"]["epi_im"]["status"] == "done"


def test_late_missed_and_critical(kind: SpaceKind, state: State, clock: Clock) -> None:
    started(kind, state, clock)
    clock.t += 30.0 + 5 * 60 + 20  # oxygen expected within 5 min of the onset at 30 s
    evs = run(kind, state, "sim.act", {"patient": "p1", "action": "oxygen", "fields": {"device": "non_rebreather"}}, SAM)
    assert ("sim.expected_met", "late") in [(n, d.get("status")) for n, d in evs]
    evs = server(kind, state, "sim.checkpoint", {"at_s": 30.0 + 10 * 60 + 1, "vitals": {"p1": {"hr": 120.0}}})
    missed = [d["id"] for n, d in evs if n == "sim.expected_missed"]
    assert "fluids" in missed and "epi_im" in missed and "oxygen" not in missed
    iv = {"drug": "epinephrine", "dose": {"value": 1, "unit": "mg"}, "route": "IV"}
    evs = run(kind, state, "sim.act", {"patient": "p1", "action": "drug_bolus", "fields": iv}, SAM)
    assert [d["id"] for n, d in evs if n == "sim.critical_error"] == ["epi_iv"]
    small = {"drug": "epinephrine", "dose": {"value": 0.05, "unit": "mg"}, "route": "IV"}
    evs = run(kind, state, "sim.act", {"patient": "p1", "action": "drug_bolus", "fields": small}, SAM)
    assert not [n for n, _ in evs if n == "sim.critical_error"]


@pytest.mark.parametrize(
    ("action", "fields", "error", "match"),
    [
        ("drug_bolus", {"drug": "epinephrine", "dose": {"value": 1, "unit": "mL"}}, InvalidInput, "unit"),
        ("drug_bolus", {"drug": "adrenalinee", "dose": {"value": 1, "unit": "mg"}}, InvalidInput, "unknown drug"),
        ("drug_bolus", {"drug": "epinephrine", "dose": {"value": 50, "unit": "mg"}}, InvalidInput, "ten times"),
        ("drug_bolus", {"drug": "epinephrine", "dose": {"value": 1, "unit": "mg"}, "route": "PO"}, InvalidInput, "route"),
        ("drug_bolus", {"drug": "epinephrine", "dose": {"value": -1, "unit": "mg"}}, InvalidInput, "dose"),
        ("oxygen", {"device": "nasal_cannula", "flow": {"value": 15, "unit": "L/min"}}, InvalidInput, "flow"),
        ("teleport", {}, InvalidInput, "unknown action"),
        ("sepsis", {"severity": 0.5}, InvalidInput, "only an instructor"),
    ],
)
def test_bad_actions_are_refused_with_the_reason(
    kind: SpaceKind, state: State, clock: Clock, action: str, fields: dict[str, Any], error: type[Exception], match: str
) -> None:
    started(kind, state, clock)
    clock.t += 10
    before = len(state["kind"]["actions"])
    with pytest.raises(error, match=match):
        run(kind, state, "sim.act", {"patient": "p1", "action": action, "fields": fields}, SAM)
    assert len(state["kind"]["actions"]) == before


def test_roles_and_patients(kind: SpaceKind, state: State, clock: Clock) -> None:
    with pytest.raises(Conflict, match="no case"):
        run(kind, state, "sim.act", {"patient": "p1", "action": "cpr", "fields": {}}, SAM)
    started(kind, state, clock)
    with pytest.raises(NotFound, match="no patient 'p9'"):
        run(kind, state, "sim.act", {"patient": "p9", "action": "cpr", "fields": {}}, SAM)
    for name, args in (
        ("sim.inject", {"patient": "p1", "action": "sepsis", "fields": {"severity": 0.5}}),
        ("sim.pause", {}),
        ("sim.note", {"text": "x"}),
    ):
        with pytest.raises(Forbidden):
            run(kind, state, name, args, SAM)
    with pytest.raises(Forbidden):
        run(kind, state, "sim.act", {"patient": "p1", "action": "cpr", "fields": {}}, KIM)  # observers watch
    with pytest.raises(Forbidden):  # internal: only the server's runner
        kind.decide(state, "sim.checkpoint", {"at_s": 1.0, "vitals": {}}, INES)


def test_an_instructor_schedules_an_injection_students_see_only_when_it_happens(
    kind: SpaceKind, state: State, clock: Clock
) -> None:
    started(kind, state, clock, case="tension_pneumothorax")
    [(name, data)] = run(
        kind,
        state,
        "sim.inject",
        {
            "patient": "p1",
            "action": "hemorrhage",
            "fields": {"site": "left_leg", "rate": {"value": 200, "unit": "mL/min"}},
            "in_s": 120,
        },
        INES,
    )
    assert data["hidden"] and data["at_s"] == 120.0
    assert kind.event_for(name, data, Viewer(SAM.user_id, "participant")) == {"redacted": True}
    [(name, data)] = server(kind, state, "sim.reveal", {"ids": [data["id"]]})
    assert name == "sim.revealed" and data["actions"][0]["hidden"] is False
    student = kind.state_for(state, Viewer(SAM.user_id, "participant"))["kind"]
    assert [a["name"] for a in student["actions"]] == ["hemorrhage"]


def test_the_end_stops_the_clock_and_grades_what_is_left(kind: SpaceKind, state: State, clock: Clock) -> None:
    started(kind, state, clock)
    evs = server(kind, state, "sim.end", {"at_s": 1200.0, "outcome": [{"label": "SpO2", "met": True}]})
    names = [n for n, _ in evs]
    assert names[0] == "sim.clock" and names[-1] == "sim.ended" and names.count("sim.expected_missed") == 3
    assert state["kind"]["clock"]["running"] is False
    with pytest.raises(Conflict, match="ended"):
        run(kind, state, "sim.act", {"patient": "p1", "action": "cpr", "fields": {}}, SAM)
    run(kind, state, "sim.reset", {}, INES)
    assert state["kind"]["finished"] is None and state["kind"]["score"]["expected"] == {}


def test_core_commands_still_work_in_a_bay(kind: SpaceKind, state: State) -> None:
    assert "chat.send" in core.COMMANDS
    run(kind, state, "chat.send", {"text": "ready when you are"}, SAM)
    assert state["chat"][-1]["text"] == "ready when you are"


def test_the_instructor_shows_a_past_moment_while_paused(kind: SpaceKind, state: State, clock: Clock) -> None:
    started(kind, state, clock)
    clock.t += 120
    with pytest.raises(Conflict, match="pause"):
        run(kind, state, "sim.replay", {"at_s": 60.0}, INES)
    run(kind, state, "sim.pause", {}, INES)
    with pytest.raises(InvalidInput, match="reached 120"):
        run(kind, state, "sim.replay", {"at_s": 500.0}, INES)
    with pytest.raises(Forbidden):
        run(kind, state, "sim.replay", {"at_s": 60.0}, SAM)
    run(kind, state, "sim.replay", {"at_s": 60.0}, INES)
    assert state["kind"]["replay"] == 60.0
    evs = run(kind, state, "sim.start", {}, INES)  # going on clears the replay first
    assert [n for n, _ in evs] == ["sim.replay_set", "sim.clock"] and state["kind"]["replay"] is None
