"""One exception tree for medverse.

Every error a client can cause maps to one of these; ``code`` is the stable machine-readable
name sent in HTTP problem JSON (as the last part of ``type``) and in WebSocket error frames.
Messages say what was expected and what arrived.
"""

from __future__ import annotations


class MedverseError(Exception):
    """Base of every error medverse raises on purpose."""

    code = "error"
    status = 500
    title = "Internal error"


class InvalidInput(MedverseError, ValueError):
    """The request or message is malformed or fails validation."""

    code = "invalid"
    status = 422
    title = "Invalid input"


class NotFound(MedverseError, LookupError):
    code = "not-found"
    status = 404
    title = "Not found"


class Conflict(MedverseError):
    code = "conflict"
    status = 409
    title = "Conflict"


class NotAuthenticated(MedverseError, PermissionError):
    code = "not-authenticated"
    status = 401
    title = "Not signed in"


class Forbidden(MedverseError, PermissionError):
    code = "forbidden"
    status = 403
    title = "Forbidden"


class TooLarge(MedverseError):
    code = "too-large"
    status = 413
    title = "Payload too large"


class RateLimited(MedverseError):
    code = "rate-limited"
    status = 429
    title = "Too many requests"


class MissingExtra(MedverseError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    code = "missing-extra"
    status = 501
    title = "Optional feature not installed"

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(f"{module!r} is not installed; install it with: pip install 'medverse[{extra}]'")
        self.module = module
        self.extra = extra


def optional_import(module: str, extra: str):  # type: ignore[no-untyped-def]
    """Import ``module`` or raise :class:`MissingExtra` naming the extra that provides it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(module, extra) from exc


class Unavailable(MedverseError):
    """The server could not do it now (e.g. the database refused a write); trying again may work."""

    code = "unavailable"
    status = 503
    title = "Service unavailable"


class ServerError(MedverseError):
    """A bug or a refusal deep in the server stopped one request; the server carries on."""

    code = "internal"
    status = 500
    title = "Internal error"
