"""The real client under the real Content-Security-Policy: no violations in the lobby or the anatomy lab.

The page records every ``securitypolicyviolation`` event from its first script on; a blocked
inline script at the end shows that the policy is enforced and that the recorder hears it.
Signing in and out through the forms also shows that the client's own requests pass the
cross-site check (the browser sends Origin on them).
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

SPACE = "anatomy-demo"
SAMPLE = "abdomen-ct-organs"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
});
"""


def _violations(page: Any) -> list[str]:
    return list(page.evaluate("() => window.__cspViolations"))


def _open_a_study(page: Any) -> bool:
    """Shows a study (imports the sample unless this server has it); False when no sample is available."""
    if page.evaluate("() => __anatomy.studyId()") != f"sample-{SAMPLE}":
        page.click("#anatomy-tab-study")
        try:
            page.wait_for_function(
                "(s) => [...document.querySelectorAll('#anatomy-sample option')].some(o => o.value === s)",
                arg=SAMPLE,
                timeout=10_000,
            )
        except Exception:
            return False
        page.select_option("#anatomy-sample", SAMPLE)
        page.click("#anatomy-import")
    page.wait_for_function("() => __anatomy.structureCount() > 0 && __anatomy.timings().rendered !== null", timeout=90_000)
    return True


def test_the_client_runs_under_its_content_security_policy(browser: Any, live_server: Any) -> None:
    context = browser.new_context(viewport={"width": 820, "height": 540})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(f"page error: {e}"))
    try:
        response = page.goto(live_server.url + "/")
        assert response is not None and "frame-ancestors 'none'" in response.headers["content-security-policy"]

        page.fill("#username", "ines")
        page.fill("#password", live_server.credentials["ines"])
        page.click("form.signin-card button[type=submit]")
        page.wait_for_selector(".page-lobby .space-card")
        assert _violations(page) == []

        page.goto(f"{live_server.url}/#/space/{SPACE}")
        page.wait_for_function(
            "(s) => window.__medverse && __medverse.space() === s && __medverse.connected()", arg=SPACE, timeout=45_000
        )
        page.wait_for_function("() => window.__anatomy !== undefined")
        # the 3D model (glTF, blob: textures); without the sample mirror the empty lab is checked
        _open_a_study(page)
        page.wait_for_timeout(1500)
        assert _violations(page) == []
        assert not [m for m in console if "Content Security Policy" in m or "Refused to" in m], console

        page.goto(live_server.url + "/#/lobby")
        page.wait_for_selector(".page-lobby")
        page.click("#sign-out")
        page.wait_for_selector("#username")  # the sign-out POST passed the cross-site check
        assert _violations(page) == []

        # the policy is enforced, and the recorder would have heard a violation
        page.evaluate("""() => { const s = document.createElement('script');
                                 s.textContent = 'window.__inlineRan = true'; document.head.appendChild(s); }""")
        page.wait_for_function("() => window.__cspViolations.length > 0")
        assert page.evaluate("() => window.__inlineRan") is None
        assert _violations(page)[0].startswith("script-src")
    finally:
        context.close()
