"""The space page on a phone (390x844 portrait): the header on one line without overlaps, the 3D
view on top at a real size, and people, chat and the kind's panel below it as tabs over the full
width (the anatomy panel no longer floats over the view).

Set MEDVERSE_SHOTS=<folder> to keep screenshots at 390x844 and 844x390 (the lab then imports the
sample study first, for the user guide's pictures: that needs the sample data)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PHONE = {"width": 390, "height": 844}
PHONE_LANDSCAPE = {"width": 844, "height": 390}
HEADER = [".space-title", "#my-role", "#enter-vr", "#help-button", ".back-link"]


def _shot(person: Any, name: str, *, space: bool = True) -> None:
    folder = os.environ.get("MEDVERSE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        if space:
            person.next_frames()
        person.page.screenshot(path=str(Path(folder) / name))


def _boxes(person: Any, selectors: list[str]) -> dict[str, dict[str, float]]:
    boxes = {}
    for sel in selectors:
        box = person.page.locator(sel).bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0, (sel, box)
        boxes[sel] = box
    return boxes


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def _assert_header_fits(person: Any, width: int) -> None:
    boxes = _boxes(person, HEADER)
    names = list(boxes)
    for i, a in enumerate(names):
        assert boxes[a]["x"] >= 0 and boxes[a]["x"] + boxes[a]["width"] <= width + 0.5, (a, boxes[a])
        for b in names[i + 1 :]:
            assert not _overlap(boxes[a], boxes[b]), (a, boxes[a], b, boxes[b])
    # one line: everything within the bar's height
    bar = person.page.locator(".space-bar").bounding_box()
    assert bar["height"] <= 56, bar
    # the VR button says why it is off in its title
    assert person.page.get_attribute("#enter-vr", "title")


def _assert_canvas(person: Any, min_w: float, min_h: float) -> dict[str, float]:
    person.next_frames(3)
    box = person.page.locator("canvas.scene-canvas").bounding_box()
    assert box["width"] >= min_w and box["height"] >= min_h, box
    # the drawing buffer follows the element (the canvas was resized to its container)
    size = person.page.evaluate(
        "() => { const c = document.querySelector('canvas.scene-canvas'); "
        "return [c.width / devicePixelRatio, c.height / devicePixelRatio, c.clientWidth, c.clientHeight]; }"
    )
    assert abs(size[0] - size[2]) <= 2 and abs(size[1] - size[3]) <= 2, size
    # the centre of the view is the view itself
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    assert person.page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.matches('canvas.scene-canvas')", [cx, cy])
    return box


def test_space_page_on_a_phone(people: Any) -> None:
    kim = people("kim", viewport=PHONE)
    ines = people("ines")  # a desktop user in the same space
    _assert_header_fits(kim, PHONE["width"])
    box = _assert_canvas(kim, 300, 300)
    assert box["height"] >= 0.4 * PHONE["height"], box
    assert box["y"] < 80, box  # the view is on top

    # people: full width below the view, names not cut
    kim.page.click("#side-tab-people")
    kim.page.locator(".people-list .person-name", has_text="Dr Ines Moreau").wait_for()
    side = kim.page.locator(".sidebar").bounding_box()
    assert side["width"] >= PHONE["width"] - 2 and side["y"] >= box["y"] + box["height"] - 1, side
    names = kim.page.evaluate(
        "() => [...document.querySelectorAll('.people-list .person-name')].map(e => "
        "({text: e.textContent, cut: e.scrollWidth > e.clientWidth + 1, width: e.getBoundingClientRect().width}))"
    )
    assert len(names) >= 2, names
    for n in names:
        assert not n["cut"] and n["width"] >= 40, names
    _shot(kim, "phone-people.png")

    # chat: the input is reachable and a message reaches the desktop user
    kim.page.click("#side-tab-chat")
    text = "hello from a phone"
    kim.page.fill("#chat-input", text)
    kim.page.press("#chat-input", "Enter")
    ines.page.locator("#chat-log .chat-msg", has_text=text).wait_for()
    kim.page.locator("#chat-log .chat-msg", has_text=text).wait_for()
    inp = kim.page.locator("#chat-input").bounding_box()
    assert inp["y"] + inp["height"] <= PHONE["height"] and inp["width"] >= 200, inp
    _shot(kim, "phone-space.png")

    # landscape: the view left, the panels right
    kim.page.set_viewport_size(PHONE_LANDSCAPE)
    _assert_header_fits(kim, PHONE_LANDSCAPE["width"])
    box = _assert_canvas(kim, 450, 280)
    side = kim.page.locator(".sidebar").bounding_box()
    assert side["x"] >= box["x"] + box["width"] - 1 and side["width"] < 0.45 * PHONE_LANDSCAPE["width"], (box, side)
    _shot(kim, "phone-space-landscape.png")


def test_anatomy_panel_on_a_phone(people: Any) -> None:
    ines = people("ines", enter=False, viewport=PHONE)
    ines.enter("anatomy-demo")
    ines.wait("window.__anatomy !== undefined")
    _assert_header_fits(ines, PHONE["width"])
    # the lab's panel is the side tab shown first, its tabs visible below the view
    tab = ines.page.locator("#anatomy-tab-study")
    tab.wait_for()
    box = _assert_canvas(ines, 300, 300)
    tab_box = tab.bounding_box()
    assert tab_box["y"] >= box["y"] + box["height"] - 1, (tab_box, box)
    panel = ines.page.locator("#anatomy-panel").bounding_box()
    assert panel["y"] >= box["y"] + box["height"] - 1 and panel["y"] + panel["height"] <= PHONE["height"] + 1, panel
    ines.page.click("#anatomy-tab-structures")
    assert ines.page.locator("#anatomy-tab-structures").get_attribute("class").find("is-active") >= 0
    ines.page.click("#anatomy-tab-study")
    if os.environ.get("MEDVERSE_SHOTS") and ines.page.evaluate("() => __anatomy.structureCount()") == 0:
        sample = "abdomen-ct-organs"
        ines.wait("[...document.querySelectorAll('#anatomy-sample option')].some(o => o.value === arg)", arg=sample)
        ines.page.select_option("#anatomy-sample", sample)
        ines.page.click("#anatomy-import")
        ines.wait("__anatomy.structureCount() > 0 && __anatomy.timings().rendered !== null", timeout=90_000)
        ines.page.click("#anatomy-tab-structures")
    _shot(ines, "phone-anatomy.png")
    # the other side tabs hide the panel; the lab tab brings it back
    ines.page.click("#side-tab-chat")
    assert not ines.page.locator("#anatomy-panel").is_visible()
    assert ines.page.locator("#chat-input").is_visible()
    ines.page.click("#side-tab-kind")
    assert ines.page.locator("#anatomy-panel").is_visible()
    # landscape
    ines.page.set_viewport_size(PHONE_LANDSCAPE)
    _assert_header_fits(ines, PHONE_LANDSCAPE["width"])
    box = _assert_canvas(ines, 450, 280)
    panel = ines.page.locator("#anatomy-panel").bounding_box()
    assert panel["x"] >= box["x"] + box["width"] - 1, (panel, box)
    _shot(ines, "phone-anatomy-landscape.png")


def test_lobby_header_on_a_phone(people: Any) -> None:
    ines = people("ines", enter=False, viewport=PHONE)
    boxes = _boxes(ines, [".brand", ".header-nav", ".user-name", "#sign-out"])
    for sel, box in boxes.items():
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (sel, box)
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not _overlap(boxes[a], boxes[b]), (a, b)
    # the button and the user's name are whole
    for sel in ("#sign-out", ".user-name"):
        assert ines.page.evaluate(
            "(s) => { const e = document.querySelector(s); return e.scrollWidth <= e.clientWidth; }", sel
        ), sel
    _shot(ines, "phone-lobby.png", space=False)
