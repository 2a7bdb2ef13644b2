"""Accounts, sessions, roles and the audit log."""

from medverse.auth.devices import DEVICE_COOKIE, DeviceTokens
from medverse.auth.hashpool import HashingBusy, HashPool
from medverse.auth.passwords import hash_password, verify_password
from medverse.auth.roles import INSTRUCTOR, OBSERVER, PARTICIPANT, ROLES, at_least
from medverse.auth.sessions import COOKIE_NAME, SessionManager
from medverse.auth.throttle import SignInThrottle, Throttled, ThrottlePolicy

__all__ = [
    "COOKIE_NAME",
    "DEVICE_COOKIE",
    "INSTRUCTOR",
    "OBSERVER",
    "PARTICIPANT",
    "ROLES",
    "DeviceTokens",
    "HashPool",
    "HashingBusy",
    "SessionManager",
    "SignInThrottle",
    "ThrottlePolicy",
    "Throttled",
    "at_least",
    "hash_password",
    "verify_password",
]
