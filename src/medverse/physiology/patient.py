"""The patient: demographics, baselines and chronic conditions -> model parameters.

Scaling: blood volume 71.5 mL/kg for men and 65 mL/kg for women (Pulse's standard male has
5510 mL at 77 kg); vascular compliances and unstressed volumes scale with blood volume; the
resting cardiac output with weight^0.75 from 5.6 L/min at 77 kg; lung volumes and tidal volume
with ideal body weight (Devine: 50 kg + 0.91 kg/cm over 152.4 cm for men, 45.5 kg for women).
The engine then calibrates arteriolar resistance, arterial compliance, intrinsic heart rate
and respiratory muscle effort so that the resting patient has the given baseline vitals.

Chronic conditions are applied after that calibration, so they change the physiology rather
than the targets: chronic anemia lowers Hb (by up to 50 %) with a hyperdynamic circulation
(lower SVR from low viscosity and vasodilation); COPD raises airway resistance and dead space,
adds V/Q mismatch and blunts the CO2 response, with chronic metabolic compensation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import layout as L
from .errors import InvalidPatient
from .systems.blood import VRG_FLOW, VRG_VCO2, tissue_o2_store
from .systems.gas import co2_content, o2_content, pco2_from_content

STD_BV_ML = 5510.0
STD_WEIGHT_KG = 77.0


@dataclass(frozen=True)
class Patient:
    """A virtual patient.

    Parameters
    ----------
    sex : {"male", "female"}
    age_yr : float
        Age in years (18-100).
    height_cm, weight_kg : float
        Height in cm (120-230) and weight in kg (35-250).
    heart_rate_bpm, systolic_mmhg, diastolic_mmhg, respiration_rate_per_min : float
        Resting baselines the model is calibrated to.
    chronic_anemia, copd : float
        Severity 0-1 of these pre-existing conditions.
    """

    sex: str = "male"
    age_yr: float = 44.0
    height_cm: float = 180.0
    weight_kg: float = 77.0
    heart_rate_bpm: float = 72.0
    systolic_mmhg: float = 114.0
    diastolic_mmhg: float = 73.5
    respiration_rate_per_min: float = 12.0
    chronic_anemia: float = 0.0
    copd: float = 0.0
    name: str = field(default="patient", compare=False)

    def __post_init__(self) -> None:
        if self.sex not in ("male", "female"):
            raise InvalidPatient(f"sex must be 'male' or 'female' (got {self.sex!r})")
        checks = (
            ("age_yr", 18.0, 100.0, "years"),
            ("height_cm", 120.0, 230.0, "cm"),
            ("weight_kg", 35.0, 250.0, "kg"),
            ("heart_rate_bpm", 40.0, 120.0, "/min"),
            ("systolic_mmhg", 80.0, 190.0, "mmHg"),
            ("diastolic_mmhg", 40.0, 120.0, "mmHg"),
            ("respiration_rate_per_min", 6.0, 30.0, "/min"),
            ("chronic_anemia", 0.0, 1.0, "(severity)"),
            ("copd", 0.0, 1.0, "(severity)"),
        )
        for name, lo, hi, unit in checks:
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
                raise InvalidPatient(f"{name} must be between {lo:g} and {hi:g} {unit} (got {v!r})")
        if self.diastolic_mmhg >= self.systolic_mmhg - 15:
            raise InvalidPatient(
                f"diastolic pressure must be at least 15 mmHg below systolic "
                f"(got {self.systolic_mmhg:g}/{self.diastolic_mmhg:g} mmHg)"
            )
        bmi = self.weight_kg / (self.height_cm / 100.0) ** 2
        if not 12.0 <= bmi <= 70.0:
            raise InvalidPatient(
                f"weight {self.weight_kg:g} kg at height {self.height_cm:g} cm gives a body mass "
                f"index of {bmi:.1f} kg/m2; expected 12-70"
            )

    @property
    def ideal_body_weight_kg(self) -> float:
        """Ideal body weight in kg (Devine formula)."""
        base = 50.0 if self.sex == "male" else 45.5
        return max(base + 0.91 * (self.height_cm - 152.4), 30.0)

    @property
    def blood_volume_ml(self) -> float:
        """Resting blood volume in mL (71.5 mL/kg men, 65 mL/kg women)."""
        return self.weight_kg * (71.5 if self.sex == "male" else 65.0)

    @property
    def map_target_mmhg(self) -> float:
        """Baseline mean arterial pressure (mmHg) implied by the baseline SBP/DBP."""
        return self.diastolic_mmhg + (self.systolic_mmhg - self.diastolic_mmhg) / 3.0


# standard-male compartment values: (unstressed volume mL, compliance mL/mmHg or elastance)
_NOMINAL_P = {  # resting mean pressures used to initialise volumes (mmHg)
    "AO": 90.0,
    "SC": 25.0,
    "SV": 9.0,
    "VC": 5.0,
    "PA": 17.0,
    "PC": 8.0,
    "PV": 5.0,
    "LA": 4.0,
    "RA": 4.0,
}


def build_patient(pt: Patient) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, float]]:
    """Uncalibrated parameter, state, derived and input rows for ``pt``.

    Returns
    -------
    params, state, derived, inputs : ndarray
        Rows of length N_PARAM, N_STATE, N_DERIVED, N_INPUT.
    info : dict
        Targets used by the calibration (``map``, ``hr``, ``vt``, ``pp``).
    """
    p = np.zeros(L.N_PARAM)
    s = np.zeros(L.N_STATE)
    x = np.zeros(L.N_DERIVED)
    inp = np.zeros(L.N_INPUT)
    bv = pt.blood_volume_ml
    k = bv / STD_BV_ML
    wk = (pt.weight_kg / STD_WEIGHT_KG) ** 0.75
    ibw = pt.ideal_body_weight_kg
    female = pt.sex == "female"
    age_stiff = 1.0 + 0.01 * max(pt.age_yr - 44.0, 0.0) - 0.005 * max(44.0 - pt.age_yr, 0.0)

    p[L.P_E_LV_MAX] = 2.1 / k
    p[L.P_E_LV_MIN] = 0.22  # exponential EDPVR: P0 (mmHg) of P = P0 (exp(k (V - V0)) - 1)
    p[L.P_V0_LV] = 10.0 * k
    p[L.P_E_RV_MAX] = 0.55 / k
    p[L.P_E_RV_MIN] = 0.45
    p[L.P_V0_RV] = 10.0 * k
    p[L.P_E_LA] = 0.17 / k
    p[L.P_VU_LA] = 30.0 * k
    p[L.P_E_RA] = 0.13 / k
    p[L.P_VU_RA] = 30.0 * k
    p[L.P_C_AO] = 1.4 * k / age_stiff
    p[L.P_VU_AO] = 590.0 * k
    p[L.P_C_SC] = 3.0 * k
    p[L.P_VU_SC] = 310.0 * k
    p[L.P_C_SV] = 130.0 * k
    p[L.P_VU_SV] = 2400.0 * k
    p[L.P_C_VC] = 12.0 * k
    p[L.P_VU_VC] = 100.0 * k
    p[L.P_C_PA] = 4.0 * k
    p[L.P_VU_PA] = 80.0 * k
    p[L.P_C_PC] = 8.0 * k
    p[L.P_VU_PC] = 90.0 * k
    p[L.P_C_PV] = 14.0 * k
    p[L.P_VU_PV] = 100.0 * k
    co_ml_s = 5600.0 / 60.0 * wk
    map_t = pt.map_target_mmhg
    p[L.P_R_MV] = 0.005 / k
    p[L.P_R_AV] = 0.006 / k
    p[L.P_R_TV] = 0.004 / k
    p[L.P_R_PV] = 0.004 / k
    p[L.P_R_ART] = (map_t - 25.0) / co_ml_s
    p[L.P_R_CAP] = 16.0 / co_ml_s
    p[L.P_R_VEN] = 4.0 / co_ml_s
    p[L.P_R_VC] = 1.0 / co_ml_s
    p[L.P_R_PA] = 9.0 / co_ml_s
    p[L.P_R_PC] = 3.0 / co_ml_s
    p[L.P_R_PVLA] = 1.0 / co_ml_s
    p[L.P_HR0] = pt.heart_rate_bpm
    p[L.P_MAP_SET] = map_t
    p[L.P_BARO_K] = 9.0
    p[L.P_G_HR_V] = 0.25
    p[L.P_G_HR_S] = 0.75
    p[L.P_G_EMAX] = 0.35
    p[L.P_G_SVR] = 0.7
    p[L.P_G_VU] = 1200.0 * k
    p[L.P_TAU_HR_V] = 1.5
    p[L.P_TAU_HR_S] = 8.0
    p[L.P_TAU_EMAX] = 8.0
    p[L.P_TAU_SVR] = 6.0
    p[L.P_TAU_VU] = 20.0
    # breathing
    p[L.P_FRC_ML] = 2400.0 * ibw / 75.0
    p[L.P_VD_ML] = 2.0 * ibw
    p[L.P_C_RS] = 100.0 * ibw / 75.0
    p[L.P_R_AW] = 0.0025 * 75.0 / ibw
    p[L.P_RR0] = pt.respiration_rate_per_min
    p[L.P_TI_FRAC] = 0.30
    vt_target = 7.0 * ibw
    p[L.P_PMUS0] = vt_target / p[L.P_C_RS] * 1.3
    p[L.P_SHUNT0] = 0.025
    p[L.P_PACO2_SET] = 40.0
    p[L.P_G_CO2] = 0.25
    p[L.P_G_O2] = 1.0
    p[L.P_G_H] = 1.2
    p[L.P_G_BP] = 7.0
    # metabolism, blood, fluids
    p[L.P_VO2_0] = 250.0 * wk
    p[L.P_RQ] = 0.8
    hb = 13.5 if female else 15.0
    p[L.P_HB0] = hb
    p[L.P_BV0] = bv
    p[L.P_WEIGHT_KG] = pt.weight_kg
    pv0 = bv * (1.0 - hb / 34.0)
    p[L.P_KF] = 1.0 * k
    p[L.P_C_INT] = 400.0 * k
    p[L.P_PROTEIN0_G] = 70.0 * pv0 / 1000.0
    p[L.P_VINT0] = 160.0 * pt.weight_kg
    p[L.P_PSC0] = 25.0
    p[L.P_UO0] = pt.weight_kg / 60.0
    p[L.P_LAC0] = 1.0
    p[L.P_K_LAC] = 0.05
    p[L.P_T_SET0] = 37.0
    p[L.P_V_CO2_STORE] = 1.0  # tissue CO2 pools at full size (systems/blood.py)
    # myoglobin O2 store ~200 mL in a 70 kg adult (Lumb, Nunn's Applied Respiratory Physiology,
    # 8th ed. 2017, body O2 stores: lungs 450, blood 850, tissue fluid 50, myoglobin 200 mL)
    p[L.P_V_O2_STORE] = 200.0 * pt.weight_kg / 70.0
    p[L.P_COPD] = 0.0  # applied after calibration
    p[L.P_ANEMIA] = 0.0
    p[L.P_CO0] = co_ml_s * 0.06
    p[L.P_MAP0] = map_t
    p[L.P_HCO3_0] = 24.0
    p[L.P_W_SCALE] = pt.weight_kg / 70.0
    p[L.P_AGE_YR] = pt.age_yr
    p[L.P_SEX_FEMALE] = 1.0 if female else 0.0
    p[L.P_IBW_KG] = ibw

    # initial volumes from nominal pressures; veins take up the rest of the blood volume
    s[L.V_LV] = 110.0 * k
    s[L.V_RV] = 110.0 * k
    s[L.V_LA] = p[L.P_VU_LA] + _NOMINAL_P["LA"] / p[L.P_E_LA]
    s[L.V_RA] = p[L.P_VU_RA] + _NOMINAL_P["RA"] / p[L.P_E_RA]
    for name in ("AO", "SC", "VC", "PA", "PC", "PV"):
        vi = getattr(L, f"V_{name}")
        s[vi] = p[getattr(L, "P_VU_" + name)] + _NOMINAL_P[name] * p[getattr(L, "P_C_" + name)]
    rest = bv - sum(s[i] for i in range(L.V_LV, L.V_PV + 1) if i != L.V_SV)
    s[L.V_SV] = rest
    s[L.RR_CUR] = 60.0 / pt.heart_rate_bpm
    s[L.TMAX_CUR] = min(0.13 + 0.2 * s[L.RR_CUR], 0.45 * s[L.RR_CUR])
    s[L.EMAX_BEAT] = 1.0
    s[L.RHYTHM] = L.RH_SINUS
    s[L.P_FILT] = map_t
    s[L.EMAX_FAC] = 1.0
    s[L.SVR_FAC] = 1.0
    s[L.SYMP] = 0.5
    s[L.BREATH_T] = 60.0 / pt.respiration_rate_per_min
    s[L.TI_CUR] = s[L.BREATH_T] * 0.33
    s[L.T_BREATH] = 0.0
    # gases: start near the expected steady state
    frc = p[L.P_FRC_ML]
    s[L.A_O2] = frc * 100.0 / 713.0
    s[L.A_CO2] = frc * 40.0 / 713.0
    s[L.F_D_O2] = 0.21
    s[L.C_V_O2] = o2_content(40.0, hb)
    s[L.C_V_CO2] = co2_content(46.0)
    s[L.C_A_O2] = o2_content(95.0, hb)
    s[L.C_A_CO2] = co2_content(40.0)
    s[L.TISSUE_O2] = tissue_o2_store(p, 40.0)
    q_ml_min = co_ml_s * 60.0
    vco2 = p[L.P_VO2_0] * p[L.P_RQ]
    s[L.P_VRG_CO2] = pco2_from_content(s[L.C_A_CO2] + VRG_VCO2 * vco2 / (VRG_FLOW * q_ml_min))
    s[L.P_MUS_CO2] = pco2_from_content(s[L.C_A_CO2] + (1.0 - VRG_VCO2) * vco2 / ((1.0 - VRG_FLOW) * q_ml_min))
    s[L.SPO2_LAG] = 0.97
    s[L.PACO2_CENT] = 40.0
    s[L.PAO2_PERI] = 95.0
    s[L.DRIVE] = 1.0
    s[L.RBC_ML] = bv * hb / 34.0
    s[L.PROTEIN_G] = p[L.P_PROTEIN0_G]
    s[L.V_INT_ML] = p[L.P_VINT0]
    s[L.LACTATE] = 1.0
    s[L.T_CORE] = 37.0
    s[L.M_MYO] = 1.0
    s[L.ROSC_TIMER] = 1e6
    s[L.P_AO_AVG] = map_t
    s[L.P_SC_AVG] = 25.0
    s[L.P_SC_FILT] = 25.0
    s[L.Q_AORTIC_AVG] = co_ml_s
    s[L.P_CVP_AVG] = 4.0
    s[L.SLOW_N] = 1.0
    s[L.PLETH_LP] = map_t
    s[L.L_MAP] = map_t
    s[L.L_CO] = co_ml_s * 0.06
    s[L.L_CVP] = 4.0
    for b in (L.B_PMIN, L.B_VMIN, L.B_PAMIN):
        s[b] = 1e9
    for b in (L.B_PMAX, L.B_VMAX, L.B_PAMAX):
        s[b] = -1e9
    x[L.X_HB] = hb
    x[L.X_PH] = 7.39
    x[L.X_PAO2] = 95.0
    x[L.X_PACO2] = 40.0
    x[L.X_SAO2] = 0.97
    inp[L.I_FIO2] = 0.21
    inp[L.I_VENT_IE] = 0.5
    info = {
        "map": map_t,
        "hr": pt.heart_rate_bpm,
        "vt": vt_target,
        "pp": pt.systolic_mmhg - pt.diastolic_mmhg,
        "mid": 0.5 * (pt.systolic_mmhg + pt.diastolic_mmhg),
        "rr": pt.respiration_rate_per_min,
    }
    return p, s, x, inp, info


def apply_chronic(pt: Patient, p: np.ndarray, s: np.ndarray) -> None:
    """Apply chronic anemia and COPD to calibrated rows (in place)."""
    a = pt.chronic_anemia
    if a > 0.0:
        p[L.P_ANEMIA] = a
        hb = p[L.P_HB0] * (1.0 - 0.5 * a)
        bv = p[L.P_BV0]
        p[L.P_HB0] = hb
        s[L.RBC_ML] = bv * hb / 34.0
        p[L.P_R_ART] *= 1.0 - 0.35 * a  # low viscosity and hypoxic vasodilation
        p[L.P_HR0] *= 1.0 + 0.15 * a
    c = pt.copd
    if c > 0.0:
        p[L.P_COPD] = c
        p[L.P_G_CO2] *= 1.0 - 0.6 * c
        p[L.P_HCO3_0] = 24.0 + 6.0 * c  # chronic renal compensation of CO2 retention
