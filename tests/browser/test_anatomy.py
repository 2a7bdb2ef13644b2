"""The anatomy lab in real browsers: an imported body renders, a clip plane set by the instructor
cuts the body for a student (and "follow me" moves the student's camera), and a quiz round goes
from question to revealed answer."""

from __future__ import annotations

import io
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.samples]  # imports a sample study through the panel

SPACE = "anatomy-demo"
SAMPLE = "abdomen-ct-organs"


def _enter(people: Any, username: str) -> Any:
    person = people(username, enter=False)
    person.enter(SPACE)
    person.wait("window.__anatomy !== undefined")
    return person


def _ensure_study(ines: Any) -> None:
    """Imports the sample through the panel unless this server already shows it."""
    if ines.page.evaluate("() => __anatomy.studyId()") == f"sample-{SAMPLE}":
        return
    ines.page.click("#anatomy-tab-study")
    ines.wait("[...document.querySelectorAll('#anatomy-sample option')].some(o => o.value === arg)", arg=SAMPLE)
    ines.page.select_option("#anatomy-sample", SAMPLE)
    ines.page.click("#anatomy-import")
    ines.wait("__anatomy.structureCount() > 0", timeout=60_000)


def _rgb(png: bytes) -> Any:
    np = pytest.importorskip("numpy")
    image = pytest.importorskip("PIL.Image")
    return np.asarray(image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _select(person: Any, label: int) -> None:
    """Selects a structure as a user does: a click on it in the 3D view when it is the first
    thing under its centre, else a click on its name in the Structures list."""
    spot = person.page.evaluate("(l) => __anatomy.screenOf(l)", label)
    if spot and person.page.evaluate("([x, y]) => __anatomy.pickAt(x, y)", [spot["x"], spot["y"]]) == label:
        person.page.mouse.click(spot["x"], spot["y"])
    else:
        person.page.click("#anatomy-tab-structures")
        person.page.click(f"#anatomy-structures li[data-label='{label}'] .an-name")
        person.page.click("#anatomy-tab-quiz")
    person.wait("__anatomy.selected() === arg", arg=label)


def test_imported_body_renders_for_a_second_user_within_budget(people):
    ines = _enter(people, "ines")
    sam = _enter(people, "sam")
    _ensure_study(ines)
    sam.wait("__anatomy.structureCount() > 0 && __anatomy.timings().rendered !== null", timeout=30_000)
    # the study title and its credit line are shown to everyone
    assert "Abdomen CT" in sam.page.inner_text("#anatomy-study-title")
    assert "TotalSegmentator" in sam.page.inner_text("#anatomy-credit")
    n = sam.page.evaluate("() => __anatomy.structureCount()")
    assert n == len(sam.page.evaluate("() => __anatomy.state().study.structures")) > 10
    # within the budget: <= 500k triangles and <= 100 draw calls for the whole scene
    sam.next_frames()
    info = sam.page.evaluate("() => __anatomy.render()")
    assert 0 < info["triangles"] <= 500_000 and 0 < info["calls"] <= 100, info
    # the pixels: the body changes the middle of the canvas, in tissue colours
    box = sam.page.locator("canvas.scene-canvas").bounding_box()
    clip = {
        "x": box["x"] + box["width"] * 0.25,
        "y": box["y"] + box["height"] * 0.25,
        "width": box["width"] * 0.5,
        "height": box["height"] * 0.5,
    }
    with_body = _rgb(sam.page.screenshot(clip=clip))
    sam.page.evaluate("() => __anatomy.showBody(false)")
    sam.next_frames()
    without = _rgb(sam.page.screenshot(clip=clip))
    sam.page.evaluate("() => __anatomy.showBody(true)")
    changed = (abs(with_body - without).sum(axis=2) > 40).mean()
    saturated = ((with_body.max(axis=2) - with_body.min(axis=2)) > 60).mean()
    assert changed > 0.02, f"only {changed:.3%} of the centre changed with the body shown"
    assert saturated > 0.01, f"only {saturated:.3%} of the centre is in tissue colours"


def test_clip_plane_set_by_the_instructor_cuts_the_body_for_the_student_and_follow_me(people):
    ines = _enter(people, "ines")
    sam = _enter(people, "sam")
    _ensure_study(ines)
    sam.wait("__anatomy.structureCount() > 0", timeout=30_000)
    # the instructor switches plane 2 on in the Cut tab (coronal by default orientation choice)
    ines.page.click("#anatomy-tab-cut")
    ines.page.check("#anatomy-clip-1-on")
    ines.wait("__anatomy.clips()[1].enabled")
    ines.page.select_option("#anatomy-clip-1-axis", "coronal")
    ines.wait("__anatomy.clips()[1].normal[2] === -1")
    sam.wait("__anatomy.clips()[1].enabled && __anatomy.clips()[1].normal[2] === -1")
    # the student's structure materials really clip with it (world space: anterior is up, so -Y)
    planes = sam.page.evaluate("() => __anatomy.materialClipping()")
    assert len(planes) == 1
    assert planes[0]["normal"][1] == pytest.approx(-1, abs=1e-6)
    # moving the slider moves the student's plane
    before = planes[0]["constant"]
    ines.page.locator("#anatomy-clip-1-offset").fill("200")
    sam.wait(
        "__anatomy.materialClipping().length === 1 && Math.abs(__anatomy.materialClipping()[0].constant - arg) > 0.01", arg=before
    )
    sam.page.click("#anatomy-tab-cut")
    assert "coronal" in sam.page.inner_text("#anatomy-clip-1-status")
    assert sam.page.locator("#anatomy-clip-1-on").is_disabled()
    # off again: nothing is cut for anyone
    ines.page.uncheck("#anatomy-clip-1-on")
    sam.wait("__anatomy.materialClipping().length === 0")

    # follow me: the student's camera goes to the instructor's eyes until released
    ines.page.click("#anatomy-follow-toggle")
    sam.wait("__anatomy.follow().following")
    assert "Dr Ines Moreau" in sam.page.inner_text("#anatomy-follow")
    eyes = ines.hook("camera()")
    sam.wait("Math.hypot(...__medverse.camera().map((x, i) => x - arg[i])) < 0.4", arg=eyes, timeout=20_000)
    sam.page.click("#anatomy-release")
    sam.wait("!__anatomy.follow().following")
    ines.page.click("#anatomy-follow-toggle")
    sam.wait("!__anatomy.follow().on")


def test_quiz_round_end_to_end(people):
    ines = _enter(people, "ines")
    sam = _enter(people, "sam")
    _ensure_study(ines)
    sam.wait("__anatomy.structureCount() > 0", timeout=30_000)
    structures = {s["name"]: s["label"] for s in ines.page.evaluate("() => __anatomy.state().study.structures")}
    liver, spleen = structures["liver"], structures["spleen"]
    sam_id = sam.hook("me()")["user_id"]
    # the instructor asks for the liver
    ines.page.click("#anatomy-tab-quiz")
    ines.page.select_option("#quiz-structure", str(liver))
    ines.page.click("#quiz-start")
    sam.wait("__anatomy.quiz() && __anatomy.quiz().label === arg && !__anatomy.quiz().revealed", arg=liver)
    sam.page.locator("#anatomy-quiz-banner").wait_for(state="visible")
    assert "find the liver" in sam.page.inner_text("#anatomy-quiz-banner").lower()
    # the student picks the spleen by clicking it in the 3D view, and answers: once
    _select(sam, spleen)
    sam.page.click("#quiz-answer")
    ines.wait("__anatomy.quiz().answers[arg] && __anatomy.quiz().answers[arg].correct === false", arg=str(sam_id))
    ines.page.locator(f"#quiz-results li[data-user='{sam_id}'].is-wrong").wait_for()
    assert "0 right" in ines.page.inner_text("#quiz-results")
    sam.page.locator("#quiz-mine", has_text="You answered: Spleen").wait_for()
    assert sam.page.locator("#quiz-answer").count() == 0  # no second try
    # students do not see the results before the reveal
    assert sam.page.locator("#quiz-results").is_hidden()
    ines.page.click("#quiz-reveal")
    sam.wait("__anatomy.quiz().revealed")
    assert "Not quite: you chose the spleen" in sam.page.inner_text("#quiz-mine")
    assert sam.page.locator("#anatomy-quiz-banner").is_hidden()
    ines.page.click("#quiz-end")
    sam.wait("__anatomy.quiz() === null")
