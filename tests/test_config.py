"""Settings come from the environment once; secrets never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from medverse.config import load_settings


def test_environment_is_read_and_typed(tmp_path: Path) -> None:
    s = load_settings(
        {"MEDVERSE_PORT": "9001", "MEDVERSE_METRICS": "yes", "MEDVERSE_PRESENCE_HZ": "30", "MEDVERSE_DATA_DIR": str(tmp_path)}
    )
    assert s.port == 9001 and s.metrics is True and s.presence_hz == 30.0 and s.data_dir == tmp_path
    assert s.effective_database_url == f"sqlite:///{tmp_path / 'medverse.db'}"


def test_bad_values_name_the_variable() -> None:
    with pytest.raises(ValueError, match="MEDVERSE_PORT"):
        load_settings({"MEDVERSE_PORT": "eighty"})


def test_secrets_stay_out_of_reprs(tmp_path: Path) -> None:
    s = load_settings(
        {
            "MEDVERSE_SECRET_KEY": "super-secret-key",
            "MEDVERSE_DATABASE_URL": "postgresql://medverse:hunter2@db/medverse",
            "MEDVERSE_DATA_DIR": str(tmp_path),
        }
    )
    text = repr(s) + str(s)
    assert "super-secret-key" not in text and "hunter2" not in text
    assert s.resolved_secret_key() == "super-secret-key"


def test_generated_secret_key_is_kept_private(tmp_path: Path) -> None:
    s = load_settings({"MEDVERSE_DATA_DIR": str(tmp_path)})
    key = s.resolved_secret_key()
    assert len(key) > 40 and s.resolved_secret_key() == key
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
