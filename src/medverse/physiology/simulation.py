"""Running scenarios: timed actions, trends, events, CSV and plots.

:func:`run_many` advances several scenarios together in one :class:`PatientBatch` (used by
the validation suite); :func:`run` is the one-scenario case. Actions are applied at the first
step at or after their time; between actions the batch advances in one compiled call.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import layout as L
from .engine import PatientBatch
from .errors import ScenarioError
from .interventions import ActionApplier
from .scenario import MAX_OUTPUT_BYTES, Scenario, check_output_size, output_bytes

#: unit of each trend column (CSV headers are ``name_unit``)
OUT_UNITS = {
    "time": "s",
    "hr": "per_min",
    "sbp": "mmHg",
    "dbp": "mmHg",
    "map": "mmHg",
    "pp": "mmHg",
    "co": "L_per_min",
    "sv": "mL",
    "ef": "1",
    "edv": "mL",
    "esv": "mL",
    "cvp": "mmHg",
    "pcwp": "mmHg",
    "pas": "mmHg",
    "pad": "mmHg",
    "pam": "mmHg",
    "svr": "mmHg_s_per_mL",
    "pvr": "mmHg_s_per_mL",
    "blood_volume": "mL",
    "rr": "per_min",
    "vt": "mL",
    "mv": "L_per_min",
    "vd_vt": "1",
    "ie_ratio": "1",
    "spo2": "1",
    "etco2": "mmHg",
    "pao2": "mmHg",
    "paco2": "mmHg",
    "ph": "1",
    "hco3": "mmol_per_L",
    "base_excess": "mmol_per_L",
    "lactate": "mmol_per_L",
    "hb": "g_per_dL",
    "t_core": "degC",
    "t_skin": "degC",
    "urine_rate": "mL_per_h",
    "urine_total": "mL",
    "fio2": "1",
    "pef": "L_per_min",
    "pip": "cmH2O",
    "rhythm": "code",
    "svo2": "1",
    "do2": "mL_per_min",
    "vo2": "mL_per_min",
    "blood_lost": "mL",
    "fluid_in": "mL",
    "interstitial": "mL",
    "ptx_l": "mL",
    "ptx_r": "mL",
    "e_opioid": "1",
    "nmb": "1",
    "sympathetic": "1",
    "myo_o2": "1",
    "arrest_time": "s",
    "irreversible": "1",
}
for _d in L.DRUG_NAMES:
    OUT_UNITS["c_" + _d] = "ug_per_L"


@dataclass
class Event:
    """Something clinically notable that started (or ended) at ``time_s``."""

    time_s: float
    name: str
    kind: str = "start"  # "start" | "end" | "note"
    detail: str = ""


@dataclass
class Result:
    """Trends (T rows x N_OUT columns), events and the action log of one scenario run."""

    scenario: Scenario
    time_s: np.ndarray
    data: np.ndarray
    events: list[Event] = field(default_factory=list)
    log: list[tuple[float, str, str]] = field(default_factory=list)
    ecg_mv: np.ndarray | None = None
    waves: np.ndarray | None = None

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[:, L.OUT_NAMES.index(name)]

    def at(self, name: str, t_s: float) -> float:
        """Value of trend ``name`` at the row nearest to ``t_s``."""
        j = int(np.argmin(np.abs(self.time_s - t_s)))
        return float(self[name][j])

    def mean(self, name: str, t0_s: float, t1_s: float) -> float:
        """Mean of trend ``name`` over rows with t0 <= t <= t1."""
        m = (self.time_s >= t0_s) & (self.time_s <= t1_s)
        return float(self[name][m].mean()) if m.any() else float("nan")

    def to_csv(self, path: str | Path) -> None:
        """Write every trend column (header ``name_unit``) to ``path``."""
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([f"{n}_{OUT_UNITS[n]}" for n in L.OUT_NAMES])
            for row in self.data:
                w.writerow([f"{v:.6g}" for v in row])

    def plot(self, path: str | Path) -> None:
        """Write a PNG of the main vitals over time with the actions marked."""
        from .plot import plot_result

        plot_result(self, path)


def _rhythm_name(code: float) -> str:
    return L.RHYTHM_NAMES[round(code)]


def detect_events(time_s: np.ndarray, data: np.ndarray, baseline_bv_ml: float) -> list[Event]:
    """Events from trend rows: start/end of each condition below, and rhythm changes.

    tachycardia HR > 100; bradycardia HR < 50 (perfusing rhythm); hypotension SBP < 90 mmHg;
    hypoxaemia SpO2 < 0.90; hypercapnia PaCO2 > 50 mmHg; acidosis pH < 7.20; apnoea RR = 0;
    hypovolemic shock: > 15 % of the blood volume lost and (MAP < 65 mmHg or HR/SBP > 1);
    cardiac arrest: VF, asystole, PEA or pulseless VT; irreversible state.
    """
    c = {n: data[:, L.OUT_NAMES.index(n)] for n in L.OUT_NAMES}
    rh = np.rint(c["rhythm"]).astype(int)
    arrest = np.isin(rh, [L.RH_VF, L.RH_ASYSTOLE, L.RH_PEA]) | ((rh == L.RH_VT) & (c["map"] < 40))
    lost = 1.0 - c["blood_volume"] / baseline_bv_ml
    sbp = np.maximum(c["sbp"], 1.0)
    conds = {
        "tachycardia": (c["hr"] > 100) & ~arrest,
        "bradycardia": (c["hr"] < 50) & ~arrest,
        "hypotension": (c["sbp"] < 90) & ~arrest,
        "hypoxemia": c["spo2"] < 0.90,
        "hypercapnia": c["paco2"] > 50,
        "acidosis": c["ph"] < 7.20,
        "apnea": c["rr"] <= 0.0,
        "hypovolemic shock": (lost > 0.15) & ((c["map"] < 65) | (c["hr"] / sbp > 1.0)),
        "cardiac arrest": arrest,
        "irreversible state": c["irreversible"] > 0.5,
    }
    events: list[Event] = []
    for name, mask in conds.items():
        prev = False
        for t, m in zip(time_s, mask, strict=False):
            if m and not prev:
                events.append(Event(float(t), name, "start"))
            elif prev and not m:
                events.append(Event(float(t), name, "end"))
            prev = bool(m)
    prev_rh = None
    for t, r in zip(time_s, rh, strict=False):
        if prev_rh is not None and r != prev_rh:
            events.append(Event(float(t), "rhythm", "note", f"{_rhythm_name(prev_rh)} -> {_rhythm_name(r)}"))
        prev_rh = int(r)
    events.sort(key=lambda e: e.time_s)
    return events


def run_many(
    scenarios: Sequence[Scenario], waveforms: bool = False, progress: Callable[[float], None] | None = None
) -> list[Result]:
    """Run scenarios together (one patient each) and return their results in order.

    All scenarios use the first one's trend interval; each keeps its own seed. A run whose
    recorded output (trend rows, waveforms when asked) would exceed ``MAX_OUTPUT_BYTES`` is
    refused before it starts (:class:`ScenarioError`, with the figure).
    """
    if not scenarios:
        return []
    interval = scenarios[0].trend_interval_s
    need = sum(output_bytes(sc.duration_s, interval, waveforms) for sc in scenarios)
    if need > MAX_OUTPUT_BYTES:
        longest = max(scenarios, key=lambda sc: sc.duration_s)
        why = check_output_size(longest.duration_s, interval, waveforms, patients=len(scenarios))
        raise ScenarioError(why or f"the run would hold {need:,} bytes of output", field="duration", source=longest.source)
    batch = PatientBatch([sc.patient for sc in scenarios], seed=[sc.seed for sc in scenarios], trend_interval_s=interval)
    applier = ActionApplier(batch)
    end_s = max(sc.duration_s for sc in scenarios)
    stops = sorted({a.at_s for sc in scenarios for a in sc.actions} | {end_s})
    pending = [deque(sorted(sc.actions, key=lambda a: a.at_s)) for sc in scenarios]
    logs: list[list[tuple[float, str, str]]] = [[] for _ in scenarios]
    times: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    ecgs: list[np.ndarray] = []
    wavs: list[np.ndarray] = []
    for stop in stops:
        while batch.time_s < stop - 1e-9:
            step = min(stop - batch.time_s, 60.0)
            active = np.array([batch.time_s < sc.duration_s - 1e-9 for sc in scenarios])
            ch = batch.advance(step, waveforms=waveforms, active=active)
            times.append(ch.time_s)
            rows.append(ch.trends)
            if waveforms and ch.ecg_mv is not None and ch.waves is not None:
                ecgs.append(ch.ecg_mv)
                wavs.append(ch.waves)
            if progress is not None:
                progress(batch.time_s / end_s)
        for i, acts in enumerate(pending):
            while acts and acts[0].at_s <= batch.time_s + 1e-9:
                a = acts.popleft()
                note = applier.apply(i, a)
                logs[i].append((batch.time_s, a.describe(), note))
    t_all = np.concatenate(times) if times else np.zeros(0)
    d_all = np.concatenate(rows, axis=1) if rows else np.zeros((len(scenarios), 0, L.N_OUT))
    results = []
    for i, sc in enumerate(scenarios):
        keep = t_all <= sc.duration_s + 1e-9
        data = d_all[i][keep]
        res = Result(sc, t_all[keep], data, log=logs[i])
        res.events = detect_events(res.time_s, data, sc.patient.blood_volume_ml)
        for t, desc, note in logs[i]:
            if note:
                res.events.append(Event(t, "note", "note", f"{desc}: {note}"))
        res.events.sort(key=lambda e: e.time_s)
        if waveforms and ecgs:
            res.ecg_mv = np.concatenate([e[i] for e in ecgs])
            res.waves = np.concatenate([w[i] for w in wavs], axis=1)
        results.append(res)
    return results


def run(scenario: Scenario, waveforms: bool = False, progress: Callable[[float], None] | None = None) -> Result:
    """Run one scenario; see :func:`run_many`."""
    return run_many([scenario], waveforms=waveforms, progress=progress)[0]
