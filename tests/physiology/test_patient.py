from __future__ import annotations

import math

import pytest

from medverse.errors import InvalidInput
from medverse.physiology import InvalidPatient, Patient


def test_standard_male_ideal_body_weight_and_blood_volume() -> None:
    p = Patient()
    assert p.ideal_body_weight_kg == pytest.approx(50 + 0.91 * (180 - 152.4))
    assert p.blood_volume_ml == pytest.approx(77 * 71.5)


def test_female_uses_female_formulas() -> None:
    p = Patient(sex="female", height_cm=165, weight_kg=60)
    assert p.ideal_body_weight_kg == pytest.approx(45.5 + 0.91 * (165 - 152.4))
    assert p.blood_volume_ml == pytest.approx(60 * 65.0)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"height_cm": 2000.0}, "height_cm must be between"),
        ({"weight_kg": -5.0}, "weight_kg must be between"),
        ({"age_yr": 300.0}, "age_yr"),
        ({"sex": "x"}, "sex must be"),
        ({"systolic_mmhg": 100.0, "diastolic_mmhg": 95.0}, "diastolic pressure"),
        ({"heart_rate_bpm": math.nan}, "heart_rate_bpm"),
        ({"copd": 1.5}, "copd"),
        ({"height_cm": 230.0, "weight_kg": 35.0}, "body mass index"),
    ],
)
def test_impossible_patients_are_refused_with_a_clear_message(kwargs: dict, fragment: str) -> None:
    with pytest.raises(InvalidPatient) as exc:
        Patient(**kwargs)
    assert fragment in str(exc.value)
    assert isinstance(exc.value, InvalidInput) and isinstance(exc.value, ValueError)
