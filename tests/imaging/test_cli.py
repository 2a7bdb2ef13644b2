"""``medverse imaging ...`` commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from medverse.cli import main
from tests.imaging.conftest import sample_path, write_series


def test_cli_module_imports_only_click_and_the_standard_library() -> None:
    code = (
        "import sys; import medverse.imaging.cli; "
        "heavy = [m for m in ('numpy', 'scipy', 'pydicom', 'nibabel', 'skimage', 'PIL') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_imaging_group_is_registered() -> None:
    result = CliRunner().invoke(main, ["imaging", "--help"])
    assert result.exit_code == 0
    for command in ("info", "import", "slice", "samples", "reference-body"):
        assert command in result.output


def test_info_describes_the_sample_series() -> None:
    result = CliRunner().invoke(main, ["imaging", "info", str(sample_path("ct_abdomen_20slices_j2k")), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["volume"]["shape"] == [512, 512, 20]
    assert len(data["series"]) == 1


def test_info_on_mixed_series_lists_them_and_fails(tmp_path: Path) -> None:
    import numpy as np

    write_series(tmp_path, np.zeros((8, 8, 2), np.float32), np.eye(4), prefix="A")
    write_series(tmp_path, np.zeros((8, 8, 3), np.float32), np.eye(4), prefix="B")
    result = CliRunner().invoke(main, ["imaging", "info", str(tmp_path)])
    assert result.exit_code == 1
    assert "mixed-series" in result.output and "[1]" in result.output
    assert "synthetic" not in result.output  # the series description is never shown


def test_import_then_slice_a_study(tmp_path: Path) -> None:
    out = tmp_path / "study"
    result = CliRunner().invoke(
        main,
        ["imaging", "import", str(sample_path("ct_abdomen_3mm")), "--out", str(out), "--modality", "CT", "--working-mm", "3"],
    )
    assert result.exit_code == 0, result.output
    assert "structures" in result.output and (out / "scene.glb").is_file()
    result = CliRunner().invoke(
        main, ["imaging", "slice", str(out), "--out", str(tmp_path / "c.png"), "--plane", "coronal", "--preset", "bone"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["plane"] == "coronal"
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_import_failure_names_the_reason(tmp_path: Path) -> None:
    (tmp_path / "x.dcm").write_bytes(b"nope")
    result = CliRunner().invoke(main, ["imaging", "import", str(tmp_path / "x.dcm"), "--out", str(tmp_path / "s"), "--quiet"])
    assert result.exit_code == 1 and "[not-dicom]" in result.output
    assert not (tmp_path / "s").exists()


def test_samples_lists_and_verifies_the_registry() -> None:
    sample_path("ct_abdomen_3mm")
    result = CliRunner().invoke(main, ["imaging", "samples", "--verify"])
    assert result.exit_code == 0, result.output
    assert "ct_abdomen_20slices_j2k" in result.output and " ok" in result.output


def test_ctrl_c_cancels_an_import_and_leaves_nothing(tmp_path: Path) -> None:
    import os
    import signal
    import time

    out = tmp_path / "study"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "medverse.cli",
            "imaging",
            "import",
            str(sample_path("ct_abdomen_3mm")),
            "--out",
            str(out),
            "--modality",
            "CT",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + 180  # generous: CI machines can be heavily loaded
    while b"segment" not in seen and time.monotonic() < deadline:
        chunk = proc.stderr.read1(256)  # type: ignore[attr-defined]
        if not chunk:
            break
        seen += chunk
    assert b"segment" in seen, seen
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, (proc.returncode, out, err)
    assert b"nothing was written" in err
    assert list(tmp_path.iterdir()) == []


def test_import_takes_a_title_and_allows_burned_in_text_only_when_asked(tmp_path: Path) -> None:
    from tests.imaging.conftest import write_phi_series

    write_phi_series(tmp_path / "DOE^JANE", extra={"BurnedInAnnotation": "YES"})
    args = ["imaging", "import", str(tmp_path / "DOE^JANE"), "--quiet", "--budget", "20000", "--working-mm", "3"]
    refused = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a")])
    assert refused.exit_code == 1 and "[burned-in-annotation]" in refused.output
    assert "--allow-burned-in" in refused.output and not (tmp_path / "a").exists()
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "b"), "--allow-burned-in", "--title", "Teaching case 4"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "b" / "study.json").read_text())
    assert manifest["title"] == "Teaching case 4"
    assert json.loads((tmp_path / "b" / "deid.json").read_text())["burned_in_allowed"] is True
