"""Case files: the built-in library loads; a mistaken or hostile file is refused with a message
naming what is wrong, never half-loaded (property-based for the parser)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medverse.simbay.cases import MAX_CASE_BYTES, CaseError, builtin_cases, load_case_text, parse_case

pytest.importorskip("medverse.physiology.scenario")

GOOD = """
name: Test case
seed: 1
duration: {value: 5, unit: min}
patient: {sex: female, age: {value: 50, unit: yr}, height: {value: 165, unit: cm}, weight: {value: 60, unit: kg}}
actions:
  - {at: {value: 10, unit: s}, action: anaphylaxis, severity: 0.5}
case:
  story: A test.
  objectives: [Learn]
  expected:
    - {id: epi, label: Epinephrine, action: drug_bolus, match: {drug: epinephrine}, after: anaphylaxis,
       within: {value: 3, unit: min}}
  critical: []
  outcome:
    - {label: SpO2, measure: spo2, op: ">=", value: 0.94}
"""


def test_the_library_loads_and_every_case_teaches_something() -> None:
    cases = builtin_cases()
    assert {"anaphylaxis", "opioid_overdose", "tension_pneumothorax", "vf_arrest"} <= set(cases)
    for case in cases.values():
        assert case["story"] and case["objectives"] and case["expected"] and case["script"]
        assert all(e["within_s"] is None or e["within_s"] > 0 for e in case["expected"])


def test_a_good_case_file() -> None:
    case = load_case_text(GOOD, "test")
    assert case["duration_s"] == 300 and case["expected"][0]["within_s"] == 180
    assert case["patient"]["sex"] == "female" and case["script"][0]["name"] == "anaphylaxis"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (("action: anaphylaxis", "action: levitation"), "levitation"),
        (("action: drug_bolus, match: {drug: epinephrine}", "action: drug_bolus, match: {colour: red}"), "no field 'colour'"),
        (("after: anaphylaxis", "after: sepsis"), "never starts"),
        (("measure: spo2", "measure: mood"), "unknown measure"),
        (("within: {value: 3, unit: min}", "within: {value: 3, unit: furlongs}"), "unit"),
        (("case:\n", "kase:\n"), "case"),
        (("story: A test.", "story: [1, 2]"), "story"),
        (("id: epi", "id: '../../etc'"), "id"),
    ],
)
def test_mistakes_are_named(change: tuple[str, str], match: str) -> None:
    with pytest.raises(CaseError, match=match):
        load_case_text(GOOD.replace(*change), "test")


def test_hostile_files() -> None:
    with pytest.raises(CaseError, match="at most"):
        load_case_text("a: " + "x" * MAX_CASE_BYTES, "big")
    with pytest.raises(CaseError, match="YAML"):
        load_case_text("name: [unclosed", "bad")
    with pytest.raises(CaseError):
        load_case_text("!!python/object/apply:os.system ['true']", "evil")  # safe_load refuses tags
    with pytest.raises(CaseError):
        load_case_text("[" * 5000, "deep")


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "seed", "duration", "patient", "actions", "case", "x"]), JSONISH, max_size=7))
def test_any_structure_is_a_case_or_a_case_error(data: dict[str, Any]) -> None:
    with contextlib.suppress(CaseError):
        parse_case(data, "fuzz")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_case_or_a_case_error(text: str) -> None:
    with contextlib.suppress(CaseError):
        load_case_text(text, "fuzz")
