"""Drugs: multi-compartment pharmacokinetics and sigmoid-Emax pharmacodynamics.

Each drug has, per patient, seven amounts (ug): an IV mixing/transit compartment (arm-to-heart
transit, emptied at a rate proportional to cardiac output, so a drug given in cardiac arrest
stays there until compressions or a beating heart move it), two IM absorption stages, a central compartment
V1 and two peripheral compartments V2, V3, plus an effect-site concentration (ug/L) that lags
the plasma by ke0. Volumes and clearances are for 70 kg and scale linearly with weight.

Effects (sigmoid Emax on the effect-site concentration):

* epinephrine: heart rate, contractility, arteriolar resistance, bronchodilation, mast-cell
  stabilisation (anaphylaxis), lactate production;
* norepinephrine: arteriolar resistance and contractility;
* fentanyl and morphine: mu-opioid respiratory depression (rate more than depth) and mild
  vagal / vasodilating effects; naloxone antagonises them competitively (Gaddum: the agonist
  potency is divided by ``1 + C_naloxone / Ki``), so as naloxone is cleared faster than the
  opioid the depression can return;
* succinylcholine and rocuronium: neuromuscular block that removes the respiratory muscle
  pressure (apnoea).

Parameter sources (every row of ``PK`` and every EC50 below cites its own; "input" marks a
value that was chosen rather than measured, listed as such in the validation report):

* fentanyl: V1..Q3 Shafer et al. 1990 (Anesthesiology 73:1091); ke0 0.147/min (t1/2 4.7 min)
  Scott, Ponganis & Stanski 1985 (Anesthesiology 62:234, EEG effect); ventilatory EC50 3 ug/L,
  Hill 1.5: input (no single study; inside the 1-4 ug/L range of clinical reports);
* morphine: V1..Q3 and CL 1.2 L/min (17 mL/kg/min): consensus textbook values (Miller's
  Anesthesia; CL inside the 15-30 mL/kg/min of Stanski et al. 1978, Clin Pharmacol Ther
  24:52); ventilatory potency C50 32 nM = 9.1 ug/L, Hill 1, and blood-effect-site
  equilibration half-life 4.4 h (ke0 0.00263/min): Dahan et al. 2004 (Anesthesiology
  101:1201; ventilation at a fixed end-tidal PCO2 of 50 mmHg after a 90-s IV infusion);
* naloxone: 3-compartment PK of Dowling et al. 2008 (Ther Drug Monit 30:490: CL 91 L/h,
  V1 2.87 L, V2 1.49 L, V3 33.6 L, Q2 5.66 L/h, Q3 29.8 L/h; t1/2 ~60 min); Ki ~1 nM
  (0.33 ug/L; mu-receptor binding, Raynor et al. 1994, Mol Pharmacol 45:330); ke0 0.15/min
  and the IM absorption rate: input;
* norepinephrine: CL 2.5 L/min from whole-body tracer clearance on venous sampling (1.4 L/min
  on arterial sampling; "Whole body clearance of norepinephrine: the significance of arterial
  sampling and of surgical stress", scilit a60df99a) - venous, because the plasma levels it is
  checked against (Ensinger et al. 1992, Crit Care Med 20:1250) are venous; V1 8 L (plasma
  half-life ~2.2 min), V2, Q2: input;
* epinephrine: V1, V2, Q2, CL and the transit rate fitted (least squares on log concentration)
  to the Pulse PK validation curve (1.18 mg IV: 290 ug/L at +29 s, 51 ug/L at +119 s,
  7.5 ug/L at +239 s) - an input, so those three rows are listed as inputs;
* succinylcholine and rocuronium: textbook values (Miller's Anesthesia): input.

The EC50s of the adrenergic and neuromuscular effects were chosen inside published ranges
(inputs); see docs/physiology.md.
"""

from __future__ import annotations

import numpy as np

from . import layout as L
from ._jit import njit

# columns of PK: V1, V2, V3 (L); CL, Q2, Q3 (L/min); ke0 (1/min); ka IM (1/min)
PK = np.array(
    [
        # V1    V2     V3     CL     Q2    Q3    ke0   ka
        [2.23, 1.08, 0.0, 2.96, 0.31, 0.0, 3.0, 0.15],  # epinephrine
        [8.0, 4.0, 0.0, 2.50, 0.80, 0.0, 1.5, 0.12],  # norepinephrine (CL: tracer, venous)
        [6.09, 28.1, 228.0, 0.632, 2.81, 1.55, 0.147, 0.10],  # fentanyl (Shafer 1990; ke0 Scott 1985)
        [13.0, 40.0, 140.0, 1.20, 2.00, 0.50, 0.002626, 0.08],  # morphine (ke0: Dahan 2004, t1/2 4.4 h)
        [2.87, 1.49, 33.6, 1.517, 0.0943, 0.497, 0.15, 0.10],  # naloxone (Dowling 2008)
        [6.0, 0.0, 0.0, 3.50, 0.0, 0.0, 1.20, 0.30],  # succinylcholine
        [3.5, 6.0, 10.0, 0.25, 0.30, 0.08, 0.17, 0.10],  # rocuronium
    ]
)
PK_V1, PK_V2, PK_V3, PK_CL, PK_Q2, PK_Q3, PK_KE0, PK_KA = range(8)

#: IV transit rate (1/s) at the resting cardiac output: mean arm-to-central mixing time ~17 s.
TRANSIT_K_S = 0.0657

# effect-site EC50s (ug/L) and Hill coefficients
EC50_EPI_CARDIAC = 2.0
EC50_EPI_VASC = 5.0
EC50_EPI_BRONCH = 0.5
EC50_NE_VASC = 3.0
EC50_FENTANYL = 3.0
EC50_MORPHINE = 9.1  # ug/L = 32 nM (Dahan et al. 2004), Hill 1
KI_NALOXONE = 0.33
HILL_OPIOID = 1.5  # fentanyl
HILL_MORPHINE = 1.0  # Dahan et al. 2004
EC50_SUX = 500.0
EC50_ROC = 1000.0
HILL_NMB = 4.0

#: accepted drug names (scenario files may use these or the listed aliases)
ALIASES = {
    "epinephrine": L.D_EPINEPHRINE,
    "adrenaline": L.D_EPINEPHRINE,
    "norepinephrine": L.D_NOREPINEPHRINE,
    "noradrenaline": L.D_NOREPINEPHRINE,
    "fentanyl": L.D_FENTANYL,
    "morphine": L.D_MORPHINE,
    "naloxone": L.D_NALOXONE,
    "succinylcholine": L.D_SUCCINYLCHOLINE,
    "suxamethonium": L.D_SUCCINYLCHOLINE,
    "rocuronium": L.D_ROCURONIUM,
}


def drug_index(name: str) -> int:
    """Index of drug ``name`` (case-insensitive, aliases accepted); KeyError if unknown."""
    return ALIASES[name.strip().lower()]


@njit
def hill(c: float, ec50: float, n: float) -> float:
    """Fractional sigmoid Emax response 0-1 of concentration ``c`` (same units as ``ec50``)."""
    if c <= 0.0:
        return 0.0
    r = (c / ec50) ** n
    return r / (1.0 + r)


@njit
def pk_slow(s, inp, p, flow_ratio: float, dt_s: float) -> None:  # type: ignore[no-untyped-def]
    """Advance every drug's compartments by ``dt_s`` (exact-enough explicit step, dt << 1/k)."""
    w = p[L.P_W_SCALE]
    dt_min = dt_s / 60.0
    kt = TRANSIT_K_S * min(max(flow_ratio, 0.0), 1.0) * dt_s  # slower in low flow, never faster
    for d in range(L.N_DRUGS):
        b = L.DRUG_BASE + d * L.DRUG_STRIDE
        v1 = PK[d, PK_V1] * w
        v2 = PK[d, PK_V2] * w
        v3 = PK[d, PK_V3] * w
        a1 = s[b + L.DS_A1]
        a2 = s[b + L.DS_A2]
        a3 = s[b + L.DS_A3]
        # infusion input (ug/min) goes through the transit compartment like a bolus
        s[b + L.DS_TRANS] += inp[L.INPUT_DRUG_BASE + d] * dt_min
        tr = s[b + L.DS_TRANS] * min(kt, 1.0)
        # IM: two absorption stages in series (depot -> depot2 -> plasma) give a delayed peak
        ka = min(PK[d, PK_KA] * dt_min, 1.0)
        a_d = s[b + L.DS_DEPOT] * ka
        ab = s[b + L.DS_DEPOT2] * ka
        s[b + L.DS_DEPOT] -= a_d
        s[b + L.DS_DEPOT2] += a_d - ab
        c1 = a1 / v1
        f_el = PK[d, PK_CL] * w * c1 * dt_min
        f2 = 0.0
        f3 = 0.0
        if v2 > 0.0:
            f2 = PK[d, PK_Q2] * w * (c1 - a2 / v2) * dt_min
        if v3 > 0.0:
            f3 = PK[d, PK_Q3] * w * (c1 - a3 / v3) * dt_min
        s[b + L.DS_TRANS] -= tr
        s[b + L.DS_A1] = max(a1 + tr + ab - f_el - f2 - f3, 0.0)
        s[b + L.DS_A2] = max(a2 + f2, 0.0)
        s[b + L.DS_A3] = max(a3 + f3, 0.0)
        ke = PK[d, PK_KE0] * dt_min
        s[b + L.DS_CE] += (s[b + L.DS_A1] / v1 - s[b + L.DS_CE]) * min(ke, 1.0)


@njit
def plasma_conc(s, p, d: int) -> float:  # type: ignore[no-untyped-def]
    """Central (plasma) concentration of drug ``d`` in ug/L."""
    return s[L.DRUG_BASE + d * L.DRUG_STRIDE + L.DS_A1] / (PK[d, PK_V1] * p[L.P_W_SCALE])


@njit
def effect_conc(s, d: int) -> float:  # type: ignore[no-untyped-def]
    """Effect-site concentration of drug ``d`` in ug/L."""
    return s[L.DRUG_BASE + d * L.DRUG_STRIDE + L.DS_CE]


@njit
def opioid_effect(s) -> float:  # type: ignore[no-untyped-def]
    """Fractional depression 0-1 of the ventilatory drive by mu-opioids, with naloxone.

    Each agonist's effect-site concentration is divided by ``1 + C_naloxone / Ki`` (Gaddum's
    competitive antagonism) and gives a sigmoid Emax effect with its own C50 and Hill
    coefficient; two agonists combine as independent fractional inhibitions.
    """
    a = 1.0 + effect_conc(s, L.D_NALOXONE) / KI_NALOXONE
    e_f = hill(effect_conc(s, L.D_FENTANYL) / a, EC50_FENTANYL, HILL_OPIOID)
    e_m = hill(effect_conc(s, L.D_MORPHINE) / a, EC50_MORPHINE, HILL_MORPHINE)
    return 1.0 - (1.0 - e_f) * (1.0 - e_m)


@njit
def nmb_effect(s) -> float:  # type: ignore[no-untyped-def]
    """Neuromuscular block 0-1 (1 = no respiratory muscle force)."""
    e1 = hill(effect_conc(s, L.D_SUCCINYLCHOLINE), EC50_SUX, HILL_NMB)
    e2 = hill(effect_conc(s, L.D_ROCURONIUM), EC50_ROC, HILL_NMB)
    return 1.0 - (1.0 - e1) * (1.0 - e2)


@njit
def adrenergic(s) -> tuple[float, float, float, float]:  # type: ignore[no-untyped-def]
    """(cardiac beta-1, vascular alpha-1, bronchial beta-2, mast-cell) effects, each 0-1."""
    ce = effect_conc(s, L.D_EPINEPHRINE)
    cn = effect_conc(s, L.D_NOREPINEPHRINE)
    beta1 = hill(ce, EC50_EPI_CARDIAC, 1.5) + 0.3 * hill(cn, EC50_NE_VASC, 1.5)
    alpha = 1.0 - (1.0 - hill(ce, EC50_EPI_VASC, 1.5)) * (1.0 - hill(cn, EC50_NE_VASC, 1.3))
    beta2 = hill(ce, EC50_EPI_BRONCH, 1.2)
    mast = hill(ce, EC50_EPI_BRONCH, 1.0)
    return min(beta1, 1.0), alpha, beta2, mast
