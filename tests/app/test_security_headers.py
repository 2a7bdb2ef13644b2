"""Security headers on every response, and state-changing API requests from other sites refused."""

from __future__ import annotations

import re

import httpx
import pytest
from tests.conftest import LiveServer

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert set(body) == PROBLEM_KEYS and body["status"] == status and body["code"] == code
    return body


def assert_security_headers(r: httpx.Response) -> None:
    csp = {d.split()[0]: d.split()[1:] for d in r.headers["content-security-policy"].split("; ")}
    assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in r.headers  # plain HTTP (see test_auth_proxies for HTTPS)


def _asset(live_server: LiveServer) -> str:
    index = httpx.get(live_server.url + "/").text
    found = re.search(r'src="(/assets/[^"]+\.js)"', index)
    if not found:
        pytest.skip("the web client is not built (no /assets/*.js in index.html)")
    return found.group(1)


def test_every_kind_of_response_carries_the_security_headers(live_server: LiveServer) -> None:
    pages = {
        "/": 200,
        "/some/client/route": 200,
        "/api/health": 200,
        _asset(live_server): 200,
        "/api/nothing-here": 404,
        "/api/auth/me": 401,
    }
    for path, status in pages.items():
        r = httpx.get(live_server.url + path)
        assert r.status_code == status, path
        assert_security_headers(r)
    too_big = httpx.post(
        live_server.url + "/api/auth/login", content=b"x" * (2 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert_problem(too_big, 413, "too-large")
    assert_security_headers(too_big)
    refused = httpx.post(live_server.url + "/api/auth/logout", headers={"Origin": "https://evil.example"})
    assert_problem(refused, 403, "forbidden")
    assert_security_headers(refused)


def test_the_api_docs_page_may_load_swagger_but_not_be_framed(live_server: LiveServer) -> None:
    r = httpx.get(live_server.url + "/api/docs")
    assert r.status_code == 200 and "cdn.jsdelivr.net" in r.text
    csp = r.headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # sandboxed frames and some redirects
        {"Referer": "https://evil.example/page"},  # no Origin: the Referer decides
    ],
    ids=["origin", "null-origin", "referer"],
)
def test_a_cross_site_sign_out_is_refused_and_the_session_lives(live_server: LiveServer, headers: dict) -> None:
    with live_server.login("sam") as sam:
        body = assert_problem(sam.post("/api/auth/logout", headers=headers), 403, "forbidden")
        assert "cross-site" in body["detail"]
        assert sam.get("/api/auth/me").json()["user"]["username"] == "sam"


def test_another_port_of_the_same_host_is_another_site(live_server: LiveServer) -> None:
    """SameSite=Lax cookies do go along from http://127.0.0.1:<other port>; the Origin check does not let them through."""
    with live_server.login("sam") as sam:
        assert_problem(sam.post("/api/auth/logout", headers={"Origin": "http://127.0.0.1:1"}), 403, "forbidden")
        assert_problem(
            sam.post("/api/spaces", json={"name": "x-csrf", "kind": "commons"}, headers={"Origin": "http://127.0.0.1:1"}),
            403,
            "forbidden",
        )
        assert sam.get("/api/auth/me").status_code == 200


def test_a_cross_site_sign_in_is_refused(live_server: LiveServer) -> None:
    r = httpx.post(
        live_server.url + "/api/auth/login",
        json={"username": "sam", "password": "student-demo"},
        headers={"Origin": "https://evil.example"},
    )
    assert_problem(r, 403, "forbidden")
    assert "set-cookie" not in r.headers


def test_same_origin_and_header_less_requests_pass(live_server: LiveServer) -> None:
    with live_server.login("sam") as sam:
        # reading from another site is not refused here (CORS keeps the answer from its page)
        assert sam.get("/api/auth/me", headers={"Origin": "https://evil.example"}).status_code == 200
        assert sam.post("/api/auth/logout", headers={"Origin": live_server.url}).status_code == 204
    with live_server.login("sam") as sam:
        assert sam.post("/api/auth/logout", headers={"Referer": live_server.url + "/#/lobby"}).status_code == 204
    with live_server.login("sam") as sam:
        assert sam.post("/api/auth/logout").status_code == 204  # the CLI and scripts send neither header
