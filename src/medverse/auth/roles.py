"""Roles in a space. A site admin acts as instructor everywhere."""

from __future__ import annotations

INSTRUCTOR = "instructor"
PARTICIPANT = "participant"
OBSERVER = "observer"

ROLES = (INSTRUCTOR, PARTICIPANT, OBSERVER)
_RANK = {OBSERVER: 0, PARTICIPANT: 1, INSTRUCTOR: 2}


def at_least(role: str, needed: str) -> bool:
    """True when ``role`` has every right of ``needed``."""
    return _RANK.get(role, -1) >= _RANK[needed]
