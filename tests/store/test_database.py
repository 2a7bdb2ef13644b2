"""Storage against SQLite and PostgreSQL (a fresh database per test)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from medverse.errors import Conflict
from medverse.store import Database, StoredEvent
from medverse.store.migrations import current_version, latest_version


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    database.upgrade()
    yield database
    database.close()


def test_migrations_reach_latest_and_rerun_does_nothing(db: Database) -> None:
    assert current_version(db.engine) == latest_version()
    assert db.upgrade() == []


def test_usernames_are_unique(db: Database) -> None:
    db.create_user("ana", "Ana", "hash")
    with pytest.raises(Conflict, match="already exists"):
        db.create_user("ana", "Ana again", "hash")


def test_events_append_in_order_and_read_back(db: Database) -> None:
    space = db.create_space("lab", "commons", "Lab")
    evs = [StoredEvent(i, "chat.message", {"text": f"m{i}"}, 7, f"c{i}", 1.0) for i in (1, 2, 3)]
    with db.write() as conn:
        assert db.lock_head(conn, space.id) == 0
        db.append_events(conn, space.id, evs)
    assert db.head_seq(space.id) == 3
    got = db.events_since(space.id, 1)
    assert [e.seq for e in got] == [2, 3]
    assert got[0].data == {"text": "m2"}
    with db.read() as conn:
        assert db.command_seq(conn, space.id, 7, "c2") == 2
        assert db.command_seq(conn, space.id, 7, "nope") is None
        assert db.command_seq(conn, space.id, 8, "c2") is None  # command ids are unique per sender only


def test_duplicate_sequence_numbers_are_refused(db: Database) -> None:
    space = db.create_space("lab", "commons", "Lab")
    ev = StoredEvent(1, "x", {}, None, None, 1.0)
    with db.write() as conn:
        db.append_events(conn, space.id, [ev])
    with pytest.raises(DBAPIError):
        with db.write() as conn:
            db.append_events(conn, space.id, [ev])
    assert db.head_seq(space.id) == 1


def test_failed_transaction_leaves_no_events(db: Database) -> None:
    space = db.create_space("lab", "commons", "Lab")
    with pytest.raises(RuntimeError):
        with db.write() as conn:
            db.append_events(conn, space.id, [StoredEvent(1, "x", {}, None, None, 1.0)])
            raise RuntimeError("crash before commit")
    assert db.events_since(space.id, 0) == []
    assert db.head_seq(space.id) == 0


def test_snapshots_keep_the_newest_three(db: Database) -> None:
    space = db.create_space("lab", "commons", "Lab")
    for seq in (10, 20, 30, 40):
        db.save_snapshot(space.id, seq, {"n": seq})
    assert db.latest_snapshot(space.id) == (40, {"n": 40})
    with db.read() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM snapshots")).scalar()
    assert n == 3


def test_audit_log_cannot_be_edited_or_deleted(db: Database) -> None:
    db.audit("auth.login", target="ana", detail={"ok": True})
    for stmt in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.write() as conn:
                conn.execute(text(stmt))
    entries = db.audit_entries()
    assert [e["action"] for e in entries] == ["auth.login"]


def test_sessions_expire_and_revoke(db: Database) -> None:
    user = db.create_user("ana", "Ana", "hash")
    db.create_session("s1", user.id, 3600)
    db.create_session("s2", user.id, -1)
    assert db.session_user("s1") == user
    assert db.session_user("s2") is None
    db.revoke_session("s1")
    assert db.session_user("s1") is None


def test_repr_hides_credentials() -> None:
    pytest.importorskip("psycopg")
    db = Database("postgresql+psycopg://medverse:hunter2-secret@db.example:5432/medverse")  # never connects
    try:
        text = repr(db) + str(db)
        assert "postgresql" in text
        assert "hunter2-secret" not in text and "medverse:" not in text and "db.example" not in text
    finally:
        db.close()
