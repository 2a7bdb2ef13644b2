from __future__ import annotations

import numpy as np
import pytest

from medverse.physiology import InvalidAction, Patient
from medverse.physiology.interventions import SPECS, make_action
from medverse.physiology.scenario import Scenario
from medverse.physiology.simulation import run, run_many


def q(v: float, u: str) -> dict:
    return {"value": v, "unit": u}


def scn(actions: list, minutes: float = 5.0, patient: Patient | None = None) -> Scenario:
    p = patient or Patient()
    return Scenario("t", minutes * 60.0, p, [make_action(n, f, t, p.weight_kg) for t, n, f in actions], seed=1)


@pytest.mark.parametrize(
    "name, fields, fragment",
    [
        ("teleport", {}, "unknown action"),
        ("drug_bolus", {"drug": "epinephrine", "dose": q(-1, "mg")}, "dose must be > 0"),
        ("drug_bolus", {"drug": "epinephrine", "dose": q(1, "mL")}, "expected a unit of dose"),
        ("drug_bolus", {"drug": "epinephrine"}, "missing field 'dose'"),
        ("drug_infusion", {"drug": "fentanyl", "rate": 5}, "must be {value, unit}"),
        ("oxygen", {"device": "snorkel"}, "must be one of"),
        ("tourniquet", {"site": "chest"}, "must be one of"),
        ("asthma_attack", {"severity": 2}, "severity must be"),
        ("cpr", {"force": q(1, "J")}, "unknown field 'force'"),
        ("fluid_infusion", {"fluid": "saline", "volume": q(float("nan"), "mL")}, "finite"),
    ],
)
def test_bad_actions_are_refused_clearly(name: str, fields: dict, fragment: str) -> None:
    with pytest.raises(InvalidAction) as exc:
        make_action(name, fields, 0.0, 77.0)
    assert fragment in str(exc.value)


def test_negative_action_time_is_refused() -> None:
    with pytest.raises(InvalidAction, match=">= 0 s"):
        make_action("cpr", {}, -5.0, 77.0)


def test_every_action_applies_without_nan() -> None:
    defaults = {
        "tourniquet": {"site": "left_leg"},
        "direct_pressure": {"site": "left_leg"},
        "tension_pneumothorax": {"side": "left", "severity": 0.5},
        "open_pneumothorax": {"side": "right", "severity": 0.5},
        "needle_decompression": {"side": "left"},
        "chest_seal": {"side": "right"},
        "asthma_attack": {"severity": 0.3},
        "anaphylaxis": {"severity": 0.3},
        "sepsis": {"severity": 0.3},
        "airway_obstruction": {"severity": 0.3},
        "apnea": {"severity": 0.3},
        "opioid_overdose": {"severity": 0.3},
        "set_rhythm": {"rhythm": "atrial_fibrillation"},
        "oxygen": {"device": "simple_mask"},
        "drug_bolus": {"drug": "morphine", "dose": q(5, "mg")},
        "drug_infusion": {"drug": "norepinephrine", "rate": q(0.05, "ug/kg/min")},
        "fluid_infusion": {"fluid": "lactated_ringers", "volume": q(500, "mL")},
        "hemorrhage": {"rate": q(50, "mL/min")},
    }
    actions = [(10.0 + 5 * k, n, defaults.get(n, {})) for k, n in enumerate(SPECS)]
    res = run(scn(actions, minutes=4.0))
    assert np.isfinite(res.data).all()


def test_drug_given_in_arrest_waits_for_circulation() -> None:
    base = [(10.0, "set_rhythm", {"rhythm": "asystole"}), (40.0, "drug_bolus", {"drug": "epinephrine", "dose": q(1, "mg")})]
    no_cpr, with_cpr = run_many([scn(base, 2.0), scn([*base, (60.0, "cpr", {})], 2.0)])
    assert any("no circulation" in e.detail for e in no_cpr.events)
    assert no_cpr.at("c_epinephrine", 110) < 1.0
    assert with_cpr.at("c_epinephrine", 110) > 20.0
    assert np.isfinite(no_cpr.data).all()


def test_shock_on_non_shockable_rhythm_is_a_documented_no_op() -> None:
    res = run(scn([(20.0, "defibrillate", {})], 1.0))
    assert any("non-shockable" in e.detail for e in res.events)
    assert res.at("rhythm", 55) == 0


def test_tourniquet_stops_limb_bleeding_but_pressure_cannot_stop_internal_bleeding() -> None:
    limb = [(10.0, "hemorrhage", {"site": "left_leg", "rate": q(200, "mL/min")}), (70.0, "tourniquet", {"site": "left_leg"})]
    inner = [(10.0, "hemorrhage", {"site": "abdomen", "rate": q(200, "mL/min")}), (70.0, "direct_pressure", {"site": "abdomen"})]
    a, b = run_many([scn(limb, 3.0), scn(inner, 3.0)])
    assert a.at("blood_lost", 170) == pytest.approx(a.at("blood_lost", 80), abs=5)
    assert b.at("blood_lost", 170) > b.at("blood_lost", 80) + 250
    assert any("cannot stop internal" in e.detail for e in b.events)


def test_vf_cpr_and_defibrillation_can_restore_circulation() -> None:
    acts = [
        (10.0, "set_rhythm", {"rhythm": "vf"}),
        (20.0, "cpr", {}),
        (60.0, "defibrillate", {}),
        (62.0, "stop_cpr", {}),
        (120.0, "defibrillate", {}),
        (122.0, "stop_cpr", {}),
    ]
    res = run(scn(acts, 4.0))
    names = [e.name for e in res.events]
    assert "cardiac arrest" in names
    assert res.at("map", 230) > 60, "expected return of circulation after one of two shocks"


def test_naloxone_reverses_opioid_overdose() -> None:
    od = [(10.0, "opioid_overdose", {"severity": 1.0})]
    nal = [*od, (150.0, "drug_bolus", {"drug": "naloxone", "dose": q(0.4, "mg")})]
    a, b = run_many([scn(od, 8.0), scn(nal, 8.0)])
    base = a.mean("rr", 0, 9)
    assert a.mean("rr", 120, 150) < 0.6 * base
    assert a.mean("spo2", 240, 300) < 0.9
    assert a.mean("rr", 400, 480) < 0.75 * base
    assert b.mean("rr", 400, 480) > 0.9 * base


def test_epinephrine_reverses_anaphylaxis() -> None:
    ana = [(10.0, "anaphylaxis", {"severity": 0.8})]
    epi = [*ana, (180.0, "drug_bolus", {"drug": "epinephrine", "dose": q(0.5, "mg"), "route": "IM"})]
    a, b = run_many([scn(ana, 15.0), scn(epi, 15.0)])
    assert a.mean("map", 800, 900) < a.mean("map", 0, 9) - 10
    assert b.mean("map", 800, 900) > a.mean("map", 800, 900) + 10
    assert b.mean("pef", 800, 900) > a.mean("pef", 800, 900)


def test_sepsis_gives_fever_and_tachycardia() -> None:
    res = run(scn([(10.0, "sepsis", {"severity": 0.8})], 30.0))
    assert res.at("t_core", 1790) > 38.0
    assert res.mean("hr", 1700, 1790) > 95


def test_oxygen_devices_and_intubation_placements() -> None:
    ok = scn(
        [
            (10.0, "drug_bolus", {"drug": "rocuronium", "dose": q(0.6, "mg/kg")}),
            (60.0, "intubate", {"placement": "tracheal"}),
            (60.0, "ventilator", {"fio2": 1.0}),
        ],
        5.0,
    )
    eso = scn(
        [
            (10.0, "drug_bolus", {"drug": "rocuronium", "dose": q(0.6, "mg/kg")}),
            (60.0, "intubate", {"placement": "esophageal"}),
            (60.0, "ventilator", {"fio2": 1.0}),
        ],
        5.0,
    )
    main = scn(
        [(60.0, "intubate", {"placement": "right_mainstem"}), (60.0, "ventilator", {"fio2": 0.3, "tidal_volume": q(500, "mL")})],
        5.0,
    )
    a, b, c = run_many([ok, eso, main])
    assert a.mean("spo2", 240, 300) > 0.98 and a.mean("etco2", 240, 300) > 25
    assert b.mean("etco2", 240, 300) < 1 and b.mean("spo2", 240, 300) < 0.85
    assert c.mean("pip", 240, 300) > a.mean("pip", 240, 300)


def test_naloxone_can_wear_off_before_the_opioid() -> None:
    acts = [
        (30.0, "drug_bolus", {"drug": "morphine", "dose": q(30, "mg")}),
        (1200.0, "drug_bolus", {"drug": "naloxone", "dose": q(0.4, "mg")}),
    ]
    res = run(Scenario("t", 100 * 60.0, Patient(), [make_action(n, f, t, 77.0) for t, n, f in acts], trend_interval_s=5.0))
    assert res.at("e_opioid", 1190) > 0.6  # morphine's slow effect site: depressed 20 min later
    assert res.at("e_opioid", 1400) < 0.15  # reversed
    assert res.at("e_opioid", 5400) > 0.5  # naloxone (t1/2 ~1 h) cleared first: depression returns
    assert res.mean("paco2", 5300, 5500) > res.mean("paco2", 1350, 1450) + 2
