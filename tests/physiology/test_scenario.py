from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medverse.physiology import ScenarioError
from medverse.physiology.scenario import build_schema, builtin_scenarios, load_scenario, schema

GOOD = """\
name: test
seed: 2
duration: {value: 2, unit: min}
patient:
  sex: female
  height: {value: 1.65, unit: m}
  weight: {value: 132, unit: lb}
actions:
  - at: {value: 30, unit: s}
    action: hemorrhage
    site: left_arm
    rate: {value: 0.1, unit: L/min}
  - at: {value: 1, unit: min}
    action: drug_bolus
    drug: Adrenaline
    dose: {value: 10, unit: ug/kg}
"""


def test_good_file_converts_units() -> None:
    sc = load_scenario("good.yaml", GOOD)
    assert sc.duration_s == 120.0
    assert sc.patient.height_cm == pytest.approx(165.0)
    assert sc.patient.weight_kg == pytest.approx(59.874, rel=1e-3)
    hem, epi = sc.actions
    assert hem.fields["rate"] == pytest.approx(100.0)
    assert epi.fields["drug"] == "epinephrine"
    assert epi.fields["dose"] == pytest.approx(10.0 * sc.patient.weight_kg)


def test_json_files_are_accepted(tmp_path: Path) -> None:
    import yaml

    p = tmp_path / "s.json"
    p.write_text(json.dumps(yaml.safe_load(GOOD), indent=2))
    assert load_scenario(p).name == "test"


@pytest.mark.parametrize(
    "old, new, line, fragment",
    [
        ("action: hemorrhage", "action: teleport", 10, "teleport"),
        ("unit: L/min}", "unit: kg}", 12, "expected one of"),
        ("{value: 30, unit: s}", "{value: -30, unit: s}", 9, ">= 0"),
        ("{value: 10, unit: ug/kg}", "{value: -10, unit: ug/kg}", 16, "dose must be > 0"),
        ("{value: 1.65, unit: m}", "{value: 20, unit: m}", 6, "height_cm must be between"),
        ("drug: Adrenaline", "drug: unobtainium", 15, "unknown drug"),
        ("site: left_arm", "site: left_ear", 11, "left_ear"),
        ("seed: 2", "seed: two", 2, "expected integer"),
        ("{value: 2, unit: min}", "{value: 2, unit: fortnight}", 3, "expected one of"),
        ("    rate: {value: 0.1, unit: L/min}\n", "", 9, "give a 'rate'"),
    ],
)
def test_bad_files_name_the_line_field_and_expectation(old: str, new: str, line: int, fragment: str) -> None:
    text = GOOD.replace(old, new)
    assert text != GOOD
    with pytest.raises(ScenarioError) as exc:
        load_scenario("bad.yaml", text)
    assert exc.value.line == line, str(exc.value)
    assert fragment in str(exc.value)
    assert f"line {line}" in str(exc.value)


def test_action_after_the_end_is_refused() -> None:
    with pytest.raises(ScenarioError, match="after the end"):
        load_scenario("late.yaml", GOOD.replace("{value: 1, unit: min}", "{value: 5, unit: min}"))


def test_yaml_syntax_errors_have_a_line() -> None:
    with pytest.raises(ScenarioError) as exc:
        load_scenario("broken.yaml", "name: x\nduration: {value: 1\n  unit: s\n")
    assert exc.value.line is not None


def test_committed_schema_matches_the_action_tables() -> None:
    assert schema() == json.loads(json.dumps(build_schema()))


def test_every_example_scenario_loads() -> None:
    names = builtin_scenarios()
    assert {
        "resting_adult",
        "hemorrhage_class3",
        "tension_pneumothorax",
        "asthma_attack",
        "anaphylaxis",
        "sepsis",
        "opioid_overdose",
        "airway_obstruction",
        "apnea",
        "drug_epinephrine",
        "drug_norepinephrine",
        "drug_fentanyl_naloxone",
        "drug_morphine",
        "drug_succinylcholine",
    } <= set(names)
    for path in names.values():
        assert load_scenario(path).duration_s > 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
keys = st.sampled_from(["name", "duration", "patient", "actions", "seed", "trend_interval", "x"])
scenario_like = st.dictionaries(keys, json_values, max_size=6)
action_like = st.fixed_dictionaries(
    {
        "at": st.one_of(
            json_values, st.fixed_dictionaries({"value": st.floats(), "unit": st.sampled_from(["s", "min", "h", "kg"])})
        ),
        "action": st.sampled_from(["hemorrhage", "drug_bolus", "oxygen", "cpr", "ventilator", "bogus"]),
    },
    optional={
        "drug": st.text(max_size=12),
        "dose": json_values,
        "site": json_values,
        "rate": json_values,
        "severity": json_values,
        "device": json_values,
        "fio2": json_values,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_fuzz_loader_with_arbitrary_text(text: str) -> None:
    with contextlib.suppress(ScenarioError):
        load_scenario("fuzz.yaml", text)


@pytest.mark.slow  # ~6 s
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_like)
def test_fuzz_loader_with_arbitrary_structures(data: dict) -> None:
    try:
        load_scenario("fuzz.json", json.dumps(data))
    except ScenarioError:
        pass
    except ValueError as exc:  # json.dumps of NaN is allowed; anything else must be ScenarioError
        raise AssertionError(exc) from exc


@pytest.mark.slow  # ~9 s
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action_like, max_size=3))
def test_fuzz_loader_with_near_valid_actions(actions: list) -> None:
    data = {"name": "f", "duration": {"value": 10, "unit": "min"}, "actions": actions}
    try:
        sc = load_scenario("fuzz.json", json.dumps(data))
    except ScenarioError:
        return
    assert all(a.at_s >= 0 for a in sc.actions)


@pytest.mark.slow
def test_every_example_scenario_runs_without_nan_or_negative_volumes() -> None:
    import numpy as np

    from medverse.physiology.simulation import run_many

    paths = builtin_scenarios()
    results = run_many([load_scenario(p) for p in paths.values()])
    for name, res in zip(paths, results, strict=False):
        assert np.isfinite(res.data).all(), name
        assert (res["blood_volume"] > 1000).all(), name
        assert len(res.time_s) == round(res.scenario.duration_s), name


# --- limits (issue 10, part 7)


def test_a_run_that_would_not_fit_in_memory_is_refused_up_front_with_the_figure() -> None:
    text = "name: x\nduration: {value: 48, unit: h}\ntrend_interval: {value: 10, unit: ms}\n"
    with pytest.raises(ScenarioError) as exc:
        load_scenario("big.yaml", text)
    msg = str(exc.value)
    assert exc.value.line == 3 and "trend_interval" in msg
    assert "8.0 GiB" in msg and "17,280,000 trend rows" in msg
    assert "trend interval of at least" in msg


def test_waveforms_that_would_not_fit_in_memory_are_refused_before_the_run() -> None:
    from medverse.physiology import Patient, Scenario
    from medverse.physiology.simulation import run

    sc = Scenario("long", 48 * 3600.0, Patient())
    with pytest.raises(ScenarioError, match=r"GiB of output .* waveforms"):
        run(sc, waveforms=True)


def _actions_text(n: int) -> str:
    acts = [{"at": {"value": i * 0.01, "unit": "s"}, "action": "oxygen", "device": "nasal_cannula"} for i in range(n)]
    return json.dumps({"name": "x", "duration": {"value": 1, "unit": "h"}, "actions": acts})


def test_validating_a_large_action_list_is_linear_and_fast() -> None:
    import time

    def cost(n: int) -> float:
        text = _actions_text(n)
        best = float("inf")
        for _ in range(2):
            t0 = time.perf_counter()
            assert len(load_scenario("many.json", text).actions) == n
            best = min(best, time.perf_counter() - t0)
        return best

    small, large = cost(1000), cost(4000)
    assert large < 2.0, f"4000 actions took {large:.2f} s"
    assert large < 8.0 * small, (small, large)  # linear: ~4x; quadratic would be ~16x


def test_a_bad_action_deep_in_a_large_list_is_located() -> None:
    text = _actions_text(3000).replace('"nasal_cannula"}]', '"snorkel"}]')
    with pytest.raises(ScenarioError) as exc:
        load_scenario("many.json", text)
    assert exc.value.field == "actions[2999].device"


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-(10**6), 10**6),
    st.integers(-30, 30),
    st.sampled_from(["e", "E"]),
    st.sampled_from(["", "+"]),
    st.booleans(),
)
def test_yaml_exponent_numbers_are_read_as_numbers(mantissa: int, exp: int, e: str, plus: str, dot: bool) -> None:
    import yaml

    from medverse.physiology.scenario import _yaml_loader

    sign = "-" if exp < 0 else plus
    text = f"{mantissa}{'.5' if dot else ''}{e}{sign}{abs(exp)}"
    value = yaml.load(f"v: {text}\n", Loader=_yaml_loader())["v"]
    assert isinstance(value, float) and value == float(text)


@settings(max_examples=100, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=1e-3, max_value=48 * 3600.0))
def test_scenario_quantities_written_in_any_float_notation_load(seconds: float) -> None:
    for text in (f"{seconds:e}", f"{seconds:g}", repr(seconds)):
        if float(text) > 48 * 3600.0:  # rounding of the shorter notations
            continue
        sc = load_scenario("n.yaml", f"name: n\nduration: {{value: {text}, unit: s}}\n")
        assert sc.duration_s == float(text)


def test_1e9_reads_as_a_number_and_is_refused_for_its_size() -> None:
    with pytest.raises(ScenarioError, match="<= 48 h"):
        load_scenario("n.yaml", "name: n\nduration: {value: 1e9, unit: s}\n")
