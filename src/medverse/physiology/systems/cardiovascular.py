"""Circulation: time-varying-elastance heart, 11 lumped compartments, valves, baroreflex.

Compartments (volumes in mL, pressures in mmHg, resistances in mmHg*s/mL, compliances in
mL/mmHg): left/right ventricle (time-varying elastance), left/right atrium (passive), systemic
arteries (AO), systemic capillary beds (SC), systemic veins (SV), vena cava (VC), pulmonary
arteries (PA), capillaries (PC) and veins (PV). Pressure of a passive compartment is
``(V - V_unstressed) / C`` plus the intrathoracic pressure for the compartments in the chest.
Valves are ideal diodes with a small resistance. The baroreflex follows Ursino 1998 in spirit:
a sigmoid afferent of the filtered mean arterial pressure drives first-order effectors for
heart rate (vagal, fast; sympathetic, slow), contractility, arteriolar resistance and venous
unstressed volume, each with its own time constant.
"""

from __future__ import annotations

import math

from .. import layout as L
from .._jit import njit

#: stiffness of the exponential end-diastolic pressure-volume relations (1/mL, standard size)
KV_LV = 0.022
KV_RV = 0.015


@njit
def activation(t_s: float, tmax_s: float) -> float:
    """Ventricular activation 0-1: raised-cosine rise to ``tmax_s``, relaxation over tmax/2."""
    if t_s < tmax_s:
        return 0.5 * (1.0 - math.cos(math.pi * t_s / tmax_s))
    if t_s < 1.5 * tmax_s:
        return 0.5 * (1.0 + math.cos(2.0 * math.pi * (t_s - tmax_s) / tmax_s))
    return 0.0


@njit
def cpr_pressure(t_s: float, rate_per_min: float, depth_cm: float) -> float:
    """External chest compression pressure (mmHg) at time ``t_s``: half-sine, 50 % duty."""
    if rate_per_min <= 0.0:
        return 0.0
    ph = (t_s * rate_per_min / 60.0) % 1.0
    if ph >= 0.5:
        return 0.0
    return 8.0 * depth_cm * math.sin(2.0 * math.pi * ph)


@njit
def cardiovascular_fast(s, x, inp, p, t_s: float, dt_s: float) -> float:  # type: ignore[no-untyped-def]
    """Advance the circulation by ``dt_s``; returns the arterial pressure (mmHg)."""
    e = activation(s[L.T_BEAT], s[L.TMAX_CUR]) * s[L.EMAX_BEAT]
    p_th = x[L.X_P_THORAX]
    p_cpr = cpr_pressure(t_s, inp[L.I_CPR_RATE], inp[L.I_CPR_DEPTH])
    # ventricle: e * Emax (V - V0) + (1 - e) * exponential end-diastolic pressure-volume curve
    k = p[L.P_BV0] / 5510.0
    ped_lv = p[L.P_E_LV_MIN] * (math.exp(min(KV_LV / k * (s[L.V_LV] - p[L.P_V0_LV]), 30.0)) - 1.0)
    ped_rv = p[L.P_E_RV_MIN] * (math.exp(min(KV_RV / k * (s[L.V_RV] - p[L.P_V0_RV]), 30.0)) - 1.0)
    p_lv = e * x[L.X_EMAX_LV_EFF] * (s[L.V_LV] - p[L.P_V0_LV]) + (1.0 - e) * ped_lv + p_th + p_cpr
    p_rv = e * x[L.X_EMAX_RV_EFF] * (s[L.V_RV] - p[L.P_V0_RV]) + (1.0 - e) * ped_rv + p_th + p_cpr
    p_la = p[L.P_E_LA] * (s[L.V_LA] - p[L.P_VU_LA]) + p_th + 0.5 * p_cpr
    p_ra = p[L.P_E_RA] * (s[L.V_RA] - p[L.P_VU_RA]) + p_th + 0.5 * p_cpr
    p_ao = (s[L.V_AO] - p[L.P_VU_AO]) / p[L.P_C_AO] + 0.3 * p_cpr
    p_sc = (s[L.V_SC] - p[L.P_VU_SC]) / p[L.P_C_SC]
    p_sv = (s[L.V_SV] - x[L.X_VU_SV_EFF]) / p[L.P_C_SV]
    p_vc = (s[L.V_VC] - p[L.P_VU_VC]) / p[L.P_C_VC] + 0.5 * p_th
    p_pa = (s[L.V_PA] - p[L.P_VU_PA]) / p[L.P_C_PA] + p_th + 0.3 * p_cpr
    p_pc = (s[L.V_PC] - p[L.P_VU_PC]) / p[L.P_C_PC] + p_th
    p_pv = (s[L.V_PV] - p[L.P_VU_PV]) / p[L.P_C_PV] + p_th

    q_mv = max(p_la - p_lv, 0.0) / p[L.P_R_MV]
    q_av = max(p_lv - p_ao, 0.0) / p[L.P_R_AV]
    q_art = (p_ao - p_sc) / x[L.X_R_ART_EFF]
    q_cap = (p_sc - p_sv) / p[L.P_R_CAP]
    q_ven = (p_sv - p_vc) / p[L.P_R_VEN]
    q_vc = (p_vc - p_ra) / p[L.P_R_VC]
    q_tv = max(p_ra - p_rv, 0.0) / p[L.P_R_TV]
    q_pv = max(p_rv - p_pa, 0.0) / p[L.P_R_PV]
    q_pa = (p_pa - p_pc) / p[L.P_R_PA]
    q_pc = (p_pc - p_pv) / p[L.P_R_PC]
    q_pvla = (p_pv - p_la) / p[L.P_R_PVLA]

    s[L.V_LV] += (q_mv - q_av) * dt_s
    s[L.V_AO] += (q_av - q_art) * dt_s
    s[L.V_SC] += (q_art - q_cap) * dt_s
    s[L.V_SV] += (q_cap - q_ven) * dt_s
    s[L.V_VC] += (q_ven - q_vc) * dt_s
    s[L.V_RA] += (q_vc - q_tv) * dt_s
    s[L.V_RV] += (q_tv - q_pv) * dt_s
    s[L.V_PA] += (q_pv - q_pa) * dt_s
    s[L.V_PC] += (q_pa - q_pc) * dt_s
    s[L.V_PV] += (q_pc - q_pvla) * dt_s
    s[L.V_LA] += (q_pvla - q_mv) * dt_s
    x[L.X_Q_PC_INST] = q_pc  # pulmonary capillary flow, used by gas exchange this step

    # per-beat trackers (committed at the next beat by the rhythm step)
    s[L.B_PMAX] = max(s[L.B_PMAX], p_ao)
    s[L.B_PMIN] = min(s[L.B_PMIN], p_ao)
    s[L.B_PSUM] += p_ao
    s[L.B_N] += 1.0
    s[L.B_VMAX] = max(s[L.B_VMAX], s[L.V_LV])
    s[L.B_VMIN] = min(s[L.B_VMIN], s[L.V_LV])
    s[L.B_PAMAX] = max(s[L.B_PAMAX], p_pa)
    s[L.B_PAMIN] = min(s[L.B_PAMIN], p_pa)
    s[L.B_PASUM] += p_pa
    s[L.B_QSUM] += q_av * dt_s
    s[L.B_PCVP] += p_ra
    s[L.B_PPCW] += p_pv
    # slow-step averages
    s[L.P_SC_AVG] += p_sc
    s[L.P_AO_AVG] += p_ao
    s[L.Q_AORTIC_AVG] += q_av
    s[L.P_CVP_AVG] += p_ra
    s[L.SLOW_N] += 1.0
    return p_ao


@njit
def commit_beat(s, beat_s: float, electrical_hr: float) -> None:  # type: ignore[no-untyped-def]
    """Store the finished beat's measurements (pressures mmHg, volumes mL, CO L/min)."""
    n = max(s[L.B_N], 1.0)
    s[L.L_SBP] = s[L.B_PMAX]
    s[L.L_DBP] = s[L.B_PMIN]
    s[L.L_MAP] = s[L.B_PSUM] / n
    s[L.L_SV] = s[L.B_QSUM]
    s[L.L_EDV] = s[L.B_VMAX]
    s[L.L_ESV] = s[L.B_VMIN]
    s[L.L_PAS] = s[L.B_PAMAX]
    s[L.L_PAD] = s[L.B_PAMIN]
    s[L.L_PAM] = s[L.B_PASUM] / n
    s[L.L_CVP] = s[L.B_PCVP] / n
    s[L.L_PCWP] = s[L.B_PPCW] / n
    s[L.L_HR] = electrical_hr
    s[L.L_CO] = s[L.B_QSUM] / max(beat_s, 1e-3) * 60.0 / 1000.0
    s[L.B_PMAX] = -1e9
    s[L.B_PMIN] = 1e9
    s[L.B_PSUM] = 0.0
    s[L.B_N] = 0.0
    s[L.B_VMAX] = -1e9
    s[L.B_VMIN] = 1e9
    s[L.B_PAMAX] = -1e9
    s[L.B_PAMIN] = 1e9
    s[L.B_PASUM] = 0.0
    s[L.B_QSUM] = 0.0
    s[L.B_PCVP] = 0.0
    s[L.B_PPCW] = 0.0


@njit
def baroreflex_slow(s, x, p, chemo_symp: float, bv_ratio: float, dt_s: float) -> None:  # type: ignore[no-untyped-def]
    """Sigmoid baroreceptor afferent -> sympathetic fraction -> first-order effectors.

    ``chemo_symp`` (0-1) adds sympathetic drive from the peripheral chemoreceptors (hypoxia,
    hypercapnia, work of breathing) and cerebral ischaemia; it acts fully on the heart and at
    30 % on the vessels. When more than 25 % of the blood volume is lost (``bv_ratio`` < 0.75)
    vascular sympathetic tone is progressively withdrawn (the decompensation phase of
    hemorrhage, Schadt & Ludbrook 1991, Am J Physiol 260:H305), while heart rate stays high.
    """
    map_now = s[L.L_MAP]  # mean pressure of the last complete beat
    s[L.P_FILT] += (map_now - s[L.P_FILT]) * min(dt_s / 1.0, 1.0)
    sig = 1.0 / (1.0 + math.exp((s[L.P_FILT] - p[L.P_MAP_SET]) / p[L.P_BARO_K]))
    card = min(max(sig + chemo_symp, 0.0), 1.0)
    w = min(max((0.78 - bv_ratio) / 0.1, 0.0), 1.0)
    vasc = min(max(sig + 0.3 * chemo_symp - 0.2 * w, 0.0), 1.0)
    s[L.SYMP] = card
    u = 2.0 * card - 1.0  # -1 (all vagal) .. 0 (rest) .. +1 (all sympathetic)
    uv = 2.0 * vasc - 1.0
    s[L.HR_VAGAL] += (p[L.P_G_HR_V] * u - s[L.HR_VAGAL]) * min(dt_s / p[L.P_TAU_HR_V], 1.0)
    s[L.HR_SYMP] += (p[L.P_G_HR_S] * max(u, -0.3) - s[L.HR_SYMP]) * min(dt_s / p[L.P_TAU_HR_S], 1.0)
    s[L.EMAX_FAC] += (1.0 + p[L.P_G_EMAX] * u - s[L.EMAX_FAC]) * min(dt_s / p[L.P_TAU_EMAX], 1.0)
    s[L.SVR_FAC] += (1.0 + p[L.P_G_SVR] * uv - s[L.SVR_FAC]) * min(dt_s / p[L.P_TAU_SVR], 1.0)
    # venous capacitance: large mobilisation when pressure falls, little pooling when it rises
    vu_target = -p[L.P_G_VU] * (uv if uv > 0.0 else 0.3 * uv)
    s[L.VU_DELTA] += (vu_target - s[L.VU_DELTA]) * min(dt_s / p[L.P_TAU_VU], 1.0)
