"""The validation suite: published physiology (physiology-references.md sections 1-4)."""

from __future__ import annotations

import pytest

from medverse.physiology.validation import Target, grade, render_markdown


@pytest.mark.slow
def test_hemorrhage_classes_are_ordered(validation_rows) -> None:  # type: ignore[no-untyped-def]
    def value(k: str, what: str) -> float:
        return next(r.value for r in validation_rows if r.output.startswith(k) and what in r.output)

    bd = [value(k, "base deficit") for k in ("class I ", "class II ", "class III ", "class IV ")]
    assert bd == sorted(bd, reverse=True)


def test_grading_convention() -> None:
    assert grade(105, Target("value", 100)) == "green"
    assert grade(125, Target("value", 100)) == "yellow"
    assert grade(140, Target("value", 100)) == "red"
    assert grade(7.38, Target("range", 7.35, 7.40)) == "green"
    assert grade(25.0, Target("range", 25, 60)) == "green"
    cls = ((0, 100), (100, 120), (120, 140), (140, 400))
    assert grade(110, Target("class", classes=cls, klass=1)) == "green"
    assert grade(130, Target("class", classes=cls, klass=1)) == "yellow"
    assert grade(150, Target("class", classes=cls, klass=1)) == "red"


@pytest.mark.slow
def test_report_has_a_row_per_check(validation_rows) -> None:  # type: ignore[no-untyped-def]
    text = render_markdown(validation_rows)
    assert text.count("\n| ") - 4 == len(validation_rows)  # minus one header per section
    assert "## 1. Healthy adult at rest" in text
