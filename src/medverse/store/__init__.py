"""Storage: SQLAlchemy over SQLite (default) or PostgreSQL, with versioned migrations."""

from medverse.store.database import Database, SpaceRow, StoredEvent, User

__all__ = ["Database", "SpaceRow", "StoredEvent", "User"]
