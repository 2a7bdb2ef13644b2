"""The rules of the "anatomy" space kind: a shared, dissectable body built from a study.

Pure: the only outside thing they read is the study catalogue handed to :func:`anatomy_rules`
(for ``anatomy.load_study``), so they can be unit-tested without a server.

Kind state (``state["kind"]``)::

    library   study id -> {title}: the studies this space may show (imported into it)
    study     None or {id, title, modality, credit, has_volume, structures: [{label, name,
              color, volume_ml, area_mm2?, triangles, centroid_gltf?}]}
    visible   str(label) -> bool        (absent = visible)
    opacity   str(label) -> 0.05..1     (absent = 1)
    clips     three clip planes {enabled, normal [x, y, z] (glTF frame), offset_m}
    highlight None or a label (the instructor's shared selection)
    measures  id -> {id, a, b (glTF metres), mm, by}
    slices    plane -> {enabled, position_mm (LPS along the plane normal)}; preset
    follow    True while students' cameras follow the instructor's view
    quiz      None or {round, label, name, revealed, answers: str(user_id) -> {label, correct}}

The study itself (meshes, slices) lives in the study library on disk; ``anatomy.load_study``
reads its structure table once, into the event, so replaying the log needs no disk access.

A study belongs to the spaces it was imported into: the import (run by the kind's plug-in)
issues ``anatomy.add_study``, a command only the server may issue, and ``anatomy.load_study``
refuses any study not in the space's library. Until the instructor reveals a quiz question,
students see that others answered, not what they answered.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from medverse.auth.roles import INSTRUCTOR, at_least
from medverse.errors import Conflict, Forbidden, InvalidInput, NotFound
from medverse.spaces.kinds import Actor, Command, EventSpec, SpaceKind, State, Viewer

PLANES = ("axial", "coronal", "sagittal")
PRESETS = ("soft_tissue", "bone", "lung", "brain")
MAX_CLIPS = 3
MAX_MEASURES = 100

Num = Annotated[float, Field(ge=-100.0, le=100.0, allow_inf_nan=False)]


class StudyCatalogue(Protocol):
    """What the kind needs to know about studies on disk (the study library implements it)."""

    def summary(self, study_id: str) -> dict[str, Any]: ...


def initial() -> State:
    return {
        "library": {},
        "study": None,
        "visible": {},
        "opacity": {},
        "clips": [{"enabled": False, "normal": [0.0, -1.0, 0.0], "offset_m": 0.0} for _ in range(MAX_CLIPS)],
        "highlight": None,
        "measures": {},
        "slices": {p: {"enabled": False, "position_mm": None} for p in PLANES},
        "preset": "soft_tissue",
        "follow": False,
        "quiz": None,
        "leader": None,
    }


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


StudyId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class LoadStudy(_Args):
    study_id: StudyId


class AddStudy(_Args):
    study_id: StudyId
    title: str = Field(min_length=1, max_length=200)


class Empty(_Args):
    pass


class SetVisible(_Args):
    label: int
    visible: bool


class SetOpacity(_Args):
    label: int
    opacity: float = Field(ge=0.05, le=1.0)


class ShowAll(_Args):
    pass


class SetClip(_Args):
    index: int = Field(ge=0, lt=MAX_CLIPS)
    enabled: bool
    normal: tuple[Num, Num, Num] = (0.0, -1.0, 0.0)
    offset_m: float = Field(default=0.0, ge=-10.0, le=10.0, allow_inf_nan=False)


class Highlight(_Args):
    label: int | None


class Measure(_Args):
    a: tuple[Num, Num, Num]
    b: tuple[Num, Num, Num]


class DeleteMeasure(_Args):
    id: str


class SetSlice(_Args):
    plane: Literal["axial", "coronal", "sagittal"]
    enabled: bool
    position_mm: float | None = Field(default=None, ge=-5000, le=5000, allow_inf_nan=False)


class SetPreset(_Args):
    preset: Literal["soft_tissue", "bone", "lung", "brain"]


class Follow(_Args):
    on: bool


class QuizStart(_Args):
    label: int


class QuizAnswer(_Args):
    label: int


def _kind(state: State) -> dict[str, Any]:
    return state["kind"]  # type: ignore[no-any-return]


def _study(state: State) -> dict[str, Any]:
    study = _kind(state)["study"]
    if study is None:
        raise Conflict("no study is loaded in this space yet")
    return study  # type: ignore[no-any-return]


def _structure(state: State, label: int) -> dict[str, Any]:
    for s in _study(state)["structures"]:
        if s["label"] == label:
            return s  # type: ignore[no-any-return]
    raise NotFound(f"the study has no structure with label {label}")


def _can_measure(state: State, actor: Actor) -> str | None:
    needed = state["policy"]["edit"]
    return None if at_least(actor.role, needed) else (f"measuring needs role {needed} in this space (you are {actor.role})")


def _can_answer(state: State, actor: Actor) -> str | None:
    return None if at_least(actor.role, "participant") else "observers cannot answer quizzes"


# --- handlers ------------------------------------------------------------------------------
def _add(state: State, args: AddStudy, actor: Actor) -> list[EventSpec]:
    return [("anatomy.study_added", {"id": args.study_id, "title": args.title})]


def _loader(catalogue: StudyCatalogue | None) -> Callable[[State, LoadStudy, Actor], list[EventSpec]]:
    def load(state: State, args: LoadStudy, actor: Actor) -> list[EventSpec]:
        if args.study_id not in _kind(state).get("library", {}):
            raise NotFound(f"no study {args.study_id!r} in this space's library (import it here first)")
        if catalogue is None:
            raise NotFound("this server has no study library")
        return [("anatomy.study_loaded", {"study": catalogue.summary(args.study_id)})]

    return load


def _unload(state: State, args: Empty, actor: Actor) -> list[EventSpec]:
    _study(state)
    return [("anatomy.study_unloaded", {})]


def _visible(state: State, args: SetVisible, actor: Actor) -> list[EventSpec]:
    _structure(state, args.label)
    return [("anatomy.visibility_set", {"label": args.label, "visible": args.visible})]


def _opacity(state: State, args: SetOpacity, actor: Actor) -> list[EventSpec]:
    _structure(state, args.label)
    return [("anatomy.opacity_set", {"label": args.label, "opacity": round(args.opacity, 3)})]


def _show_all(state: State, args: ShowAll, actor: Actor) -> list[EventSpec]:
    _study(state)
    return [("anatomy.all_shown", {})]


def _clip(state: State, args: SetClip, actor: Actor) -> list[EventSpec]:
    _study(state)
    n = math.sqrt(sum(x * x for x in args.normal))
    if n < 1e-6:
        raise InvalidInput("a clip plane's normal cannot be zero")
    normal = [round(x / n, 6) for x in args.normal]
    return [("anatomy.clip_set", {"index": args.index, "enabled": args.enabled, "normal": normal, "offset_m": args.offset_m})]


def _highlight(state: State, args: Highlight, actor: Actor) -> list[EventSpec]:
    if args.label is not None:
        _structure(state, args.label)
    return [("anatomy.highlighted", {"label": args.label})]


def _measure(state: State, args: Measure, actor: Actor) -> list[EventSpec]:
    _study(state)
    if len(_kind(state)["measures"]) >= MAX_MEASURES:
        raise Conflict(f"a space keeps at most {MAX_MEASURES} measurements; delete some first")
    mm = 1000.0 * math.dist(args.a, args.b)
    return [
        (
            "anatomy.measured",
            {"id": f"m-{uuid.uuid4().hex[:10]}", "a": list(args.a), "b": list(args.b), "mm": round(mm, 2), "by": actor.user_id},
        )
    ]


def _delete_measure(state: State, args: DeleteMeasure, actor: Actor) -> list[EventSpec]:
    m = _kind(state)["measures"].get(args.id)
    if m is None:
        raise NotFound(f"no measurement with id {args.id!r}")
    if m["by"] != actor.user_id and actor.role != INSTRUCTOR:
        raise Forbidden("only its author or an instructor may delete a measurement")
    return [("anatomy.measure_deleted", {"id": args.id})]


def _slice(state: State, args: SetSlice, actor: Actor) -> list[EventSpec]:
    study = _study(state)
    if not study.get("has_volume"):
        raise Conflict("this study has meshes only: there is no image to slice")
    return [("anatomy.slice_set", {"plane": args.plane, "enabled": args.enabled, "position_mm": args.position_mm})]


def _preset(state: State, args: SetPreset, actor: Actor) -> list[EventSpec]:
    return [("anatomy.preset_set", {"preset": args.preset})]


def _follow(state: State, args: Follow, actor: Actor) -> list[EventSpec]:
    return [("anatomy.follow_set", {"on": args.on, "leader": actor.user_id if args.on else None})]


def _quiz_start(state: State, args: QuizStart, actor: Actor) -> list[EventSpec]:
    s = _structure(state, args.label)
    quiz = _kind(state)["quiz"]
    round_ = (quiz["round"] + 1) if quiz else 1
    return [("anatomy.quiz_started", {"round": round_, "label": args.label, "name": s["name"]})]


def _quiz_answer(state: State, args: QuizAnswer, actor: Actor) -> list[EventSpec]:
    quiz = _kind(state)["quiz"]
    if quiz is None or quiz["revealed"]:
        raise Conflict("there is no open quiz question")
    if str(actor.user_id) in quiz["answers"]:
        raise Conflict("you have answered this question already")
    chosen = _structure(state, args.label)
    return [
        (
            "anatomy.quiz_answered",
            {
                "round": quiz["round"],
                "user_id": actor.user_id,
                "display_name": actor.display_name,
                "label": args.label,
                "name": chosen["name"],
                "correct": args.label == quiz["label"],
            },
        )
    ]


def _quiz_reveal(state: State, args: Empty, actor: Actor) -> list[EventSpec]:
    quiz = _kind(state)["quiz"]
    if quiz is None:
        raise Conflict("there is no quiz question to reveal")
    if quiz["revealed"]:
        raise Conflict("the answer is revealed already")
    return [("anatomy.quiz_revealed", {"round": quiz["round"], "answers": quiz["answers"]})]


def _quiz_end(state: State, args: Empty, actor: Actor) -> list[EventSpec]:
    if _kind(state)["quiz"] is None:
        raise Conflict("there is no quiz to end")
    return [("anatomy.quiz_ended", {})]


# --- appliers ------------------------------------------------------------------------------
def _a_added(state: State, d: dict[str, Any]) -> None:
    _kind(state).setdefault("library", {})[d["id"]] = {"title": d["title"]}


def _a_loaded(state: State, d: dict[str, Any]) -> None:
    k = _kind(state)
    fresh = initial()
    fresh["follow"], fresh["leader"] = k["follow"], k.get("leader")
    fresh["library"] = k.get("library", {})
    study = d["study"]
    # logs written before libraries existed: a study that was loaded belongs to the space
    fresh["library"].setdefault(study["id"], {"title": study.get("title") or study["id"]})
    fresh["study"] = study
    state["kind"] = fresh


def _a_unloaded(state: State, d: dict[str, Any]) -> None:
    k = _kind(state)
    state["kind"] = {**initial(), "follow": k["follow"], "leader": k.get("leader"), "library": k.get("library", {})}


def _a_visible(state: State, d: dict[str, Any]) -> None:
    _kind(state)["visible"][str(d["label"])] = d["visible"]


def _a_opacity(state: State, d: dict[str, Any]) -> None:
    _kind(state)["opacity"][str(d["label"])] = d["opacity"]


def _a_all_shown(state: State, d: dict[str, Any]) -> None:
    _kind(state)["visible"] = {}
    _kind(state)["opacity"] = {}


def _a_clip(state: State, d: dict[str, Any]) -> None:
    _kind(state)["clips"][d["index"]] = {"enabled": d["enabled"], "normal": d["normal"], "offset_m": d["offset_m"]}


def _a_highlight(state: State, d: dict[str, Any]) -> None:
    _kind(state)["highlight"] = d["label"]


def _a_measured(state: State, d: dict[str, Any]) -> None:
    _kind(state)["measures"][d["id"]] = d


def _a_measure_deleted(state: State, d: dict[str, Any]) -> None:
    _kind(state)["measures"].pop(d["id"], None)


def _a_slice(state: State, d: dict[str, Any]) -> None:
    _kind(state)["slices"][d["plane"]] = {"enabled": d["enabled"], "position_mm": d["position_mm"]}


def _a_preset(state: State, d: dict[str, Any]) -> None:
    _kind(state)["preset"] = d["preset"]


def _a_follow(state: State, d: dict[str, Any]) -> None:
    _kind(state)["follow"] = d["on"]
    _kind(state)["leader"] = d["leader"]


def _a_quiz_started(state: State, d: dict[str, Any]) -> None:
    _kind(state)["quiz"] = {"round": d["round"], "label": d["label"], "name": d["name"], "revealed": False, "answers": {}}


def _a_quiz_answered(state: State, d: dict[str, Any]) -> None:
    quiz = _kind(state)["quiz"]
    if "label" not in d:  # as a student sees another's answer before the reveal
        quiz["answers"][str(d["user_id"])] = {"display_name": d["display_name"], "hidden": True}
        return
    quiz["answers"][str(d["user_id"])] = {
        "label": d["label"],
        "name": d["name"],
        "correct": d["correct"],
        "display_name": d["display_name"],
    }


def _a_quiz_revealed(state: State, d: dict[str, Any]) -> None:
    quiz = _kind(state)["quiz"]
    quiz["revealed"] = True
    if "answers" in d:
        quiz["answers"] = d["answers"]


# --- what each viewer sees ------------------------------------------------------------------
def _hidden_answer(answer: dict[str, Any]) -> dict[str, Any]:
    return {"display_name": answer["display_name"], "hidden": True}


def _view_state(kind: State, viewer: Viewer) -> State:
    """Students and observers see others' answers to an open question as answered, not what."""
    quiz = kind.get("quiz")
    if viewer.is_instructor or quiz is None or quiz["revealed"]:
        return kind
    mine = str(viewer.user_id)
    answers = {uid: (a if uid == mine else _hidden_answer(a)) for uid, a in quiz["answers"].items()}
    return {**kind, "quiz": {**quiz, "answers": answers}}


def _view_event(name: str, data: dict[str, Any], viewer: Viewer) -> dict[str, Any]:
    if name != "anatomy.quiz_answered" or viewer.is_instructor or data["user_id"] == viewer.user_id:
        return data
    return {"round": data["round"], "user_id": data["user_id"], "display_name": data["display_name"]}


def _a_quiz_ended(state: State, d: dict[str, Any]) -> None:
    _kind(state)["quiz"] = None


def anatomy_rules(catalogue: StudyCatalogue | None = None) -> SpaceKind:
    """The anatomy kind's rules; ``catalogue`` answers ``anatomy.load_study`` (None: the rules
    alone, e.g. for the protocol contract, where loading a study is refused)."""
    kind = SpaceKind(
        name="anatomy",
        title="Anatomy lab",
        description="A virtual cadaver from a real CT or MRI: dissect it together with clip planes, "
        "layers, slices, labels, measurements and quizzes.",
        initial=initial,
        view_state=_view_state,
        view_event=_view_event,
    )
    for cmd in (
        Command("anatomy.add_study", AddStudy, INSTRUCTOR, _add, "a study imported here joins the library", internal=True),
        Command("anatomy.load_study", LoadStudy, INSTRUCTOR, _loader(catalogue), "show a study from the library"),
        Command("anatomy.unload_study", Empty, INSTRUCTOR, _unload, "clear the body"),
        Command("anatomy.set_visible", SetVisible, INSTRUCTOR, _visible, "show or hide a structure"),
        Command("anatomy.set_opacity", SetOpacity, INSTRUCTOR, _opacity, "a structure's opacity"),
        Command("anatomy.show_all", ShowAll, INSTRUCTOR, _show_all, "every structure visible and opaque"),
        Command("anatomy.set_clip", SetClip, INSTRUCTOR, _clip, "set one of three clip planes"),
        Command("anatomy.highlight", Highlight, INSTRUCTOR, _highlight, "share a selection"),
        Command("anatomy.measure", Measure, _can_measure, _measure, "a distance measurement"),
        Command("anatomy.delete_measure", DeleteMeasure, _can_measure, _delete_measure, "delete a measurement"),
        Command("anatomy.set_slice", SetSlice, INSTRUCTOR, _slice, "show a slice plane"),
        Command("anatomy.set_preset", SetPreset, INSTRUCTOR, _preset, "window/level preset of the slices"),
        Command("anatomy.follow", Follow, INSTRUCTOR, _follow, "students' cameras follow mine"),
        Command("anatomy.quiz_start", QuizStart, INSTRUCTOR, _quiz_start, "ask: find this structure"),
        Command("anatomy.quiz_answer", QuizAnswer, _can_answer, _quiz_answer, "answer the open question (once)"),
        Command("anatomy.quiz_reveal", Empty, INSTRUCTOR, _quiz_reveal, "reveal the answer and everyone's answers"),
        Command("anatomy.quiz_end", Empty, INSTRUCTOR, _quiz_end, "close the quiz"),
    ):
        kind.command(cmd)
    kind.appliers.update(
        {
            "anatomy.study_added": _a_added,
            "anatomy.study_loaded": _a_loaded,
            "anatomy.study_unloaded": _a_unloaded,
            "anatomy.visibility_set": _a_visible,
            "anatomy.opacity_set": _a_opacity,
            "anatomy.all_shown": _a_all_shown,
            "anatomy.clip_set": _a_clip,
            "anatomy.highlighted": _a_highlight,
            "anatomy.measured": _a_measured,
            "anatomy.measure_deleted": _a_measure_deleted,
            "anatomy.slice_set": _a_slice,
            "anatomy.preset_set": _a_preset,
            "anatomy.follow_set": _a_follow,
            "anatomy.quiz_started": _a_quiz_started,
            "anatomy.quiz_answered": _a_quiz_answered,
            "anatomy.quiz_revealed": _a_quiz_revealed,
            "anatomy.quiz_ended": _a_quiz_ended,
        }
    )
    return kind
