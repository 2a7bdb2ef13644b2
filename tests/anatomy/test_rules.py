"""The anatomy kind's rules without a server: every command's role, schema and state checks, the
study library, and what each viewer may see of a quiz."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from medverse.anatomy.rules import MAX_MEASURES, anatomy_rules
from medverse.errors import Conflict, Forbidden, InvalidInput, NotFound
from medverse.spaces import core
from medverse.spaces.kinds import Actor, EventSpec, SpaceKind, State, Viewer

INES = Actor(1, "Dr Ines Moreau", "instructor")
SAM = Actor(2, "Sam Okafor", "participant")
KIM = Actor(3, "Kim Lindqvist", "observer")
ANA = Actor(4, "Ana Ruiz", "participant")
ACTORS = {"instructor": INES, "participant": SAM, "observer": KIM}


def study(study_id: str, *, has_volume: bool = True) -> dict[str, Any]:
    structures = [
        {"label": 5, "name": "liver", "color": [220, 110, 90], "volume_ml": 1500.0, "area_cm2": 900.0, "triangles": 400},
        {"label": 1, "name": "spleen", "color": [160, 60, 120], "volume_ml": 200.0, "area_cm2": 250.0, "triangles": 200},
        {"label": 52, "name": "aorta", "color": [200, 30, 30], "volume_ml": 90.0, "area_cm2": 180.0, "triangles": 100},
    ]
    return {
        "id": study_id,
        "title": f"Study {study_id}",
        "modality": "CT",
        "credit": "test data",
        "has_volume": has_volume,
        "triangles": 700,
        "structures": structures,
    }


class Catalogue:
    """The study library as the rules see it: a summary per study id."""

    def __init__(self, *studies: dict[str, Any]) -> None:
        self.studies = {s["id"]: s for s in studies}
        self.asked: list[str] = []

    def summary(self, study_id: str) -> dict[str, Any]:
        self.asked.append(study_id)
        return copy.deepcopy(self.studies[study_id])


@pytest.fixture
def catalogue() -> Catalogue:
    return Catalogue(study("abdomen"), study("meshes-only", has_volume=False), study("other"))


@pytest.fixture
def kind(catalogue: Catalogue) -> SpaceKind:
    return anatomy_rules(catalogue)


def run(kind: SpaceKind, state: State, name: str, args: Any, actor: Actor, trusted: bool = False) -> list[EventSpec]:
    return kind.run(state, name, args, actor, trusted=trusted)


def members(kind: SpaceKind, state: State, *actors: Actor) -> None:
    for a in actors:
        kind.apply(state, "member.role_changed", {"user_id": a.user_id, "role": a.role, "display_name": a.display_name})


@pytest.fixture
def empty(kind: SpaceKind) -> State:
    """An anatomy space with members and the abdomen study in its library, nothing loaded."""
    s = kind.initial_state()
    members(kind, s, INES, SAM, KIM, ANA)
    run(kind, s, "anatomy.add_study", {"study_id": "abdomen", "title": "Abdomen CT"}, INES, trusted=True)
    run(kind, s, "anatomy.add_study", {"study_id": "meshes-only", "title": "Meshes"}, INES, trusted=True)
    return s


@pytest.fixture
def loaded(kind: SpaceKind, empty: State) -> State:
    """The same space with the abdomen study loaded."""
    run(kind, empty, "anatomy.load_study", {"study_id": "abdomen"}, INES)
    return empty


# Args each anatomy command accepts from an instructor in `loaded` (with an open quiz for the
# quiz commands, see `ready`). A new command must be added here.
VALID: dict[str, dict[str, Any]] = {
    "anatomy.add_study": {"study_id": "other", "title": "Other"},
    "anatomy.load_study": {"study_id": "abdomen"},
    "anatomy.unload_study": {},
    "anatomy.set_visible": {"label": 5, "visible": False},
    "anatomy.set_opacity": {"label": 5, "opacity": 0.5},
    "anatomy.show_all": {},
    "anatomy.set_clip": {"index": 0, "enabled": True, "normal": [0, 0, 1], "offset_m": 0.1},
    "anatomy.highlight": {"label": 1},
    "anatomy.measure": {"a": [0, 0, 0], "b": [0.03, 0.04, 0]},
    "anatomy.delete_measure": {"id": "m-ines"},
    "anatomy.set_slice": {"plane": "axial", "enabled": True, "position_mm": 10},
    "anatomy.set_preset": {"preset": "bone"},
    "anatomy.follow": {"on": True},
    "anatomy.quiz_start": {"label": 1},
    "anatomy.quiz_answer": {"label": 1},
    "anatomy.quiz_reveal": {},
    "anatomy.quiz_end": {},
}
INSTRUCTOR_ONLY = set(VALID) - {"anatomy.measure", "anatomy.delete_measure", "anatomy.quiz_answer"}


@pytest.fixture
def ready(kind: SpaceKind, loaded: State) -> State:
    """`loaded` plus an open quiz question and a measurement by the instructor (id m-ines)."""
    kind.apply(loaded, "anatomy.measured", {"id": "m-ines", "a": [0, 0, 0], "b": [0, 0, 0.01], "mm": 10.0, "by": INES.user_id})
    run(kind, loaded, "anatomy.quiz_start", {"label": 5}, INES)
    return loaded


def test_every_anatomy_command_has_an_example(kind: SpaceKind) -> None:
    assert set(VALID) == set(kind.commands)


def test_initial_kind_state(kind: SpaceKind) -> None:
    k = kind.initial_state()["kind"]
    assert k["library"] == {} and k["study"] is None and k["quiz"] is None and k["follow"] is False
    assert k["visible"] == {} and k["opacity"] == {} and k["measures"] == {} and k["highlight"] is None
    assert [c["enabled"] for c in k["clips"]] == [False, False, False]
    assert k["slices"] == {p: {"enabled": False, "position_mm": None} for p in ("axial", "coronal", "sagittal")}
    assert k["preset"] == "soft_tissue"


def test_every_event_has_an_applier_and_describe_lists_all_commands(kind: SpaceKind, ready: State) -> None:
    for name, args in VALID.items():
        for event, _ in kind.decide(ready, name, args, INES, trusted=True):
            assert event in kind.appliers, (name, event)
    assert kind.describe()["commands"] == sorted(set(VALID) | set(core.COMMANDS))


# --- roles -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(INSTRUCTOR_ONLY))
@pytest.mark.parametrize("role", ["participant", "observer"])
def test_students_and_observers_are_refused_instructor_commands(kind: SpaceKind, ready: State, name: str, role: str) -> None:
    with pytest.raises(Forbidden):
        kind.decide(ready, name, VALID[name], ACTORS[role], trusted=name == "anatomy.add_study")


@pytest.mark.parametrize("name", sorted(VALID))
def test_an_instructor_may_issue_every_command(kind: SpaceKind, ready: State, name: str) -> None:
    assert kind.decide(ready, name, VALID[name], INES, trusted=name == "anatomy.add_study")


def test_add_study_is_refused_from_a_socket_even_for_an_instructor(kind: SpaceKind, empty: State) -> None:
    admin = Actor(9, "Site Admin", "instructor", is_admin=True)
    for who in (INES, admin):
        with pytest.raises(Forbidden, match="issued by the server only"):
            kind.decide(empty, "anatomy.add_study", VALID["anatomy.add_study"], who)
    assert "other" not in empty["kind"]["library"]


def test_measuring_follows_the_edit_policy(kind: SpaceKind, loaded: State) -> None:
    args = VALID["anatomy.measure"]
    with pytest.raises(Forbidden, match="measuring needs role instructor"):
        kind.decide(loaded, "anatomy.measure", args, SAM)
    run(kind, loaded, "space.set_policy", {"edit": "participant"}, INES)
    assert kind.decide(loaded, "anatomy.measure", args, SAM)
    with pytest.raises(Forbidden, match="measuring needs role participant"):
        kind.decide(loaded, "anatomy.measure", args, KIM)


# --- schemas, reached by actors the role check lets through -------------------------------------------
@pytest.mark.parametrize("name", sorted(VALID))
def test_an_unknown_argument_is_refused_by_the_schema(kind: SpaceKind, ready: State, name: str) -> None:
    trusted = name == "anatomy.add_study"
    kind.find(name).check_role(ready, INES)  # the role check passes: the schema must refuse
    with pytest.raises(InvalidInput, match=rf"^{name}: unexpected: Extra inputs are not permitted"):
        kind.decide(ready, name, {**VALID[name], "unexpected": 1}, INES, trusted=trusted)


@pytest.mark.parametrize(
    "name, args, message",
    [
        ("anatomy.add_study", {"study_id": "../../etc", "title": "x"}, "study_id"),
        ("anatomy.add_study", {"study_id": "ok", "title": ""}, "title"),
        ("anatomy.load_study", {"study_id": "../../etc"}, "study_id: String should match pattern"),
        ("anatomy.load_study", {"study_id": "x" * 65}, "study_id"),
        ("anatomy.set_visible", {"label": "liver", "visible": True}, "label"),
        ("anatomy.set_opacity", {"label": 5, "opacity": 0.01}, "greater than or equal to 0.05"),
        ("anatomy.set_opacity", {"label": 5, "opacity": 1.5}, "less than or equal to 1"),
        ("anatomy.set_clip", {"index": 3, "enabled": True}, "index"),
        ("anatomy.set_clip", {"index": 0, "enabled": True, "normal": [0, 0, 101]}, "normal"),
        ("anatomy.set_clip", {"index": 0, "enabled": True, "offset_m": 11}, "offset_m"),
        ("anatomy.highlight", {}, "label: Field required"),
        ("anatomy.measure", {"a": [0, 0, 0]}, "b: Field required"),
        ("anatomy.measure", {"a": [0, 0, 0], "b": [0, 0, float("inf")]}, "finite"),
        ("anatomy.set_slice", {"plane": "oblique", "enabled": True}, "plane"),
        ("anatomy.set_slice", {"plane": "axial", "enabled": True, "position_mm": 6000}, "position_mm"),
        ("anatomy.set_preset", {"preset": "neon"}, "preset"),
        ("anatomy.follow", {}, "on: Field required"),
        ("anatomy.quiz_start", {"label": None}, "label"),
    ],
)
def test_schema_refusals_name_the_field(kind: SpaceKind, ready: State, name: str, args: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        kind.decide(ready, name, args, INES, trusted=True)
    assert str(info.value).startswith(f"{name}: ")


def test_deciding_never_changes_the_state(kind: SpaceKind, ready: State) -> None:
    before = copy.deepcopy(ready)
    for name, args in VALID.items():
        kind.decide(ready, name, args, INES, trusted=True)
    assert ready == before


# --- the study library -------------------------------------------------------------------------------
def test_a_study_joins_the_library_when_added(kind: SpaceKind, empty: State) -> None:
    events = run(kind, empty, "anatomy.add_study", {"study_id": "other", "title": "Other"}, INES, trusted=True)
    assert events == [("anatomy.study_added", {"id": "other", "title": "Other"})]
    assert empty["kind"]["library"]["other"] == {"title": "Other"}


def test_only_studies_in_the_library_load(kind: SpaceKind, empty: State, catalogue: Catalogue) -> None:
    with pytest.raises(NotFound, match="no study 'other' in this space's library"):
        kind.decide(empty, "anatomy.load_study", {"study_id": "other"}, INES)
    assert catalogue.asked == []  # the library is checked before the disk is read
    run(kind, empty, "anatomy.add_study", {"study_id": "other", "title": "Other"}, INES, trusted=True)
    assert run(kind, empty, "anatomy.load_study", {"study_id": "other"}, INES)
    assert empty["kind"]["study"]["id"] == "other"


def test_loading_puts_the_catalogues_summary_in_the_event(kind: SpaceKind, empty: State) -> None:
    [(event, data)] = run(kind, empty, "anatomy.load_study", {"study_id": "abdomen"}, INES)
    assert event == "anatomy.study_loaded" and data == {"study": study("abdomen")}
    assert empty["kind"]["study"] == study("abdomen")


def test_without_a_catalogue_nothing_loads(empty: State) -> None:
    bare = anatomy_rules(None)
    with pytest.raises(NotFound, match="no study library"):
        bare.decide(empty, "anatomy.load_study", {"study_id": "abdomen"}, INES)


def test_loading_a_study_resets_the_dissection_but_keeps_follow_and_library(kind: SpaceKind, ready: State) -> None:
    run(kind, ready, "anatomy.follow", {"on": True}, INES)
    run(kind, ready, "anatomy.set_visible", {"label": 5, "visible": False}, INES)
    run(kind, ready, "anatomy.load_study", {"study_id": "meshes-only"}, INES)
    k = ready["kind"]
    assert k["study"]["id"] == "meshes-only" and k["visible"] == {} and k["measures"] == {} and k["quiz"] is None
    assert k["follow"] is True and set(k["library"]) == {"abdomen", "meshes-only"}


def test_unloading_keeps_the_library(kind: SpaceKind, loaded: State) -> None:
    run(kind, loaded, "anatomy.follow", {"on": True}, INES)
    assert run(kind, loaded, "anatomy.unload_study", {}, INES) == [("anatomy.study_unloaded", {})]
    k = loaded["kind"]
    assert k["study"] is None and k["follow"] is True
    assert k["library"] == {"abdomen": {"title": "Abdomen CT"}, "meshes-only": {"title": "Meshes"}}
    with pytest.raises(Conflict, match="no study is loaded"):
        kind.decide(loaded, "anatomy.unload_study", {}, INES)


def test_an_old_log_without_study_added_still_puts_the_study_in_the_library(kind: SpaceKind) -> None:
    state = kind.initial_state()
    del state["kind"]["library"]  # logs from before libraries existed start without one
    kind.apply(state, "anatomy.study_loaded", {"study": study("abdomen")})
    assert state["kind"]["library"] == {"abdomen": {"title": "Study abdomen"}}
    kind.apply(state, "anatomy.study_unloaded", {})
    assert "abdomen" in state["kind"]["library"]
    members(kind, state, INES)
    assert kind.decide(state, "anatomy.load_study", {"study_id": "abdomen"}, INES)


# --- state refusals and appliers -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "anatomy.set_visible",
        "anatomy.set_opacity",
        "anatomy.show_all",
        "anatomy.set_clip",
        "anatomy.highlight",
        "anatomy.measure",
        "anatomy.set_slice",
        "anatomy.quiz_start",
    ],
)
def test_dissection_needs_a_loaded_study(kind: SpaceKind, empty: State, name: str) -> None:
    with pytest.raises(Conflict, match="no study is loaded"):
        kind.decide(empty, name, VALID[name], INES)


@pytest.mark.parametrize("name", ["anatomy.set_visible", "anatomy.set_opacity", "anatomy.highlight", "anatomy.quiz_start"])
def test_structures_must_exist(kind: SpaceKind, loaded: State, name: str) -> None:
    with pytest.raises(NotFound, match="no structure with label 999"):
        kind.decide(loaded, name, {**VALID[name], "label": 999}, INES)


def test_visibility_opacity_and_show_all(kind: SpaceKind, loaded: State) -> None:
    run(kind, loaded, "anatomy.set_visible", {"label": 5, "visible": False}, INES)
    [(_, data)] = run(kind, loaded, "anatomy.set_opacity", {"label": 1, "opacity": 0.123456}, INES)
    assert data["opacity"] == 0.123
    assert loaded["kind"]["visible"] == {"5": False} and loaded["kind"]["opacity"] == {"1": 0.123}
    run(kind, loaded, "anatomy.show_all", {}, INES)
    assert loaded["kind"]["visible"] == {} and loaded["kind"]["opacity"] == {}


def test_clip_normal_is_normalised_and_cannot_be_zero(kind: SpaceKind, loaded: State) -> None:
    run(kind, loaded, "anatomy.set_clip", {"index": 2, "enabled": True, "normal": [0, 0, -2], "offset_m": 0.05}, INES)
    assert loaded["kind"]["clips"][2] == {"enabled": True, "normal": [0.0, 0.0, -1.0], "offset_m": 0.05}
    with pytest.raises(InvalidInput, match="normal cannot be zero"):
        kind.decide(loaded, "anatomy.set_clip", {"index": 0, "enabled": True, "normal": [0, 0, 0]}, INES)


def test_highlight_and_clear(kind: SpaceKind, loaded: State) -> None:
    run(kind, loaded, "anatomy.highlight", {"label": 52}, INES)
    assert loaded["kind"]["highlight"] == 52
    run(kind, loaded, "anatomy.highlight", {"label": None}, INES)
    assert loaded["kind"]["highlight"] is None


def test_measurement_in_millimetres_by_its_author(kind: SpaceKind, loaded: State) -> None:
    [(_, data)] = run(kind, loaded, "anatomy.measure", {"a": [0, 0, 0], "b": [0.03, 0.04, 0]}, INES)
    assert data["mm"] == 50.0 and data["by"] == INES.user_id
    assert loaded["kind"]["measures"] == {data["id"]: data}


def test_a_space_keeps_at_most_max_measures(kind: SpaceKind, loaded: State) -> None:
    for i in range(MAX_MEASURES):
        kind.apply(loaded, "anatomy.measured", {"id": f"m{i}", "a": [0, 0, 0], "b": [0, 0, 0], "mm": 0.0, "by": 1})
    with pytest.raises(Conflict, match=f"at most {MAX_MEASURES}"):
        kind.decide(loaded, "anatomy.measure", VALID["anatomy.measure"], INES)


def test_a_measurement_is_deleted_by_its_author_or_an_instructor(kind: SpaceKind, loaded: State) -> None:
    run(kind, loaded, "space.set_policy", {"edit": "participant"}, INES)
    [(_, sams)] = run(kind, loaded, "anatomy.measure", VALID["anatomy.measure"], SAM)
    [(_, anas)] = run(kind, loaded, "anatomy.measure", VALID["anatomy.measure"], ANA)
    with pytest.raises(Forbidden, match="only its author or an instructor"):
        kind.decide(loaded, "anatomy.delete_measure", {"id": anas["id"]}, SAM)
    run(kind, loaded, "anatomy.delete_measure", {"id": sams["id"]}, SAM)
    run(kind, loaded, "anatomy.delete_measure", {"id": anas["id"]}, INES)
    assert loaded["kind"]["measures"] == {}
    with pytest.raises(NotFound, match="no measurement"):
        kind.decide(loaded, "anatomy.delete_measure", {"id": anas["id"]}, INES)


def test_slices_need_a_volume(kind: SpaceKind, loaded: State) -> None:
    run(kind, loaded, "anatomy.set_slice", {"plane": "coronal", "enabled": True, "position_mm": -150}, INES)
    assert loaded["kind"]["slices"]["coronal"] == {"enabled": True, "position_mm": -150.0}
    run(kind, loaded, "anatomy.load_study", {"study_id": "meshes-only"}, INES)
    with pytest.raises(Conflict, match="meshes only"):
        kind.decide(loaded, "anatomy.set_slice", {"plane": "axial", "enabled": True}, INES)


def test_preset_and_follow(kind: SpaceKind, empty: State) -> None:
    run(kind, empty, "anatomy.set_preset", {"preset": "lung"}, INES)
    assert empty["kind"]["preset"] == "lung"
    assert run(kind, empty, "anatomy.follow", {"on": True}, INES) == [
        ("anatomy.follow_set", {"on": True, "leader": INES.user_id})
    ]
    assert empty["kind"]["follow"] is True and empty["kind"]["leader"] == INES.user_id
    run(kind, empty, "anatomy.follow", {"on": False}, INES)
    assert empty["kind"]["follow"] is False and empty["kind"]["leader"] is None


# --- the quiz ------------------------------------------------------------------------------------------
INSTRUCTOR_VIEW, SAM_VIEW, ANA_VIEW, KIM_VIEW = (Viewer(a.user_id, a.role) for a in (INES, SAM, ANA, KIM))


def test_quiz_rounds_count_up_and_answers_are_graded(kind: SpaceKind, loaded: State) -> None:
    assert run(kind, loaded, "anatomy.quiz_start", {"label": 1}, INES) == [
        ("anatomy.quiz_started", {"round": 1, "label": 1, "name": "spleen"})
    ]
    [(_, right)] = run(kind, loaded, "anatomy.quiz_answer", {"label": 1}, SAM)
    [(_, wrong)] = run(kind, loaded, "anatomy.quiz_answer", {"label": 5}, ANA)
    assert right["correct"] is True and wrong["correct"] is False and wrong["name"] == "liver"
    assert loaded["kind"]["quiz"]["answers"]["2"] == {"label": 1, "name": "spleen", "correct": True, "display_name": "Sam Okafor"}
    [(_, second)] = run(kind, loaded, "anatomy.quiz_start", {"label": 52}, INES)
    assert second["round"] == 2 and loaded["kind"]["quiz"]["answers"] == {}


def test_no_second_answer(kind: SpaceKind, ready: State) -> None:
    run(kind, ready, "anatomy.quiz_answer", {"label": 5}, SAM)
    with pytest.raises(Conflict, match="answered this question already"):
        kind.decide(ready, "anatomy.quiz_answer", {"label": 1}, SAM)


def test_answers_need_an_open_question_and_a_participant(kind: SpaceKind, loaded: State) -> None:
    with pytest.raises(Conflict, match="no open quiz question"):
        kind.decide(loaded, "anatomy.quiz_answer", {"label": 5}, SAM)
    run(kind, loaded, "anatomy.quiz_start", {"label": 5}, INES)
    with pytest.raises(Forbidden, match="observers cannot answer"):
        kind.decide(loaded, "anatomy.quiz_answer", {"label": 5}, KIM)
    with pytest.raises(NotFound, match="label 999"):
        kind.decide(loaded, "anatomy.quiz_answer", {"label": 999}, SAM)
    run(kind, loaded, "anatomy.quiz_reveal", {}, INES)
    with pytest.raises(Conflict, match="no open quiz question"):
        kind.decide(loaded, "anatomy.quiz_answer", {"label": 5}, SAM)


def test_reveal_and_end_need_a_quiz(kind: SpaceKind, loaded: State) -> None:
    for name in ("anatomy.quiz_reveal", "anatomy.quiz_end"):
        with pytest.raises(Conflict, match="no quiz"):
            kind.decide(loaded, name, {}, INES)
    run(kind, loaded, "anatomy.quiz_start", {"label": 5}, INES)
    run(kind, loaded, "anatomy.quiz_reveal", {}, INES)
    with pytest.raises(Conflict, match="revealed already"):
        kind.decide(loaded, "anatomy.quiz_reveal", {}, INES)
    run(kind, loaded, "anatomy.quiz_end", {}, INES)
    assert loaded["kind"]["quiz"] is None


def test_before_the_reveal_students_see_that_others_answered_not_what(kind: SpaceKind, ready: State) -> None:
    run(kind, ready, "anatomy.quiz_answer", {"label": 5}, SAM)
    run(kind, ready, "anatomy.quiz_answer", {"label": 1}, ANA)
    sams = kind.state_for(ready, SAM_VIEW)["kind"]["quiz"]["answers"]
    assert sams["2"] == {"label": 5, "name": "liver", "correct": True, "display_name": "Sam Okafor"}  # his own
    assert sams["4"] == {"display_name": "Ana Ruiz", "hidden": True}
    kims = kind.state_for(ready, KIM_VIEW)["kind"]["quiz"]["answers"]
    assert all(a == {"display_name": a["display_name"], "hidden": True} for a in kims.values()) and len(kims) == 2
    assert kind.state_for(ready, INSTRUCTOR_VIEW)["kind"]["quiz"]["answers"] == ready["kind"]["quiz"]["answers"]
    assert ready["kind"]["quiz"]["answers"]["4"]["correct"] is False  # the server's state is not touched


def test_an_answer_event_is_hidden_from_other_students_until_the_reveal(kind: SpaceKind, ready: State) -> None:
    [(name, data)] = run(kind, ready, "anatomy.quiz_answer", {"label": 5}, SAM)
    assert kind.event_for(name, data, SAM_VIEW) == data
    assert kind.event_for(name, data, INSTRUCTOR_VIEW) == data
    for other in (ANA_VIEW, KIM_VIEW):
        assert kind.event_for(name, data, other) == {"round": 1, "user_id": SAM.user_id, "display_name": "Sam Okafor"}
    other_events = ("anatomy.highlighted", {"label": 5})
    assert kind.event_for(*other_events, ANA_VIEW) is other_events[1]


def test_a_student_client_replaying_hidden_events_learns_everything_at_the_reveal(kind: SpaceKind, ready: State) -> None:
    """What Ana's client holds: her snapshot, then each event as she is sent it."""
    anas = copy.deepcopy(kind.state_for(ready, ANA_VIEW))
    for actor, label in ((SAM, 5), (ANA, 1)):
        for name, data in run(kind, ready, "anatomy.quiz_answer", {"label": label}, actor):
            kind.apply(anas, name, kind.event_for(name, data, ANA_VIEW))
    assert anas["kind"]["quiz"]["answers"]["2"] == {"display_name": "Sam Okafor", "hidden": True}
    assert anas["kind"]["quiz"]["answers"]["4"]["correct"] is False
    assert anas["kind"] == kind.state_for(ready, ANA_VIEW)["kind"]
    for name, data in run(kind, ready, "anatomy.quiz_reveal", {}, INES):
        kind.apply(anas, name, kind.event_for(name, data, ANA_VIEW))
    assert anas == ready
    assert kind.state_for(ready, KIM_VIEW) == ready  # after the reveal nothing is hidden
