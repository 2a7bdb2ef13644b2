"""The space view in a real browser: it renders, avatars move for others, VR explains itself."""

from __future__ import annotations

import io
import math
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.browser.conftest import PeopleFactory

pytestmark = pytest.mark.browser


def test_canvas_renders_a_scene_not_a_blank(people: PeopleFactory) -> None:
    ines = people("ines")
    ines.wait("__medverse.frames() > 5")
    png = ines.page.locator("canvas.scene-canvas").screenshot()
    image = pytest.importorskip("PIL.Image").open(io.BytesIO(png)).convert("RGB")
    small = image.resize((image.width // 4, image.height // 4))
    raw = small.tobytes()
    colours = {raw[i : i + 3] for i in range(0, len(raw), 3)}
    assert len(colours) > 200, f"the canvas looks blank ({len(colours)} colours)"
    # the sky (top rows) and the floor (bottom rows) differ
    top = small.crop((0, 0, small.width, 10)).tobytes()
    bottom = small.crop((0, small.height - 10, small.width, small.height)).tobytes()
    assert abs(sum(top) / len(top) - sum(bottom) / len(bottom)) > 3


def test_enter_vr_button_is_disabled_and_says_why_headless(people: PeopleFactory) -> None:
    ines = people("ines")
    button = ines.page.locator("#enter-vr")
    ines.wait("__medverse.vrReason() !== 'checking…'")
    assert button.is_disabled()
    text = button.inner_text()
    # headless Chromium on http://127.0.0.1 is a secure context without an immersive-vr device
    assert "no headset found" in text
    assert "Enter VR" in text
    assert "unavailable" in (button.get_attribute("aria-label") or "")


def test_enter_vr_button_explains_an_insecure_page(people: PeopleFactory) -> None:
    # a page served over plain http from another host is not a secure context: simulate one
    kim = people("kim", enter=False)
    kim.context.add_init_script("Object.defineProperty(window, 'isSecureContext', { value: false })")
    kim.page.goto(f"{kim.base_url}/#/space/commons-demo")
    kim.page.reload()  # a fresh document, with the init script in force
    kim.wait("window.__medverse && __medverse.connected()", 45_000)
    kim.wait("__medverse.vrReason() !== 'checking…'")
    button = kim.page.locator("#enter-vr")
    assert button.is_disabled()
    assert "VR needs HTTPS or localhost" in button.inner_text()


def test_two_users_see_each_other_and_movement_is_smooth(people: PeopleFactory) -> None:
    ines = people("ines")
    sam = people("sam")
    me_sam = sam.hook("me()")
    me_ines = ines.hook("me()")
    ines.wait("__medverse.avatars().some(a => a.pid === arg && a.visible)", arg=me_sam["pid"])
    sam.wait("__medverse.avatars().some(a => a.pid === arg && a.visible)", arg=me_ines["pid"])
    seen = next(a for a in ines.hook("avatars()") if a["pid"] == me_sam["pid"])
    assert seen["role"] == "participant"
    assert seen["name"] == me_sam["display_name"]
    start = seen["position"]
    # Sam walks forward with the W key until Ines has seen him cover a metre (at most 8 s)
    sam.page.locator("canvas.scene-canvas").focus()
    sam.page.keyboard.down("w")
    samples = []
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 8:
            a = next(a for a in ines.hook("avatars()") if a["pid"] == me_sam["pid"])
            samples.append(tuple(a["position"]))
            if math.dist(samples[-1], start) > 1.0:
                break
            ines.page.wait_for_timeout(30)  # kept: the sampling interval of a deadline loop
    finally:
        sam.page.keyboard.up("w")
    assert math.dist(samples[-1], start) > 1.0, samples
    # Ines's view settles where Sam's camera stopped
    ines.wait(
        "(() => { const a = __medverse.avatars().find(a => a.pid === arg.pid);"
        " const c = arg.c; return Math.hypot(a.position[0] - c[0], a.position[2] - c[2]) < 0.1; })()",
        arg={"pid": me_sam["pid"], "c": sam.hook("camera()")},
    )
    end = next(a for a in ines.hook("avatars()") if a["pid"] == me_sam["pid"])["position"]
    own = sam.hook("camera()")
    # Ines sees Sam where Sam's camera is (within interpolation lag)
    assert math.dist(end, own) < 0.6, (end, own)
    # interpolated: on the way Ines saw intermediate positions, not one jump
    distinct = {tuple(round(c, 3) for c in s) for s in samples}
    assert len(distinct) >= 3, samples
