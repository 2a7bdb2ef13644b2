"""Device cookies: a browser that has signed in as a user may keep trying that user name.

After a successful sign-in the server sets a long-lived cookie naming the user and a random
token, signed with the site key. It grants nothing by itself (it is not a session); it only tells
the sign-in throttle that this browser once knew the password, so a stranger's failures on the
same name do not keep the real user out (see :mod:`medverse.auth.throttle`).
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

DEVICE_COOKIE = "medverse_device"
DEVICE_COOKIE_PATH = "/api/auth"  # sent to the sign-in endpoints only
DEVICE_MAX_AGE_S = 180 * 24 * 3600


class DeviceTokens:
    def __init__(self, secret_key: str, max_age_s: int = DEVICE_MAX_AGE_S) -> None:
        self._signer = URLSafeTimedSerializer(secret_key, salt="medverse-device")
        self.max_age_s = max_age_s

    def __repr__(self) -> str:
        return "DeviceTokens(secret=****)"

    def issue(self, username: str) -> str:
        """A cookie value for a browser that just signed in as ``username``."""
        return self._signer.dumps([username, secrets.token_urlsafe(12)])

    def token_for(self, cookie: str | None, username: str) -> str | None:
        """The device token of a valid cookie issued for ``username``, else None."""
        if not cookie:
            return None
        try:
            value = self._signer.loads(cookie, max_age=self.max_age_s)
        except BadSignature:
            return None
        if not isinstance(value, list) or len(value) != 2 or value[0] != username or not isinstance(value[1], str):
            return None
        return value[1]
