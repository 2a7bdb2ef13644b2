"""The simulation bay's engine side: every loaded bay's patients advanced in real time.

Each bay owns a :class:`~medverse.physiology.PatientBatch` with its patients (one vectorised call
advances them all); the runner ticks every :data:`TICK_S` and brings each bay to the simulation
time its clock says, applying every action of the log at its ``at_s`` step. Because the engine
is deterministic and every action carries its step, the log alone reproduces a case:

- an action stamped a little in the past (a command committed after the engine passed its step,
  or a pause) rolls the bay back to a snapshot and re-simulates, so live and replay agree;
- after a restart a bay is rebuilt from the log: re-simulated from the start to the last
  checkpoint (the engine runs ~1000x real time) and resumed from there (``sim.resume``).

Every tick sends the monitor stream (medverse.simbay.monitor) to the bay's local connections;
what the engine decides for the log (scheduled actions reached, blood gas results, examination
findings, checkpoints, the end of the case) goes through the kind's internal commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import logging
import math
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np

from medverse.auth.roles import INSTRUCTOR
from medverse.errors import MedverseError
from medverse.simbay import monitor
from medverse.simbay.rules import KIND, sim_now
from medverse.spaces.kinds import Actor

if TYPE_CHECKING:
    from medverse.spaces.host import KindHost
    from medverse.spaces.space import Space

log = logging.getLogger("medverse.simbay")

SYSTEM = Actor(0, "the simulation", INSTRUCTOR, is_admin=True)
TICK_S = 0.25  # wall seconds between monitor chunks
SNAP_EVERY_S = 2.0  # simulated seconds between rollback snapshots
KEEP_SNAPS = 90
CHECKPOINT_MIN_S = 5.0  # simulated seconds between checkpoints (at x1)...
CHECKPOINT_WALL_S = 2.0  # ...and wall seconds at most once per this, at higher speeds
VITALS = ("hr", "sbp", "dbp", "map", "spo2", "etco2", "rr", "t_core", "ph", "lactate", "blood_volume")
LABS = ("ph", "pao2", "paco2", "hco3", "base_excess", "lactate", "hb", "spo2")


@functools.cache
def _col(name: str) -> int:
    """The trend column of an output (looked up once per name: it is read for every patient on
    every tick)."""
    from medverse.physiology import layout as L

    return L.OUT_NAMES.index(name)


class Bay:
    """One bay's patients in the engine (built from the kind state; owned by the runner)."""

    def __init__(self, kind: dict[str, Any]) -> None:
        from medverse.physiology import ActionApplier, Patient, PatientBatch

        case = kind["case"]
        self.case_id = case["id"]
        self.duration_s = float(case["duration_s"])
        self.roster = tuple((p["id"], p["seed"]) for p in kind["patients"])
        self.index = {p["id"]: i for i, p in enumerate(kind["patients"])}
        patients = [Patient(name=p["label"], **p["patient"]) for p in kind["patients"]]
        self.batch = PatientBatch(patients, seed=[int(p["seed"]) for p in kind["patients"]], trend_interval_s=1.0)
        self.applier = ActionApplier(self.batch)
        self.applied: set[str] = set()
        self.snaps: deque[tuple[int, dict[str, Any], Any, frozenset[str]]] = deque(maxlen=KEEP_SNAPS)
        from medverse.physiology import layout as L

        self.last = np.zeros((self.batch.n, L.N_OUT))
        self.ecg: list[list[np.ndarray]] = [[] for _ in range(self.batch.n)]
        self.waves: list[list[np.ndarray]] = [[] for _ in range(self.batch.n)]
        self.captured: dict[str, dict[str, float]] = {}  # lab id -> values when drawn
        self.examined: dict[str, str] = {}  # finding id -> text
        self.seq = 0
        self.last_checkpoint_s = -1e9
        self.last_checkpoint_wall = 0.0
        self.fresh = True
        self.replayed: float | None = None  # the past moment last sent (see Runner.tick)
        self.has_row = False  # a trend row (the vital signs) exists once a simulated second passed
        self._snapshot()

    def matches(self, kind: dict[str, Any]) -> bool:
        case = kind["case"]
        return (
            case is not None
            and case["id"] == self.case_id
            and tuple((p["id"], p["seed"]) for p in kind["patients"]) == self.roster
        )

    @property
    def time_s(self) -> float:
        return self.batch.time_s

    def _snapshot(self) -> None:
        a = self.applier
        self.snaps.append(
            (self.batch.step, self.batch.snapshot(), copy.deepcopy((a.bleeds, a.o2_fio2, a.vent_fio2)), frozenset(self.applied))
        )

    def rollback(self, to_s: float) -> bool:
        """Back to the newest snapshot at or before ``to_s``; False when none is that old."""
        while self.snaps and self.snaps[-1][0] * self.batch.dt_s > to_s + 1e-9:
            self.snaps.pop()
        if not self.snaps:
            return False
        _step, snap, (bleeds, o2, vent), applied = self.snaps[-1]
        self.batch.restore(snap)
        self.applier.bleeds, self.applier.o2_fio2, self.applier.vent_fio2 = copy.deepcopy((bleeds, o2, vent))
        self.applied = set(applied)
        for buf in (*self.ecg, *self.waves):
            buf.clear()
        return True

    def run_to(self, actions: list[dict[str, Any]], target_s: float, waveforms: bool = True) -> list[str]:
        """Advance to ``target_s``, applying each action at its step; the ids of the actions
        applied (for ``sim.reveal``)."""
        from medverse.physiology.interventions import Action

        dt = self.batch.dt_s
        target_s = math.floor(min(target_s, self.duration_s) / dt + 1e-6) * dt  # a whole step
        pending = sorted((a for a in actions if a["id"] not in self.applied), key=lambda a: (a["at_s"], int(a["id"][1:])))
        applied_now: list[str] = []
        for a in pending:
            if a["at_s"] > target_s + 1e-9:
                break
            self._advance(a["at_s"], waveforms)
            i = self.index.get(a["patient"])
            if i is not None:
                note = self.applier.apply(i, Action(float(a["at_s"]), a["name"], dict(a["fields"])))
                if note:
                    log.info("bay %s, %s: %s: %s", self.case_id, a["patient"], a["label"], note)
            self.applied.add(a["id"])
            applied_now.append(a["id"])
        self._advance(target_s, waveforms)
        return applied_now

    def _advance(self, to_s: float, waveforms: bool) -> None:
        while self.time_s < to_s - 1e-9:
            next_snap = (int(self.time_s / SNAP_EVERY_S + 1e-9) + 1) * SNAP_EVERY_S
            stop = min(to_s, next_snap)
            if round((stop - self.time_s) / self.batch.dt_s) < 1:
                break  # less than a step to go
            chunk = self.batch.advance(stop - self.time_s, waveforms=waveforms)
            if chunk.trends.shape[1]:
                self.last[:] = chunk.trends[:, -1, :]
                self.has_row = True
            if waveforms and chunk.ecg_mv is not None and chunk.waves is not None:
                k0 = round(chunk.ecg_t0_s * 500)
                w0 = round(chunk.wave_t0_s * 100)
                for i in range(self.batch.n):
                    self.ecg[i].append(chunk.ecg_mv[i, (k0 % 2) :: 2])
                    self.waves[i].append(chunk.waves[i, :, (w0 % 2) :: 2])
            if abs(self.time_s - next_snap) < 1e-6:
                self._snapshot()

    def value(self, i: int, name: str) -> float:
        return float(self.last[i, _col(name)])

    def monitor_chunk(self) -> bytes:
        """The samples simulated since the previous chunk, for every patient."""
        out = []
        for i in range(self.batch.n):
            ecg = np.concatenate(self.ecg[i]) if self.ecg[i] else np.zeros(0)
            waves = np.concatenate(self.waves[i], axis=1) if self.waves[i] else np.zeros((3, 0))
            self.ecg[i].clear()
            self.waves[i].clear()
            numerics = tuple(self.value(i, n) if self.has_row else float("nan") for n in monitor.NUMERICS)
            out.append(monitor.PatientChunk(i, int(self.value(i, "rhythm")), numerics, ecg[-4000:], waves[:, -800:]))
        self.seq += 1
        return monitor.encode(self.seq, round(self.time_s, 3), out)  # a whole number of 1 ms steps

    def vitals(self) -> dict[str, dict[str, float]]:
        return {pid: {n: round(self.value(i, n), 3) for n in VITALS} for pid, i in self.index.items()}

    def finding(self, i: int, what: str) -> str:
        """What an examination finds, from the engine's state now."""
        from medverse.physiology import layout as L

        v = lambda n: self.value(i, n)  # noqa: E731
        rhythm = int(v("rhythm"))
        arrest = rhythm in (L.RH_VF, L.RH_ASYSTOLE, L.RH_PEA) or v("sbp") < 50
        if what == "pulse":
            if arrest:
                return "No central pulse."
            strength = "weak, thready" if v("sbp") < 90 else "strong"
            regular = "irregular" if rhythm == L.RH_AF else "regular"
            return f"Radial pulse {v('hr'):.0f}/min, {regular}, {strength}."
        if what == "breath_sounds":
            if v("rr") < 1:
                return "No breath sounds: the patient is not breathing."
            sides = [s for s, col in (("left", "ptx_l"), ("right", "ptx_r")) if v(col) > 0.25]
            if sides:
                return f"Breath sounds absent on the {' and '.join(sides)}; hyper-resonant to percussion there."
            if v("pef") < 250:
                return "Widespread expiratory wheeze, prolonged expiration."
            return "Vesicular breath sounds on both sides, no added sounds."
        if what == "pupils":
            if v("e_opioid") > 0.4:
                return "Pupils pinpoint (1-2 mm), sluggish to light."
            if arrest:
                return "Pupils dilated, not reacting to light."
            return "Pupils 3-4 mm, equal, reacting to light."
        if what == "capillary_refill":
            return "Capillary refill > 3 s." if v("map") < 65 or v("sympathetic") > 0.6 else "Capillary refill < 2 s."
        if what == "skin":
            colour = "cyanosed" if v("spo2") < 85 else "pale" if v("map") < 65 else "pink"
            feel = "cold and clammy" if v("sympathetic") > 0.6 else "warm and dry"
            return f"Skin {colour}, {feel}."
        if v("rr") < 1:
            return "Airway: no air movement."
        return "Airway: stridor, swollen tongue and lips." if v("pef") < 150 else "Airway: patent, speaking in sentences."


class Runner:
    """Ticks every loaded simulation bay of this process (started by the plug-in)."""

    def __init__(self, host: KindHost) -> None:
        self.host = host
        self.bays: dict[int, Bay] = {}
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0
        self.tick_s: deque[float] = deque(maxlen=200)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="simbay-runner")
        # compile the engine now (seconds on a first run; cached on disk after), not when the
        # first case starts
        self._warm: asyncio.Future[None] = asyncio.ensure_future(asyncio.to_thread(_warm_engine))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        next_at = time.monotonic()
        while True:
            next_at += TICK_S
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if time.monotonic() - next_at > 5 * TICK_S:
                next_at = time.monotonic()  # far behind (a paused process): do not burst
            t0 = time.perf_counter()
            spaces = [s for s in self.host.spaces.loaded_spaces() if s.kind.name == KIND]
            for space_id in [sid for sid in self.bays if sid not in {s.row.id for s in spaces}]:
                del self.bays[space_id]
            for space in spaces:
                try:
                    await self.tick(space)
                except MedverseError as exc:
                    log.warning("simulation bay %s: %s", space.row.name, exc)
                except Exception:
                    log.exception("simulation bay %s failed a tick", space.row.name)
            self.ticks += 1
            self.tick_s.append(time.perf_counter() - t0)

    async def tick(self, space: Space) -> None:
        kind = space.state["kind"]
        if kind["case"] is None or not kind["patients"]:
            self.bays.pop(space.row.id, None)
            return
        bay = self.bays.get(space.row.id)
        if bay is None or not bay.matches(kind):
            bay = await asyncio.to_thread(Bay, kind)
            self.bays[space.row.id] = bay
            kind = space.state["kind"]
            if not bay.matches(kind):
                return
            if kind["clock"]["running"] and kind["finished"] is None:
                # a restart (or another process took over): go on from the last checkpoint
                points = kind["checkpoints"]
                resume_at = max(float(kind["clock"]["sim_s"]), points[-1]["at_s"] if points else 0.0)
                if sim_now(kind["clock"], time.time()) - resume_at > 2 * TICK_S * int(kind["clock"]["speed"]) + 1:
                    await space.execute(SYSTEM, None, "sim.resume", {"sim_s": resume_at}, trusted=True)
                    kind = space.state["kind"]
        replay = kind.get("replay")
        if replay is not None:
            if bay.replayed != replay:  # re-simulate that moment once, and show it to everyone
                bay.replayed = replay
                space.send_stream(await asyncio.to_thread(replay_chunk, kind, float(replay)))
            return
        bay.replayed = None
        target = min(sim_now(kind["clock"], time.time()), bay.duration_s)
        actions = list(kind["actions"])
        late = [a["at_s"] for a in actions if a["id"] not in bay.applied and a["at_s"] < bay.time_s - 1e-9]
        back_to = min([*late, target]) if (late or target < bay.time_s - 1e-9) else None
        if back_to is not None and not bay.rollback(back_to):
            bay = await asyncio.to_thread(Bay, kind)
            self.bays[space.row.id] = bay
        fresh = bay.fresh
        applied = await asyncio.to_thread(bay.run_to, actions, target, not fresh)
        bay.fresh = False
        space.send_stream(bay.monitor_chunk())
        await self._report(space, bay, kind, applied)

    async def _report(self, space: Space, bay: Bay, kind: dict[str, Any], applied: list[str]) -> None:
        """What the engine decided goes into the log."""
        hidden = {a["id"] for a in kind["actions"] if a["hidden"]}
        reveal = [i for i in applied if i in hidden]
        if reveal:
            await space.execute(SYSTEM, None, "sim.reveal", {"ids": reveal}, trusted=True)
        t = bay.time_s
        for lab in kind["labs"]:
            if lab["results"] is not None:
                continue
            i = bay.index.get(lab["patient"])
            if i is not None and lab["id"] not in bay.captured and t >= lab["at_s"] - 1e-9:
                bay.captured[lab["id"]] = {n: round(bay.value(i, n), 3) for n in LABS}
            if lab["id"] in bay.captured and t >= lab["ready_s"] - 1e-9:
                await space.execute(
                    SYSTEM, None, "sim.lab_result", {"id": lab["id"], "results": bay.captured[lab["id"]]}, trusted=True
                )
        for f in kind["findings"]:
            i = bay.index.get(f["patient"])
            if f["text"] is None and i is not None and t >= f["at_s"] - 1e-9:
                await space.execute(SYSTEM, None, "sim.finding", {"id": f["id"], "text": bay.finding(i, f["what"])}, trusted=True)
        if kind["finished"] is not None:
            return
        now = time.monotonic()
        due = t - bay.last_checkpoint_s >= CHECKPOINT_MIN_S and now - bay.last_checkpoint_wall >= min(
            CHECKPOINT_WALL_S, CHECKPOINT_MIN_S
        )
        points = kind["checkpoints"]
        if due and bay.has_row and (not points or t > points[-1]["at_s"] + 1e-6):
            bay.last_checkpoint_s, bay.last_checkpoint_wall = t, now
            await space.execute(SYSTEM, None, "sim.checkpoint", {"at_s": round(t, 3), "vitals": bay.vitals()}, trusted=True)
        if bay.has_row and t >= bay.duration_s - 1e-9:
            await space.execute(SYSTEM, None, "sim.end", {"at_s": round(t, 3), "outcome": outcome(kind, bay)}, trusted=True)


REPLAY_WINDOW_S = 6.0  # seconds of waveform before a replayed moment


def replay_chunk(kind: dict[str, Any], at_s: float) -> bytes:
    """The monitor at a past moment, re-simulated from the log: the last seconds of waveform
    up to ``at_s`` and the numbers then (the engine is deterministic: this is what was shown)."""
    bay = Bay(kind)
    actions = [a for a in kind["actions"] if a["at_s"] <= at_s + 1e-9]
    bay.run_to(actions, max(0.0, at_s - REPLAY_WINDOW_S), waveforms=False)
    bay.run_to(actions, at_s, waveforms=True)
    return bay.monitor_chunk()


def _warm_engine() -> None:
    try:
        from medverse.physiology import Patient, PatientBatch

        PatientBatch([Patient()], trend_interval_s=1.0).advance(0.05, waveforms=True)
    except Exception:  # pragma: no cover - reported when a bay is built
        log.exception("the physiology engine could not be prepared")


def outcome(kind: dict[str, Any], bay: Bay) -> list[dict[str, Any]]:
    """The case's end criteria, judged on the first patient (a triage exercise has none)."""
    out = []
    for crit in kind["case"].get("outcome", []):
        observed = bay.value(0, crit["measure"])
        met = observed >= crit["value"] if crit["op"] == ">=" else observed <= crit["value"]
        out.append({**crit, "observed": round(observed, 2), "met": bool(met)})
    return out
