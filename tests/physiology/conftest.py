"""Shared fixtures: the validation run and a resting standard patient are computed once."""

from __future__ import annotations

import pytest

pytest.importorskip("numpy")
pytest.importorskip("yaml")
pytest.importorskip("jsonschema")


@pytest.fixture(scope="session")
def validation_rows():  # type: ignore[no-untyped-def]
    from medverse.physiology.validation import run_validation

    return run_validation()


@pytest.fixture(scope="session")
def standard_patient():  # type: ignore[no-untyped-def]
    from medverse.physiology import Patient

    return Patient()
