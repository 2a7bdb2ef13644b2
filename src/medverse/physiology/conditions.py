"""Conditions and injuries: how each one (with its severity 0-1) changes the physiology.

Acute conditions are set through ``inputs`` by actions (see ``interventions.py``); chronic ones
(chronic anemia, COPD) are built into the patient's parameters (``patient.py``).
``derive_slow`` combines conditions, interventions, drug effects and reflex state into the
effective parameters (``derived``) that the fast systems use during the next slow step.

=================== ===========================================================================
condition           effects (severity s)
=================== ===========================================================================
hemorrhage          blood loss at the given rate (mL/min), see ``systems/blood.py``
tension_pneumothorax pleural air accumulates on one side up to ~2000 s mL: that lung collapses
                    (compliance falls, half its blood flow is shunted), intrathoracic pressure
                    rises and impedes venous return; needle decompression vents it
open_pneumothorax   pleural air up to ~1200 s mL without tension; a chest seal stops entry
asthma              airway resistance x(1 + 12 s^2), more in expiration; V/Q mismatch (shunt
                    +0.2 s); epinephrine (beta-2) relaxes the bronchi
anaphylaxis         mediator level rises toward s: arteriolar dilation, venous pooling,
                    capillary leak, bronchospasm; epinephrine stabilises mast cells and
                    reverses each effect
sepsis              vasodilation, venous pooling, capillary leak, fever (+2.5 s C), higher O2
                    demand, lactate production, tachycardia through the baroreflex and fever
airway_obstruction  upper-airway conductance x(1 - s)^2 (s = 1: no air moves); an
                    endotracheal tube bypasses it
apnea               respiratory drive x(1 - s)
opioid_overdose     an IV fentanyl dose of 1000 s ug (see drugs.py)
=================== ===========================================================================
"""

from __future__ import annotations

from . import layout as L
from ._jit import njit
from .drugs import adrenergic, nmb_effect, opioid_effect

#: condition name -> whether it takes a ``side``
ACUTE_CONDITIONS = {
    "hemorrhage": False,
    "tension_pneumothorax": True,
    "open_pneumothorax": True,
    "asthma": False,
    "anaphylaxis": False,
    "sepsis": False,
    "airway_obstruction": False,
    "apnea": False,
    "opioid_overdose": False,
}
CHRONIC_CONDITIONS = ("chronic_anemia", "copd")

TUBE_R = 0.005  # cmH2O*s/mL, a 7.5 mm endotracheal tube at moderate flow


@njit
def _ptx_side(vol: float, sev: float, open_: float, vent: float, seal: float, dt_s: float) -> float:
    """Advance one side's pleural air volume (mL)."""
    if sev > 0.0:
        vmax = (1200.0 if open_ > 0.5 else 2000.0) * sev
        entering = not (open_ > 0.5 and seal > 0.5)
        if entering:
            vol += 6.0 * sev * max(1.0 - vol / vmax, 0.0) * dt_s
    if vent > 0.5 or (open_ > 0.5 and seal > 0.5):
        vol -= vol * min(dt_s / 25.0, 1.0)
    return max(vol, 0.0)


@njit
def derive_slow(s, x, inp, p, map_mmhg: float, dt_s: float) -> tuple[float, float, float, float]:  # type: ignore[no-untyped-def]
    """Compute the effective parameters for the next slow step.

    Returns ``(capillary leak mL/min, sepsis severity, beta-1 effect, beta-2 effect)`` for the
    blood and metabolism systems.
    """
    beta1, alpha, beta2, mast = adrenergic(s)
    e_op = opioid_effect(s)
    nmb = nmb_effect(s)
    x[L.X_E_OPIOID] = e_op
    x[L.X_NMB] = nmb
    bvs = p[L.P_BV0] / 5510.0

    # anaphylaxis: mediator follows the severity (tau 60 s); epinephrine resolves the reaction
    sev_a = inp[L.I_ANAPHYLAXIS]
    if sev_a > 0.0 and mast > 0.0:
        inp[L.I_ANAPHYLAXIS] = sev_a * (1.0 - min(0.012 * mast * dt_s, 1.0))
    s[L.M_ANA] += (inp[L.I_ANAPHYLAXIS] * (1.0 - 0.7 * mast) - s[L.M_ANA]) * min(dt_s / 60.0, 1.0)
    m = max(s[L.M_ANA], 0.0)
    # sepsis develops (and resolves) over ~10 min rather than instantly
    s[L.SEPSIS_LEVEL] += (inp[L.I_SEPSIS] - s[L.SEPSIS_LEVEL]) * min(dt_s / 600.0, 1.0)
    sep = max(s[L.SEPSIS_LEVEL], 0.0)

    # pneumothoraces
    s[L.V_PTX_L] = _ptx_side(s[L.V_PTX_L], inp[L.I_PTX_L], inp[L.I_PTX_L_OPEN], inp[L.I_PTX_L_VENT], inp[L.I_PTX_L_SEAL], dt_s)
    s[L.V_PTX_R] = _ptx_side(s[L.V_PTX_R], inp[L.I_PTX_R], inp[L.I_PTX_R_OPEN], inp[L.I_PTX_R_VENT], inp[L.I_PTX_R_SEAL], dt_s)
    f_l = min(s[L.V_PTX_L] / 1500.0, 1.0)
    f_r = min(s[L.V_PTX_R] / 1500.0, 1.0)
    ppl = 0.0  # tension adds intrathoracic pressure; an open chest equalises with the air
    if inp[L.I_PTX_L_OPEN] < 0.5:
        ppl += s[L.V_PTX_L] / 80.0
    if inp[L.I_PTX_R_OPEN] < 0.5:
        ppl += s[L.V_PTX_R] / 80.0
    x[L.X_P_THORAX] = 0.7356 * ppl + 0.7356 * 0.4 * s[L.P_AW]

    # circulation
    # sepsis also blunts the vessels' response to sympathetic tone (vasoplegia)
    plegia = 1.0 - 0.6 * sep
    r_art = p[L.P_R_ART] * (1.0 + (s[L.SVR_FAC] - 1.0) * plegia) * (1.0 + 1.6 * alpha) * (1.0 - 0.75 * m) * (1.0 - 0.8 * sep)
    # vasoconstriction saturates: at most 3x the resting arteriolar resistance
    x[L.X_R_ART_EFF] = min(r_art * (1.0 - 0.2 * e_op), 3.0 * p[L.P_R_ART])
    ph = x[L.X_PH]
    f_acid = 1.0 if ph >= 7.2 else max(0.3, 1.0 - 1.5 * (7.2 - ph))
    f_myo = min(1.0, s[L.M_MYO] / 0.5)
    inot = min(s[L.EMAX_FAC] * (1.0 + 1.2 * beta1), 2.2) * f_acid * max(f_myo, 0.2)
    x[L.X_EMAX_LV_EFF] = max(p[L.P_E_LV_MAX] * inot, 0.05 * p[L.P_E_LV_MAX])
    x[L.X_EMAX_RV_EFF] = max(p[L.P_E_RV_MAX] * inot, 0.05 * p[L.P_E_RV_MAX])
    x[L.X_VU_SV_EFF] = p[L.P_VU_SV] + s[L.VU_DELTA] * plegia + (1200.0 * m + 700.0 * sep - 300.0 * alpha) * bvs
    hr = p[L.P_HR0] * (1.0 + s[L.HR_VAGAL] + s[L.HR_SYMP]) * (1.0 + 1.3 * beta1) * (1.0 - 0.25 * e_op)
    hr += 8.0 * (s[L.T_CORE] - 37.0)
    if s[L.M_MYO] < 0.3:
        hr *= max(s[L.M_MYO] / 0.3, 0.2)
    x[L.X_HR_TARGET] = min(max(hr, 20.0), 220.0 - p[L.P_AGE_YR])  # age-predicted maximum

    # respiratory mechanics
    airway = inp[L.I_AIRWAY]
    tube = airway > 0.5 and not (airway > 1.5 and airway < 2.5)
    copd = p[L.P_COPD]
    asth = inp[L.I_ASTHMA]
    spasm = (12.0 * asth * asth + 6.0 * m**1.5) * (1.0 - 0.8 * beta2)
    r_lower = 0.6 * p[L.P_R_AW] * (1.0 + 3.0 * copd + spasm)
    r_upper = 0.4 * p[L.P_R_AW]
    g_obs = 1.0
    if tube:
        r_upper = TUBE_R
    else:
        g_obs = (1.0 - min(inp[L.I_OBSTRUCTION], 1.0)) ** 2
        if airway > 1.5 and airway < 2.5:
            g_obs *= 0.5  # a tube in the oesophagus partly blocks the glottis
    x[L.X_OBSTRUCT_G] = g_obs
    r = (r_lower + r_upper) / max(g_obs, 1e-5)
    c = p[L.P_C_RS] * (1.0 + 0.3 * copd) * max(1.0 - 0.5 * f_l - 0.5 * f_r, 0.08)
    shunt = p[L.P_SHUNT0] + 0.08 * copd + 0.3 * asth + 0.15 * m + 0.25 * (f_l + f_r)
    if airway > 2.5:  # mainstem intubation ventilates one lung
        c *= 0.5
        shunt += 0.25
    r = max(r, 8.0 * 0.001 / c)  # keep R*C >= 8 ms for the explicit integrator
    x[L.X_C_RS_EFF] = c
    x[L.X_R_AW_EFF] = r
    x[L.X_R_AW_EXP_EFF] = r * (1.0 + 0.6 * asth + 0.5 * copd)
    x[L.X_SHUNT] = min(shunt, 0.9)
    vd = p[L.P_VD_ML] * (1.0 + 0.6 * copd + 0.2 * asth)
    if tube:
        vd *= 0.7
    x[L.X_VD_EFF] = vd
    x[L.X_FIO2_EFF] = min(max(inp[L.I_FIO2], 0.0), 1.0)

    # ventilatory drive -> rate and effort (the brainstem needs perfusion)
    f_cer = min(max((map_mmhg - 15.0) / 15.0, 0.0), 1.0)
    d = max(s[L.DRIVE], 0.0) * (1.0 - min(inp[L.I_APNEA], 1.0)) * f_cer
    # opioids scale the drive (ventilation at a fixed PCO2 falls by the fraction e_op, as in
    # Dahan's isohypercapnic studies); rate takes the larger share, as for chemical drive
    d *= 1.0 - e_op
    x[L.X_RR_TARGET] = min(p[L.P_RR0] * d**0.75, 60.0)
    x[L.X_PMUS_TARGET] = p[L.P_PMUS0] * d**0.25

    leak = (25.0 * m + 15.0 * sep) * bvs
    return leak, sep, beta1, beta2
