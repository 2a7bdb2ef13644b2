"""Breathing: mechanics, airway and alveolar gas transport, gas exchange, chemoreflex.

Mechanics: a single-compartment lung (compliance ``C_RS`` mL/cmH2O, airway resistance
``R_AW`` cmH2O*s/mL) driven by the respiratory muscle pressure ``Pmus`` (raised-cosine rise
over the inspiratory time, exponential relaxation in expiration) or by a ventilator / bag
(airway pressure source, or a set inspiratory flow in volume control). Gas: a well-mixed
anatomic dead space in series with the alveolar gas (amounts of O2 and CO2 in mL), so the
capnogram and the Bohr dead space come out of the model. Exchange: end-capillary blood
equilibrates with alveolar gas; a shunt fraction bypasses it.
"""

from __future__ import annotations

import math

from .. import layout as L
from .._jit import njit
from .gas import P_DRY_MMHG, co2_content, o2_content

CMH2O_TO_MMHG = 0.7356
#: face mask, bag valve and leak: extra resistance of bag-valve-mask ventilation (cmH2O*s/mL)
BVM_R = 0.007
#: blood gas contents are in mL at STPD, lung gas in mL at BTPS (310/273 * 760/713)
STPD_TO_BTPS = 1.2104


@njit
def commit_breath(s, period_s: float) -> None:  # type: ignore[no-untyped-def]
    """Store the finished breath's measurements (RR /min, VT mL, EtCO2 mmHg, PEF mL/s)."""
    vt = max(s[L.BR_VMAX] - s[L.BR_VMIN], 0.0)
    s[L.L_VT] = vt
    s[L.L_RR] = 60.0 / period_s if (s[L.BREATH_ACTIVE] > 0.5 and vt > 30.0) else 0.0
    s[L.L_ETCO2] = s[L.BR_ETCO2]
    s[L.L_PEF] = s[L.BR_PEF]
    te = max(period_s - s[L.BR_TI], 1e-3)
    s[L.L_IE] = s[L.BR_TI] / te
    if s[L.BR_EVOL] > 30.0:
        fe_co2 = s[L.BR_ECO2] / s[L.BR_EVOL]
        s[L.L_VDVT] = fe_co2 * P_DRY_MMHG  # mixed expired PCO2, converted to VD/VT by caller
    else:
        s[L.L_VDVT] = 0.0
    s[L.L_PIP] = s[L.BR_PAWMAX]
    s[L.BR_VMAX] = s[L.V_LUNG]
    s[L.BR_VMIN] = s[L.V_LUNG]
    s[L.BR_PEF] = 0.0
    s[L.BR_ETCO2] = 0.0
    s[L.BR_ECO2] = 0.0
    s[L.BR_EVOL] = 0.0
    s[L.BR_PAWMAX] = 0.0


@njit
def start_breath(s, x, inp, p) -> None:  # type: ignore[no-untyped-def]
    """Choose the next breath's period, inspiratory time and effort."""
    mode = inp[L.I_VENT_MODE]
    if mode > 0.5 and inp[L.I_VENT_RATE] > 0.5:
        period = 60.0 / inp[L.I_VENT_RATE]
        ie = min(max(inp[L.I_VENT_IE], 0.1), 2.0)
        s[L.BREATH_T] = period
        s[L.TI_CUR] = period * ie / (1.0 + ie)
        s[L.PMUS_AMP] = 0.0
        s[L.BREATH_ACTIVE] = 1.0
        return
    rr = x[L.X_RR_TARGET]
    if rr < 2.0 or x[L.X_PMUS_TARGET] < 0.05:
        s[L.BREATH_T] = 4.0  # apnoea: re-evaluate the drive every 4 s
        s[L.TI_CUR] = 1.3
        s[L.PMUS_AMP] = 0.0
        s[L.BREATH_ACTIVE] = 0.0
        return
    period = 60.0 / rr
    s[L.BREATH_T] = period
    s[L.TI_CUR] = period * p[L.P_TI_FRAC]
    s[L.PMUS_AMP] = x[L.X_PMUS_TARGET]
    s[L.BREATH_ACTIVE] = 1.0


@njit
def respiratory_fast(s, x, inp, p, dt_s: float) -> None:  # type: ignore[no-untyped-def]
    """Advance mechanics, dead-space/alveolar gas and alveolar-capillary exchange by ``dt_s``."""
    s[L.T_BREATH] += dt_s
    if s[L.T_BREATH] >= s[L.BREATH_T]:
        commit_breath(s, s[L.BREATH_T])
        s[L.T_BREATH] -= s[L.BREATH_T]
        start_breath(s, x, inp, p)
    t = s[L.T_BREATH]
    ti = s[L.TI_CUR]
    insp = t < ti
    if insp:
        s[L.BR_TI] = t
    amp = s[L.PMUS_AMP]
    pmus = amp * 0.5 * (1.0 - math.cos(math.pi * t / ti)) if insp else amp * math.exp(-(t - ti) / 0.15)
    pmus *= 1.0 - x[L.X_NMB]
    s[L.P_MUS] = pmus

    c = x[L.X_C_RS_EFF]
    r_in = x[L.X_R_AW_EFF]
    r_ex = x[L.X_R_AW_EXP_EFF]
    vl = s[L.V_LUNG]
    p_el = vl / c
    mode = inp[L.I_VENT_MODE]
    airway = inp[L.I_AIRWAY]
    esophageal = airway > 1.5 and airway < 2.5
    peep = inp[L.I_VENT_PEEP] if mode > 0.5 else 0.0
    paw = 0.0
    q = 0.0
    if mode > 0.5 and not esophageal:
        if mode < 1.5:  # volume control: set inspiratory flow
            if insp:
                q = inp[L.I_VENT_VT] / max(ti, 0.05) * x[L.X_OBSTRUCT_G]
                paw = p_el + q * r_in
            else:
                paw = peep
                q = (paw - p_el) / r_ex
        else:  # pressure control, or a bag squeezed with a half-sine
            if insp:
                paw = peep + inp[L.I_VENT_PINSP] if mode < 2.5 else peep + inp[L.I_VENT_PINSP] * math.sin(math.pi * t / ti)
            else:
                paw = peep
            r = r_in if paw + pmus > p_el else r_ex
            if mode > 2.5:
                r += BVM_R
            q = (paw + pmus - p_el) / r
    else:
        r = r_in if pmus > p_el else r_ex
        q = (pmus - p_el) / r
    # forward Euler is stable while dt << R*C; R and C are bounded when derived
    s[L.V_LUNG] = vl + q * dt_s
    s[L.V_LUNG] = max(s[L.V_LUNG], -0.5 * p[L.P_FRC_ML])
    s[L.Q_AW] = q
    s[L.P_AW] = paw
    s[L.BR_PAWMAX] = max(s[L.BR_PAWMAX], paw)
    s[L.BR_VMAX] = max(s[L.BR_VMAX], s[L.V_LUNG])
    s[L.BR_VMIN] = min(s[L.BR_VMIN], s[L.V_LUNG])
    s[L.BR_PEF] = max(s[L.BR_PEF], -q)

    # gas transport through the dead space (fractions of dry gas)
    va = max(p[L.P_FRC_ML] + s[L.V_LUNG], 200.0)
    vd = x[L.X_VD_EFF]
    fio2 = x[L.X_FIO2_EFF]
    vol = abs(q) * dt_s
    m = min(vol / vd, 1.0)
    if q > 0.0:
        s[L.A_O2] += vol * s[L.F_D_O2]
        s[L.A_CO2] += vol * s[L.F_D_CO2]
        s[L.F_D_O2] += m * (fio2 - s[L.F_D_O2])
        s[L.F_D_CO2] += m * (0.0 - s[L.F_D_CO2])
        s[L.CAPNO] = 0.0
    else:
        fa_o2 = s[L.A_O2] / va
        fa_co2 = s[L.A_CO2] / va
        s[L.A_O2] -= vol * fa_o2
        s[L.A_CO2] -= vol * fa_co2
        s[L.F_D_O2] += m * (fa_o2 - s[L.F_D_O2])
        s[L.F_D_CO2] += m * (fa_co2 - s[L.F_D_CO2])
        s[L.BR_ECO2] += vol * s[L.F_D_CO2]
        s[L.BR_EVOL] += vol
        pco2_mouth = s[L.F_D_CO2] * P_DRY_MMHG
        s[L.CAPNO] = 0.0 if esophageal else pco2_mouth
        s[L.BR_ETCO2] = max(s[L.BR_ETCO2], s[L.CAPNO])
    # keep the alveolar composition consistent with its volume (N2 makes up the rest)
    va = max(p[L.P_FRC_ML] + s[L.V_LUNG], 200.0)
    s[L.A_O2] = max(s[L.A_O2], 0.0)
    s[L.A_CO2] = max(s[L.A_CO2], 0.0)
    tot = s[L.A_O2] + s[L.A_CO2]
    if tot > 0.98 * va:
        k = 0.98 * va / tot
        s[L.A_O2] *= k
        s[L.A_CO2] *= k

    # alveolar-capillary exchange (end-capillary blood equilibrates with alveolar gas)
    pao2 = s[L.A_O2] / va * P_DRY_MMHG
    paco2 = s[L.A_CO2] / va * P_DRY_MMHG
    qc = max(x[L.X_Q_PC_INST], 0.0) * (1.0 - x[L.X_SHUNT])
    hb = x[L.X_HB]
    up_o2 = qc * (o2_content(pao2, hb) - s[L.C_V_O2]) * dt_s
    up_o2 = min(up_o2, 0.5 * s[L.A_O2] / STPD_TO_BTPS)
    out_co2 = qc * (s[L.C_V_CO2] - co2_content(paco2)) * dt_s
    out_co2 = max(out_co2, -0.5 * s[L.A_CO2] / STPD_TO_BTPS)
    s[L.A_O2] -= up_o2 * STPD_TO_BTPS
    s[L.A_CO2] += out_co2 * STPD_TO_BTPS
    s[L.ACC_O2] += up_o2
    s[L.ACC_CO2] += out_co2
    s[L.ACC_QPC] += max(x[L.X_Q_PC_INST], 0.0) * dt_s
    # aventilatory mass flow: more O2 leaves the alveoli than CO2 enters them, and through an
    # open airway the difference is drawn in from the dead space, which fills with inspired gas
    # (Bartlett et al. 1954, J Appl Physiol 6:422; the basis of apnoeic oxygenation)
    dv = (up_o2 - out_co2) * STPD_TO_BTPS
    if dv > 0.0 and x[L.X_OBSTRUCT_G] > 0.01 and mode < 0.5:
        s[L.A_O2] += dv * s[L.F_D_O2]
        s[L.A_CO2] += dv * s[L.F_D_CO2]
        md = min(dv / vd, 1.0)
        s[L.F_D_O2] += md * (fio2 - s[L.F_D_O2])
        s[L.F_D_CO2] -= md * s[L.F_D_CO2]


@njit
def chemoreflex_slow(s, x, p, map_mmhg: float, dt_s: float) -> float:  # type: ignore[no-untyped-def]
    """Update the ventilatory drive (1 = resting) and return its sympathetic share (0-0.7).

    Central chemoreceptors see a slowly filtered PaCO2 (tau 30 s), peripheral ones a fast
    filtered PaO2 (tau 3 s) and arterial [H+]; low arterial pressure also stimulates
    breathing (chemoreceptor hypoperfusion).
    """
    paco2 = x[L.X_PACO2]
    pao2 = x[L.X_PAO2]
    s[L.PACO2_CENT] += (paco2 - s[L.PACO2_CENT]) * min(dt_s / 30.0, 1.0)
    s[L.PAO2_PERI] += (pao2 - s[L.PAO2_PERI]) * min(dt_s / 3.0, 1.0)
    h_nmol = 10.0 ** (9.0 - x[L.X_PH])
    h0 = 10.0 ** (9.0 - 7.39)
    hyp = p[L.P_G_O2] * 6.0 * (max(0.0, (100.0 - s[L.PAO2_PERI]) / 100.0) ** 2 - 0.0025)
    # the CO2 response is much flatter below the resting PaCO2 (the 'dog-leg'), so other
    # stimuli can drive hyperventilation with hypocapnia
    dco2 = s[L.PACO2_CENT] - p[L.P_PACO2_SET]
    central = p[L.P_G_CO2] * (dco2 if dco2 > 0.0 else 0.25 * dco2)
    periph = p[L.P_G_H] * (h_nmol - h0) / h0
    bp = p[L.P_G_BP] * max(0.0, (p[L.P_MAP0] - map_mmhg) / p[L.P_MAP0])
    # carotid bodies are also excited by sympathetic activity and low flow (shock)
    symp_v = 3.0 * max(s[L.SYMP] - 0.55, 0.0)
    target = 1.0 + central + periph + hyp + bp + symp_v
    target = min(max(target, 0.0), 6.0)
    s[L.DRIVE] += (target - s[L.DRIVE]) * min(dt_s / 2.0, 1.0)
    # hypoxaemia, hypercapnia and the work of breathing raise sympathetic tone
    stress = 0.5 * hyp + 0.03 * max(s[L.PACO2_CENT] - p[L.P_PACO2_SET] - 5.0, 0.0)
    load = min(max((x[L.X_R_AW_EFF] / p[L.P_R_AW] - 1.5) / 3.0, 0.0), 1.0)  # resistive load
    stress += 0.5 * max(s[L.DRIVE] - 1.3, 0.0) * load
    return min(stress, 0.7)
