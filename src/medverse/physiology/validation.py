"""Validation against published physiology (../shared/physiology-references.md, sections 1-4).

Every row of the references becomes a :class:`Check`: a scenario (built here, run together
with all the others in one batch), a measurement taken from its result, and a target. Grades
follow the references' convention (Pulse's): inside the reference range or within 10 % of a
single reference value = green; within 30 % = yellow; beyond = red. Relative targets
("HR +25 to +50 %") are converted to values (baseline x (1 + change)) and graded like ranges,
so "unchanged" means within 10 % (green) / 30 % (yellow) of the baseline. Threshold targets
("RR > 25") are green when met, yellow within 30 % of the threshold, red beyond. ATLS class
rows are green inside the published class range and yellow in the adjacent class ("in or next
to the class").
"""

from __future__ import annotations

import math
import platform
from collections.abc import Callable
from dataclasses import dataclass, field

from .interventions import make_action
from .patient import Patient
from .scenario import Scenario
from .simulation import Result, run_many
from .systems.gas import so2_from_po2

STANDARD = Patient()
ATLS_PATIENT = Patient(age_yr=35.0, height_cm=175.0, weight_kg=70.0, name="ATLS 70 kg")


@dataclass
class Target:
    """A reference: ``kind`` is "range", "value", "below", "above" or "class"."""

    kind: str
    lo: float = math.nan
    hi: float = math.nan
    text: str = ""
    classes: tuple[tuple[float, float], ...] = ()
    klass: int = 0


@dataclass
class Check:
    section: str
    output: str
    scenario: str
    measure: Callable[[Result, dict[str, Result]], float]
    target: Callable[[dict[str, Result]], Target]
    source: str
    fmt: str = "{:.3g}"


@dataclass
class Row:
    section: str
    output: str
    scenario: str
    target: str
    source: str
    value: float
    value_text: str
    grade: str
    note: str = ""


def grade(value: float, t: Target) -> str:
    """Green/yellow/red for ``value`` against target ``t`` (see module docstring)."""
    if not math.isfinite(value):
        return "red"
    if t.kind == "value":
        err = abs(value - t.lo) / max(abs(t.lo), 1e-9)
        return "green" if err <= 0.10 else ("yellow" if err <= 0.30 else "red")
    if t.kind == "range":
        if t.lo <= value <= t.hi:
            return "green"
        bound = t.lo if value < t.lo else t.hi
        err = abs(value - bound) / max(abs(bound), 1e-9)
        return "yellow" if err <= 0.30 else "red"
    if t.kind == "below":
        if value < t.lo:
            return "green"
        return "yellow" if value <= t.lo + 0.3 * abs(t.lo) else "red"
    if t.kind == "above":
        if value > t.lo:
            return "green"
        return "yellow" if value >= t.lo - 0.3 * abs(t.lo) else "red"
    if t.kind == "class":
        idx = [k for k, (lo, hi) in enumerate(t.classes) if lo <= value <= hi]
        if t.klass in idx:
            return "green"
        if any(abs(k - t.klass) == 1 for k in idx):
            return "yellow"
        lo, hi = t.classes[t.klass]
        return "yellow" if not idx and grade(value, Target("range", lo, hi)) != "red" else "red"
    raise ValueError(t.kind)  # pragma: no cover


def R(lo: float, hi: float, text: str = "") -> Callable[[dict[str, Result]], Target]:
    return lambda _r: Target("range", lo, hi, text or f"{lo:g}-{hi:g}")


def V(v: float, text: str = "") -> Callable[[dict[str, Result]], Target]:
    return lambda _r: Target("value", v, v, text or f"~{v:g}")


def rel(
    scn: str, name: str, lo: float, hi: float, text: str, t0: float = 0.0, t1: float = 25.0
) -> Callable[[dict[str, Result]], Target]:
    """Range relative to the scenario's own baseline (mean of ``name`` over t0..t1 s)."""

    def f(res: dict[str, Result]) -> Target:
        b = res[scn].mean(name, t0, t1)
        return Target("range", b * (1 + lo), b * (1 + hi), text)

    return f


def frac(name: str, t0: float, t1: float, b0: float = 0.0, b1: float = 25.0) -> Callable[[Result, dict[str, Result]], float]:
    """Mean of ``name`` over t0..t1 divided by its baseline (b0..b1)."""
    return lambda r, _a: r.mean(name, t0, t1) / r.mean(name, b0, b1)


def mean(name: str, t0: float, t1: float, scale: float = 1.0) -> Callable[[Result, dict[str, Result]], float]:
    return lambda r, _a: r.mean(name, t0, t1) * scale


def at(name: str, t: float, scale: float = 1.0) -> Callable[[Result, dict[str, Result]], float]:
    return lambda r, _a: r.at(name, t) * scale


def _scn(name: str, minutes: float, actions: list[tuple[float, str, dict]], patient: Patient = STANDARD) -> Scenario:
    acts = [make_action(a, f, t, patient.weight_kg) for t, a, f in actions]
    return Scenario(name=name, duration_s=minutes * 60.0, patient=patient, actions=acts, seed=1)


def q(v: float, u: str) -> dict:
    return {"value": v, "unit": u}


def _hem_fraction(pct: float, patient: Patient, minutes: float = 10.0) -> list[tuple[float, str, dict]]:
    vol = patient.blood_volume_ml * pct / 100.0
    rate = vol / minutes
    return [
        (60.0, "hemorrhage", {"site": "right_leg", "rate": q(rate, "mL/min")}),
        (60.0 + minutes * 60.0, "stop_hemorrhage", {"site": "all"}),
    ]


def scenarios() -> dict[str, Scenario]:
    """Every validation scenario by name."""
    sc: dict[str, Scenario] = {}
    sc["rest"] = _scn("Standard male at rest", 6, [])
    for pct in (10, 25, 35, 45):
        sc[f"atls_{pct}"] = _scn(f"ATLS: {pct} % blood loss over 10 min", 16, _hem_fraction(pct, ATLS_PATIENT), ATLS_PATIENT)
    sc["hem_90"] = _scn(
        "Hemorrhage 90 mL/min 30-580 s",
        11,
        [(30, "hemorrhage", {"site": "right_leg", "rate": q(90, "mL/min")}), (580, "stop_hemorrhage", {})],
    )
    sc["hem_60"] = _scn(
        "Hemorrhage 60 mL/min from an arm 30-1405 s",
        25,
        [(30, "hemorrhage", {"site": "left_arm", "rate": q(60, "mL/min")}), (1405, "stop_hemorrhage", {})],
    )
    sc["hem_140"] = _scn(
        "Hemorrhage 140 mL/min to 590 s, then 500 mL whole blood",
        17,
        [
            (30, "hemorrhage", {"site": "right_leg", "rate": q(140, "mL/min")}),
            (590, "stop_hemorrhage", {}),
            (600, "fluid_infusion", {"fluid": "whole_blood", "volume": q(500, "mL"), "rate": q(100, "mL/min")}),
        ],
    )
    sc["hem_200"] = _scn(
        "Hemorrhage 200 mL/min to 575 s",
        10.5,
        [(30, "hemorrhage", {"site": "right_leg", "rate": q(200, "mL/min")}), (575, "stop_hemorrhage", {})],
    )
    sc["baro"] = _scn(
        "Baroreflex: 10 % blood loss over 30 s",
        4,
        [
            (30, "hemorrhage", {"site": "abdomen", "rate": q(STANDARD.blood_volume_ml * 0.1 * 2, "mL/min")}),
            (60, "stop_hemorrhage", {}),
        ],
    )
    sc["epi"] = _scn(
        "Epinephrine 1.18 mg IV at 50 s", 6, [(50, "drug_bolus", {"drug": "epinephrine", "dose": q(1.18, "mg"), "route": "IV"})]
    )
    sc["fentanyl"] = _scn("Fentanyl 150 ug IV at 30 s", 12, [(30, "drug_bolus", {"drug": "fentanyl", "dose": q(150, "ug")})])
    sc["morphine"] = _scn("Morphine 10 mg IV at 30 s", 25, [(30, "drug_bolus", {"drug": "morphine", "dose": q(10, "mg")})])
    sc["morphine_inf"] = _scn(
        "Morphine 2.75 mg/min for 4 min (BioGears)",
        12,
        [
            (30, "drug_infusion", {"drug": "morphine", "rate": q(2.75, "mg/min")}),
            (270, "drug_infusion", {"drug": "morphine", "rate": q(0, "mg/min")}),
        ],
    )
    sc["naloxone"] = _scn(
        "Fentanyl 150 ug at 30 s, naloxone 30 ug at 330 s",
        10,
        [
            (30, "drug_bolus", {"drug": "fentanyl", "dose": q(150, "ug")}),
            (330, "drug_bolus", {"drug": "naloxone", "dose": q(30, "ug")}),
        ],
    )
    sc["sux"] = _scn(
        "Succinylcholine 96 mg IV at 30 s", 8, [(30, "drug_bolus", {"drug": "succinylcholine", "dose": q(96, "mg")})]
    )
    sc["epi_im"] = _scn(
        "Epinephrine 0.5 mg IM at 30 s", 20, [(30, "drug_bolus", {"drug": "epinephrine", "dose": q(0.5, "mg"), "route": "IM"})]
    )
    for dev in ("nasal_cannula", "simple_mask", "non_rebreather"):
        sc[f"o2_{dev}"] = _scn(f"Oxygen by {dev.replace('_', ' ')}", 3, [(30, "oxygen", {"device": dev})])
    sc["bvm"] = _scn(
        "Opioid apnoea, then bag-valve-mask 12/min at 9.3 cmH2O",
        10,
        [(30, "apnea", {"severity": 1.0}), (150, "bag_valve_mask", {"rate": q(12, "1/min"), "pressure": q(9.3, "cmH2O")})],
    )
    sc["asthma"] = _scn("Severe asthma attack (0.7)", 12, [(30, "asthma_attack", {"severity": 0.7})])
    sc["ptx_06"] = _scn(
        "Tension pneumothorax, moderate (0.6)", 12, [(30, "tension_pneumothorax", {"side": "left", "severity": 0.6})]
    )
    sc["ptx_10"] = _scn(
        "Tension pneumothorax, severe (1.0), needle at 480 s",
        14,
        [(30, "tension_pneumothorax", {"side": "left", "severity": 1.0}), (480, "needle_decompression", {"side": "left"})],
    )
    return sc


def _rows_rest() -> list[Check]:
    s1 = "1. Healthy adult at rest"
    src = "Pulse SystemValidationData (standard male)"

    def m(n: str, k: float = 1.0) -> Callable[[Result, dict[str, Result]], float]:
        return mean(n, 60, 360, k)

    rows = [
        ("heart rate (/min)", m("hr"), R(60, 100)),
        ("systolic pressure (mmHg)", m("sbp"), R(100, 140)),
        ("diastolic pressure (mmHg)", m("dbp"), R(60, 90)),
        ("mean arterial pressure (mmHg)", m("map"), R(70, 105)),
        ("pulse pressure (mmHg)", m("pp"), R(25, 100)),
        ("cardiac output (mL/min)", m("co", 1000.0), V(5600)),
        ("cardiac index (L/min/m2)", lambda r, a: r.mean("co", 60, 360) / _bsa(r.scenario.patient), V(3.0)),
        ("stroke volume (mL)", m("sv"), R(55.3, 93.1)),
        ("ejection fraction", m("ef"), V(0.55)),
        ("LV end-systolic volume (mL)", m("esv"), R(34, 66)),
        ("LV end-diastolic volume (mL)", m("edv"), R(131, 189)),
        ("central venous pressure (mmHg)", m("cvp"), R(2, 6)),
        ("pulmonary capillary wedge pressure (mmHg)", m("pcwp"), R(4, 12)),
        ("pulmonary artery systolic (mmHg)", m("pas"), R(15, 30)),
        ("pulmonary artery diastolic (mmHg)", m("pad"), R(4, 12)),
        ("pulmonary artery mean (mmHg)", m("pam"), R(9, 18)),
        ("systemic vascular resistance (mmHg*s/mL)", m("svr"), V(1.0)),
        ("pulmonary vascular resistance (mmHg*s/mL)", m("pvr"), V(0.14)),
        ("blood volume (mL/kg)", lambda r, a: r.mean("blood_volume", 60, 360) / r.scenario.patient.weight_kg, V(71.5)),
        ("respiration rate (/min)", m("rr"), R(12, 20)),
        ("tidal volume (mL/kg IBW)", lambda r, a: r.mean("vt", 60, 360) / r.scenario.patient.ideal_body_weight_kg, V(7.0)),
        (
            "minute ventilation (L/min/kg IBW)",
            lambda r, a: r.mean("mv", 60, 360) / r.scenario.patient.ideal_body_weight_kg,
            V(0.084),
        ),
        ("dead space / tidal volume", m("vd_vt"), R(0.2, 0.4)),
        ("inspiratory:expiratory ratio", m("ie_ratio"), R(0.25, 0.5)),
        ("SpO2", m("spo2"), R(0.96, 1.0, "0.97 (0.96-1.0)")),
        ("end-tidal CO2 (mmHg)", m("etco2"), R(35, 45)),
        ("PaO2 (mmHg)", m("pao2"), V(95)),
        ("PaCO2 (mmHg)", m("paco2"), V(40)),
        ("arterial pH", m("ph"), R(7.35, 7.40)),
        ("core temperature (C)", m("t_core"), V(37.0)),
        ("skin temperature (C)", m("t_skin"), V(33.0)),
    ]
    return [Check(s1, o, "rest", f, t, src) for o, f, t in rows]


def _bsa(p: Patient) -> float:
    return math.sqrt(p.height_cm * p.weight_kg / 3600.0)


ATLS = {
    "hr": ((0, 100), (100, 120), (120, 140), (140, 400)),
    "rr": ((14, 20), (20, 30), (30, 40), (35, 100)),
    "base_excess": ((-2, 0), (-6, -2), (-10, -6), (-100, -10)),
    "urine_rate": ((30, 1000), (20, 30), (5, 15), (0, 5)),
}


def _class_target(classes: tuple[tuple[float, float], ...], k: int) -> Callable[[dict[str, Result]], Target]:
    text = f"class {['I', 'II', 'III', 'IV'][k]}: {classes[k][0]:g} to {classes[k][1]:g}"
    return lambda _r: Target("class", text=text, classes=classes, klass=k)


def _rows_hemorrhage() -> list[Check]:
    s2 = "2. Hemorrhage"
    atls_src = "ATLS classes (Rossaint 2016 Table 2; BD: Mutschler 2013)"
    out: list[Check] = []
    for k, pct in enumerate((10, 25, 35, 45)):
        scn = f"atls_{pct}"
        t0, t1 = 720.0, 960.0  # the 4 minutes after the bleeding stops
        for name, label in (
            ("hr", "heart rate (/min)"),
            ("rr", "respiration rate (/min)"),
            ("base_excess", "base deficit (mEq/L)"),
            ("urine_rate", "urine output (mL/h)"),
        ):
            classes = ATLS[name]
            out.append(
                Check(
                    s2,
                    f"class {['I', 'II', 'III', 'IV'][k]} ({pct} %): {label}",
                    scn,
                    mean(name, t0, t1),
                    _class_target(classes, k),
                    atls_src,
                )
            )
        normal = k == 0
        out.append(
            Check(
                s2,
                f"class {['I', 'II', 'III', 'IV'][k]} ({pct} %): systolic BP (x baseline)",
                scn,
                frac("sbp", t0, t1),
                R(0.9, 1.2, "normal (0.9-1.2)") if k < 2 else R(0.0, 0.9, "decreased (< 0.9)"),
                atls_src,
            )
        )
        out.append(
            Check(
                s2,
                f"class {['I', 'II', 'III', 'IV'][k]} ({pct} %): pulse pressure (x baseline)",
                scn,
                frac("pp", t0, t1),
                R(0.9, 2.0, "normal or increased") if normal else R(0.0, 0.9, "decreased (< 0.9)"),
                atls_src,
            )
        )
    psrc = "Pulse CardiovascularValidation"
    out += [
        Check(s2, "90 mL/min 30-580 s: blood volume (mL)", "hem_90", at("blood_volume", 600), V(4675), psrc),
        Check(s2, "90 mL/min: heart rate (x baseline)", "hem_90", frac("hr", 560, 600), R(1.05, 2.0, "up"), psrc),
        Check(s2, "90 mL/min: MAP (x baseline)", "hem_90", frac("map", 560, 600), V(1.0, "about unchanged"), psrc),
        Check(s2, "90 mL/min: respiration rate (x baseline)", "hem_90", frac("rr", 560, 600), V(1.0, "unchanged"), psrc),
        Check(s2, "60 mL/min arm 30-1405 s: blood volume (mL)", "hem_60", at("blood_volume", 1420), V(4125), psrc),
        Check(s2, "60 mL/min: MAP (x baseline)", "hem_60", frac("map", 1380, 1420), V(0.8), psrc),
        Check(s2, "60 mL/min: cardiac output (x baseline)", "hem_60", frac("co", 1380, 1420), R(0.65, 0.70), psrc),
        Check(s2, "140 mL/min to 590 s: blood volume (mL)", "hem_140", at("blood_volume", 595), V(4190), psrc),
        Check(s2, "then 500 mL whole blood: blood volume (mL)", "hem_140", at("blood_volume", 910), V(4590), psrc),
        Check(
            s2,
            "after transfusion: heart rate (x pre-transfusion)",
            "hem_140",
            lambda r, a: r.mean("hr", 900, 960) / r.mean("hr", 585, 600),
            R(0.0, 0.97, "falls"),
            psrc,
        ),
        Check(
            s2,
            "after transfusion: MAP (x pre-transfusion)",
            "hem_140",
            lambda r, a: r.mean("map", 900, 960) / r.mean("map", 585, 600),
            R(1.03, 3.0, "rises"),
            psrc,
        ),
        Check(s2, "200 mL/min to 575 s: blood volume (mL)", "hem_200", at("blood_volume", 590), V(3600), psrc),
        Check(s2, "200 mL/min: MAP (x baseline)", "hem_200", frac("map", 570, 590), V(0.5), psrc),
        Check(s2, "200 mL/min: cardiac output (x baseline)", "hem_200", frac("co", 570, 590), V(0.5), psrc),
        Check(s2, "200 mL/min: respiration rate (x baseline)", "hem_200", frac("rr", 570, 590), R(1.05, 5.0, "up"), psrc),
        Check(
            s2,
            "baroreflex, 10 % loss in 30 s, at 200 s: heart rate (x baseline)",
            "baro",
            frac("hr", 195, 205),
            V(1.30, "+30 %"),
            "Pulse NervousValidation",
        ),
        Check(
            s2,
            "baroreflex: cardiac output (x baseline)",
            "baro",
            frac("co", 195, 205),
            R(0.80, 0.85, "-15 to -20 %"),
            "Pulse NervousValidation",
        ),
        Check(
            s2,
            "baroreflex: systemic vascular resistance (x baseline)",
            "baro",
            frac("svr", 195, 205),
            R(1.10, 1.15, "+10 to +15 %"),
            "Pulse NervousValidation",
        ),
    ]
    return out


def _rows_drugs() -> list[Check]:
    s3 = "3. Drugs"
    pd = "Pulse DrugsValidation"
    bio = "BioGears DrugsMethodology"
    base = (0.0, 25.0)
    out = [
        Check(
            s3,
            "epinephrine IV bolus, at 150 s: heart rate (x baseline)",
            "epi",
            frac("hr", 148, 152),
            R(1.25, 1.5, "+25 to +50 %"),
            pd,
        ),
        Check(s3, "epinephrine: systolic BP (x baseline)", "epi", frac("sbp", 148, 152), R(1.25, 1.5, "+25 to +50 %"), pd),
        Check(s3, "epinephrine: respiration rate (x baseline)", "epi", frac("rr", 140, 160), V(1.0, "unchanged"), pd),
        Check(s3, "epinephrine: SpO2 (x baseline)", "epi", frac("spo2", 140, 160), V(1.0, "unchanged"), pd),
        Check(s3, "epinephrine PK 1.18 mg at 50 s: plasma at 79 s (ug/L)", "epi", at("c_epinephrine", 79), V(290), pd),
        Check(s3, "epinephrine PK: plasma at 169 s (ug/L)", "epi", at("c_epinephrine", 169), V(51), pd),
        Check(s3, "epinephrine PK: plasma at 289 s (ug/L)", "epi", at("c_epinephrine", 289), V(7.5), pd),
        Check(
            s3,
            "fentanyl 150 ug IV, 3-8 min: heart rate (x baseline)",
            "fentanyl",
            frac("hr", 210, 510),
            R(0.90, 1.02, "stable or -5 to -10 %"),
            pd,
        ),
        Check(
            s3,
            "fentanyl: mean arterial pressure (x baseline)",
            "fentanyl",
            frac("map", 210, 510),
            R(0.90, 1.02, "stable or -5 to -10 %"),
            pd,
        ),
        Check(s3, "fentanyl: respiration rate (x baseline)", "fentanyl", frac("rr", 210, 510), R(0.75, 0.85, "-15 to -25 %"), pd),
        Check(s3, "fentanyl: SpO2", "fentanyl", mean("spo2", 210, 510), R(0.94, 1.0, "unchanged (>= 0.94)"), pd),
        Check(
            s3,
            "morphine 10 mg IV, 10-20 min: respiration rate (x baseline)",
            "morphine",
            frac("rr", 600, 1200),
            R(0.75, 0.85, "-15 to -25 %"),
            pd,
        ),
        Check(
            s3,
            "morphine 2.75 mg/min x 4 min, at 10 min: respiration rate (x baseline)",
            "morphine_inf",
            frac("rr", 570, 630),
            R(0.70, 0.75, "-25 to -30 %"),
            bio,
        ),
        Check(
            s3,
            "morphine infusion: PaCO2 rise (mmHg)",
            "morphine_inf",
            lambda r, a: r.mean("paco2", 570, 630) - r.mean("paco2", *base),
            R(0.0, 4.0, "< 4"),
            bio,
        ),
        Check(s3, "morphine infusion: SpO2", "morphine_inf", mean("spo2", 570, 630), R(0.95, 1.0, "> 0.95"), bio),
        Check(
            s3,
            "morphine infusion: heart rate (x baseline)",
            "morphine_inf",
            frac("hr", 570, 630),
            R(0.90, 0.96, "-4 to -10 %"),
            bio,
        ),
        Check(
            s3,
            "naloxone 30 ug at 330 s after fentanyl: RR at 450-600 s (x baseline)",
            "naloxone",
            frac("rr", 450, 600),
            V(1.0, "returns to resting"),
            pd,
        ),
        Check(
            s3,
            "naloxone: heart rate (x baseline)",
            "naloxone",
            frac("hr", 450, 600),
            R(0.97, 1.10, "unchanged or +5 to +10 %"),
            pd,
        ),
        Check(s3, "naloxone: MAP (x baseline)", "naloxone", frac("map", 450, 600), R(0.97, 1.10, "unchanged or +5 to +10 %"), pd),
        Check(
            s3,
            "succinylcholine 96 mg IV, 60-240 s after: respiration rate (/min)",
            "sux",
            mean("rr", 90, 270),
            R(0.0, 0.5, "0 (apnea)"),
            pd,
        ),
        Check(s3, "succinylcholine: SpO2 4 min after", "sux", at("spo2", 270), R(0.0, 0.93, "falls along the O2 curve"), pd),
        Check(
            s3,
            "fentanyl IV: time to peak respiratory effect (min)",
            "fentanyl",
            lambda r, a: (r.time_s[int(r["e_opioid"].argmax())] - 30.0) / 60.0,
            R(3.0, 5.0, "peak 3-5 min"),
            "clinical timing (section 3)",
        ),
        Check(
            s3,
            "epinephrine IM 0.5 mg: time to peak plasma (min)",
            "epi_im",
            lambda r, a: (r.time_s[int(r["c_epinephrine"].argmax())] - 30.0) / 60.0,
            V(8.0, "Tmax ~8 min"),
            "Simons 2001",
        ),
        Check(
            s3,
            "naloxone IV: onset, time for RR to recover half of the fentanyl depression (min)",
            "naloxone",
            _naloxone_onset,
            R(0.5, 2.5, "~2 min"),
            "clinical timing (section 3)",
        ),
    ]
    return out


def _naloxone_onset(r: Result, _a: dict[str, Result]) -> float:
    base = r.mean("rr", 0, 25)
    low = r.mean("rr", 300, 330)
    half = low + 0.5 * (base - low)
    m = (r.time_s > 330) & (r["rr"] >= half)
    if not m.any():
        return float("nan")
    return float((r.time_s[m][0] - 330.0) / 60.0)


def _rows_breathing() -> list[Check]:
    s4 = "4. Breathing and oxygen"
    rv = "Pulse RespiratoryValidation"
    out = [
        Check(s4, "nasal cannula: delivered FiO2", "o2_nasal_cannula", mean("fio2", 60, 180), V(0.4), rv),
        Check(s4, "simple mask: delivered FiO2", "o2_simple_mask", mean("fio2", 60, 180), V(0.5), rv),
        Check(s4, "non-rebreather: delivered FiO2", "o2_non_rebreather", mean("fio2", 60, 180), V(0.9), rv),
        Check(
            s4,
            "non-rebreather: PaO2 rises (mmHg)",
            "o2_non_rebreather",
            mean("pao2", 150, 180),
            R(300, 600, "> 300"),
            "alveolar gas equation",
        ),
        Check(s4, "bag-valve-mask 12/min, 9.3 cmH2O: tidal volume (mL)", "bvm", mean("vt", 400, 600), V(540), rv),
        Check(
            s4,
            "bag-valve-mask: SpO2 rises (after - before)",
            "bvm",
            lambda r, a: r.mean("spo2", 500, 600) - r.at("spo2", 150),
            R(0.005, 1.0, "rises"),
            rv,
        ),
        Check(
            s4,
            "bag-valve-mask: PaCO2 falls (after - before, mmHg)",
            "bvm",
            lambda r, a: r.mean("paco2", 500, 600) - r.at("paco2", 150),
            R(-100, -2, "falls"),
            rv,
        ),
    ]
    w0, w1 = 420, 720
    out += [
        Check(
            s4, "severe asthma (0.7): peak expiratory flow (x normal)", "asthma", frac("pef", w0, w1), R(0.0, 0.5, "< 0.5"), rv
        ),
        Check(s4, "severe asthma: respiration rate (/min)", "asthma", mean("rr", w0, w1), R(25, 60, "> 25"), rv),
        Check(s4, "severe asthma: tidal volume (x normal)", "asthma", frac("vt", w0, w1), R(0.0, 0.6, "< 0.6"), rv),
        Check(s4, "severe asthma: heart rate (/min)", "asthma", mean("hr", w0, w1), R(120, 220, "> 120"), rv),
        Check(s4, "severe asthma: SpO2", "asthma", mean("spo2", w0, w1), R(0.0, 0.92, "< 0.90-0.92"), rv),
        Check(s4, "severe asthma: PaO2 (mmHg)", "asthma", mean("pao2", w0, w1), R(0.0, 60.0, "< 60"), rv),
        Check(s4, "severe asthma: PaCO2 (mmHg)", "asthma", mean("paco2", w0, w1), R(45.0, 150.0, "> 45"), rv),
        Check(s4, "tension pneumothorax 0.6: end-tidal CO2 (mmHg)", "ptx_06", mean("etco2", 540, 720), R(0.0, 35.0, "< 35"), rv),
        Check(
            s4,
            "tension pneumothorax 1.0: respiration rate (x baseline)",
            "ptx_10",
            frac("rr", 420, 480),
            R(1.2, 5.0, "tachypnea (> +20 %)"),
            rv,
        ),
        Check(
            s4,
            "tension pneumothorax 1.0: heart rate (/min)",
            "ptx_10",
            mean("hr", 420, 480),
            R(100, 220, "tachycardia (> 100)"),
            rv,
        ),
        Check(
            s4,
            "tension pneumothorax 1.0: systolic BP (mmHg)",
            "ptx_10",
            mean("sbp", 420, 480),
            R(0, 90, "hypotension (< 90)"),
            rv,
        ),
        Check(s4, "tension pneumothorax 1.0: SpO2", "ptx_10", mean("spo2", 420, 480), R(0.0, 0.90, "hypoxia (< 0.90)"), rv),
        Check(
            s4,
            "needle decompression: SBP recovered 300 s later (fraction of the fall)",
            "ptx_10",
            lambda r, a: _recovery(r, "sbp"),
            R(0.5, 1.5, "toward normal (> 50 %)"),
            rv,
        ),
        Check(
            s4,
            "needle decompression: SpO2 recovered 300 s later (fraction of the fall)",
            "ptx_10",
            lambda r, a: _recovery(r, "spo2"),
            R(0.5, 1.5, "toward normal (> 50 %)"),
            rv,
        ),
        Check(
            s4,
            "O2-Hb dissociation: SaO2 at PO2 26.8 mmHg (P50)",
            "rest",
            lambda r, a: so2_from_po2(26.8),
            V(0.5),
            "Severinghaus 1979",
        ),
        Check(
            s4,
            "O2-Hb dissociation: engine SaO2 vs Severinghaus at its PaO2",
            "rest",
            lambda r, a: _spo2_vs_curve(r),
            V(1.0, "ratio 1"),
            "Severinghaus 1979",
        ),
    ]
    return out


def _recovery(r: Result, name: str) -> float:
    base = r.mean(name, 0, 25)
    low = r.mean(name, 460, 480)
    after = r.mean(name, 770, 790)
    return (after - low) / (base - low) if abs(base - low) > 1e-6 else float("nan")


def _spo2_vs_curve(r: Result) -> float:
    return r.mean("spo2", 120, 360) / so2_from_po2(r.mean("pao2", 120, 360))


def checks() -> list[Check]:
    """All validation checks, in report order."""
    return _rows_rest() + _rows_hemorrhage() + _rows_drugs() + _rows_breathing()


def run_validation(progress: Callable[[float], None] | None = None) -> list[Row]:
    """Run every validation scenario (one batch) and grade every check."""
    sc = scenarios()
    names = list(sc)
    results = dict(zip(names, run_many([sc[n] for n in names], progress=progress), strict=False))
    rows = []
    for c in checks():
        res = results[c.scenario]
        try:
            v = float(c.measure(res, results))
        except (ValueError, ZeroDivisionError, IndexError):
            v = float("nan")
        t = c.target(results)
        g = grade(v, t)
        text = t.text or (f"{t.lo:.3g}-{t.hi:.3g}" if t.kind == "range" else f"{t.lo:.3g}")
        rows.append(
            Row(c.section, c.output, sc[c.scenario].name, text, c.source, v, c.fmt.format(v) if math.isfinite(v) else "n/a", g)
        )
    return rows


_DOT = {"green": "🟢 green", "yellow": "🟡 yellow", "red": "🔴 red"}


def render_markdown(rows: list[Row], wall_s: float | None = None) -> str:
    """The validation report as markdown (one table per section)."""
    counts = {g: sum(1 for r in rows if r.grade == g) for g in ("green", "yellow", "red")}
    lines = [
        "# Physiology validation report",
        "",
        "Generated by `medverse physiology validate` from the checks in",
        "`src/medverse/physiology/validation.py`; targets and sources from",
        "`physiology-references.md` sections 1-4. Grades: inside the range or within 10 % of a",
        "single value = green, within 30 % = yellow, beyond = red (Pulse's convention); relative",
        "targets are graded on the resulting value (baseline x (1 + change)); ATLS rows are green",
        "in the published class and yellow in the adjacent one.",
        "",
        f"**{len(rows)} checks: {counts['green']} green, {counts['yellow']} yellow, {counts['red']} red.**",
        "",
    ]
    if wall_s is not None:
        where = platform.processor() or platform.machine()
        lines += [
            (f"All scenarios ran together in one batch in {wall_s:.1f} s on {where} (Python {platform.python_version()})."),
            "",
        ]
    section = None
    for r in rows:
        if r.section != section:
            section = r.section
            lines += [
                "",
                f"## {section}",
                "",
                "| output | scenario | target | source | ours | grade |",
                "|---|---|---|---|---|---|",
            ]
        lines.append(f"| {r.output} | {r.scenario} | {r.target} | {r.source} | {r.value_text} | {_DOT[r.grade]} |")
    lines.append("")
    return "\n".join(lines)


__all__ = ["Check", "Row", "Target", "checks", "grade", "render_markdown", "run_validation", "scenarios"]
_ = field
