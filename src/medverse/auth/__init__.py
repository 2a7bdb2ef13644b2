"""Accounts, sessions, roles and the audit log."""

from medverse.auth.passwords import hash_password, verify_password
from medverse.auth.roles import INSTRUCTOR, OBSERVER, PARTICIPANT, ROLES, at_least
from medverse.auth.sessions import COOKIE_NAME, SessionManager

__all__ = [
    "COOKIE_NAME",
    "INSTRUCTOR",
    "OBSERVER",
    "PARTICIPANT",
    "ROLES",
    "SessionManager",
    "at_least",
    "hash_password",
    "verify_password",
]
