"""The data folder, the SQLite files and the secret key are readable by their owner only."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
from tests.conftest import LiveServer

from medverse.store import Database


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_served_data_folder_is_owner_only(fresh_server: LiveServer) -> None:
    data = fresh_server.data_dir
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o755)  # as a umask of 022 would leave it (LiveServer made it for its log)
    fresh_server.start()
    with fresh_server.login("sam") as sam:  # a write: the WAL is in use
        assert sam.post("/api/auth/logout").status_code == 204
    assert httpx.get(fresh_server.url + "/api/health").status_code == 200
    assert mode(data) == 0o700
    files = [data / "medverse.db", data / "medverse.db-wal", data / "medverse.db-shm", data / "secret.key"]
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_a_world_readable_database_from_before_is_made_owner_only(fresh_server: LiveServer) -> None:
    fresh_server.start()
    fresh_server.stop()
    db = fresh_server.data_dir / "medverse.db"
    db.chmod(0o644)
    fresh_server.data_dir.chmod(0o755)
    fresh_server.start()
    assert mode(db) == 0o600 and mode(fresh_server.data_dir) == 0o700


def test_a_new_database_file_is_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.close()
    assert mode(path) == 0o600
    Database("sqlite://").close()  # in memory: no file to make
