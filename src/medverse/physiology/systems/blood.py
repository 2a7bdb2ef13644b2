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
    co2_content,
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


#: vessel-rich group (brain, heart, kidneys, liver, gut) and muscle group: fraction of body mass
#: and of resting cardiac output (Eger 1974, Anesthetic Uptake and Action, ch. 7; Mapleson 1973,
#: Br J Anaesth 45:319), and their share of resting CO2 production (VRG ~65 %: brain 20 %,
#: liver and gut 25 %, heart 10 %, kidneys 7 %; Guyton & Hall, Textbook of Medical Physiology).
VRG_MASS = 0.09
VRG_FLOW = 0.75
VRG_VCO2 = 0.65
MUS_MASS = 0.50
#: CO2 capacitance of tissue, mL CO2 per mL per mmHg: dissolved CO2 (0.0307 mmol/L/mmHg) plus
#: the acute whole-body bicarbonate rise of 0.1 mmol/L per mmHg (Brackett, Cohen & Schwartz 1965,
#: N Engl J Med 272:6), at 22.26 mL/mmol, per mL of tissue water (75 % of lean tissue mass);
#: about half of blood's slope, which has haemoglobin to buffer it
TISSUE_CO2_SLOPE = (0.0307 + 0.1) * 22.26 / 1000.0 * 0.75
#: myoglobin O2 half-saturation (mmHg at 37 C; Schenkman et al. 1997, J Appl Physiol 82:86)
MB_P50 = 2.4
#: O2 solubility in tissue water, mL O2 per mL per mmHg (0.003 mL/dL/mmHg, as in plasma)
O2_SOL = 0.00003
#: tissue water outside the blood, mL per kg of body weight (~40 L in 70 kg; Lumb 2017)
TISSUE_WATER_ML_KG = 570.0


@njit
def arterial_volume(s) -> float:  # type: ignore[no-untyped-def]
    """Blood volume (mL) between the lung capillaries and the systemic capillaries."""
    return s[L.V_PV] + s[L.V_LA] + s[L.V_LV] + s[L.V_AO]


@njit
def tissue_o2_store(p, po2_mmhg: float) -> float:  # type: ignore[no-untyped-def]
    """O2 (mL) held in the tissues at tissue PO2: myoglobin-bound plus dissolved."""
    po2 = max(po2_mmhg, 0.0)
    return p[L.P_V_O2_STORE] * po2 / (po2 + MB_P50) + O2_SOL * TISSUE_WATER_ML_KG * p[L.P_WEIGHT_KG] * po2


@njit
def metabolism_slow(s, x, inp, p, co_ml_s: float, sepsis: float, beta1: float, beta2: float, dt_s: float) -> None:  # type: ignore[no-untyped-def]
    """O2/CO2 stores, arterial blood gases, lactate, acid-base and temperature over ``dt_s``.

    O2 and CO2 move between explicit stores: alveolar gas (respiratory_fast, which leaves the
    uptake and the CO2 output of the step in ``ACC_O2``/``ACC_CO2`` and the blood that crossed
    the lungs in ``ACC_QPC``), arterial blood (pulmonary veins, left heart, arteries), venous
    blood (everything else), the tissues' myoglobin and dissolved O2, and two tissue CO2 pools
    (vessel-rich group and muscle) that receive the metabolic CO2 and exchange it with the
    blood flowing through them. Every transfer is an amount carried by blood flow, so O2 and
    CO2 are conserved; store sizes come from anatomy (volumes) and chemistry (dissociation
    curves), not from the behaviour they produce.
    """
    dt_min = dt_s / 60.0
    hb = x[L.X_HB]
    bv = blood_volume(s)
    v_art = max(arterial_volume(s), 50.0)
    v_ven = max(bv - v_art, 100.0)
    q_dt = s[L.ACC_QPC]  # mL of blood through the lungs in this step (= the systemic flow)
    demand = p[L.P_VO2_0] * 1.1 ** (s[L.T_CORE] - 37.0) * (1.0 + 0.3 * sepsis) * (1.0 + 0.1 * beta1)
    pvo2 = po2_from_content(s[L.C_V_O2], hb)
    f_sup = 1.0 / (1.0 + (8.0 / max(pvo2, 0.1)) ** 3) / 0.992
    vo2 = demand * min(f_sup, 1.0)  # mL/min
    vco2 = p[L.P_RQ] * vo2
    # O2: lungs -> arterial blood -> tissues (consumption, myoglobin) -> venous blood -> lungs
    ca = s[L.C_A_O2]
    cv = s[L.C_V_O2]
    to2 = tissue_o2_store(p, pvo2)
    d_tissue = (to2 - s[L.TISSUE_O2]) * min(dt_s / 10.0, 1.0)  # > 0: the tissues take O2 up
    s[L.TISSUE_O2] += d_tissue
    s[L.C_A_O2] = max(ca + (q_dt * (cv - ca) + s[L.ACC_O2]) / v_art, 0.0)
    s[L.C_V_O2] = max(cv + (q_dt * (ca - cv) - vo2 * dt_min - d_tissue) / v_ven, 0.0)
    # CO2: tissues (production) -> venous blood -> lungs (output) -> arterial blood -> tissues
    ca = s[L.C_A_CO2]
    cv = s[L.C_V_CO2]
    scale = p[L.P_V_CO2_STORE]
    k_vrg = TISSUE_CO2_SLOPE * VRG_MASS * p[L.P_WEIGHT_KG] * 1000.0 * scale  # mL CO2 per mmHg
    k_mus = TISSUE_CO2_SLOPE * MUS_MASS * p[L.P_WEIGHT_KG] * 1000.0 * scale
    c_vrg = co2_content(s[L.P_VRG_CO2])  # blood leaves a tissue at the tissue's PCO2
    c_mus = co2_content(s[L.P_MUS_CO2])
    s[L.P_VRG_CO2] += (VRG_VCO2 * vco2 * dt_min + VRG_FLOW * q_dt * (ca - c_vrg)) / k_vrg
    s[L.P_MUS_CO2] += ((1.0 - VRG_VCO2) * vco2 * dt_min + (1.0 - VRG_FLOW) * q_dt * (ca - c_mus)) / k_mus
    c_in = VRG_FLOW * c_vrg + (1.0 - VRG_FLOW) * c_mus
    s[L.C_A_CO2] = max(ca + (q_dt * (cv - ca) - s[L.ACC_CO2]) / v_art, 0.0)
    s[L.C_V_CO2] = max(cv + q_dt * (c_in - cv) / v_ven, 0.0)
    s[L.ACC_O2] = 0.0
    s[L.ACC_CO2] = 0.0
    s[L.ACC_QPC] = 0.0
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
