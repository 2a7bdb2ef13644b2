"""Browser fixtures: Debian's Chromium driven by Playwright (sync API) against the real server.

Each `people` call opens a new browser context (one user: own cookies, own page), signs in (with
the login request the form sends; tests/browser/test_pages.py drives the form itself) and can
enter a space. Console errors and uncaught page errors fail the
test unless the test expects them (a server restart makes the browser log failed reconnects).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # several pages share two cores: keep background pages rendering and their timers running
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
VIEWPORT = {"width": 820, "height": 540}
SPACE = "commons-demo"


class Person:
    """One signed-in user in their own browser context."""

    def __init__(self, context: Any, base_url: str, username: str, password: str) -> None:
        self.context = context
        self.base_url = base_url
        self.username = username
        self.password = password
        self.page = context.new_page()
        self.console_errors: list[str] = []
        self.expect_console_errors = False
        self.dialogs_accept = True
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda e: self.console_errors.append(f"page error: {e}"))
        self.page.on("dialog", lambda d: d.accept() if self.dialogs_accept else d.dismiss())

    def _on_console(self, msg: Any) -> None:
        if msg.type == "error":
            self.console_errors.append(msg.text)

    # --- navigation -----------------------------------------------------------------------
    def sign_in_by_api(self) -> Person:
        """Signs in with the REST call the form makes (the cookie lands in this context)."""
        r = self.context.request.post(
            self.base_url + "/api/auth/login", data={"username": self.username, "password": self.password}
        )
        assert r.ok, r.text()
        self.mark_signed_in()
        return self

    def mark_signed_in(self) -> None:
        # the marker the client sets after signing in through the form
        self.context.add_init_script("localStorage.setItem('medverse.signedIn', '1')")

    def sign_in(self) -> Person:
        """Signs in through the sign-in form and waits for the lobby."""
        self.page.goto(self.base_url + "/")
        self.page.fill("#username", self.username)
        self.page.fill("#password", self.password)
        self.page.click("form.signin-card button[type=submit]")
        self.page.wait_for_selector(".page-lobby")
        return self

    def enter(self, space: str = SPACE, timeout: float = 45_000) -> Person:
        self.page.goto(f"{self.base_url}/#/space/{space}")
        self.wait("window.__medverse && __medverse.space() === arg && __medverse.connected()", timeout, arg=space)
        return self

    # --- the test hook (window.__medverse) ------------------------------------------------
    def hook(self, expr: str, arg: Any = None) -> Any:
        if arg is None:
            return self.page.evaluate(f"() => window.__medverse.{expr}")
        return self.page.evaluate(f"(arg) => window.__medverse.{expr}", arg)

    def command(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """Sends a command exactly as the UI does; returns {ok, seq} or {ok: False, code, message}."""
        return dict(self.page.evaluate("([n, a]) => window.__medverse.command(n, a)", [name, args]))

    def wait(self, js_condition: str, timeout: float = 20_000, arg: Any = None) -> Any:
        return self.page.wait_for_function(f"(arg) => {js_condition}", arg=arg, timeout=timeout)

    def objects(self) -> dict[str, dict[str, Any]]:
        return {o["id"]: o for o in self.hook("objects()")}

    def next_frames(self, n: int = 2, timeout: float = 10_000) -> None:
        """Waits until the page has drawn ``n`` more frames, so the screen (and what a click there
        hits) shows everything done before the call."""
        start = int(self.hook("frames()"))
        self.wait("__medverse.frames() >= arg", timeout, arg=start + n)


@pytest.fixture(scope="package")
def pw() -> Iterator[Any]:
    """The package's one Playwright (a second one may not start while it runs)."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium, or scripts/test.sh)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(pw: Any) -> Iterator[Any]:
    b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
    yield b
    b.close()


PeopleFactory = Callable[..., Person]

# Session cookies by (server, username): signing in costs an argon2 check, so each user signs in
# once per server and later contexts start with the same cookie.
_SIGNED_IN: dict[tuple[str, str], Any] = {}


def _people(browser: Any, base_url_of: Callable[[], str], credentials: dict[str, str]) -> Iterator[PeopleFactory]:
    made: list[Person] = []

    def make(username: str, *, enter: bool = True, viewport: dict[str, int] | None = None) -> Person:
        key = (base_url_of(), username)
        state = _SIGNED_IN.get(key)
        context = browser.new_context(viewport=viewport or VIEWPORT, storage_state=state)
        person = Person(context, base_url_of(), username, credentials[username])
        made.append(person)
        if state is None:
            person.sign_in_by_api()
            _SIGNED_IN[key] = context.storage_state()
        else:
            person.mark_signed_in()
        if enter:
            person.enter()
        else:
            person.page.goto(person.base_url + "/#/lobby")
            person.page.wait_for_selector(".page-lobby")
        return person

    yield make
    errors = {p.username: p.console_errors for p in made if p.console_errors and not p.expect_console_errors}
    for p in made:
        p.context.close()
    assert not errors, f"console errors in the page: {errors}"


@pytest.fixture
def people(browser: Any, live_server: Any) -> Iterator[PeopleFactory]:
    """Signed-in users on the session's demo server (one browser context each)."""
    yield from _people(browser, lambda: live_server.url, live_server.credentials)


@pytest.fixture
def own_server(fresh_server: Any) -> Any:
    """A demo server of the test's own (started), for tests that restart it."""
    return fresh_server.start()


@pytest.fixture
def own_people(browser: Any, own_server: Any) -> Iterator[PeopleFactory]:
    yield from _people(browser, lambda: own_server.url, own_server.credentials)
