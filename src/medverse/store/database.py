"""The database: engine set-up for SQLite and PostgreSQL, and the queries the server needs.

All methods are synchronous; the server calls them from a worker thread
(``asyncio.to_thread``) so the event loop never blocks on the disk.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, make_url, select, update
from sqlalchemy.exc import IntegrityError

from medverse.errors import Conflict, NotFound
from medverse.store import migrations, models


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    is_admin: bool

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "is_admin": self.is_admin,
        }


@dataclass(frozen=True)
class SpaceRow:
    id: int
    name: str
    kind: str
    title: str
    head_seq: int

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "title": self.title}


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    name: str
    data: dict[str, Any]
    actor_id: int | None
    cmd_id: str | None
    ts: float


def _user(row: Any) -> User:
    return User(row.id, row.username, row.display_name, bool(row.is_admin))


def _space(row: Any) -> SpaceRow:
    return SpaceRow(row.id, row.name, row.kind, row.title, int(row.head_seq))


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if missing and make it owner-only (0o700).

    The data folder holds the database, the secret key and imported studies (patient data).
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _owner_only(path, 0o700)
    return path


def _owner_only(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(mode)
    except OSError as exc:  # not ours to change (e.g. another owner): say so, carry on
        logging.getLogger("medverse.store").warning("could not make %s owner-only: %s", path, exc)


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite file owner-only (0o600) before SQLite does (it would use the umask,
    typically world-readable); SQLite gives its -wal and -shm files the database file's mode."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite will say so
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for p in (path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
        if p.exists():
            _owner_only(p, 0o600)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy's begin listener emit BEGIN
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")  # an acknowledged event survives power loss
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # writers take the lock up front so two processes never interleave appends
            if conn.get_execution_options().get("write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """Every query medverse makes, over one SQLAlchemy engine."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    def __repr__(self) -> str:
        return f"Database(dialect={self.engine.dialect.name!r})"

    def upgrade(self) -> list[str]:
        return migrations.upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(write=True) as conn:
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    # --- users ---------------------------------------------------------------------------
    def create_user(self, username: str, display_name: str, password_hash: str, is_admin: bool = False) -> User:
        try:
            with self.write() as conn:
                new_id = conn.execute(
                    insert(models.users).values(
                        username=username,
                        display_name=display_name,
                        password_hash=password_hash,
                        is_admin=is_admin,
                        created_at=time.time(),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
        except IntegrityError as exc:
            raise Conflict(f"a user named {username!r} already exists") from exc
        return User(int(new_id), username, display_name, is_admin)

    def user_by_username(self, username: str) -> tuple[User, str] | None:
        with self.read() as conn:
            row = conn.execute(select(models.users).where(models.users.c.username == username)).first()
        return (_user(row), row.password_hash) if row else None

    def user(self, user_id: int) -> User | None:
        with self.read() as conn:
            row = conn.execute(select(models.users).where(models.users.c.id == user_id)).first()
        return _user(row) if row else None

    def users(self) -> list[User]:
        with self.read() as conn:
            rows = conn.execute(select(models.users).order_by(models.users.c.id)).all()
        return [_user(r) for r in rows]

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self.write() as conn:
            conn.execute(update(models.users).where(models.users.c.id == user_id).values(password_hash=password_hash))

    # --- sessions ------------------------------------------------------------------------
    def create_session(self, session_id: str, user_id: int, max_age_s: float) -> None:
        now = time.time()
        with self.write() as conn:
            conn.execute(
                insert(models.sessions).values(
                    id=session_id,
                    user_id=user_id,
                    created_at=now,
                    expires_at=now + max_age_s,
                    revoked=False,
                )
            )

    def session_user(self, session_id: str) -> User | None:
        """The user of a live session, or None when unknown, expired or revoked."""
        s, u = models.sessions, models.users
        with self.read() as conn:
            row = conn.execute(
                select(u)
                .join(s, s.c.user_id == u.c.id)
                .where(s.c.id == session_id, s.c.revoked.is_(False), s.c.expires_at > time.time())
            ).first()
        return _user(row) if row else None

    def live_sessions(self, session_ids: Sequence[str]) -> set[str]:
        """Those of ``session_ids`` that are neither expired nor revoked."""
        s = models.sessions
        with self.read() as conn:
            rows = conn.execute(
                select(s.c.id).where(s.c.id.in_(list(session_ids)), s.c.revoked.is_(False), s.c.expires_at > time.time())
            ).all()
        return {r.id for r in rows}

    def revoke_session(self, session_id: str) -> None:
        with self.write() as conn:
            conn.execute(update(models.sessions).where(models.sessions.c.id == session_id).values(revoked=True))

    # --- spaces and members ----------------------------------------------------------------
    def create_space(self, name: str, kind: str, title: str) -> SpaceRow:
        try:
            with self.write() as conn:
                new_id = conn.execute(
                    insert(models.spaces).values(name=name, kind=kind, title=title, head_seq=0, created_at=time.time())
                ).inserted_primary_key[0]  # type: ignore[index]
        except IntegrityError as exc:
            raise Conflict(f"a space named {name!r} already exists") from exc
        return SpaceRow(int(new_id), name, kind, title, 0)

    def space(self, name: str) -> SpaceRow | None:
        with self.read() as conn:
            row = conn.execute(select(models.spaces).where(models.spaces.c.name == name)).first()
        return _space(row) if row else None

    def spaces(self) -> list[SpaceRow]:
        with self.read() as conn:
            rows = conn.execute(select(models.spaces).order_by(models.spaces.c.id)).all()
        return [_space(r) for r in rows]

    def set_member(self, space_id: int, user_id: int, role: str, conn: Connection | None = None) -> None:
        def run(c: Connection) -> None:
            m = models.space_members
            c.execute(delete(m).where(m.c.space_id == space_id, m.c.user_id == user_id))
            c.execute(insert(m).values(space_id=space_id, user_id=user_id, role=role))

        if conn is not None:
            run(conn)
        else:
            with self.write() as c:
                run(c)

    def remove_member(self, space_id: int, user_id: int, conn: Connection) -> None:
        m = models.space_members
        conn.execute(delete(m).where(m.c.space_id == space_id, m.c.user_id == user_id))

    def member_role(self, space_id: int, user_id: int) -> str | None:
        m = models.space_members
        with self.read() as conn:
            return conn.execute(select(m.c.role).where(m.c.space_id == space_id, m.c.user_id == user_id)).scalar()

    def memberships(self, user_id: int) -> dict[int, str]:
        m = models.space_members
        with self.read() as conn:
            rows = conn.execute(select(m.c.space_id, m.c.role).where(m.c.user_id == user_id)).all()
        return {r.space_id: r.role for r in rows}

    def members(self, space_id: int) -> list[tuple[User, str]]:
        m, u = models.space_members, models.users
        with self.read() as conn:
            rows = conn.execute(select(u, m.c.role).join(m, m.c.user_id == u.c.id).where(m.c.space_id == space_id)).all()
        return [(_user(r), r.role) for r in rows]

    # --- event log -------------------------------------------------------------------------
    def lock_head(self, conn: Connection, space_id: int) -> int:
        """Inside a write transaction: lock the space's log and return its head sequence."""
        q = select(models.spaces.c.head_seq).where(models.spaces.c.id == space_id)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        head = conn.execute(q).scalar()
        if head is None:
            raise NotFound(f"space {space_id} does not exist")
        return int(head)

    def append_events(self, conn: Connection, space_id: int, evs: Sequence[StoredEvent]) -> None:
        if not evs:
            return
        conn.execute(
            insert(models.events),
            [
                {
                    "space_id": space_id,
                    "seq": e.seq,
                    "name": e.name,
                    "data": e.data,
                    "actor_id": e.actor_id,
                    "cmd_id": e.cmd_id,
                    "ts": e.ts,
                }
                for e in evs
            ],
        )
        conn.execute(update(models.spaces).where(models.spaces.c.id == space_id).values(head_seq=evs[-1].seq))

    def events_since(
        self, space_id: int, after_seq: int, limit: int | None = None, conn: Connection | None = None
    ) -> list[StoredEvent]:
        e = models.events
        q = select(e).where(e.c.space_id == space_id, e.c.seq > after_seq).order_by(e.c.seq)
        if limit is not None:
            q = q.limit(limit)
        if conn is not None:
            rows = conn.execute(q).all()
        else:
            with self.read() as c:
                rows = c.execute(q).all()
        return [StoredEvent(r.seq, r.name, r.data, r.actor_id, r.cmd_id, r.ts) for r in rows]

    def command_seq(self, conn: Connection, space_id: int, actor_id: int, cmd_id: str) -> int | None:
        """The last sequence number a command of this sender produced, if it was applied already.

        Command ids are chosen by clients, so they are unique per sender only: another user's
        command with the same id is a different command.
        """
        e = models.events
        return conn.execute(
            select(func.max(e.c.seq)).where(e.c.space_id == space_id, e.c.cmd_id == cmd_id, e.c.actor_id == actor_id)
        ).scalar()

    def save_snapshot(self, space_id: int, seq: int, state: dict[str, Any]) -> None:
        with self.write() as conn:
            s = models.snapshots
            exists = conn.execute(select(s.c.seq).where(s.c.space_id == space_id, s.c.seq == seq)).first()
            if not exists:
                conn.execute(insert(s).values(space_id=space_id, seq=seq, state=state, ts=time.time()))
            # keep the three newest snapshots
            old = conn.execute(select(s.c.seq).where(s.c.space_id == space_id).order_by(s.c.seq.desc()).offset(3)).scalars().all()
            if old:
                conn.execute(delete(s).where(s.c.space_id == space_id, s.c.seq.in_(old)))

    def latest_snapshot(self, space_id: int) -> tuple[int, dict[str, Any]] | None:
        s = models.snapshots
        with self.read() as conn:
            row = conn.execute(
                select(s.c.seq, s.c.state).where(s.c.space_id == space_id).order_by(s.c.seq.desc()).limit(1)
            ).first()
        return (int(row.seq), row.state) if row else None

    def head_seq(self, space_id: int) -> int:
        with self.read() as conn:
            return int(conn.execute(select(models.spaces.c.head_seq).where(models.spaces.c.id == space_id)).scalar() or 0)

    # --- audit -----------------------------------------------------------------------------
    def audit(
        self,
        action: str,
        *,
        actor: User | None = None,
        actor_id: int | None = None,
        actor_name: str | None = None,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        ip: str | None = None,
        conn: Connection | None = None,
    ) -> None:
        """Append to the audit log (inside ``conn``'s transaction when given)."""
        values = {
            "ts": time.time(),
            "actor_id": actor.id if actor else actor_id,
            "actor": actor.username if actor else actor_name,
            "action": action,
            "target": target,
            "detail": detail or {},
            "ip": ip,
        }
        if conn is not None:
            conn.execute(insert(models.audit_log).values(**values))
        else:
            with self.write() as c:
                c.execute(insert(models.audit_log).values(**values))

    def audit_entries(self, limit: int = 200) -> list[dict[str, Any]]:
        a = models.audit_log
        with self.read() as conn:
            rows = conn.execute(select(a).order_by(a.c.id.desc()).limit(limit)).all()
        return [dict(r._mapping) for r in rows]
