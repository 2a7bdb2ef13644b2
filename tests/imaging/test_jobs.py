"""Jobs: progress, cancellation, and failures that leave nothing half-written and say why."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from medverse.imaging.io import write_nifti
from medverse.imaging.jobs import STUDY_FILES, Job, JobUpdate, import_study, start_import
from medverse.imaging.volume import Volume
from tests.imaging.conftest import sample_path, write_series


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _run(source, out: Path, **options) -> Job:
    updates: list[JobUpdate] = []
    job = start_import(source, out, on_update=updates.append, **options)
    assert job.wait(120)
    job.updates = updates  # type: ignore[attr-defined]
    return job


def test_import_writes_the_study_folder_with_progress(tmp_path: Path) -> None:
    out = tmp_path / "studies" / "abdomen"
    job = _run(sample_path("ct_abdomen_3mm"), out, modality="CT", working_mm=3.0)
    assert job.state == "succeeded", job.error
    assert sorted(p.name for p in out.iterdir()) == sorted(STUDY_FILES)
    assert _leftovers(out.parent) == ["abdomen"]
    manifest = json.loads((out / "study.json").read_text())
    assert manifest == job.result
    assert manifest["triangles"] <= 300_000 and manifest["structures"] <= 100
    percents = [u.percent for u in job.updates if u.state == "running"]
    assert percents == sorted(percents) and percents[-1] == 100.0
    stages = [u.stage for u in job.updates]
    for stage in ("read", "segment", "mesh", "write"):
        assert stage in stages
    table = json.loads((out / "structures.json").read_text())
    assert {r["name"] for r in table} >= {"body", "bone", "fat", "soft_tissue"}


def test_cancelled_import_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "s"
    started = threading.Event()

    def on_update(u: JobUpdate) -> None:
        if u.stage == "segment":
            started.set()

    job = start_import(sample_path("ct_abdomen_3mm"), out, on_update=on_update, modality="CT")
    assert started.wait(60)
    job.cancel()
    assert job.wait(60)
    assert job.state == "cancelled" and job.error_code == "cancelled"
    assert _leftovers(tmp_path) == []


def _expect_failure(source, tmp_path: Path, code: str, **options) -> Job:
    out = tmp_path / "out" / "study"
    job = _run(source, out, **options)
    assert job.state == "failed"
    assert job.error_code == code, job.error
    assert _leftovers(out.parent) == []
    return job


def test_failure_not_dicom(tmp_path: Path) -> None:
    bad = tmp_path / "upload.bin"
    bad.write_bytes(b"\x00\x01garbage" * 100)
    job = _expect_failure(bad, tmp_path, "not-dicom")
    assert "not DICOM" in (job.error or "")


def test_failure_missing_slices(tmp_path: Path) -> None:
    write_series(tmp_path / "s", np.zeros((8, 8, 6), np.float32), np.diag([1.0, 1.0, 2.0, 1.0]), skip=(2,))
    _expect_failure(tmp_path / "s", tmp_path, "missing-slices")


def test_failure_mixed_series_without_choice(tmp_path: Path) -> None:
    write_series(tmp_path / "s", np.zeros((8, 8, 3), np.float32), np.eye(4), prefix="A")
    write_series(tmp_path / "s", np.zeros((8, 8, 4), np.float32), np.eye(4), prefix="B")
    job = _expect_failure(tmp_path / "s", tmp_path, "mixed-series")
    assert "found 2" in (job.error or "")


def test_failure_unsupported_transfer_syntax(tmp_path: Path) -> None:
    write_series(tmp_path / "s", np.zeros((8, 8, 2), np.float32), np.eye(4), syntax="1.2.840.10008.1.2.4.100")
    _expect_failure(tmp_path / "s", tmp_path, "unsupported-transfer-syntax")


def test_failure_label_grid_mismatch(tmp_path: Path) -> None:
    write_nifti(Volume(np.ones((9, 9, 9), np.uint8), np.diag([4.0, 4.0, 4.0, 1.0])), tmp_path / "labels.nii.gz")
    job = _expect_failure(sample_path("ct_abdomen_3mm"), tmp_path, "label-grid-mismatch", label_map=tmp_path / "labels.nii.gz")
    assert "image grid" in (job.error or "")


def test_existing_study_is_not_overwritten_unless_asked(tmp_path: Path) -> None:
    out = tmp_path / "s"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    job = _run(sample_path("ct_abdomen_3mm"), out)
    assert job.error_code == "invalid-study" and (out / "keep.txt").exists()


def test_import_with_label_map_and_kept_originals(tmp_path: Path) -> None:
    out = tmp_path / "s"
    manifest = import_study(
        sample_path("ct_abdomen_20slices_uncompressed"),
        out,
        label_map=sample_path("ct_abdomen_20slices_seg_totalseg_v2"),
        label_names=sample_path("labels_totalseg_v2"),
        keep_originals=True,
        triangle_budget=60_000,
    )
    assert manifest["originals_kept"] == 20 and manifest["originals_deidentified"] is True
    assert sorted(p.name for p in (out / "originals").iterdir()) == [f"original-{n:04d}.dcm" for n in range(1, 21)]
    names = {r["name"] for r in json.loads((out / "structures.json").read_text())}
    assert {"liver", "aorta"} <= names
    deid = json.loads((out / "deid.json").read_text())
    assert "InstitutionAddress" in deid["removed"] and deid["values_recorded"] is False
    assert "Petersgraben" not in (out / "study.json").read_text()
    assert all(b"Petersgraben" not in p.read_bytes() for p in (out / "originals").iterdir())
    assert manifest["labels"]["source"] == "nifti"  # not the label map's file name


def test_job_lifecycle_start_twice_and_internal_errors() -> None:
    job: Job[int] = Job(lambda ctx: 1 // 0)
    job.start()
    with pytest.raises(RuntimeError, match="already started"):
        job.start()
    assert job.wait(10)
    assert job.state == "failed" and job.error_code == "internal"
    assert "ZeroDivisionError" in (job.error or "")


def test_study_folder_serves_the_scene_and_slices(tmp_path: Path) -> None:
    from medverse.imaging.study import StudyFolder

    import_study(sample_path("ct_abdomen_3mm"), tmp_path / "s", modality="CT", working_mm=3.0)
    study = StudyFolder(tmp_path / "s")
    assert study.glb_path.read_bytes()[:4] == b"glTF"
    assert {r["name"] for r in study.structures} >= {"body", "bone"}
    img = study.render_slice("sagittal", preset="bone", overlay=True)
    assert img.pixels.ndim == 3 and study.volume() is study.volume()
    assert study.labels() is not None and study.labels().structures[1].envelope  # type: ignore[union-attr]


# -- the study's title ----------------------------------------------------------------------------
def test_the_title_is_the_importers_and_never_a_file_name(tmp_path: Path) -> None:
    from tests.imaging.conftest import write_phi_series

    source = write_phi_series(tmp_path / "DOE^JANE", extra={"BodyPartExamined": "ABDOMEN"})[0].parent
    given = import_study(
        source, tmp_path / "a", title="  Teaching case:\n liver\tlesion ", triangle_budget=20_000, working_mm=3.0
    )
    assert given["title"] == "Teaching case: liver lesion"
    default = import_study(source, tmp_path / "b", triangle_budget=20_000, working_mm=3.0)
    assert default["title"] == "Uploaded CT study (abdomen)"
    assert json.loads((tmp_path / "b" / "study.json").read_text())["title"] == default["title"]
    blank = import_study(source, tmp_path / "c", title=" \x00 ", triangle_budget=20_000, working_mm=3.0)
    assert blank["title"] == "Uploaded CT study (abdomen)"


def test_study_title_defaults() -> None:
    from medverse.imaging.jobs import study_title

    assert study_title(None, "MR") == "Uploaded MR study"
    assert study_title(None, "OT") == "Uploaded imaging study"
    assert study_title("x" * 300, "CT") == "x" * 120
