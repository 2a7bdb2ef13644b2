"""Cardiac rhythm (beat timing) and the arrest / resuscitation logic.

Rhythms: sinus (the rate follows the baroreflex target, so sinus tachycardia and bradycardia
emerge), atrial fibrillation (irregularly irregular intervals, no atrial contribution),
ventricular tachycardia (~180/min, poor filling and contraction), ventricular fibrillation and
asystole (no contraction), PEA (organised electrical activity, almost no contraction).

Arrest: a myocardial oxygen reserve ``M_MYO`` (0-1) follows the coronary O2 supply (arterial
O2 content x perfusion pressure relative to rest; full above 60 %, none below 25 %) with tau 60 s. When
it falls below 0.2 a perfusing rhythm degenerates: to PEA when the cause is hypoxaemia
(SaO2 < 0.5) or hypovolaemia (< 65 % of the resting blood volume), otherwise to VF. Untreated
VF becomes asystole after 10 min. Cerebral ischaemia (O2 delivery index < 0.3) accumulates;
after 10 min in total the state is irreversible (no return of circulation).
Defibrillation of VF/VT succeeds with a probability that rises with the energy and the
myocardial reserve (seeded per-patient generator). PEA/asystole return to sinus rhythm when
the myocardium is reoxygenated (CPR or cause removed), epinephrine is acting and the cause
(hypovolaemia, hypoxaemia) is corrected.
"""

from __future__ import annotations

from .. import layout as L
from .._jit import njit
from .blood import blood_volume
from .cardiovascular import commit_beat


@njit
def xorshift(rng, i: int) -> float:  # type: ignore[no-untyped-def]
    """Uniform [0, 1) from the per-patient xorshift64* generator ``rng[i]`` (uint64)."""
    v = rng[i]
    v ^= v >> 12
    v ^= (v << 25) & 0xFFFFFFFFFFFFFFFF
    v ^= v >> 27
    rng[i] = v
    out = (v * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF
    return (out >> 11) * (1.0 / 9007199254740992.0)


@njit
def rhythm_fast(s, x, rng, i: int, dt_s: float) -> None:  # type: ignore[no-untyped-def]
    """Advance the beat clock; at each new beat commit measurements and pick the next interval."""
    s[L.T_BEAT] += dt_s
    if s[L.T_BEAT] < s[L.RR_CUR]:
        return
    beat_s = s[L.RR_CUR]
    rh = int(s[L.RHYTHM])
    electrical = 60.0 / beat_s if (rh == L.RH_SINUS or rh == L.RH_AF or rh == L.RH_VT or rh == L.RH_PEA) else 0.0
    commit_beat(s, beat_s, electrical)
    s[L.T_BEAT] -= beat_s
    hr = x[L.X_HR_TARGET]
    if rh == L.RH_SINUS:
        rr = 60.0 / hr
        emax = 1.0
    elif rh == L.RH_AF:
        rr = 60.0 / (hr * 1.1) * (0.6 + 0.8 * xorshift(rng, i))
        emax = 0.85
    elif rh == L.RH_VT:
        rr = 60.0 / 180.0
        emax = 0.35
    elif rh == L.RH_VF:
        rr = 0.5
        emax = 0.0
    elif rh == L.RH_ASYSTOLE:
        rr = 1.0
        emax = 0.0
    else:
        rr = 60.0 / max(0.6 * hr, 20.0)
        emax = 0.04
    s[L.RR_CUR] = rr
    s[L.TMAX_CUR] = min(0.13 + 0.2 * rr, 0.45 * rr)
    s[L.EMAX_BEAT] = emax
    s[L.BEAT_COUNT] += 1.0


@njit
def arrest_slow(s, x, inp, p, rng, i: int, map_mmhg: float, cvp_mmhg: float, beta1: float, dt_s: float) -> None:  # type: ignore[no-untyped-def]
    """Myocardial and cerebral O2 bookkeeping, arrest onset, defibrillation and ROSC."""
    ca_rel = s[L.C_A_O2] / max(p[L.P_DO2_0] / (p[L.P_CO0] * 1000.0), 1e-6)
    perf = max(map_mmhg - cvp_mmhg, 0.0) / max(p[L.P_MAP0] - 5.0, 1.0)
    supply = ca_rel * perf
    target = min(max((supply - 0.25) / 0.35, 0.0), 1.0)
    s[L.M_MYO] += (target - s[L.M_MYO]) * min(dt_s / 60.0, 1.0)
    cer = ca_rel * min(max(map_mmhg, 0.0) / p[L.P_MAP0], 1.2)
    if cer < 0.3:
        s[L.T_ISCHEMIA] += dt_s
    else:
        s[L.T_ISCHEMIA] = max(s[L.T_ISCHEMIA] - 0.25 * dt_s, 0.0)
    if s[L.T_ISCHEMIA] > 600.0:
        s[L.IRREVERSIBLE] = 1.0
    rh = int(s[L.RHYTHM])
    in_arrest = rh == L.RH_VF or rh == L.RH_ASYSTOLE or rh == L.RH_PEA or (rh == L.RH_VT and map_mmhg < 40.0)
    if in_arrest:
        s[L.T_ARREST] += dt_s
        if rh == L.RH_VF and s[L.T_ARREST] > 600.0 and inp[L.I_CPR_RATE] <= 0.0:
            s[L.RHYTHM] = L.RH_ASYSTOLE
    else:
        s[L.T_ARREST] = 0.0
    s[L.ROSC_TIMER] += dt_s
    perfusing = rh == L.RH_SINUS or rh == L.RH_AF or (rh == L.RH_VT and map_mmhg >= 40.0)
    bv = blood_volume(s)
    if perfusing and s[L.M_MYO] < 0.2 and s[L.ROSC_TIMER] > 60.0:
        if x[L.X_SAO2] < 0.5 or bv < 0.65 * p[L.P_BV0]:
            s[L.RHYTHM] = L.RH_PEA
        else:
            s[L.RHYTHM] = L.RH_VF
        s[L.ROSC_TIMER] = 0.0
    # defibrillation (one shot; the input is cleared once delivered)
    joules = inp[L.I_DEFIB_J]
    if joules > 0.0:
        inp[L.I_DEFIB_J] = 0.0
        if (rh == L.RH_VF or rh == L.RH_VT) and s[L.IRREVERSIBLE] < 0.5:
            prob = min(0.35 + joules / 400.0, 0.9) * min(max(s[L.M_MYO], 0.15) / 0.3, 1.0)
            if xorshift(rng, i) < prob:
                s[L.RHYTHM] = L.RH_SINUS
                s[L.ROSC_TIMER] = 0.0
                s[L.M_MYO] = max(s[L.M_MYO], 0.25)
    # return of spontaneous circulation from PEA / asystole
    if (rh == L.RH_PEA or rh == L.RH_ASYSTOLE) and s[L.IRREVERSIBLE] < 0.5:
        need = 0.5 if rh == L.RH_PEA else 0.6
        if s[L.M_MYO] > need and beta1 > 0.2 and bv > 0.7 * p[L.P_BV0] and x[L.X_SAO2] > 0.85:
            s[L.RHYTHM] = L.RH_SINUS
            s[L.ROSC_TIMER] = 0.0
