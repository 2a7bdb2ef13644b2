"""Forwarded headers are believed only from trusted proxies; cookies are Secure over HTTPS.

The client address a server sees is read back from the audit log (every failed sign-in records
it); the scheme shows in the cookies' Secure flag and in Strict-Transport-Security.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server behind a proxy on 127.0.0.1 (and on 10.0.0.0/8, to test a chain of proxies)."""
    s = LiveServer(tmp_path_factory.mktemp("proxied"), env={"MEDVERSE_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"})
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def cookie_secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    s = LiveServer(tmp_path_factory.mktemp("secure"), env={"MEDVERSE_COOKIE_SECURE": "true"})
    s.start()
    yield s
    s.stop()


def seen_address(server: LiveServer, headers: dict[str, str]) -> str:
    """The client address the server recorded for a failed sign-in sent with ``headers``."""
    name = f"probe{secrets.token_hex(4)}"
    r = httpx.post(
        server.url + "/api/auth/login", json={"username": name, "password": "wrong-guess"}, headers=headers, timeout=30
    )
    assert r.status_code == 401, r.text
    with server.login("admin") as admin:
        entries = admin.get("/api/audit", params={"limit": 100}).json()["entries"]
    return str(next(e["ip"] for e in entries if e["action"] == "auth.login_failed" and e["target"] == name))


def sign_in(server: LiveServer, headers: dict[str, str]) -> httpx.Response:
    r = httpx.post(
        server.url + "/api/auth/login", json={"username": "sam", "password": "student-demo"}, headers=headers, timeout=30
    )
    assert r.status_code == 200, r.text
    return r


def set_cookies(r: httpx.Response) -> dict[str, str]:
    return {v.split("=", 1)[0]: v.lower() for v in r.headers.get_list("set-cookie")}


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(live_server: LiveServer) -> None:
    # the session's server trusts no proxy: 127.0.0.1 is just a client that makes headers up
    assert seen_address(live_server, {"X-Forwarded-For": "203.0.113.9"}) == "127.0.0.1"
    r = sign_in(live_server, {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert all("secure" not in c for c in set_cookies(r).values())
    assert "strict-transport-security" not in r.headers


def test_a_trusted_proxy_gives_the_right_most_untrusted_address(proxied: LiveServer) -> None:
    assert seen_address(proxied, {"X-Forwarded-For": "203.0.113.9"}) == "203.0.113.9"
    # the client wrote the left part itself: only the address our proxy appended counts
    assert seen_address(proxied, {"X-Forwarded-For": "6.6.6.6, 203.0.113.10"}) == "203.0.113.10"
    # addresses of trusted proxies in the chain are skipped, over several headers too
    assert seen_address(proxied, {"X-Forwarded-For": "6.6.6.6, 203.0.113.11, 10.1.2.3"}) == "203.0.113.11"
    two_headers = [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "203.0.113.12, 10.9.9.9")]
    name = f"probe{secrets.token_hex(4)}"
    httpx.post(
        proxied.url + "/api/auth/login", json={"username": name, "password": "wrong-guess"}, headers=two_headers, timeout=30
    )
    with proxied.login("admin") as admin:
        entries = admin.get("/api/audit", params={"limit": 100}).json()["entries"]
    assert next(e["ip"] for e in entries if e["target"] == name) == "203.0.113.12"
    # no header: the proxy's own address
    assert seen_address(proxied, {}) == "127.0.0.1"


def test_cookies_are_secure_when_a_trusted_proxy_says_https(proxied: LiveServer) -> None:
    r = sign_in(proxied, {"X-Forwarded-For": "203.0.113.20", "X-Forwarded-Proto": "https"})
    cookies = set_cookies(r)
    assert set(cookies) == {"medverse_session", "medverse_device"}
    assert all("; secure" in c and "httponly" in c for c in cookies.values())
    assert "samesite=lax" in cookies["medverse_session"] and "samesite=strict" in cookies["medverse_device"]
    assert r.headers["strict-transport-security"].startswith("max-age=")
    # signing out over HTTPS deletes the cookie with the same attributes
    out = httpx.post(
        proxied.url + "/api/auth/logout",
        cookies={"medverse_session": r.cookies["medverse_session"]},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert out.status_code == 204 and "; secure" in set_cookies(out)["medverse_session"]

    plain = sign_in(proxied, {"X-Forwarded-For": "203.0.113.20", "X-Forwarded-Proto": "http"})
    assert all("secure" not in c for c in set_cookies(plain).values())
    assert "strict-transport-security" not in plain.headers


def test_cookie_secure_setting_makes_cookies_secure_over_plain_http(cookie_secure: LiveServer) -> None:
    cookies = set_cookies(sign_in(cookie_secure, {}))
    assert cookies and all("; secure" in c for c in cookies.values())
