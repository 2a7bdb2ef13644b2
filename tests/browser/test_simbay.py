"""The simulation bay in two real browsers: the instructor runs a case, a student treats the
patient from the panel, the monitor shows the engine's numbers, the checklist follows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import new_space

if TYPE_CHECKING:
    from tests.browser.conftest import PeopleFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_student_treats_the_patient_and_the_instructor_sees_the_checklist(people: PeopleFactory, live_server: Any) -> None:
    room = new_space(live_server, kind="simbay", members={"ines": "instructor", "sam": "participant"}, prefix="bay")
    ines = people("ines", enter=False).enter(room)
    sam = people("sam", enter=False).enter(room)
    ines.page.locator("#sim-case-picker option[value='anaphylaxis']").wait_for(state="attached")
    ines.page.select_option("#sim-case-picker", "anaphylaxis")
    ines.page.select_option("#sim-pt-sex", "female")  # the instructor adjusts the patient
    ines.page.fill("#sim-pt-age", "70")
    ines.page.click("#sim-load")
    ines.wait("window.__simbay && __simbay.state().patients.length === 1")
    patient = ines.page.evaluate("() => __simbay.state().patients[0].patient")
    assert patient["sex"] == "female" and patient["age_yr"] == 70
    ines.page.select_option("#sim-speed", "10")
    ines.page.click("#sim-start")
    sam.page.locator("#sim-title", has_text="Anaphylaxis").wait_for()
    # the monitor shows the engine's numbers
    sam.wait("window.__simbay && __simbay.monitor() && __simbay.monitor().numerics.hr > 30", 60_000)
    # students have no console and see no checklist
    assert sam.page.locator("#sim-tab-console").count() == 0 and sam.page.locator("#sim-score").count() == 0
    sam.wait("__simbay.simTime() > 40", 60_000)  # after the reaction began
    sam.page.fill("#sim-dose", "0.5")
    sam.page.select_option("#sim-route", "IM")
    sam.page.click("#sim-give")
    ines.page.locator("#sim-score li[data-expected='epi_im'].score-done").wait_for(timeout=20_000)
    assert "Sam Okafor" in ines.page.inner_text("#sim-score li[data-expected='epi_im']")
    # an implausible dose (50 mg of epinephrine: a unit mix-up) is refused with the reason
    sam.page.fill("#sim-dose", "50")
    sam.page.click("#sim-give")
    sam.page.locator(".toast-error", has_text="ten times").first.wait_for()
    sam.page.click("#sim-tab-timeline")
    sam.page.locator("#sim-timeline li", has_text="epinephrine").first.wait_for()
    assert sam.page.locator("#sim-timeline li", has_text="epinephrine").count() == 1
    ines.page.click("#sim-pause")
    ines.page.locator("#sim-start", has_text="Resume").wait_for()
    # the debrief: the instructor shows everyone an earlier moment, then goes back to live
    ines.page.click("#sim-tab-debrief")
    ines.page.fill("#sim-replay-at", "30")
    ines.page.locator("#sim-replay-label", has_text="0:30").wait_for()
    ines.page.click("#sim-replay-show")
    sam.page.locator("#sim-replay-badge", has_text="0:30").wait_for()
    ines.page.click("#sim-replay-live")
    sam.page.locator("#sim-replay-badge").wait_for(state="hidden")
