from __future__ import annotations

import numpy as np
import pytest

from medverse.physiology import Patient, PatientBatch
from medverse.physiology import layout as L


def col(chunk, name: str, i: int = 0) -> np.ndarray:  # type: ignore[no-untyped-def]
    return chunk.trends[i, :, L.OUT_NAMES.index(name)]


def test_same_seed_gives_bit_identical_output_in_one_or_many_calls() -> None:
    a = PatientBatch([Patient()], seed=7)
    b = PatientBatch([Patient()], seed=7)
    a.state[0, L.RHYTHM] = b.state[0, L.RHYTHM] = L.RH_AF  # exercise the random stream
    ca = a.advance(30.0, waveforms=True)
    parts = [b.advance(7.5, waveforms=True) for _ in range(4)]
    assert np.array_equal(ca.trends, np.concatenate([p.trends for p in parts], axis=1))
    assert np.array_equal(ca.ecg_mv, np.concatenate([p.ecg_mv for p in parts], axis=1))
    assert np.array_equal(ca.waves, np.concatenate([p.waves for p in parts], axis=2))
    assert np.array_equal(a.state, b.state)


def test_a_patient_does_not_depend_on_the_rest_of_the_batch() -> None:
    alone = PatientBatch([Patient()], seed=[3])
    crowd = PatientBatch([Patient(copd=0.5), Patient(), Patient(age_yr=70)], seed=[1, 3, 2])
    c1 = alone.advance(20.0)
    c2 = crowd.advance(20.0)
    assert np.array_equal(c1.trends[0], c2.trends[1])


def test_different_patients_have_different_physiology() -> None:
    b = PatientBatch([Patient(), Patient(chronic_anemia=0.6), Patient(copd=0.8)])
    c = b.advance(60.0)
    hb = [col(c, "hb", i)[-1] for i in range(3)]
    assert hb[1] < 0.8 * hb[0]
    assert col(c, "co", 1)[-1] > col(c, "co", 0)[-1]  # anaemia: hyperdynamic circulation
    assert col(c, "paco2", 2)[-1] > col(c, "paco2", 0)[-1] + 3  # COPD: CO2 retention
    assert col(c, "spo2", 2)[-1] < col(c, "spo2", 0)[-1]


@pytest.mark.slow  # two simulated hours, ~5 s
def test_two_hours_at_rest_are_stable() -> None:
    b = PatientBatch([Patient()], trend_interval_s=10.0)
    c = b.advance(7200.0)
    assert np.isfinite(c.trends).all()
    vols = b.state[0, L.V_LV : L.V_PV + 1]
    assert (vols > 0).all()
    first = c.trends[0, :6].mean(axis=0)
    last = c.trends[0, -6:].mean(axis=0)
    for name in ("hr", "sbp", "dbp", "map", "co", "rr", "vt", "spo2", "paco2", "pao2", "blood_volume"):
        j = L.OUT_NAMES.index(name)
        assert abs(last[j] - first[j]) <= 0.02 * abs(first[j]), name


def test_waveform_rates_and_ecg_rate_follow_heart_rate() -> None:
    b = PatientBatch([Patient()])
    c = b.advance(20.0, waveforms=True)
    assert c.ecg_mv.shape == (1, 20 * 500)
    assert c.waves.shape == (1, 3, 20 * 100)
    ecg = c.ecg_mv[0]
    peaks = np.flatnonzero((ecg[1:-1] > 0.6) & (ecg[1:-1] >= ecg[:-2]) & (ecg[1:-1] > ecg[2:]))
    assert len(peaks) == pytest.approx(72 / 60 * 20, abs=2)
    abp = c.waves[0, 0]
    assert 105 < abp.max() < 125 and 65 < abp.min() < 80
    capno = c.waves[0, 2]
    assert 30 < capno.max() < 45 and capno.min() < 1


@pytest.mark.parametrize("rhythm", [L.RH_VF, L.RH_ASYSTOLE])
def test_arrest_rhythms_stop_the_pulse(rhythm: int) -> None:
    b = PatientBatch([Patient()])
    b.state[0, L.RHYTHM] = rhythm
    c = b.advance(30.0, waveforms=True)
    assert col(c, "map")[-1] < 25
    assert col(c, "co")[-1] < 0.3
    assert np.isfinite(c.ecg_mv).all()


def test_bad_durations_are_refused() -> None:
    b = PatientBatch([Patient()])
    with pytest.raises(ValueError):
        b.advance(-1.0)
    with pytest.raises(ValueError):
        b.advance(float("nan"))


def test_memory_per_patient_is_small() -> None:
    b = PatientBatch([Patient()] * 10)
    assert b.memory_bytes() / 10 < 4096


def test_snapshot_and_restore_replay_identically() -> None:
    b = PatientBatch([Patient()])
    b.advance(5.0)
    snap = b.snapshot()
    c1 = b.advance(5.0)
    b.restore(snap)
    c2 = b.advance(5.0)
    assert np.array_equal(c1.trends, c2.trends)
