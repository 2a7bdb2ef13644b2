"""What the welcome tells a browser about media: the ICE servers, with coturn's time-limited TURN
credentials (the REST scheme coturn checks with its static-auth-secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from medverse.config import load_settings
from medverse.spaces.media import TURN_CREDENTIAL_TTL_S, ice_servers


def test_no_ice_servers_by_default() -> None:
    assert ice_servers(load_settings({}), user_id=3) == []


def test_stun_and_turn_urls_with_time_limited_credentials() -> None:
    settings = load_settings(
        {
            "MEDVERSE_ICE_SERVERS": "stun:stun.example.org:3478, turn:turn.example.org:3478?transport=udp,"
            "turns:turn.example.org:5349",
            "MEDVERSE_TURN_SECRET": "s3cret",
        }
    )
    stun, turn = ice_servers(settings, user_id=3, now=1_000_000)
    assert stun == {"urls": ["stun:stun.example.org:3478"]}
    assert turn["urls"] == ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]
    assert turn["username"] == f"{1_000_000 + TURN_CREDENTIAL_TTL_S}:3"
    # what coturn computes from its static-auth-secret for that user name
    expected = base64.b64encode(hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected
    assert "s3cret" not in repr(settings)


def test_turn_without_a_secret_has_no_credentials() -> None:
    settings = load_settings({"MEDVERSE_ICE_SERVERS": "turn:turn.example.org:3478"})
    assert ice_servers(settings, user_id=1) == [{"urls": ["turn:turn.example.org:3478"]}]
