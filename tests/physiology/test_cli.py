from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from medverse.cli import main


def test_medverse_help_does_not_import_the_engine() -> None:
    code = (
        "import sys, medverse.cli; "
        "bad = [m for m in ('numpy', 'scipy', 'matplotlib', 'numba', 'medverse.physiology.engine') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.slow  # ten simulated minutes with waveforms and a plot, ~10 s
def test_run_writes_csv_and_plot(tmp_path: Path) -> None:
    csv_path = tmp_path / "r.csv"
    png = tmp_path / "r.png"
    waves = tmp_path / "w.npz"
    r = CliRunner().invoke(
        main, ["physiology", "run", "resting_adult", "--out", str(csv_path), "--plot", str(png), "--waveforms", str(waves)]
    )
    assert r.exit_code == 0, r.output
    assert "x real time" in r.output
    header = csv_path.read_text().splitlines()[0]
    assert header.startswith("time_s,hr_per_min,sbp_mmHg")
    assert len(csv_path.read_text().splitlines()) == 601
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert waves.stat().st_size > 1000


def test_run_refuses_a_bad_file_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nduration: {value: 1, unit: min}\nactions:\n  - at: {value: 1, unit: s}\n    action: fly\n")
    r = CliRunner().invoke(main, ["physiology", "run", str(bad)])
    assert r.exit_code != 0
    assert "line 5" in r.output and "fly" in r.output


def test_list_scenarios() -> None:
    r = CliRunner().invoke(main, ["physiology", "list-scenarios"])
    assert r.exit_code == 0 and "resting_adult" in r.output
