"""Versioned schema migrations.

Each migration has a number and a name and runs once, in order, inside a transaction; the
``schema_version`` table records which have run. Add a migration by appending to ``MIGRATIONS``;
never edit one that has shipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine, inspect, select, text

from medverse.store import models

Migration = tuple[int, str, Callable[[Connection], None]]


def _m0001_initial(conn: Connection) -> None:
    tables = [
        models.users,
        models.sessions,
        models.spaces,
        models.space_members,
        models.events,
        models.snapshots,
        models.audit_log,
    ]
    for table in tables:
        table.create(conn, checkfirst=True)


def _m0002_audit_append_only(conn: Connection) -> None:
    """The audit log refuses UPDATE and DELETE at the database level, not just in the API."""
    if conn.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            conn.execute(
                text(
                    f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{op.lower()} BEFORE {op} ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
                )
            )
    elif conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "CREATE OR REPLACE FUNCTION medverse_audit_append_only() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                "FOR EACH ROW EXECUTE FUNCTION medverse_audit_append_only()"
            )
        )


MIGRATIONS: list[Migration] = [
    (1, "initial schema", _m0001_initial),
    (2, "audit log append-only triggers", _m0002_audit_append_only),
]


def current_version(engine: Engine) -> int:
    if not inspect(engine).has_table("schema_version"):
        return 0
    with engine.connect() as conn:
        rows = conn.execute(select(models.schema_version.c.version)).scalars().all()
    return max(rows, default=0)


def upgrade(engine: Engine) -> list[str]:
    """Run every migration not yet applied; returns the names of those that ran."""
    models.schema_version.create(engine, checkfirst=True)
    done = current_version(engine)
    ran: list[str] = []
    for version, name, fn in MIGRATIONS:
        if version <= done:
            continue
        with engine.begin() as conn:
            fn(conn)
            conn.execute(models.schema_version.insert().values(version=version, name=name, applied_at=time.time()))
        ran.append(f"{version:04d} {name}")
    return ran


def latest_version() -> int:
    return MIGRATIONS[-1][0]
