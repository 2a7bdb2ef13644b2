"""The simulation bay on a real server with real clients: the monitor stream, the team's actions
reaching the engine, what students never receive, and the log reproducing the case bit for bit,
live and after a kill -9."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import pytest

from medverse.simbay import monitor
from medverse.simbay.runner import Bay
from tests.conftest import LiveServer, eventually, join, new_space

pytest.importorskip("numba")
pytestmark = pytest.mark.slow

EPI_IM = {"drug": "epinephrine", "dose": {"value": 0.5, "unit": "mg"}, "route": "IM"}


def replay_vitals(kind: dict[str, Any], at_s: float) -> dict[str, dict[str, float]]:
    """What a fresh engine computes at ``at_s`` from the log alone (no waveforms: they do not
    change the state)."""
    bay = Bay(kind)
    actions = [a for a in kind["actions"] if a["at_s"] <= at_s + 1e-9]
    bay.run_to(actions, at_s, waveforms=False)
    return bay.vitals()


async def running_bay(server: LiveServer, speed: int = 30) -> tuple[str, Any, Any]:
    room = new_space(server, kind="simbay", members={"ines": "instructor", "sam": "participant"}, prefix="bay")
    ines, sam = await join(server, room, "ines"), await join(server, room, "sam")
    await ines.command("sim.load_case", {"case_id": "anaphylaxis"})
    await ines.command("sim.set_speed", {"speed": speed})
    await ines.command("sim.start", {})
    return room, ines, sam


def sim_time(client: Any) -> float:
    return monitor.decode(client.streams[-1])[1] if client.streams else 0.0


async def test_the_team_treats_the_patient_and_students_see_only_their_part(live_server: LiveServer) -> None:
    _room, ines, sam = await running_bay(live_server)
    await eventually(lambda: sim_time(sam) > 35, timeout=60, what="the monitor stream past the anaphylaxis onset")
    _seq, _sim_s, [patient] = monitor.decode(sam.streams[-1])
    numbers = dict(zip(monitor.NUMERICS, patient.numerics, strict=True))
    assert 40 < numbers["hr"] < 200 and 0.5 < numbers["spo2"] <= 1.0 and 40 < numbers["map"] < 150
    assert patient.ecg_mv.size > 0 and patient.waves.shape[0] == 3 and patient.waves.shape[1] > 0
    assert len(sam.streams[-1]) < 16_000  # a chunk at x30 (7.5 simulated seconds)
    # the scripted anaphylaxis was hidden from the team until the engine reached it
    await eventually(lambda: any(a["name"] == "anaphylaxis" for a in sam.state["kind"]["actions"]), timeout=20)
    ack = await sam.command("sim.act", {"patient": "p1", "action": "drug_bolus", "fields": EPI_IM})
    await sam.command("sim.examine", {"patient": "p1", "what": "breath_sounds"})
    await sam.command("sim.labs", {"patient": "p1"})
    score = await eventually(lambda: ines.state["kind"]["score"]["expected"].get("epi_im"), timeout=10)
    assert score["status"] == "done" and score["by"]["user_id"] == sam.you["user_id"]
    finding = await eventually(lambda: sam.state["kind"]["findings"] and sam.state["kind"]["findings"][0]["text"], timeout=20)
    assert "wheeze" in finding or "breath sounds" in finding.lower()
    lab = await eventually(
        lambda: sam.state["kind"]["labs"][0]["results"], timeout=30, what="the blood gas after 120 simulated s"
    )
    assert 7.0 < lab["ph"] < 7.7 and lab["pao2"] > 40
    # what students receive: no score, no script, no expected actions, redacted score events
    received = [e for e in sam.events if e["seq"] > ack["seq"] - 1]
    assert all(
        e["data"] == {"redacted": True} for e in received if e["name"] in ("sim.expected_met", "sim.critical_error", "sim.noted")
    )
    assert "expected" not in sam.state["kind"]["case"] and not sam.state["kind"]["notes"]
    await ines.close(), await sam.close()


async def test_the_log_reproduces_the_live_case_bit_for_bit(live_server: LiveServer) -> None:
    _room, ines, sam = await running_bay(live_server)
    await eventually(lambda: sim_time(sam) > 40, timeout=60)
    await sam.command("sim.act", {"patient": "p1", "action": "drug_bolus", "fields": EPI_IM})
    await sam.command("sim.act", {"patient": "p1", "action": "oxygen", "fields": {"device": "non_rebreather"}})
    await ines.command(
        "sim.inject",
        {"patient": "p1", "action": "hemorrhage", "fields": {"site": "left_leg", "rate": {"value": 150, "unit": "mL/min"}}},
    )
    await eventually(lambda: len(ines.state["kind"]["checkpoints"]) >= 6, timeout=60)
    await ines.command("sim.pause", {})
    kind = ines.state["kind"]
    for point in kind["checkpoints"][-3:]:
        assert replay_vitals(kind, point["at_s"]) == point["vitals"], f"at {point['at_s']} s"
    # the instructor shows everyone an earlier moment: the monitor shows what was shown then
    point = kind["checkpoints"][-4]
    await ines.command("sim.replay", {"at_s": point["at_s"]})
    chunk = await eventually(
        lambda: next((c for c in reversed(sam.streams) if monitor.decode(c)[1] == point["at_s"]), None), timeout=20
    )
    [patient] = monitor.decode(chunk)[2]
    shown = dict(zip(monitor.NUMERICS, patient.numerics, strict=True))
    assert shown["hr"] == pytest.approx(point["vitals"]["p1"]["hr"], abs=1e-3)
    assert shown["map"] == pytest.approx(point["vitals"]["p1"]["map"], abs=1e-3)
    assert patient.ecg_mv.size >= 1000  # a few seconds of ECG up to that moment
    await ines.close(), await sam.close()


async def test_after_kill_9_the_bay_resumes_and_matches_an_uninterrupted_run(fresh_server: LiveServer) -> None:
    fresh_server.start()
    room, ines, sam = await running_bay(fresh_server, speed=10)
    await eventually(lambda: len(ines.state["kind"]["checkpoints"]) >= 3, timeout=60)
    await sam.command("sim.act", {"patient": "p1", "action": "drug_bolus", "fields": EPI_IM})
    await eventually(lambda: len(ines.state["kind"]["checkpoints"]) >= 5, timeout=60)
    before = ines.state["kind"]["checkpoints"][-1]["at_s"]
    await ines.close(), await sam.close()
    assert fresh_server.proc is not None
    fresh_server.proc.send_signal(signal.SIGKILL)
    fresh_server.proc.wait()
    fresh_server.proc = None
    fresh_server._log.close()
    t0 = time.monotonic()
    fresh_server.start()
    ines = await join(fresh_server, room, "ines")
    resumed = await eventually(
        lambda: next((e for e in ines.events if e["name"] == "sim.clock"), None),
        timeout=60,
        what="the bay resuming after the restart",
    )
    resume_s = time.monotonic() - t0
    assert resumed["data"]["sim_s"] >= before and resumed["data"]["running"]
    await eventually(lambda: ines.state["kind"]["checkpoints"][-1]["at_s"] > resumed["data"]["sim_s"] + 20, timeout=60)
    kind = ines.state["kind"]
    after = [p for p in kind["checkpoints"] if p["at_s"] > resumed["data"]["sim_s"]]
    for point in [after[0], after[-1]]:
        assert replay_vitals(kind, point["at_s"]) == point["vitals"], f"at {point['at_s']} s"
    print(f"resumed {resume_s:.1f} s after the restart began")
    await ines.close()
    await asyncio.sleep(0)
