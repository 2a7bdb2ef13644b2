"""The medverse CLI, run as a user would (a subprocess on a fresh data folder)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def medverse(data: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "medverse.cli", *args, "--data-dir", str(data)],
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
    )


@pytest.mark.slow  # each CLI run is a Python start-up (~1 s)
def test_users_and_spaces_from_the_command_line(tmp_path: Path) -> None:
    r = medverse(tmp_path, "user", "add", "boss", "--display-name", "The Boss", "--password", "boss-password", "--admin")
    assert r.returncode == 0, r.stderr
    assert "site admin" in r.stdout
    assert medverse(tmp_path, "user", "add", "ana", "--password", "ana-password").returncode == 0
    r = medverse(tmp_path, "space", "create", "anatomy-101", "--member", "ana:instructor", "--title", "Anatomy 101")
    assert r.returncode == 0, r.stderr
    listing = medverse(tmp_path, "space", "list").stdout
    assert "anatomy-101" in listing and "ana:instructor" in listing
    users = medverse(tmp_path, "user", "list").stdout
    assert "boss" in users and "The Boss" in users and "admin" in users


@pytest.mark.slow
def test_cli_errors_are_one_clear_line(tmp_path: Path) -> None:
    r = medverse(tmp_path, "space", "create", "x1")
    assert r.returncode != 0 and "create a site admin first" in r.stderr
    medverse(tmp_path, "user", "add", "boss", "--password", "boss-password", "--admin")
    cases = [
        (("user", "add", "boss", "--password", "boss-password"), "already exists"),
        (("user", "add", "weak", "--password", "short"), "at least 8 characters"),
        (("space", "create", "Bad Name"), "space name"),
        (("space", "create", "ok-space", "--kind", "warp"), "unknown space kind"),
        (("space", "create", "ok-space", "--member", "ghost:participant"), "no user named"),
        (("space", "create", "ok-space", "--member", "boss:king"), "role must be"),
    ]
    for args, message in cases:
        r = medverse(tmp_path, *args)
        assert r.returncode != 0, args
        assert message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_db_upgrade_is_idempotent(tmp_path: Path) -> None:
    first = medverse(tmp_path, "db", "upgrade")
    assert "0001 initial schema" in first.stdout
    assert "up to date" in medverse(tmp_path, "db", "upgrade").stdout


def test_help_is_fast_and_lists_the_engines() -> None:
    r = subprocess.run([sys.executable, "-m", "medverse.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    for group in ("serve", "user", "space", "db"):
        assert group in r.stdout
