"""Validation against published physiology (../shared/physiology-references.md and the
sources named on each row).

Every row is a :class:`Check`: a scenario (built here, run together with all the others in
one batch), a measurement taken from its result, a target and its source, and the published
protocol it mimics. Rows are of two kinds:

* **input**: true by construction - a calibration target (resting pressures, heart rate,
  tidal volume...), a parameter, or a formula graded against itself. They are listed with
  their values but not graded and not counted.
* **predicted**: something the engine was not set to produce. Only these are graded and
  counted in the summary.

Grades (Pulse's convention): inside the reference range or within 10 % of a single reference
value = green; within 30 % = yellow; beyond = red. Targets that name a change ("HR +25 to
+50 %") are graded on the change, not on the resulting value: the measured change must lie in
the named range (green) or within 30 % of the nearer bound's size (yellow); "unchanged" means
within +-5 % (green) or +-10 % (yellow). Threshold targets ("RR > 25") are green when met,
yellow within 30 % of the threshold. Class rows (ATLS, shock index) are green in the published
class and yellow in an adjacent one; a value outside every class is red. So a yellow row always
lies in or next to its target.
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
    kind: str = "predicted"  # or "input" (true by construction: listed, not graded)
    protocol: str = ""  # the published protocol, when it differs from the scenario's name


@dataclass
class Row:
    section: str
    output: str
    scenario: str
    target: str
    source: str
    value: float
    value_text: str
    grade: str  # green / yellow / red, or "input"
    note: str = ""
    kind: str = "predicted"
    protocol: str = ""


def grade(value: float, t: Target) -> str:
    """Green/yellow/red for ``value`` against target ``t`` (see module docstring).

    For ``change`` targets ``value`` is the ratio to the baseline (1 = unchanged) and ``lo``,
    ``hi`` the named fractional change.
    """
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
    if t.kind == "change":
        c = value - 1.0
        if t.lo == 0.0 and t.hi == 0.0:
            return "green" if abs(c) <= 0.05 else ("yellow" if abs(c) <= 0.10 else "red")
        if t.lo <= c <= t.hi:
            return "green"
        bound = t.lo if c < t.lo else t.hi
        return "yellow" if abs(c - bound) <= 0.3 * max(abs(bound), 0.05) else "red"
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
        return "yellow" if any(abs(k - t.klass) == 1 for k in idx) else "red"
    raise ValueError(t.kind)  # pragma: no cover


def C(lo: float, hi: float, text: str = "") -> Callable[[dict[str, Result]], Target]:
    """A named change from the baseline, as fractions (``C(0.25, 0.5)`` = +25 to +50 %)."""
    auto = "unchanged" if lo == hi == 0.0 else f"{lo * 100:+.0f} to {hi * 100:+.0f} %"
    return lambda _r: Target("change", lo, hi, text or auto)


def C1(change: float, text: str = "") -> Callable[[dict[str, Result]], Target]:
    """A single named change (green within 10 % of its size)."""
    d = 0.1 * abs(change)
    return C(change - d, change + d, text or f"{change * 100:+.0f} %")


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
    preox: list[tuple[float, str, dict]] = [
        (0, "ventilator", {"fio2": 1.0, "peep": q(0, "cmH2O"), "tidal_volume": q(525, "mL"), "rate": q(12, "1/min")}),
        (180, "ventilator_off", {}),
        (180, "apnea", {"severity": 1.0}),
    ]
    sc["apnoea_preox"] = _scn("3 min of 100 % O2, then apnoea with the airway open to room air", 20, preox)
    sc["apnoea_o2"] = _scn(
        "3 min of 100 % O2, then apnoea with a non-rebreather on the open airway",
        20,
        [*preox, (180, "oxygen", {"device": "non_rebreather"})],
    )
    sc["fent_29"] = _scn("Fentanyl 2.9 ug/kg IV at 60 s", 15, [(60, "drug_bolus", {"drug": "fentanyl", "dose": q(2.9, "ug/kg")})])
    sc["fent_11"] = _scn("Fentanyl 1.1 ug/kg IV at 60 s", 15, [(60, "drug_bolus", {"drug": "fentanyl", "dose": q(1.1, "ug/kg")})])
    sc["morph_nal"] = _scn(
        "Morphine 30 mg IV at 60 s, naloxone 0.4 mg IV at 20 min",
        180,
        [
            (60, "drug_bolus", {"drug": "morphine", "dose": q(30, "mg")}),
            (1200, "drug_bolus", {"drug": "naloxone", "dose": q(0.4, "mg")}),
        ],
    )
    sc["ne"] = _scn(
        "Norepinephrine 0.2 ug/kg/min IV from 60 s to 31 min",
        36,
        [
            (60, "drug_infusion", {"drug": "norepinephrine", "rate": q(0.2, "ug/kg/min")}),
            (1860, "drug_infusion", {"drug": "norepinephrine", "rate": q(0, "ug/kg/min")}),
        ],
    )
    sc["roc"] = _scn("Rocuronium 0.6 mg/kg IV at 60 s", 80, [(60, "drug_bolus", {"drug": "rocuronium", "dose": q(0.6, "mg/kg")})])
    sc["sux_1"] = _scn(
        "3 min of 100 % O2, then succinylcholine 1 mg/kg IV, airway open to air",
        20,
        [*preox[:2], (180, "drug_bolus", {"drug": "succinylcholine", "dose": q(1, "mg/kg")})],
    )
    sc["hypervent"] = _scn(
        "Rocuronium, tracheal tube and ventilation 24/min x 700 mL on air from 60 s",
        20,
        [
            (30, "drug_bolus", {"drug": "rocuronium", "dose": q(0.6, "mg/kg")}),
            (60, "intubate", {}),
            (60, "ventilator", {"rate": q(24, "1/min"), "tidal_volume": q(700, "mL"), "fio2": 0.21, "peep": q(0, "cmH2O")}),
        ],
    )
    sc["sepsis"] = _scn("Sepsis (0.8) from 60 s", 45, [(60, "sepsis", {"severity": 0.8})])
    sc["cpr"] = _scn("VF at 30 s, CPR 110/min x 5.5 cm from 60 s", 6, [(30, "set_rhythm", {"rhythm": "vf"}), (60, "cpr", {})])
    sc["prbc"] = _scn(
        "One unit of packed red cells (300 mL) over 60 min from 60 s",
        140,
        [(60, "fluid_infusion", {"fluid": "packed_red_cells", "volume": q(300, "mL"), "rate": q(5, "mL/min")})],
    )
    sc["epi_iv_small"] = _scn(
        "Epinephrine 0.1 mg IV at 60 s", 25, [(60, "drug_bolus", {"drug": "epinephrine", "dose": q(0.1, "mg")})]
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
    # calibration targets, parameters and quantities computed from them: true by construction
    inputs = {
        "heart rate (/min)",
        "systolic pressure (mmHg)",
        "diastolic pressure (mmHg)",
        "mean arterial pressure (mmHg)",
        "pulse pressure (mmHg)",
        "cardiac output (mL/min)",
        "cardiac index (L/min/m2)",
        "systemic vascular resistance (mmHg*s/mL)",
        "blood volume (mL/kg)",
        "respiration rate (/min)",
        "tidal volume (mL/kg IBW)",
        "minute ventilation (L/min/kg IBW)",
        "inspiratory:expiratory ratio",
        "core temperature (C)",
        "skin temperature (C)",
    }
    return [Check(s1, o, "rest", f, t, src, kind="input" if o in inputs else "predicted") for o, f, t in rows]


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
                C(-0.1, 0.2, "normal (-10 to +20 %)") if k < 2 else C(-1.0, -0.1, "decreased (< -10 %)"),
                atls_src,
            )
        )
        out.append(
            Check(
                s2,
                f"class {['I', 'II', 'III', 'IV'][k]} ({pct} %): pulse pressure (x baseline)",
                scn,
                frac("pp", t0, t1),
                C(-0.1, 1.0, "normal or increased") if normal else C(-1.0, -0.1, "decreased (< -10 %)"),
                atls_src,
            )
        )
    psrc = "Pulse CardiovascularValidation"
    out += [
        Check(s2, "90 mL/min 30-580 s: blood volume (mL)", "hem_90", at("blood_volume", 600), V(4675), psrc, kind="input"),
        Check(s2, "90 mL/min: heart rate (x baseline)", "hem_90", frac("hr", 560, 600), C(0.05, 1.0, "up"), psrc),
        Check(s2, "90 mL/min: MAP (x baseline)", "hem_90", frac("map", 560, 600), C(0.0, 0.0, "about unchanged"), psrc),
        Check(s2, "90 mL/min: respiration rate (x baseline)", "hem_90", frac("rr", 560, 600), C(0.0, 0.0), psrc),
        Check(s2, "60 mL/min arm 30-1405 s: blood volume (mL)", "hem_60", at("blood_volume", 1420), V(4125), psrc, kind="input"),
        Check(s2, "60 mL/min: MAP (x baseline)", "hem_60", frac("map", 1380, 1420), C1(-0.2), psrc),
        Check(s2, "60 mL/min: cardiac output (x baseline)", "hem_60", frac("co", 1380, 1420), C(-0.35, -0.30), psrc),
        Check(s2, "140 mL/min to 590 s: blood volume (mL)", "hem_140", at("blood_volume", 595), V(4190), psrc, kind="input"),
        Check(s2, "then 500 mL whole blood: blood volume (mL)", "hem_140", at("blood_volume", 910), V(4590), psrc, kind="input"),
        Check(
            s2,
            "after transfusion: heart rate (x pre-transfusion)",
            "hem_140",
            lambda r, a: r.mean("hr", 900, 960) / r.mean("hr", 585, 600),
            C(-1.0, -0.03, "falls"),
            psrc,
        ),
        Check(
            s2,
            "after transfusion: MAP (x pre-transfusion)",
            "hem_140",
            lambda r, a: r.mean("map", 900, 960) / r.mean("map", 585, 600),
            C(0.03, 2.0, "rises"),
            psrc,
        ),
        Check(s2, "200 mL/min to 575 s: blood volume (mL)", "hem_200", at("blood_volume", 590), V(3600), psrc, kind="input"),
        Check(s2, "200 mL/min: MAP (x baseline)", "hem_200", frac("map", 570, 590), C1(-0.5), psrc),
        Check(s2, "200 mL/min: cardiac output (x baseline)", "hem_200", frac("co", 570, 590), C1(-0.5), psrc),
        Check(s2, "200 mL/min: respiration rate (x baseline)", "hem_200", frac("rr", 570, 590), C(0.05, 4.0, "up"), psrc),
        Check(
            s2,
            "baroreflex, 10 % loss in 30 s, at 200 s: heart rate (x baseline)",
            "baro",
            frac("hr", 195, 205),
            C1(0.30),
            "Pulse NervousValidation",
        ),
        Check(
            s2,
            "baroreflex: cardiac output (x baseline)",
            "baro",
            frac("co", 195, 205),
            C(-0.20, -0.15),
            "Pulse NervousValidation",
        ),
        Check(
            s2,
            "baroreflex: systemic vascular resistance (x baseline)",
            "baro",
            frac("svr", 195, 205),
            C(0.10, 0.15),
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
            C(0.25, 0.5),
            pd,
        ),
        Check(s3, "epinephrine: systolic BP (x baseline)", "epi", frac("sbp", 148, 152), C(0.25, 0.5), pd),
        Check(s3, "epinephrine: respiration rate (x baseline)", "epi", frac("rr", 140, 160), C(0.0, 0.0), pd),
        Check(s3, "epinephrine: SpO2 (x baseline)", "epi", frac("spo2", 140, 160), C(0.0, 0.0), pd),
        Check(
            s3, "epinephrine PK 1.18 mg at 50 s: plasma at 79 s (ug/L)", "epi", at("c_epinephrine", 79), V(290), pd, kind="input"
        ),
        Check(s3, "epinephrine PK: plasma at 169 s (ug/L)", "epi", at("c_epinephrine", 169), V(51), pd, kind="input"),
        Check(s3, "epinephrine PK: plasma at 289 s (ug/L)", "epi", at("c_epinephrine", 289), V(7.5), pd, kind="input"),
        Check(
            s3,
            "fentanyl 150 ug IV, 3-8 min: heart rate (x baseline)",
            "fentanyl",
            frac("hr", 210, 510),
            C(-0.10, 0.02, "stable or -5 to -10 %"),
            pd,
        ),
        Check(
            s3,
            "fentanyl: mean arterial pressure (x baseline)",
            "fentanyl",
            frac("map", 210, 510),
            C(-0.10, 0.02, "stable or -5 to -10 %"),
            pd,
        ),
        Check(s3, "fentanyl: respiration rate (x baseline)", "fentanyl", frac("rr", 210, 510), C(-0.25, -0.15), pd),
        Check(s3, "fentanyl: SpO2", "fentanyl", mean("spo2", 210, 510), R(0.94, 1.0, "unchanged (>= 0.94)"), pd),
        Check(
            s3,
            "morphine 10 mg IV, 10-20 min: respiration rate (x baseline)",
            "morphine",
            frac("rr", 600, 1200),
            C(-0.25, -0.15),
            pd,
        ),
        Check(
            s3,
            "morphine 2.75 mg/min x 4 min, at 10 min: respiration rate (x baseline)",
            "morphine_inf",
            frac("rr", 570, 630),
            C(-0.30, -0.25),
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
            C(-0.10, -0.04),
            bio,
        ),
        Check(
            s3,
            "naloxone 30 ug at 330 s after fentanyl: RR at 450-600 s (x baseline)",
            "naloxone",
            frac("rr", 450, 600),
            C(0.0, 0.0, "returns to resting"),
            pd,
        ),
        Check(
            s3,
            "naloxone: heart rate (x baseline)",
            "naloxone",
            frac("hr", 450, 600),
            C(-0.03, 0.10, "unchanged or +5 to +10 %"),
            pd,
        ),
        Check(
            s3, "naloxone: MAP (x baseline)", "naloxone", frac("map", 450, 600), C(-0.03, 0.10, "unchanged or +5 to +10 %"), pd
        ),
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
        Check(s4, "nasal cannula: delivered FiO2", "o2_nasal_cannula", mean("fio2", 60, 180), V(0.4), rv, kind="input"),
        Check(s4, "simple mask: delivered FiO2", "o2_simple_mask", mean("fio2", 60, 180), V(0.5), rv, kind="input"),
        Check(s4, "non-rebreather: delivered FiO2", "o2_non_rebreather", mean("fio2", 60, 180), V(0.9), rv, kind="input"),
        Check(
            s4,
            "non-rebreather: PaO2 rises (mmHg)",
            "o2_non_rebreather",
            mean("pao2", 150, 180),
            R(300, 600, "> 300"),
            "alveolar gas equation",
        ),
        Check(s4, "bag-valve-mask 12/min, 9.3 cmH2O: tidal volume (mL)", "bvm", mean("vt", 400, 600), V(540), rv, kind="input"),
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
            s4,
            "severe asthma (0.7): peak expiratory flow (x normal)",
            "asthma",
            frac("pef", w0, w1),
            C(-1.0, -0.5, "< -50 %"),
            rv,
        ),
        Check(s4, "severe asthma: respiration rate (/min)", "asthma", mean("rr", w0, w1), R(25, 60, "> 25"), rv),
        Check(s4, "severe asthma: tidal volume (x normal)", "asthma", frac("vt", w0, w1), C(-1.0, -0.4, "< -40 %"), rv),
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
            C(0.2, 4.0, "tachypnea (> +20 %)"),
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
            kind="input",
        ),
        Check(
            s4,
            "O2-Hb dissociation: engine SaO2 vs Severinghaus at its PaO2",
            "rest",
            lambda r, a: _spo2_vs_curve(r),
            V(1.0, "ratio 1"),
            "Severinghaus 1979",
            kind="input",
        ),
    ]
    return out


def _po2_from_so2(so2: float) -> float:
    lo, hi = 0.0, 200.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if so2_from_po2(mid) < so2 else (lo, mid)
    return 0.5 * (lo + hi)


def _recovery(r: Result, name: str) -> float:
    base = r.mean(name, 0, 25)
    low = r.mean(name, 460, 480)
    after = r.mean(name, 770, 790)
    return (after - low) / (base - low) if abs(base - low) > 1e-6 else float("nan")


def _spo2_vs_curve(r: Result) -> float:
    return r.mean("spo2", 120, 360) / so2_from_po2(r.mean("pao2", 120, 360))


def _first_time(r: Result, name: str, t0: float, below: float | None = None, above: float | None = None) -> float:
    """Minutes from ``t0`` until trend ``name`` first goes below/above a level (nan if never)."""
    col = r[name]
    m = r.time_s > t0
    m &= (col < below) if below is not None else (col > above)  # type: ignore[operator]
    return float((r.time_s[m][0] - t0) / 60.0) if m.any() else float("nan")


def _slope(r: Result, y: str, x: str, t0: float, t1: float, b0: float, b1: float) -> float:
    """Change of ``y`` per unit change of ``x`` between a baseline window and a later one."""
    dx = r.mean(x, t0, t1) - r.mean(x, b0, b1)
    return (r.mean(y, t0, t1) - r.mean(y, b0, b1)) / dx if abs(dx) > 1e-9 else float("nan")


def _winters(scn: str, t0: float, t1: float) -> Callable[[dict[str, Result]], Target]:
    def f(res: dict[str, Result]) -> Target:
        hco3 = res[scn].mean("hco3", t0, t1)
        mid = 1.5 * hco3 + 8.0
        return Target("range", mid - 2.0, mid + 2.0, f"1.5 HCO3 + 8 +- 2 = {mid - 2:.0f}-{mid + 2:.0f}")

    return f


def _naloxone_duration(r: Result, _a: dict[str, Result]) -> float:
    """Minutes from naloxone (20 min) until the opioid effect is back to half its pre-naloxone level."""
    pre = r.mean("e_opioid", 1180, 1199)
    m = (r.time_s > 1500) & (r["e_opioid"] >= 0.5 * pre)
    return float((r.time_s[m][0] - 1200.0) / 60.0) if m.any() else float("nan")


def _onset_half(r: Result, name: str, t0: float, t1: float) -> float:
    """Minutes from ``t0`` until ``name`` reaches half of its change at its extreme within t0..t1."""
    base = r.mean(name, t0 - 30, t0 - 1)
    win = (r.time_s > t0) & (r.time_s <= t1)
    col = r[name][win]
    ext = col[int(abs(col - base).argmax())]
    half = base + 0.5 * (ext - base)
    hit = (col - half) * (ext - base) >= 0
    return float((r.time_s[win][hit][0] - t0) / 60.0) if hit.any() else float("nan")


def _rows_predicted() -> list[Check]:
    """Rows added for issue 10: each from a published human study or rule, with its protocol."""
    s5 = "5. Apnoea and oxygen stores"
    s6 = "6. Drugs: potency and timing"
    s7 = "7. Acid-base compensation"
    s8 = "8. Circulation: shock index, CPR, transfusion"
    si = ((0.0, 0.6), (0.6, 1.0), (1.0, 1.4), (1.4, 10.0))
    out = [
        Check(
            s5,
            "preoxygenated apnoea: time to SpO2 90 % (min)",
            "apnoea_preox",
            lambda r, a: _first_time(r, "spo2", 180, below=0.90),
            R(7.55, 12.3, "595 +- 142 s (7.6-12.3 min)"),
            "Berthoud, Peacock & Reilly 1991, Br J Anaesth 67:464",
            protocol="6 normal-weight anaesthetised adults, preoxygenated, apnoeic after induction and intubation",
        ),
        Check(
            s5,
            "apnoea: PaCO2 rise in the first 20 s (mmHg)",
            "apnoea_preox",
            lambda r, a: r.at("paco2", 200) - r.mean("paco2", 170, 179),
            V(9.0, "~9 (7 in 10 s, 2 in the next 10 s)"),
            "Stock et al. 1988, J Clin Anesth 1:96",
            protocol="20 awake volunteers, FiO2 1.0, breath-hold at FRC, end-tidal PCO2",
        ),
        Check(
            s5,
            "apnoea: PaCO2 rise in the first 10 s (mmHg)",
            "apnoea_preox",
            lambda r, a: r.at("paco2", 190) - r.mean("paco2", 170, 179),
            V(7.0, "~7"),
            "Stock et al. 1988, J Clin Anesth 1:96",
            protocol="20 awake volunteers, FiO2 1.0, breath-hold at FRC, end-tidal PCO2",
        ),
        Check(
            s5,
            "apnoea: PaCO2 rise after the first minute (mmHg/min)",
            "apnoea_preox",
            lambda r, a: (r.mean("paco2", 475, 485) - r.mean("paco2", 235, 245)) / 4.0,
            R(3.0, 6.0, "3 (anaesthetised) to 6 (awake)"),
            "Eger & Severinghaus 1961, Anesthesiology 22:419; Stock et al. 1988",
            protocol="apnoeic anaesthetised patients (arterial samples); awake breath-holds at FRC",
        ),
        Check(
            s5,
            "apnoeic oxygenation: SpO2 after 15 min of apnoea",
            "apnoea_o2",
            at("spo2", 180 + 900),
            R(0.95, 1.0, ">= 0.95 (98-100 % reported)"),
            "Frumin, Epstein & Cohen 1959, Anesthesiology 20:789",
            protocol="8 anaesthetised, denitrogenated patients kept apnoeic 18-55 min with O2 at the airway",
        ),
        Check(
            s5,
            "alveolar-arterial PO2 difference at rest on air (mmHg)",
            "rest",
            lambda r, a: 0.21 * 713.0 - r.mean("paco2", 60, 360) / 0.8 - r.mean("pao2", 60, 360),
            R(5.0, 18.0, "2.5 + 0.21 x age = 11.7 (+-6)"),
            "Mellemgaard 1966, Acta Physiol Scand 67:10",
            protocol="healthy supine adults breathing air; PAO2 from the alveolar gas equation (RQ 0.8)",
        ),
        Check(
            s5,
            "PaO2 breathing 100 % O2 (mmHg)",
            "apnoea_preox",
            mean("pao2", 150, 178),
            R(500.0, 673.0, "> 500 (shunt < 5 %)"),
            "Lumb, Nunn's Applied Respiratory Physiology 2017 (shunt estimation on 100 % O2)",
            protocol="healthy adults after >= 3 min of 100 % O2",
        ),
        Check(
            s5,
            "mixed venous PO2 at rest (mmHg)",
            "rest",
            lambda r, a: _po2_from_so2(r.mean("svo2", 60, 360)),
            V(40.0),
            "West, Respiratory Physiology",
        ),
        Check(
            s5, "mixed venous SO2 at rest", "rest", mean("svo2", 60, 360), R(0.70, 0.80, "~0.75"), "West, Respiratory Physiology"
        ),
        Check(
            s6,
            "fentanyl 2.9 ug/kg: ventilation at fixed PCO2 at peak effect (x baseline)",
            "fent_29",
            lambda r, a: 1.0 - float(r["e_opioid"].max()),
            Target_below(0.1, "~0 (apnoea at >= 2.9 ug/kg)"),
            "Dahan et al. 2005, Br J Anaesth 94:825",
            protocol="21 volunteers, fentanyl over 90 s, ventilation at a fixed end-tidal PCO2 of 7 kPa",
        ),
        Check(
            s6,
            "fentanyl 1.1 ug/kg: ventilation at fixed PCO2 at peak effect (x baseline)",
            "fent_11",
            lambda r, a: 1.0 - float(r["e_opioid"].max()),
            R(0.1, 0.9, "depressed, no apnoea"),
            "Dahan et al. 2005, Br J Anaesth 94:825",
            protocol="as above, lowest dose",
        ),
        Check(
            s6,
            "naloxone 0.4 mg after morphine: duration until depression returns halfway (min)",
            "morph_nal",
            _naloxone_duration,
            R(30.0, 120.0, "lasts 30-120 min"),
            "clinical timing (physiology-references.md section 3); naloxone t1/2 ~60 min",
        ),
        Check(
            s6,
            "naloxone 0.4 mg after morphine: onset, RR half-way back (min)",
            "morph_nal",
            lambda r, a: _onset_half(r, "e_opioid", 1200, 1500),
            R(0.5, 2.5, "~2 min"),
            "clinical timing (physiology-references.md section 3)",
        ),
        Check(
            s6,
            "norepinephrine 0.2 ug/kg/min, 30 min: plasma rise (ug/L)",
            "ne",
            at("c_norepinephrine", 1850),
            V(7.28, "7475 - 199 pg/mL"),
            "Ensinger et al. 1992, Crit Care Med 20:1250",
            protocol="8 volunteers, stepwise infusions 0.01-0.2 ug/kg/min for 30 min each",
        ),
        Check(
            s6,
            "norepinephrine: heart rate (x baseline)",
            "ne",
            frac("hr", 1700, 1850, 0, 55),
            C(-0.5, -0.05, "falls"),
            "Ensinger et al. 1992",
        ),
        Check(
            s6,
            "norepinephrine: systolic BP (x baseline)",
            "ne",
            frac("sbp", 1700, 1850, 0, 55),
            C(0.05, 1.0, "rises"),
            "Ensinger et al. 1992",
        ),
        Check(
            s6,
            "norepinephrine: diastolic BP (x baseline)",
            "ne",
            frac("dbp", 1700, 1850, 0, 55),
            C(0.05, 1.0, "rises"),
            "Ensinger et al. 1992",
        ),
        Check(
            s6,
            "norepinephrine: baroreflex slope, RR interval / SBP (ms/mmHg)",
            "ne",
            lambda r, a: (
                (60000.0 / r.mean("hr", 1700, 1850) - 60000.0 / r.mean("hr", 0, 55))
                / (r.mean("sbp", 1700, 1850) - r.mean("sbp", 0, 55))
            ),
            R(5.0, 20.0, "5-20 (pressor method)"),
            "Smyth, Sleight & Pickering 1969, Circ Res 24:109",
            protocol="bolus phenylephrine/angiotensin; here a norepinephrine infusion (its beta-1 action lowers the slope)",
        ),
        Check(
            s6,
            "norepinephrine stopped: time for MAP to fall half-way back (min)",
            "ne",
            lambda r, a: _onset_half(r, "map", 1860, 2100),
            R(0.5, 2.0, "effect ends 1-2 min after stopping"),
            "norepinephrine product information (Swissmedic), pharmacokinetics",
        ),
        Check(
            s6,
            "rocuronium 0.6 mg/kg: time until breathing resumes (min)",
            "roc",
            lambda r, a: _first_time(r, "rr", 300, above=2.0) + 4.0,
            R(25.0, 45.0, "clinical duration 30-40 min"),
            "Miller's Anesthesia (rocuronium 0.6 mg/kg)",
        ),
        Check(
            s6,
            "rocuronium 0.6 mg/kg: onset of apnoea (min)",
            "roc",
            lambda r, a: _first_time(r, "rr", 60, below=0.5) - 0.0,
            R(0.5, 2.0, "1-1.5 min"),
            "Miller's Anesthesia (rocuronium 0.6 mg/kg)",
        ),
        Check(
            s6,
            "succinylcholine 1 mg/kg: time until breathing resumes (min)",
            "sux_1",
            lambda r, a: _first_time(r, "rr", 300, above=2.0) + 2.0,
            R(5.0, 10.0, "5-10 min"),
            "Miller's Anesthesia (succinylcholine 1 mg/kg)",
        ),
        Check(
            s6,
            "fentanyl IV: onset, half of the peak respiratory effect (min)",
            "fent_29",
            lambda r, a: _onset_half(r, "e_opioid", 60, 600),
            R(1.0, 2.0, "onset 1-2 min"),
            "clinical timing (physiology-references.md section 3)",
        ),
        Check(
            s6,
            "epinephrine 0.1 mg IV: time to peak heart rate (min)",
            "epi_iv_small",
            lambda r, a: float((r.time_s[60 + int(r["hr"][60:600].argmax())] - 60.0) / 60.0),
            R(1.0, 2.0, "peaks in 1-2 min"),
            "clinical timing (physiology-references.md section 3)",
        ),
        Check(
            s6,
            "epinephrine 0.1 mg IV: duration, HR back within 10 % of baseline (min)",
            "epi_iv_small",
            lambda r, a: _epi_duration(r),
            R(5.0, 15.0, "lasts 5-15 min"),
            "clinical timing (physiology-references.md section 3)",
        ),
        Check(
            s6,
            "epinephrine 0.5 mg IM: onset, HR +5 % (min)",
            "epi_im",
            lambda r, a: _first_time(r, "hr", 30, above=1.05 * r.mean("hr", 0, 25)),
            R(3.0, 5.0, "onset 3-5 min"),
            "clinical timing (physiology-references.md section 3)",
        ),
        Check(
            s7,
            "acute respiratory alkalosis: HCO3 fall per mmHg PaCO2 (mmol/L/mmHg)",
            "hypervent",
            lambda r, a: _slope(r, "hco3", "paco2", 900, 1200, 0, 25),
            V(0.2, "0.2 (2 per 10 mmHg)"),
            "Arbus et al. 1969, N Engl J Med 280:117",
            protocol="volunteers hyperventilated for hours; here 15-20 min of ventilation",
        ),
        Check(
            s7,
            "acute respiratory alkalosis: [H+] fall per mmHg PaCO2 (nmol/L/mmHg)",
            "hypervent",
            lambda r, a: _slope_h(r, 900, 1200),
            V(0.74, "~0.74"),
            "Arbus et al. 1969, N Engl J Med 280:117",
        ),
        Check(
            s7,
            "lactic acidosis, 35 % blood loss: PaCO2 (Winters, mmHg)",
            "atls_35",
            mean("paco2", 720, 960),
            _winters("atls_35", 720, 960),
            "Albert, Dell & Winters 1967, Ann Intern Med 66:312",
            protocol="metabolic acidosis of any cause, steady state (here 2-6 min after the bleed)",
        ),
        Check(
            s7,
            "lactic acidosis, 45 % blood loss: PaCO2 (Winters, mmHg)",
            "atls_45",
            mean("paco2", 720, 960),
            _winters("atls_45", 720, 960),
            "Albert, Dell & Winters 1967, Ann Intern Med 66:312",
        ),
        Check(
            s7,
            "septic lactic acidosis at 40 min: PaCO2 (Winters, mmHg)",
            "sepsis",
            mean("paco2", 2400, 2700),
            _winters("sepsis", 2400, 2700),
            "Albert, Dell & Winters 1967, Ann Intern Med 66:312",
        ),
    ]
    for k, pct in enumerate((10, 25, 35, 45)):
        out.append(
            Check(
                s8,
                f"shock index (HR/SBP), {pct} % blood loss",
                f"atls_{pct}",
                lambda r, a: r.mean("hr", 720, 960) / r.mean("sbp", 720, 960),
                _class_target(si, k),
                "Mutschler et al. 2013, Crit Care 17:R172 (shock-index classes)",
                protocol="trauma registry (TR-DGU) patients grouped by shock index; here a 10-min bleed",
            )
        )
    out += [
        Check(
            s8,
            "CPR 5.5 cm x 110/min in VF: end-tidal CO2 (mmHg)",
            "cpr",
            mean("etco2", 150, 330),
            R(10.0, 25.0, "10-20 with effective compressions"),
            "Panchal et al. 2020, Circulation 142:S366 (AHA adult ALS)",
        ),
        Check(
            s8,
            "CPR: arterial relaxation (diastolic) pressure (mmHg)",
            "cpr",
            mean("dbp", 150, 330),
            Target_above(20.0, ">= 20-25"),
            "Panchal et al. 2020, Circulation 142:S366 (AHA adult ALS)",
        ),
        Check(
            s8,
            "CPR: cardiac output (x resting)",
            "cpr",
            lambda r, a: r.mean("co", 150, 330) / r.mean("co", 0, 25),
            R(0.20, 0.33, "25-33 % of normal"),
            "Kern 2000, Resuscitation 44:13 (review of CPR haemodynamics)",
        ),
        Check(
            s8,
            "one unit of packed red cells: Hb rise 15 min after (g/dL)",
            "prbc",
            lambda r, a: r.mean("hb", 4450, 4550) - r.mean("hb", 0, 55),
            V(1.0, "~1 g/dL per unit"),
            "Wiesen et al. 1994, Ann Intern Med 121:278",
            protocol="medical inpatients not bleeding; Hb 15 min and 24 h after a unit",
        ),
        Check(
            s8,
            "transfusion: Hb at 15 min vs 60 min after (ratio)",
            "prbc",
            lambda r, a: (r.mean("hb", 4450, 4550) - r.mean("hb", 0, 55)) / (r.mean("hb", 7200, 7300) - r.mean("hb", 0, 55)),
            R(0.9, 1.1, "equilibrated within 15 min"),
            "Wiesen et al. 1994, Ann Intern Med 121:278",
        ),
    ]
    return out


def Target_below(v: float, text: str) -> Callable[[dict[str, Result]], Target]:
    return lambda _r: Target("below", v, v, text)


def Target_above(v: float, text: str) -> Callable[[dict[str, Result]], Target]:
    return lambda _r: Target("above", v, v, text)


def _slope_h(r: Result, t0: float, t1: float) -> float:
    def h(ph: float) -> float:
        return 10.0 ** (9.0 - ph)

    dp = r.mean("paco2", t0, t1) - r.mean("paco2", 0, 25)
    return (h(r.mean("ph", 0, 25)) - h(r.mean("ph", t0, t1))) / -dp if abs(dp) > 1e-9 else float("nan")


def _epi_duration(r: Result) -> float:
    base = r.mean("hr", 0, 55)
    peak_i = int(r["hr"][:600].argmax())
    m = (r.time_s > r.time_s[peak_i]) & (r["hr"] <= 1.1 * base)
    return float((r.time_s[m][0] - 60.0) / 60.0) if m.any() else float("nan")


def checks() -> list[Check]:
    """All validation checks, in report order."""
    return _rows_rest() + _rows_hemorrhage() + _rows_drugs() + _rows_breathing() + _rows_predicted()


def run_validation(progress: Callable[[float], None] | None = None) -> list[Row]:
    """Run every validation scenario (one batch) and grade every predicted check."""
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
        g = grade(v, t) if c.kind == "predicted" else "input"
        text = t.text or (f"{t.lo:.3g}-{t.hi:.3g}" if t.kind == "range" else f"{t.lo:.3g}")
        vt = c.fmt.format(v) if math.isfinite(v) else "n/a"
        rows.append(Row(c.section, c.output, sc[c.scenario].name, text, c.source, v, vt, g, kind=c.kind, protocol=c.protocol))
    return rows


_DOT = {"green": "🟢 green", "yellow": "🟡 yellow", "red": "🔴 red", "input": "input"}


def render_markdown(rows: list[Row], wall_s: float | None = None) -> str:
    """The validation report as markdown: predicted rows per section (graded), then the input
    rows (listed, not graded)."""
    pred = [r for r in rows if r.kind == "predicted"]
    inputs = [r for r in rows if r.kind == "input"]
    counts = {g: sum(1 for r in pred if r.grade == g) for g in ("green", "yellow", "red")}
    lines = [
        "# Physiology validation report",
        "",
        "Generated by `medverse physiology validate` from the checks in",
        "`src/medverse/physiology/validation.py`; targets and sources from",
        "`physiology-references.md` and the publications named on each row.",
        "",
        "Rows are **predicted** (the engine was not set to produce them: graded and counted) or",
        "**input** (calibration targets, parameters, or formulas graded against themselves: true by",
        "construction, listed at the end, neither graded nor counted). Grades: inside the range or",
        "within 10 % of a single value = green, within 30 % = yellow, beyond = red (Pulse's",
        "convention). Targets that name a change are graded on the change: green inside the named",
        "change, yellow within 30 % of its nearer bound, red beyond; 'unchanged' is green within",
        "+-5 % and yellow within +-10 %. Class rows (ATLS, shock index) are green in the published",
        "class, yellow in an adjacent class, red outside every class.",
        "",
        f"**{len(pred)} predicted checks: {counts['green']} green, {counts['yellow']} yellow, {counts['red']} red.** "
        f"({len(inputs)} input rows listed separately.)",
        "",
    ]
    if wall_s is not None:
        where = platform.processor() or platform.machine()
        lines += [
            (f"All scenarios ran together in one batch in {wall_s:.1f} s on {where} (Python {platform.python_version()})."),
            "",
        ]
    section = None
    for r in pred:
        if r.section != section:
            section = r.section
            lines += [
                "",
                f"## {section}",
                "",
                "| output | scenario | target | source | published protocol | ours | grade |",
                "|---|---|---|---|---|---|---|",
            ]
        proto = r.protocol or "as the scenario"
        lines.append(f"| {r.output} | {r.scenario} | {r.target} | {r.source} | {proto} | {r.value_text} | {_DOT[r.grade]} |")
    lines += [
        "",
        "## Input rows (true by construction: not graded, not counted)",
        "",
        "| section | output | scenario | target | source | ours |",
        "|---|---|---|---|---|---|",
    ]
    for r in inputs:
        lines.append(f"| {r.section} | {r.output} | {r.scenario} | {r.target} | {r.source} | {r.value_text} |")
    lines.append("")
    return "\n".join(lines)


__all__ = ["Check", "Row", "Target", "checks", "grade", "render_markdown", "run_validation", "scenarios"]
_ = field
