"""One version: ``medverse.__version__`` is the source; the package metadata, the CLI, the health
route, the web client's package.json and the changelog all say the same."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import medverse
from medverse.app.routers.admin import health

ROOT = Path(__file__).resolve().parents[1]


def test_the_version_is_a_release_number() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", medverse.__version__), medverse.__version__


def test_pyproject_takes_the_version_from_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "medverse.__version__"}


def test_the_installed_distribution_has_the_same_version() -> None:
    # differs after a version bump until the package is installed again (scripts/bootstrap.sh does it)
    assert importlib.metadata.version("medverse") == medverse.__version__


def test_the_cli_reports_the_version() -> None:
    r = subprocess.run([sys.executable, "-m", "medverse.cli", "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"medverse, version {medverse.__version__}"


def test_the_health_route_reports_the_version() -> None:
    assert asyncio.run(health()) == {"status": "ok", "version": medverse.__version__}


def test_the_web_client_and_the_changelog_have_the_same_version() -> None:
    assert json.loads((ROOT / "web" / "package.json").read_text())["version"] == medverse.__version__
    changelog = (ROOT / "CHANGELOG.md").read_text()
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, flags=re.M)
    assert released and released[0] == medverse.__version__, released
