"""Bedside-monitor waveforms synthesised from the model state.

* ECG lead II (mV) at ``ECG_HZ``: each beat of the rhythm generator draws a P-QRS-T complex
  from Gaussian bumps whose timing scales with the R-R interval (QT ~ 0.4 sqrt(RR), Bazett);
  atrial fibrillation replaces the P wave by fibrillatory waves; VT is a wide monomorphic
  complex; VF a sum of 4-7 Hz oscillations whose amplitude decays over minutes (coarse to
  fine); asystole a near-flat line; PEA organised complexes. The idea of building the
  complex from Gaussian waves follows McSharry et al. 2003 (ECGSYN); the implementation here
  is a direct function of time since the beat, not their ODE.
* Arterial pressure (mmHg), plethysmogram (0-1 x perfusion) and capnogram (mmHg CO2 at the
  airway opening) at ``SLOW_WAVE_HZ``, sampled from the circulation and airway states.
"""

from __future__ import annotations

import math

from . import layout as L
from ._jit import njit

ECG_HZ = 500
SLOW_WAVE_HZ = 100
WAVE_NAMES = ("ecg_ii", "arterial_pressure", "pleth", "capnogram")
WAVE_UNITS = ("mV", "mmHg", "1", "mmHg")


@njit
def _g(t: float, mu: float, sigma: float) -> float:
    z = (t - mu) / sigma
    if z > 6.0 or z < -6.0:
        return 0.0
    return math.exp(-0.5 * z * z)


@njit
def ecg_lead2(s, t_s: float, noise: float) -> float:  # type: ignore[no-untyped-def]
    """ECG lead II voltage (mV) at global time ``t_s`` for this patient's rhythm state."""
    rh = int(s[L.RHYTHM])
    tb = s[L.T_BEAT]
    rr = s[L.RR_CUR]
    wander = 0.03 * math.sin(2.0 * math.pi * 0.25 * t_s)
    if rh == L.RH_ASYSTOLE:
        return 0.3 * wander + noise
    if rh == L.RH_VF:
        amp = 0.5 * math.exp(-s[L.T_ARREST] / 400.0) + 0.08
        v = amp * (
            math.sin(2.0 * math.pi * 4.7 * t_s)
            + 0.6 * math.sin(2.0 * math.pi * 6.3 * t_s + 1.3)
            + 0.4 * math.sin(2.0 * math.pi * 3.1 * t_s + 0.7) * math.sin(2.0 * math.pi * 0.4 * t_s)
        )
        return v + wander + noise
    if rh == L.RH_VT:
        return 1.4 * _g(tb, 0.08, 0.045) - 0.6 * _g(tb, 0.2, 0.06) + wander + noise
    sq = math.sqrt(rr)
    v = -0.12 * _g(tb, 0.025, 0.008) + 1.2 * _g(tb, 0.045, 0.010) - 0.25 * _g(tb, 0.063, 0.010)
    v += 0.3 * _g(tb, 0.4 * sq - 0.08, 0.05 * sq)
    if rh == L.RH_AF:
        v += 0.05 * math.sin(2.0 * math.pi * 6.0 * t_s) * math.sin(2.0 * math.pi * 1.1 * t_s + 0.5)
    else:
        to_next = rr - tb
        v += 0.15 * _g(to_next, 0.16, 0.025)
    if rh == L.RH_PEA:
        v *= 0.7
    return v + wander + noise
