"""The engine: compiled step kernel and :class:`PatientBatch`, N patients advancing together.

One step of ``dt_s`` (1 ms by default) runs the systems in this fixed order for each patient:

1. every ``SLOW_EVERY`` steps (10 ms), the slow systems: drugs (PK/PD) -> conditions and
   interventions (effective parameters) -> blood and fluids -> metabolism, blood gases and
   acid-base -> nervous control (chemoreflex, then baroreflex) -> arrest logic;
2. rhythm (beat clock) -> cardiovascular mechanics -> respiratory mechanics, gas transport and
   exchange -> waveform samples -> trend row (every ``trend_interval_s``).

All state lives in NumPy arrays with a leading patient axis (see ``layout.py``); the kernel is
compiled with numba and loops over patients, so one call advances the whole batch. Time is
kept as an integer step count, so advancing in one call or in many gives bit-identical
results, and each patient has its own seeded random stream (the batch composition does not
change a patient's output).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import layout as L
from ._jit import njit
from .conditions import derive_slow
from .drugs import pk_slow, plasma_conc
from .errors import InvalidAction
from .patient import Patient, apply_chronic, build_patient
from .systems.blood import blood_volume, fluids_slow, metabolism_slow
from .systems.cardiovascular import baroreflex_slow, cardiovascular_fast
from .systems.respiratory import chemoreflex_slow, respiratory_fast
from .systems.rhythm import arrest_slow, rhythm_fast, xorshift
from .waveforms import ECG_HZ, SLOW_WAVE_HZ, ecg_lead2

DT_S = 0.001
SLOW_EVERY = 10


@njit
def _slow_step(s, x, inp, p, rng, i: int, dt_s: float) -> None:  # type: ignore[no-untyped-def]
    n = max(s[L.SLOW_N], 1.0)
    # pulsatile signals: the slow systems use the last complete beat, the baroreflex its own
    # filter of the 10 ms mean pressure
    map_mmhg = s[L.L_MAP]
    psc = s[L.P_SC_AVG] / n
    co_ml_s = s[L.L_CO] * 1000.0 / 60.0
    cvp = s[L.L_CVP]
    flow_ratio = co_ml_s * 0.06 / p[L.P_CO0]
    s[L.P_SC_FILT] += (psc - s[L.P_SC_FILT]) * min(dt_s / 5.0, 1.0)
    pk_slow(s, inp, p, flow_ratio, dt_s)
    leak, sep, beta1, beta2 = derive_slow(s, x, inp, p, map_mmhg, dt_s)
    fluids_slow(s, x, inp, p, psc, map_mmhg, leak, dt_s)
    metabolism_slow(s, x, inp, p, co_ml_s, sep, beta1, beta2, dt_s)
    chemo = chemoreflex_slow(s, x, p, map_mmhg, dt_s)
    # cerebral ischaemic response: intense sympathetic drive when MAP falls below ~45 mmHg
    cns = min(max((45.0 - map_mmhg) / 40.0, 0.0), 0.5)
    baroreflex_slow(s, x, p, chemo + cns, blood_volume(s) / p[L.P_BV0], dt_s)
    arrest_slow(s, x, inp, p, rng, 2 * i, map_mmhg, cvp, beta1, dt_s)
    s[L.P_AO_AVG] = 0.0
    s[L.P_SC_AVG] = 0.0
    s[L.Q_AORTIC_AVG] = 0.0
    s[L.P_CVP_AVG] = 0.0
    s[L.SLOW_N] = 0.0


@njit
def _trend_row(s, x, inp, p, t_s: float, o) -> None:  # type: ignore[no-untyped-def]
    o[L.O_TIME] = t_s
    o[L.O_HR] = s[L.L_HR]
    o[L.O_SBP] = s[L.L_SBP]
    o[L.O_DBP] = s[L.L_DBP]
    o[L.O_MAP] = s[L.L_MAP]
    o[L.O_PP] = s[L.L_SBP] - s[L.L_DBP]
    o[L.O_CO] = s[L.L_CO]
    o[L.O_SV] = s[L.L_SV]
    edv = s[L.L_EDV]
    o[L.O_EF] = (edv - s[L.L_ESV]) / edv if edv > 1.0 else 0.0
    o[L.O_EDV] = edv
    o[L.O_ESV] = s[L.L_ESV]
    o[L.O_CVP] = s[L.L_CVP]
    o[L.O_PCWP] = s[L.L_PCWP]
    o[L.O_PAS] = s[L.L_PAS]
    o[L.O_PAD] = s[L.L_PAD]
    o[L.O_PAM] = s[L.L_PAM]
    co_ml_s = s[L.L_CO] * 1000.0 / 60.0
    o[L.O_SVR] = (s[L.L_MAP] - s[L.L_CVP]) / co_ml_s if co_ml_s > 1.0 else 0.0
    o[L.O_PVR] = (s[L.L_PAM] - s[L.L_PCWP]) / co_ml_s if co_ml_s > 1.0 else 0.0
    o[L.O_BLOOD_VOLUME] = blood_volume(s)
    o[L.O_RR] = s[L.L_RR]
    o[L.O_VT] = s[L.L_VT] if s[L.L_RR] > 0.0 else 0.0
    o[L.O_MV] = o[L.O_RR] * o[L.O_VT] / 1000.0
    paco2 = x[L.X_PACO2]
    o[L.O_VD_VT] = (paco2 - s[L.L_VDVT]) / paco2 if (paco2 > 1.0 and s[L.L_VDVT] > 0.0) else 0.0
    o[L.O_IE_RATIO] = s[L.L_IE]
    o[L.O_SPO2] = s[L.SPO2_LAG]
    o[L.O_ETCO2] = s[L.L_ETCO2]
    o[L.O_PAO2] = x[L.X_PAO2]
    o[L.O_PACO2] = paco2
    o[L.O_PH] = x[L.X_PH]
    o[L.O_HCO3] = x[L.X_HCO3]
    o[L.O_BASE_EXCESS] = x[L.X_BE]
    o[L.O_LACTATE] = s[L.LACTATE]
    o[L.O_HB] = x[L.X_HB]
    o[L.O_T_CORE] = s[L.T_CORE]
    o[L.O_T_SKIN] = x[L.X_T_SKIN]
    o[L.O_URINE_RATE] = s[L.URINE_RATE]
    o[L.O_URINE_TOTAL] = s[L.URINE_ML]
    o[L.O_FIO2] = x[L.X_FIO2_EFF]
    o[L.O_PEF] = s[L.L_PEF] * 0.06
    o[L.O_PIP] = s[L.L_PIP]
    o[L.O_RHYTHM] = s[L.RHYTHM]
    o[L.O_SVO2] = x[L.X_SVO2]
    o[L.O_DO2] = x[L.X_DO2]
    o[L.O_VO2] = x[L.X_VO2]
    o[L.O_BLOOD_LOST] = s[L.BLOOD_LOST_ML]
    o[L.O_FLUID_IN] = s[L.FLUID_IN_ML]
    o[L.O_INTERSTITIAL] = s[L.V_INT_ML]
    o[L.O_PTX_L] = s[L.V_PTX_L]
    o[L.O_PTX_R] = s[L.V_PTX_R]
    for d in range(L.N_DRUGS):
        o[L.O_C_EPINEPHRINE + d] = plasma_conc(s, p, d)
    o[L.O_E_OPIOID] = x[L.X_E_OPIOID]
    o[L.O_NMB] = x[L.X_NMB]
    o[L.O_SYMPATHETIC] = s[L.SYMP]
    o[L.O_MYO_O2] = s[L.M_MYO]
    o[L.O_ARREST_TIME] = s[L.T_ARREST]
    o[L.O_IRREVERSIBLE] = s[L.IRREVERSIBLE]


@njit
def _advance(  # type: ignore[no-untyped-def]
    state,
    derived,
    inputs,
    params,
    rng,
    k0: int,
    n_steps: int,
    dt_s: float,
    slow_every: int,
    trend_every: int,
    trend_out,
    ecg_every: int,
    ecg_out,
    wave_every: int,
    wave_out,
    record_waves: bool,
    active,
) -> None:
    n = state.shape[0]
    for i in range(n):
        if not active[i]:
            continue
        s = state[i]
        x = derived[i]
        inp = inputs[i]
        p = params[i]
        ti = 0
        ei = 0
        wi = 0
        for k in range(k0, k0 + n_steps):
            t = k * dt_s
            if k % slow_every == 0:
                _slow_step(s, x, inp, p, rng, i, slow_every * dt_s)
            rhythm_fast(s, x, rng, 2 * i, dt_s)
            p_ao = cardiovascular_fast(s, x, inp, p, t, dt_s)
            respiratory_fast(s, x, inp, p, dt_s)
            s[L.PLETH_LP] += (p_ao - s[L.PLETH_LP]) * (dt_s / 0.08)
            if record_waves:
                if k % ecg_every == 0:
                    noise = 0.01 * (xorshift(rng, 2 * i + 1) - 0.5)
                    ecg_out[i, ei] = ecg_lead2(s, t, noise)
                    ei += 1
                if k % wave_every == 0:
                    wave_out[i, 0, wi] = p_ao
                    pp = max(s[L.L_SBP] - s[L.L_DBP], 5.0)
                    perf = min(s[L.L_CO] / p[L.P_CO0], 1.5) / max(s[L.SVR_FAC], 0.3)
                    wave_out[i, 1, wi] = max((s[L.PLETH_LP] - s[L.L_DBP]) / pp, -0.2) * perf
                    wave_out[i, 2, wi] = s[L.CAPNO]
                    wi += 1
            if (k + 1) % trend_every == 0:
                _trend_row(s, x, inp, p, (k + 1) * dt_s, trend_out[i, ti])
                ti += 1


_CALIBRATED: dict[tuple[Patient, float], tuple[np.ndarray, ...]] = {}


def _run_raw(rows: list[np.ndarray], seconds: float, dt_s: float) -> np.ndarray:
    """Advance raw rows (params, state, derived, inputs) without recording; returns trends."""
    p, s, x, inp = (r.reshape(1, -1) for r in rows)
    rng = np.array([88172645463325252, 1442695040888963407], dtype=np.uint64)
    n = round(seconds / dt_s)
    every = round(1.0 / dt_s)
    trend = np.zeros((1, n // every, L.N_OUT))
    _advance(
        s,
        x,
        inp,
        p,
        rng,
        0,
        n,
        dt_s,
        SLOW_EVERY,
        every,
        trend,
        1,
        np.zeros((1, 1)),
        1,
        np.zeros((1, 3, 1)),
        False,
        np.ones(1, dtype=np.bool_),
    )
    return trend[0]


_REFLEX_GAINS = (L.P_G_HR_V, L.P_G_HR_S, L.P_G_EMAX, L.P_G_SVR, L.P_G_VU, L.P_G_CO2, L.P_G_O2, L.P_G_H, L.P_G_BP)


def _calibrated(pt: Patient, dt_s: float) -> tuple[np.ndarray, ...]:
    """Rows for ``pt`` calibrated to its baseline vitals and settled at rest (cached).

    1. With the reflexes opened (gains 0) and the tissue CO2 stores shrunk so they settle in
       seconds, arteriolar resistance, arterial compliance, intrinsic heart rate and muscle
       effort are iterated until the baseline SBP/DBP, HR and tidal volume are met.
    2. The reflex set points are taken from that state, the gains restored and the chronic
       conditions applied; the patient settles with the reflexes acting (4 min).
    3. The gas stores are restored and the metabolic references (cardiac output, O2
       delivery, capillary pressure...) taken from the settled state.
    """
    key = (pt, dt_s)
    if key not in _CALIBRATED:
        p, s, x, inp, info = build_patient(pt)
        rows = [p, s, x, inp]
        gains = p[list(_REFLEX_GAINS)].copy()
        stores = p[L.P_V_CO2_STORE]
        p[list(_REFLEX_GAINS)] = 0.0
        p[L.P_V_CO2_STORE] = stores * 0.05
        for _ in range(7):
            mean = _run_raw(rows, 30.0, dt_s)[-10:].mean(axis=0)
            cvp = mean[L.O_CVP]
            mid = 0.5 * (mean[L.O_SBP] + mean[L.O_DBP])
            f = (info["mid"] - cvp) / max(mid - cvp, 1.0)
            p[L.P_R_ART] *= float(np.clip(f, 0.6, 1.6))
            p[L.P_HR0] *= float(np.clip(info["hr"] / max(mean[L.O_HR], 1.0), 0.7, 1.4))
            p[L.P_PMUS0] *= float(np.clip(info["vt"] / max(mean[L.O_VT], 1.0), 0.6, 1.6))
            p[L.P_C_AO] *= float(np.clip(mean[L.O_PP] / info["pp"], 0.7, 1.4))
        _set_references(p, s, x, mean, set_points=True)
        p[list(_REFLEX_GAINS)] = gains
        apply_chronic(pt, p, s)
        mean = _run_raw(rows, 240.0, dt_s)[-10:].mean(axis=0)
        _set_references(p, s, x, mean, set_points=False)
        p[L.P_V_CO2_STORE] = stores
        mean = _run_raw(rows, 60.0, dt_s)[-10:].mean(axis=0)
        _set_references(p, s, x, mean, set_points=False)
        for i in (L.URINE_ML, L.BLOOD_LOST_ML, L.FLUID_IN_ML):
            s[i] = 0.0
        _CALIBRATED[key] = (p, s, x, inp)
    return tuple(a.copy() for a in _CALIBRATED[key])


def _set_references(p: np.ndarray, s: np.ndarray, x: np.ndarray, mean: np.ndarray, set_points: bool) -> None:
    """Take the resting references (and, with ``set_points``, the reflex set points)."""
    if set_points:
        p[L.P_MAP_SET] = mean[L.O_MAP]
        s[L.P_FILT] = mean[L.O_MAP]
        p[L.P_PACO2_SET] = s[L.PACO2_CENT]
        s[L.DRIVE] = 1.0
    p[L.P_MAP0] = mean[L.O_MAP]
    p[L.P_CO0] = mean[L.O_CO]
    p[L.P_DO2_0] = mean[L.O_DO2]
    p[L.P_PSC0] = s[L.P_SC_FILT]
    p[L.P_LAC0] = s[L.LACTATE]


def _count_multiples(k0: int, n: int, every: int, offset: int = 0) -> int:
    """How many k in [k0, k0+n) have (k + offset) % every == 0."""
    lo = k0 + offset
    hi = k0 + n + offset
    return (hi - 1) // every - (lo - 1) // every


@dataclass
class Chunk:
    """Output of one :meth:`PatientBatch.advance` call.

    Attributes
    ----------
    time_s : ndarray (T,)
        Times of the trend rows in s.
    trends : ndarray (N, T, N_OUT)
        Trend rows; column names in ``OUT_NAMES``.
    ecg_mv : ndarray (N, E) or None
        ECG lead II in mV at ``ECG_HZ``.
    waves : ndarray (N, 3, W) or None
        Arterial pressure (mmHg), pleth (1), capnogram (mmHg) at ``SLOW_WAVE_HZ``.
    ecg_t0_s, wave_t0_s : float
        Time of the first waveform sample.
    """

    time_s: np.ndarray
    trends: np.ndarray
    ecg_mv: np.ndarray | None = None
    waves: np.ndarray | None = None
    ecg_t0_s: float = 0.0
    wave_t0_s: float = 0.0


class PatientBatch:
    """N virtual patients advancing together in one vectorised, compiled step.

    Parameters
    ----------
    patients : sequence of Patient
        The patients (each is calibrated to its baseline vitals and settled at rest).
    seed : int or sequence of int
        Seeds of the patients' ``numpy.random.Generator`` streams (one int: the same seed for
        all, each patient then gets the next stream of that seed).
    trend_interval_s : float
        Interval of the recorded trend rows in s (a multiple of ``dt_s``).
    dt_s : float
        Fixed integration step in s (default 1 ms).
    """

    def __init__(
        self, patients: Sequence[Patient], seed: int | Sequence[int] = 0, trend_interval_s: float = 1.0, dt_s: float = DT_S
    ) -> None:
        if not patients:
            raise InvalidAction("a batch needs at least one patient")
        if not (1e-4 <= dt_s <= 0.002):
            raise InvalidAction(f"dt_s must be between 0.1 and 2 ms (got {dt_s * 1000:g} ms)")
        self.patients = list(patients)
        self.dt_s = float(dt_s)
        self.trend_every = max(1, round(trend_interval_s / dt_s))
        self.ecg_every = max(1, round(1.0 / (ECG_HZ * dt_s)))
        self.wave_every = max(1, round(1.0 / (SLOW_WAVE_HZ * dt_s)))
        rows = [_calibrated(pt, self.dt_s) for pt in self.patients]
        self.params = np.ascontiguousarray(np.stack([r[0] for r in rows]))
        self.state = np.ascontiguousarray(np.stack([r[1] for r in rows]))
        self.derived = np.ascontiguousarray(np.stack([r[2] for r in rows]))
        self.inputs = np.ascontiguousarray(np.stack([r[3] for r in rows]))
        seeds = [int(seed)] * len(rows) if isinstance(seed, (int, np.integer)) else [int(v) for v in seed]
        if len(seeds) != len(rows):
            raise InvalidAction(f"need one seed per patient ({len(rows)}), got {len(seeds)}")
        # each patient's stream depends only on its own seed and its index among equal seeds
        streams = []
        seen: dict[int, int] = {}
        for sd in seeds:
            k = seen.get(sd, 0)
            seen[sd] = k + 1
            streams.append(np.random.default_rng([sd, k]).integers(1, 2**63 - 1, size=2, dtype=np.uint64))
        self.rng = np.ascontiguousarray(np.concatenate(streams))
        self.step = 0

    @property
    def n(self) -> int:
        """Number of patients."""
        return self.state.shape[0]

    @property
    def time_s(self) -> float:
        """Simulated time in s since the start (t = 0 after calibration)."""
        return self.step * self.dt_s

    def advance(self, duration_s: float, waveforms: bool = False, active: np.ndarray | None = None) -> Chunk:
        """Advance every patient by ``duration_s`` (rounded to whole steps).

        Returns the trend rows (every ``trend_interval_s``) and, with ``waveforms``, the
        ECG and the other monitor waveforms of the interval. ``active`` (bool, shape (N,))
        freezes the patients that are False (their rows stay zero); used to stop patients
        whose scenario has ended.
        """
        if duration_s < 0 or not np.isfinite(duration_s):
            raise InvalidAction(f"duration must be a finite time >= 0 s (got {duration_s})")
        n_steps = round(duration_s / self.dt_s)
        k0 = self.step
        act = np.ones(self.n, dtype=np.bool_) if active is None else np.ascontiguousarray(active, dtype=np.bool_)
        if act.shape != (self.n,):
            raise InvalidAction(f"active must have one flag per patient ({self.n}), got shape {act.shape}")
        nt = _count_multiples(k0, n_steps, self.trend_every, offset=1)
        trend = np.zeros((self.n, nt, L.N_OUT))
        ne = _count_multiples(k0, n_steps, self.ecg_every) if waveforms else 0
        nw = _count_multiples(k0, n_steps, self.wave_every) if waveforms else 0
        ecg = np.zeros((self.n, max(ne, 1)))
        wav = np.zeros((self.n, 3, max(nw, 1)))
        if n_steps > 0:
            _advance(
                self.state,
                self.derived,
                self.inputs,
                self.params,
                self.rng,
                k0,
                n_steps,
                self.dt_s,
                SLOW_EVERY,
                self.trend_every,
                trend,
                self.ecg_every,
                ecg,
                self.wave_every,
                wav,
                bool(waveforms),
                act,
            )
        self.step += n_steps
        first_trend = (k0 // self.trend_every + 1) * self.trend_every
        times = (first_trend + np.arange(nt) * self.trend_every) * self.dt_s
        chunk = Chunk(time_s=times, trends=trend)
        if waveforms:
            chunk.ecg_mv = ecg[:, :ne]
            chunk.waves = wav[:, :, :nw]
            chunk.ecg_t0_s = (-(-k0 // self.ecg_every)) * self.ecg_every * self.dt_s
            chunk.wave_t0_s = (-(-k0 // self.wave_every)) * self.wave_every * self.dt_s
        return chunk

    def memory_bytes(self) -> int:
        """Bytes held by the batch's state arrays (excluding output buffers)."""
        return int(sum(a.nbytes for a in (self.state, self.derived, self.inputs, self.params, self.rng)))

    def snapshot(self) -> dict[str, Any]:
        """Copies of all arrays and the step count (restore with :meth:`restore`)."""
        return {
            "step": self.step,
            "state": self.state.copy(),
            "derived": self.derived.copy(),
            "inputs": self.inputs.copy(),
            "rng": self.rng.copy(),
        }

    def restore(self, snap: dict[str, Any]) -> None:
        """Return to a :meth:`snapshot`."""
        self.step = int(snap["step"])
        self.state[...] = snap["state"]
        self.derived[...] = snap["derived"]
        self.inputs[...] = snap["inputs"]
        self.rng[...] = snap["rng"]
