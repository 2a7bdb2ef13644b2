"""Database tables (SQLAlchemy Core). The schema is created and upgraded by migrations.py."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

spaces = Table(
    "spaces",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    # the sequence number of the last event appended (the log's head)
    Column("head_seq", BigInteger, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
)

space_members = Table(
    "space_members",
    metadata,
    Column("space_id", Integer, ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(32), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("space_id", Integer, ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("data", JSON, nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("cmd_id", String(64), nullable=True),
    Column("ts", Float, nullable=False),
    Index("ix_events_cmd", "space_id", "cmd_id"),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("space_id", Integer, ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("state", JSON, nullable=False),
    Column("ts", Float, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("actor", String(64), nullable=True),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=True),
    Column("detail", JSON, nullable=True),
    Column("ip", String(64), nullable=True),
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("applied_at", Float, nullable=False),
    UniqueConstraint("name"),
)

__all__ = [
    "audit_log",
    "events",
    "metadata",
    "schema_version",
    "sessions",
    "snapshots",
    "space_members",
    "spaces",
    "users",
]
