"""Shared objects between two real browsers: placing, moving, deleting, and a refused change."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.browser.conftest import PeopleFactory, Person

pytestmark = pytest.mark.browser


def _policy(person: Person, edit: str) -> None:
    r = person.command("space.set_policy", {"edit": edit})
    assert r["ok"], r
    person.wait("__medverse.state().policy.edit === arg", arg=edit)


def test_object_placed_moved_and_deleted_by_instructor_appears_for_the_other(people: PeopleFactory) -> None:
    ines = people("ines")
    sam = people("sam")
    label = f"Femur {uuid.uuid4().hex[:6]}"
    before = set(sam.objects())
    # place a box through the toolbar
    ines.page.fill("#new-label", label)
    ines.page.click("button[data-shape=box]")
    sam.wait("__medverse.objects().some(o => o.label === arg)", arg=label)
    new = [o for o in sam.objects().values() if o["id"] not in before and o["label"] == label]
    assert len(new) == 1 and new[0]["shape"] == "box"
    oid = new[0]["id"]
    # the new object is selected for its author; the selection panel shows it
    ines.wait("!document.querySelector('#selection').hidden")
    # a move (what a TransformControls drag sends at its end)
    r = ines.command("object.update", {"id": oid, "position": [1.5, 0.2, -0.5], "scale": [1, 2, 1]})
    assert r["ok"], r
    sam.wait("__medverse.objects().some(o => o.id === arg && o.position[0] === 1.5 && o.scale[1] === 2)", arg=oid)
    # deselect, then select it again by clicking it in the 3D view, and delete it with the button
    ines.page.keyboard.press("Escape")
    ines.wait("document.querySelector('#selection').hidden")
    ines.next_frames()
    spot = ines.hook("screenOf(arg)", oid)
    assert spot is not None
    ines.page.mouse.click(spot["x"], spot["y"])
    ines.wait("!document.querySelector('#selection').hidden")
    # drag the gizmo's centre handle (moves the object in the view plane), like a user would
    ines.next_frames()  # the gizmo is drawn where the pointer will grab it
    before_drag = ines.objects()[oid]["position"]
    ines.page.mouse.move(spot["x"], spot["y"])
    ines.page.mouse.down()
    for i in range(1, 9):
        ines.page.mouse.move(spot["x"] + 12 * i, spot["y"] - 4 * i)
        ines.page.wait_for_timeout(40)  # kept: a drag takes time, as a hand's does
    ines.page.mouse.up()
    sam.wait(
        "(() => { const o = __medverse.objects().find(o => o.id === arg.id);"
        " return o && Math.hypot(o.position[0] - arg.p[0], o.position[2] - arg.p[2]) > 0.2; })()",
        arg={"id": oid, "p": before_drag},
    )
    moved = sam.objects()[oid]["position"]
    ines.wait("__medverse.objects().find(o => o.id === arg.id).position[0] === arg.x", arg={"id": oid, "x": moved[0]})
    ines.page.click("#delete-object")
    sam.wait("!__medverse.objects().some(o => o.id === arg)", arg=oid)
    assert oid not in ines.objects()


def test_student_change_is_refused_with_a_visible_message_and_nothing_changes(people: PeopleFactory) -> None:
    ines = people("ines")
    sam = people("sam")
    _policy(ines, "instructor")
    sam.wait("__medverse.state().policy.edit === 'instructor'")
    # the toolbar tells the student why editing is off
    assert sam.page.locator("button[data-shape=box]").is_disabled()
    assert "instructor" in sam.page.locator("#object-toolbar .tool-note").inner_text().lower()
    oid = f"o-test-{uuid.uuid4().hex[:8]}"
    r = ines.command("object.create", {"id": oid, "shape": "cone", "position": [0, 0.2, 1], "label": "keep"})
    assert r["ok"], r
    sam.wait("__medverse.objects().some(o => o.id === arg)", arg=oid)
    seq_before = ines.hook("seq()")
    # Sam tries anyway (stale UI, a script, ...): the server refuses, Sam sees why
    r = sam.command("object.update", {"id": oid, "position": [3, 0.2, 3]})
    assert r == {"ok": False, "code": "forbidden", "message": r["message"]}
    toast = sam.page.locator(".toast-error").last
    toast.wait_for(state="visible")
    assert "needs role instructor" in toast.inner_text()
    r = sam.command("object.create", {"shape": "box", "position": [0, 0.2, 0]})
    assert r["ok"] is False and r["code"] == "forbidden"
    # nothing changed for anyone: the next event in the space directly follows the last one before
    marker = ines.command("chat.send", {"text": f"after the refusals {uuid.uuid4().hex[:6]}"})
    assert marker["ok"] and marker["seq"] == seq_before + 1, marker
    assert ines.objects()[oid]["position"] == [0, 0.2, 1]
    assert sam.objects()[oid]["position"] == [0, 0.2, 1]
    assert ines.page.locator(".toast-error").count() == 0
    # when the instructor lets participants edit, the same student may place objects from the toolbar
    _policy(ines, "participant")
    sam.wait("!document.querySelector('button[data-shape=sphere]').disabled")
    label = f"student pin {uuid.uuid4().hex[:4]}"
    sam.page.fill("#new-label", label)
    sam.page.click("button[data-shape=pin]")
    ines.wait("__medverse.objects().some(o => o.label === arg && o.shape === 'pin')", arg=label)
    _policy(ines, "instructor")
    sam.wait("document.querySelector('button[data-shape=sphere]').disabled")
    assert ines.command("object.delete", {"id": oid})["ok"]
