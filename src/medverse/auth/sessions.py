"""Session cookies: a random session id, signed so that forged cookies are refused unread."""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeSerializer

from medverse.errors import NotAuthenticated
from medverse.store import Database, User

COOKIE_NAME = "medverse_session"


class SessionManager:
    def __init__(self, db: Database, secret_key: str, max_age_s: int) -> None:
        self._db = db
        self._signer = URLSafeSerializer(secret_key, salt="medverse-session")
        self.max_age_s = max_age_s

    def __repr__(self) -> str:
        return "SessionManager(secret=****)"

    def start(self, user: User) -> tuple[str, str]:
        """Create a session for ``user``; returns (session id, cookie value)."""
        session_id = secrets.token_urlsafe(32)
        self._db.create_session(session_id, user.id, self.max_age_s)
        return session_id, self._signer.dumps(session_id)

    def session_id(self, cookie: str | None) -> str:
        if not cookie:
            raise NotAuthenticated("sign in first: no session cookie was sent")
        try:
            value = self._signer.loads(cookie)
        except BadSignature as exc:
            raise NotAuthenticated("the session cookie is not valid (bad signature)") from exc
        if not isinstance(value, str):
            raise NotAuthenticated("the session cookie is not valid")
        return value

    def user(self, cookie: str | None) -> tuple[str, User]:
        """The signed-in user for a cookie, or :class:`NotAuthenticated` saying why not."""
        session_id = self.session_id(cookie)
        user = self._db.session_user(session_id)
        if user is None:
            raise NotAuthenticated("the session has expired or was signed out; sign in again")
        return session_id, user

    def live(self, session_ids: list[str]) -> set[str]:
        """Those of ``session_ids`` that are still valid (not expired, not signed out)."""
        return self._db.live_sessions(session_ids)

    def end(self, session_id: str) -> None:
        self._db.revoke_session(session_id)
