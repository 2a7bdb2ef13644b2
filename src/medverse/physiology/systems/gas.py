"""Blood gas relations: O2-hemoglobin dissociation, O2 and CO2 content, acid-base.

Sources: Severinghaus 1979 (J Appl Physiol 46:599) for the dissociation curve; content
equations from standard respiratory physiology (1.34 mL O2/g Hb, 0.003 mL/dL/mmHg dissolved);
Henderson-Hasselbalch with pK 6.1 and CO2 solubility 0.0307 mmol/L/mmHg.
"""

from __future__ import annotations

import math

from .._jit import njit

P_DRY_MMHG = 713.0  # barometric 760 minus water vapour 47 mmHg


@njit
def so2_from_po2(po2_mmhg: float) -> float:
    """Hemoglobin O2 saturation (0-1) at ``po2_mmhg`` (Severinghaus 1979)."""
    if po2_mmhg <= 0.0:
        return 0.0
    return 1.0 / (23400.0 / (po2_mmhg**3 + 150.0 * po2_mmhg) + 1.0)


@njit
def o2_content(po2_mmhg: float, hb_g_dl: float) -> float:
    """O2 content of blood in mL O2 per mL blood."""
    return (1.34 * hb_g_dl * so2_from_po2(po2_mmhg) + 0.003 * max(po2_mmhg, 0.0)) / 100.0


@njit
def po2_from_content(c_ml_ml: float, hb_g_dl: float) -> float:
    """Inverse of :func:`o2_content` by bisection (mmHg, 0-800)."""
    lo = 0.0
    hi = 800.0
    if c_ml_ml <= 0.0:
        return 0.0
    if o2_content(hi, hb_g_dl) <= c_ml_ml:
        return hi
    for _ in range(26):
        mid = 0.5 * (lo + hi)
        if o2_content(mid, hb_g_dl) < c_ml_ml:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


CO2_C0 = 0.226  # mL CO2 / mL blood (intercept of the linearised CO2 dissociation curve)
CO2_SLOPE = 0.0063  # mL CO2 / mL blood / mmHg


@njit
def co2_content(pco2_mmhg: float) -> float:
    """Total CO2 content (mL/mL blood), linearised around 40-46 mmHg (48 and 52 mL/dL)."""
    return CO2_C0 + CO2_SLOPE * max(pco2_mmhg, 0.0)


@njit
def pco2_from_content(c_ml_ml: float) -> float:
    """Inverse of :func:`co2_content` (mmHg, >= 0)."""
    return max((c_ml_ml - CO2_C0) / CO2_SLOPE, 0.0)


@njit
def ph_from(hco3_mmol_l: float, pco2_mmhg: float) -> float:
    """Arterial pH by Henderson-Hasselbalch."""
    return 6.1 + math.log10(max(hco3_mmol_l, 1.0) / (0.0307 * max(pco2_mmhg, 1.0)))
