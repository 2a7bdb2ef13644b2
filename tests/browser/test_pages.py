"""Sign-in, the lobby and the admin page in a real browser."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.browser.conftest import PeopleFactory

pytestmark = pytest.mark.browser


def test_wrong_password_is_refused_and_sign_out_returns_to_sign_in(browser: Any, live_server: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(live_server.url + "/#/lobby")
        page.wait_for_selector("#username")  # not signed in: the sign-in page
        page.fill("#username", "sam")
        page.fill("#password", "not-the-password")
        page.click("form.signin-card button[type=submit]")
        page.locator(".form-error", has_text="Wrong username or password").wait_for()
        page.fill("#password", live_server.credentials["sam"])
        page.click("form.signin-card button[type=submit]")
        page.wait_for_selector(".space-card")
        assert page.locator("a[href='#/admin']").count() == 0  # not a site admin
        page.click("#sign-out")
        page.wait_for_selector("#username")
        page.goto(live_server.url + "/#/space/commons-demo")
        page.wait_for_selector("#username")  # the session is gone
        assert not errors
    finally:
        context.close()


def test_unknown_space_sends_back_to_the_lobby_with_a_message(people: PeopleFactory) -> None:
    sam = people("sam", enter=False)
    sam.page.goto(sam.base_url + "/#/space/no-such-space")
    sam.page.wait_for_url("**/#/lobby", timeout=30_000)
    sam.page.locator(".toast-error", has_text="no-such-space").wait_for()


def test_lobby_lists_spaces_with_my_role_and_who_is_there(people: PeopleFactory) -> None:
    ines = people("ines")
    sam = people("sam", enter=False)
    card = sam.page.locator(".space-card[data-space='commons-demo']")
    card.wait_for()
    assert "Participant" in card.locator(".space-role").inner_text()
    # Ines is in the space: the lobby (polling) shows her with her role
    card.locator(".online-item", has_text="Ines").wait_for(timeout=30_000)
    assert "Instructor" in card.locator(".online-item", has_text="Ines").inner_text()
    card.locator(".enter-space").click()
    sam.wait("window.__medverse && __medverse.connected()", 45_000)
    assert ines.page.locator("#participants li", has_text="Sam").count() == 1


def test_admin_creates_a_user_and_a_space_and_reads_the_audit_log(people: PeopleFactory) -> None:
    admin = people("admin", enter=False)
    admin.page.click("a[href='#/admin']")
    admin.page.wait_for_selector("#create-user")
    name = f"nurse{uuid.uuid4().hex[:5]}"
    admin.page.fill("#new-username", name)
    admin.page.fill("#new-display", "Nurse Test")
    admin.page.fill("#new-password", "a-long-password")
    admin.page.click("#create-user button[type=submit]")
    users = admin.page.locator("section[aria-labelledby='h-users']")
    users.get_by_role("cell", name=name, exact=True).wait_for()
    space = f"ward-{uuid.uuid4().hex[:5]}"
    admin.page.fill("#space-name", space)
    admin.page.fill("#space-title", "Ward round")
    admin.page.select_option("#space-kind", "commons")
    admin.page.click("#create-space button[type=submit]")
    spaces = admin.page.locator("section[aria-labelledby='h-spaces']")
    spaces.get_by_role("cell", name="Ward round", exact=True).wait_for()
    admin.page.select_option("#member-space", label="Ward round")
    admin.page.select_option("#member-user", value=name)
    admin.page.select_option("#member-role", "instructor")
    admin.page.click("#set-member button[type=submit]")
    admin.page.locator(".toast", has_text=f"{name} is now instructor").wait_for()
    admin.page.click("#h-audit ~ button, .card-head button")
    admin.page.locator(".table-audit td", has_text="user").first.wait_for()
