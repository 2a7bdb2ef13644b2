"""Chat, the participant list with roles, and an instructor's controls, in two real browsers."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.browser.conftest import PeopleFactory

pytestmark = pytest.mark.browser


def test_chat_messages_reach_the_other_user(people: PeopleFactory) -> None:
    ines = people("ines")
    sam = people("sam")
    text = f"Good morning, can everyone see the model? {uuid.uuid4().hex[:6]}"
    sam.page.fill("#chat-input", text)
    sam.page.press("#chat-input", "Enter")
    ines.page.locator("#chat-log .chat-msg", has_text=text).wait_for()
    msg = ines.page.locator("#chat-log .chat-msg", has_text=text)
    assert "Sam" in msg.locator(".chat-name").inner_text()
    reply = f"Yes, loud and clear {uuid.uuid4().hex[:6]}"
    ines.page.locator("canvas.scene-canvas").focus()
    ines.page.keyboard.press("Enter")  # Enter jumps to the chat input
    ines.page.keyboard.type(reply)
    ines.page.keyboard.press("Enter")
    sam.page.locator("#chat-log .chat-msg", has_text=reply).wait_for()
    assert sam.page.input_value("#chat-input") == ""


def test_participant_list_shows_roles_and_instructor_mutes_chat(people: PeopleFactory) -> None:
    ines = people("ines")
    kim = people("kim")
    kim_pid = kim.hook("me()")["pid"]
    row = ines.page.locator(f"#participants li[data-pid='{kim_pid}']")
    row.wait_for()
    assert "Participant" in row.inner_text()
    # students see no instructor controls
    assert kim.page.locator("#participants .person-controls").count() == 0
    assert kim.page.locator("#lock-space").count() == 0
    row.locator(".mute-btn").click()
    kim.wait("document.querySelector('#chat-input').disabled")
    r = kim.command("chat.send", {"text": "can I still talk?"})
    assert r["ok"] is False and r["code"] == "forbidden"
    kim.page.locator(".toast-error", has_text="muted").first.wait_for()
    ines.page.locator(f"#participants li[data-pid='{kim_pid}'] .mute-btn").click()
    kim.wait("!document.querySelector('#chat-input').disabled")
    # change Kim's role from the list: Kim's own view follows (badge, toolbar), then change it back
    ines.page.locator(f"#participants li[data-pid='{kim_pid}'] .role-select").select_option("observer")
    kim.page.locator("#my-role", has_text="Observer").wait_for()
    assert "Observers cannot edit" in kim.page.inner_text("#object-toolbar .tool-note")
    ines.page.locator(f"#participants li[data-pid='{kim_pid}'] .role-tag", has_text="Observer").wait_for()
    ines.page.locator(f"#participants li[data-pid='{kim_pid}'] .role-select").select_option("participant")
    kim.page.locator("#my-role", has_text="Participant").wait_for()
    # lock and unlock the space: everyone sees the state
    ines.page.click("#lock-space")
    kim.page.locator("#space-status", has_text="Locked").wait_for()
    assert ines.page.get_attribute("#lock-space", "aria-pressed") == "true"
    ines.page.click("#lock-space")
    kim.wait("!document.querySelector('#space-status').textContent.includes('Locked')")


def test_instructor_removes_a_member_who_lands_in_the_lobby(people: PeopleFactory, live_server: Any) -> None:
    ines = people("ines")
    kim = people("kim")
    kim_user = kim.hook("me()")["user_id"]
    ines.page.locator(f"#participants li[data-user='{kim_user}'] .remove-btn").first.click()  # confirm() accepted
    kim.page.wait_for_url("**/#/lobby", timeout=30_000)
    kim.page.locator(".toast-error", has_text="removed").wait_for()
    # put Kim back for the other tests (the admin's REST call, as the admin page does)
    with live_server.login("admin") as admin:
        r = admin.put("/api/spaces/commons-demo/members/kim", json={"role": "participant"})
        assert r.status_code == 200, r.text
    kim.enter()
