"""Blood, fluids and metabolism: volume bookkeeping, hemorrhage, infusions, transcapillary
exchange, kidneys, O2/CO2 stores, lactate and acid-base, temperature.

Transcapillary exchange is Starling's: filtration = Kf * (dP_capillary - d(pi_plasma)
- dP_interstitial) + capillary leak, with plasma oncotic pressure proportional to the plasma
protein concentration, so that after a hemorrhage the fall in capillary pressure draws
interstitial fluid in (refill) while the dilution of plasma protein limits it, and infused
crystalloid leaves the plasma over tens of minutes. Lactate is produced at a basal rate, by
any O2 supply deficit (anaerobic glycolysis), by regional hypoperfusion when cardiac output is
below ~92 % of baseline (splanchnic and skin vasoconstriction), by catecholamine stress
(beta-2 aerobic glycolysis) and by sepsis; the liver clears it in proportion to its
perfusion. Base excess is minus the lactate excess (plus any chronic compensation).
"""

from __future__ import annotations

import math

from .. import layout as L
from .._jit import njit
from .gas import (
    P_DRY_MMHG,
    co2_content,
    o2_content,
    pco2_from_content,
    ph_from,
    po2_from_content,
    so2_from_po2,
)

PRBC_HCT = 0.60
WB_HCT = 0.42
MCHC_G_DL = 34.0


@njit
def blood_volume(s) -> float:  # type: ignore[no-untyped-def]
    """Total intravascular volume in mL (sum of the 11 compartments)."""
    return (
        s[L.V_LV]
        + s[L.V_RV]
        + s[L.V_LA]
        + s[L.V_RA]
        + s[L.V_AO]
        + s[L.V_SC]
        + s[L.V_SV]
        + s[L.V_VC]
        + s[L.V_PA]
        + s[L.V_PC]
        + s[L.V_PV]
    )


@njit
def fluids_slow(s, x, inp, p, psc: float, map_mmhg: float, leak_ml_min: float, dt_s: float) -> None:  # type: ignore[no-untyped-def]
    """Hemorrhage, infusions, Starling exchange and urine over ``dt_s``."""
    dt_min = dt_s / 60.0
    bv = blood_volume(s)
    hct = min(max(s[L.RBC_ML] / max(bv, 1.0), 0.0), 0.95)
    pv = max(bv - s[L.RBC_ML], 1.0)
    prot_c = s[L.PROTEIN_G] / pv
    # hemorrhage from the capillary beds (fixed rate; slows when arterial pressure collapses)
    rate = inp[L.I_HEM_RATE] + inp[L.I_HEM_EXT_RATE]
    if rate > 0.0:
        rate *= min(1.0, max(map_mmhg, 0.0) / 40.0)
        loss = min(rate * dt_min, max(s[L.V_SC] - 0.5 * p[L.P_VU_SC], 0.0))
        s[L.V_SC] -= loss
        s[L.RBC_ML] -= loss * hct
        s[L.PROTEIN_G] -= loss * (1.0 - hct) * prot_c
        s[L.BLOOD_LOST_ML] += loss
    # infusions into the vena cava, each until its bag is empty
    add = 0.0
    v = min(inp[L.I_CRYST_RATE] * dt_min, s[L.REMAIN_CRYST])
    if v > 0.0:
        s[L.REMAIN_CRYST] -= v
        add += v
    v = min(inp[L.I_PRBC_RATE] * dt_min, s[L.REMAIN_PRBC])
    if v > 0.0:
        s[L.REMAIN_PRBC] -= v
        add += v
        s[L.RBC_ML] += v * PRBC_HCT
        s[L.PROTEIN_G] += v * (1.0 - PRBC_HCT) * 0.2 * p[L.P_PROTEIN0_G] / (p[L.P_BV0] * (1.0 - p[L.P_HB0] / MCHC_G_DL))
    v = min(inp[L.I_WB_RATE] * dt_min, s[L.REMAIN_WB])
    if v > 0.0:
        s[L.REMAIN_WB] -= v
        add += v
        s[L.RBC_ML] += v * WB_HCT
        s[L.PROTEIN_G] += v * (1.0 - WB_HCT) * p[L.P_PROTEIN0_G] / (p[L.P_BV0] * (1.0 - p[L.P_HB0] / MCHC_G_DL))
    v = min(inp[L.I_PLASMA_RATE] * dt_min, s[L.REMAIN_PLASMA])
    if v > 0.0:
        s[L.REMAIN_PLASMA] -= v
        add += v
        s[L.PROTEIN_G] += v * p[L.P_PROTEIN0_G] / (p[L.P_BV0] * (1.0 - p[L.P_HB0] / MCHC_G_DL))
    s[L.V_VC] += add
    s[L.FLUID_IN_ML] += add
    # Starling exchange between capillaries and interstitium (positive = filtration)
    pv0 = p[L.P_BV0] * (1.0 - p[L.P_HB0] / MCHC_G_DL)
    pi_rel = (s[L.PROTEIN_G] / pv) / (p[L.P_PROTEIN0_G] / pv0)
    d_pi = 25.0 * (pi_rel - 1.0)
    d_pint = (s[L.V_INT_ML] - p[L.P_VINT0]) / p[L.P_C_INT]
    j = p[L.P_KF] * ((psc - p[L.P_PSC0]) - d_pi - d_pint) + leak_ml_min
    jv = j * dt_min
    jv = max(jv, -0.05 * s[L.V_INT_ML]) if jv < 0.0 else min(jv, max(s[L.V_SC] - 0.5 * p[L.P_VU_SC], 0.0))
    s[L.V_SC] -= jv
    s[L.V_INT_ML] += jv
    if leak_ml_min > 0.0:
        s[L.PROTEIN_G] -= 0.5 * leak_ml_min * dt_min * s[L.PROTEIN_G] / pv
    # kidneys: pressure natriuresis and sympathetic/ADH antidiuresis
    f_map = min(max((map_mmhg - 55.0) / (p[L.P_MAP0] - 55.0), 0.0), 2.0) ** 1.5
    f_sym = math.exp(-2.0 * max(s[L.SYMP] - 0.55, 0.0))
    uo = p[L.P_UO0] * f_map * f_sym  # mL/min
    s[L.URINE_ML] += uo * dt_min
    s[L.URINE_RATE] += (uo * 60.0 - s[L.URINE_RATE]) * min(dt_s / 60.0, 1.0)
    net = (uo - p[L.P_UO0]) * dt_min  # intake matches the resting urine output
    s[L.V_VC] -= min(net, max(s[L.V_VC] - 0.5 * p[L.P_VU_VC], 0.0))
    bv = blood_volume(s)
    x[L.X_HB] = MCHC_G_DL * min(max(s[L.RBC_ML] / max(bv, 1.0), 0.0), 0.95)


@njit
def metabolism_slow(s, x, inp, p, co_ml_s: float, sepsis: float, beta1: float, beta2: float, dt_s: float) -> None:  # type: ignore[no-untyped-def]
    """O2/CO2 stores, arterial blood gases, lactate, acid-base and temperature over ``dt_s``."""
    dt_min = dt_s / 60.0
    hb = x[L.X_HB]
    demand = p[L.P_VO2_0] * 1.1 ** (s[L.T_CORE] - 37.0) * (1.0 + 0.3 * sepsis) * (1.0 + 0.1 * beta1)
    pvo2 = po2_from_content(s[L.C_V_O2], hb)
    f_sup = 1.0 / (1.0 + (8.0 / max(pvo2, 0.1)) ** 3) / 0.992
    vo2 = demand * min(f_sup, 1.0)  # mL/min
    s[L.C_V_O2] += (s[L.ACC_O2] - vo2 * dt_min) / p[L.P_V_O2_STORE]
    s[L.C_V_O2] = max(s[L.C_V_O2], 0.0)
    vco2 = p[L.P_RQ] * vo2
    s[L.C_V_CO2] += (vco2 * dt_min - s[L.ACC_CO2]) / p[L.P_V_CO2_STORE]
    s[L.ACC_O2] = 0.0
    s[L.ACC_CO2] = 0.0
    # arterial blood: shunt mixture of end-capillary and mixed venous blood (lag tau 10 s: pulmonary venous mixing and transit)
    va = max(p[L.P_FRC_ML] + s[L.V_LUNG], 200.0)
    pao2_alv = s[L.A_O2] / va * P_DRY_MMHG
    paco2_alv = s[L.A_CO2] / va * P_DRY_MMHG
    sh = x[L.X_SHUNT]
    ca_o2 = (1.0 - sh) * o2_content(pao2_alv, hb) + sh * s[L.C_V_O2]
    ca_co2 = (1.0 - sh) * co2_content(paco2_alv) + sh * s[L.C_V_CO2]
    k = min(dt_s / 10.0, 1.0)
    s[L.C_A_O2] += (ca_o2 - s[L.C_A_O2]) * k
    s[L.C_A_CO2] += (ca_co2 - s[L.C_A_CO2]) * k
    pao2 = po2_from_content(s[L.C_A_O2], hb)
    paco2 = pco2_from_content(s[L.C_A_CO2])
    sao2 = so2_from_po2(pao2)
    x[L.X_PAO2] = pao2
    x[L.X_PACO2] = paco2
    x[L.X_SAO2] = sao2
    x[L.X_PVO2] = pvo2
    x[L.X_SVO2] = so2_from_po2(pvo2)
    x[L.X_VO2] = vo2
    x[L.X_VCO2] = vco2
    co_l_min = co_ml_s * 0.06
    x[L.X_CO_LPM] = co_l_min
    x[L.X_DO2] = co_l_min * s[L.C_A_O2] * 1000.0
    if co_ml_s > 1.0:  # the oximeter needs a pulse
        s[L.SPO2_LAG] += (sao2 - s[L.SPO2_LAG]) * min(dt_s / 6.0, 1.0)
    # lactate (mmol/L in the extracellular water, 0.2 L/kg)
    ecf = 0.2 * p[L.P_WEIGHT_KG]
    flow_ratio = co_l_min / p[L.P_CO0]
    prod = p[L.P_K_LAC] * p[L.P_LAC0] * ecf
    prod += 0.1 * max(demand - vo2, 0.0)
    prod += 0.45 * p[L.P_WEIGHT_KG] * max(0.92 - flow_ratio, 0.0)
    prod += 0.004 * p[L.P_WEIGHT_KG] * max(s[L.SYMP] - 0.65, 0.0)
    prod += p[L.P_WEIGHT_KG] * (0.02 * sepsis + 0.0012 * beta2)
    clear = p[L.P_K_LAC] * s[L.LACTATE] * ecf * min(flow_ratio, 1.0)
    s[L.LACTATE] += (prod - clear) * dt_min / ecf
    s[L.LACTATE] = max(s[L.LACTATE], 0.1)
    be = -(s[L.LACTATE] - p[L.P_LAC0]) + (p[L.P_HCO3_0] - 24.0)
    hco3 = 24.0 + be + 0.1 * (paco2 - 40.0)
    x[L.X_BE] = be
    x[L.X_HCO3] = hco3
    x[L.X_PH] = ph_from(hco3, paco2)
    # temperature: first order toward the (fever-raised) set point, tau 20 min
    t_set = p[L.P_T_SET0] + 2.5 * sepsis
    s[L.T_CORE] += (t_set - s[L.T_CORE]) * min(dt_s / 1200.0, 1.0)
    x[L.X_T_SKIN] = 33.0 + 0.5 * (s[L.T_CORE] - 37.0) - 3.0 * (s[L.SYMP] - 0.5)
