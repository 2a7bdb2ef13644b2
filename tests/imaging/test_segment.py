"""Model-free segmentation of CT tissue classes and of MRI head and brain."""

from __future__ import annotations

import numpy as np
import pytest

from medverse.imaging.io import read_nifti
from medverse.imaging.segment import CT_CLASSES, segment, segment_ct, segment_mri_head
from medverse.imaging.volume import Volume
from tests.imaging.conftest import sample_path


def _ml(labels, name: str) -> float:
    k = next(k for k, v in labels.structures.items() if v.name == name)
    voxel = abs(np.linalg.det(labels.affine[:3, :3])) / 1000
    return float((labels.array == k).sum() * voxel)


def _phantom() -> Volume:
    """A torso: a fat-wrapped muscle cylinder with a bone rod, an aerated lung and a contrast
    vessel, in air, on a 2 mm grid."""
    n = 80
    ii, jj, _kk = np.meshgrid(np.arange(n), np.arange(n), np.arange(40), indexing="ij")
    r = np.hypot(ii - 40, jj - 40)
    hu = np.full(ii.shape, -1000.0, np.float32)
    hu[r < 35] = -100.0  # fat
    hu[r < 30] = 50.0  # muscle
    hu[np.hypot(ii - 40, jj - 52) < 5] = 900.0  # bone rod (cortex)
    hu[np.hypot(ii - 40, jj - 52) < 3] = 300.0  # marrow
    lung = np.hypot(ii - 30, jj - 30) < 8
    hu[lung] = -850.0 + 40 * np.sin(ii[lung] + jj[lung])  # parenchyma
    hu[np.hypot(ii - 52, jj - 30) < 3] = 280.0  # contrast vessel
    rng = np.random.default_rng(7)
    hu += rng.normal(0, 10, hu.shape).astype(np.float32)
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    return Volume(hu.astype(np.int16), affine, {"modality": "CT"})


def test_phantom_classes_come_out_where_they_were_put() -> None:
    labels = segment_ct(_phantom(), working_mm=2.0)
    assert {s.name for s in labels.structures.values()} == set(CT_CLASSES.values())

    def at(i, j):
        return labels.structures[int(labels.array[i, j, 20])].name

    assert at(40, 52) == "bone" and at(40, 53) == "bone"  # marrow included
    assert at(30, 30) == "lungs_airways"
    assert at(52, 30) == "vessels"
    assert at(40, 72) == "fat"
    assert at(45, 45) == "soft_tissue"
    assert labels.array[2, 2, 20] == 0  # air outside
    assert labels.structures[1].envelope


def test_abdomen_sample_volumes_are_plausible(abdomen_ct: Volume) -> None:
    labels = segment_ct(abdomen_ct, working_mm=3.0)
    assert 600 < _ml(labels, "bone") < 2000
    assert 30 < _ml(labels, "lungs_airways") < 200  # lung bases only; bowel gas kept out
    assert _ml(labels, "fat") > 3000 and _ml(labels, "soft_tissue") > 3000
    body = (labels.array > 0).sum() * abs(np.linalg.det(labels.affine[:3, :3])) / 1000
    assert 15_000 < body < 40_000
    # no contrast in this scan's vessels (aorta ~40 HU): none are invented
    assert "vessels" not in {s.name for s in labels.structures.values()}


def test_head_mri_gives_head_and_brain() -> None:
    v = read_nifti(sample_path("head_mr_t1"))
    v.metadata["modality"] = "MR"
    labels = segment(v)
    assert labels.source == "segment_mri_head"
    head = (labels.array > 0).sum() * abs(np.linalg.det(labels.affine[:3, :3])) / 1000
    assert 1000 < _ml(labels, "brain") < 1700
    assert head > _ml(labels, "brain") * 1.5


def test_skull_stripped_mri_brain_is_its_foreground() -> None:
    v = read_nifti(sample_path("brain_stroke_t1"))
    labels = segment_mri_head(v)
    assert 900 < _ml(labels, "brain") < 1600


def test_segmentation_reports_progress_and_can_be_stopped(abdomen_ct: Volume) -> None:
    seen: list[float] = []
    segment_ct(abdomen_ct, working_mm=3.0, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0

    class Stop(Exception):
        pass

    def cancel() -> None:
        raise Stop

    with pytest.raises(Stop):
        segment_ct(abdomen_ct, working_mm=3.0, cancel=cancel)


def test_arms_lying_apart_stay_in_the_body_and_the_table_does_not() -> None:
    ii, jj, _kk = np.meshgrid(np.arange(120), np.arange(80), np.arange(30), indexing="ij")
    hu = np.full(ii.shape, -1000.0, np.float32)
    hu[np.hypot(ii - 50, jj - 40) < 30] = 40.0  # trunk
    hu[np.hypot(ii - 100, jj - 40) < 9] = 40.0  # an arm beside it, not touching
    hu[:, 74:76, :] = 200.0  # a thin table plate under both
    labels = segment_ct(Volume(hu.astype(np.int16), np.diag([2.0, 2.0, 2.0, 1.0]), {"modality": "CT"}), working_mm=2.0)
    body = labels.array > 0
    assert body[50, 40, 15] and body[100, 40, 15]
    assert not body[:, 74:76, :].any()
