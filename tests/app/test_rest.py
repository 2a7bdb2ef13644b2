"""REST API: sign-in, accounts, spaces, the audit log, and one error shape for everything."""

from __future__ import annotations

import http.client
import secrets

import httpx
import pytest
from tests.conftest import LiveServer

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status and body["code"] == code
    assert body["type"].endswith("/" + code) and body["detail"]
    return body


def test_health(live_server: LiveServer) -> None:
    r = httpx.get(live_server.url + "/api/health")
    assert r.json()["status"] == "ok"


def test_sign_in_sets_an_http_only_cookie_and_me_works(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as c:
        r = c.post("/api/auth/login", json={"username": "sam", "password": "student-demo"})
        assert r.status_code == 200
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert c.get("/api/auth/me").json()["user"]["username"] == "sam"
        assert c.post("/api/auth/logout").status_code == 204
        assert_problem(c.get("/api/auth/me"), 401, "not-authenticated")


def test_wrong_password_and_unknown_user_look_the_same(live_server: LiveServer) -> None:
    a = httpx.post(live_server.url + "/api/auth/login", json={"username": "sam", "password": "nope-nope"})
    b = httpx.post(live_server.url + "/api/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert assert_problem(a, 401, "not-authenticated")["detail"] == assert_problem(b, 401, "not-authenticated")["detail"]


def test_forged_cookie_is_refused(live_server: LiveServer) -> None:
    r = httpx.get(live_server.url + "/api/auth/me", cookies={"medverse_session": "eyJmb3JnZWQiOnRydWV9.abc"})
    assert "signature" in assert_problem(r, 401, "not-authenticated")["detail"]


def test_malformed_bodies_get_problem_json(live_server: LiveServer) -> None:
    r = httpx.post(live_server.url + "/api/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert_problem(r, 422, "invalid")
    r = httpx.post(live_server.url + "/api/auth/login", json={"username": 5})
    assert_problem(r, 422, "invalid")


def test_unknown_api_path_is_a_problem_not_the_client(live_server: LiveServer) -> None:
    assert_problem(httpx.get(live_server.url + "/api/nothing-here"), 404, "not-found")


def test_only_admins_create_users(live_server: LiveServer) -> None:
    name = f"u{secrets.token_hex(3)}"
    body = {"username": name, "display_name": "New Person", "password": "long-enough"}
    with live_server.login("ines") as ines:
        assert_problem(ines.post("/api/users", json=body), 403, "forbidden")
    with live_server.login("admin") as admin:
        r = admin.post("/api/users", json=body)
        assert r.status_code == 201 and r.json()["user"]["username"] == name
        assert_problem(admin.post("/api/users", json=body), 409, "conflict")
        assert_problem(admin.post("/api/users", json={**body, "username": "Bad Name!"}), 422, "invalid")
        assert_problem(admin.post("/api/users", json={**body, "username": "short-pw", "password": "x"}), 422, "invalid")
    with httpx.Client(base_url=live_server.url) as c:
        assert c.post("/api/auth/login", json={"username": name, "password": "long-enough"}).status_code == 200


def test_lobby_shows_only_my_spaces_with_my_role_and_who_is_in(live_server: LiveServer) -> None:
    with live_server.login("sam") as sam:
        spaces = {s["name"]: s for s in sam.get("/api/spaces").json()["spaces"]}
    assert spaces["commons-demo"]["my_role"] == "participant"
    assert isinstance(spaces["commons-demo"]["online"], list)
    with live_server.login("admin") as admin:
        name = f"private-{secrets.token_hex(3)}"
        assert admin.post("/api/spaces", json={"name": name, "kind": "commons"}).status_code == 201
    with live_server.login("sam") as sam:
        assert name not in [s["name"] for s in sam.get("/api/spaces").json()["spaces"]]
        assert_problem(sam.get(f"/api/spaces/{name}"), 404, "not-found")


def test_space_creation_validates_kind_name_and_members(live_server: LiveServer) -> None:
    with live_server.login("admin") as admin:
        assert_problem(admin.post("/api/spaces", json={"name": "ok-name", "kind": "warp-core"}), 404, "not-found")
        assert_problem(admin.post("/api/spaces", json={"name": "Bad Name", "kind": "commons"}), 422, "invalid")
        ghost = [{"username": "ghost", "role": "participant"}]
        r = admin.post("/api/spaces", json={"name": "x-members", "kind": "commons", "members": ghost})
        assert_problem(r, 404, "not-found")
        assert_problem(admin.post("/api/spaces", json={"name": "commons-demo", "kind": "commons"}), 409, "conflict")
        kinds = admin.get("/api/kinds").json()["kinds"]
        assert "commons" in [k["name"] for k in kinds]


def test_instructor_sets_roles_student_cannot(live_server: LiveServer) -> None:
    name = f"roles-{secrets.token_hex(3)}"
    with live_server.login("admin") as admin:
        admin.post(
            "/api/spaces",
            json={
                "name": name,
                "kind": "commons",
                "members": [{"username": "ines", "role": "instructor"}, {"username": "sam", "role": "participant"}],
            },
        )
    with live_server.login("sam") as sam:
        assert_problem(sam.put(f"/api/spaces/{name}/members/kim", json={"role": "participant"}), 403, "forbidden")
    with live_server.login("ines") as ines:
        assert ines.put(f"/api/spaces/{name}/members/kim", json={"role": "observer"}).status_code == 200
        members = {m["username"]: m["role"] for m in ines.get(f"/api/spaces/{name}").json()["space"]["members"]}
        assert members == {"ines": "instructor", "sam": "participant", "kim": "observer"}
        assert_problem(ines.put(f"/api/spaces/{name}/members/kim", json={"role": "god"}), 422, "invalid")


def test_audit_log_records_security_actions_and_is_read_only(live_server: LiveServer) -> None:
    with live_server.login("admin") as admin:
        admin.post("/api/users", json={"username": f"aud{secrets.token_hex(3)}", "display_name": "A", "password": "long-enough"})
        entries = admin.get("/api/audit").json()["entries"]
        actions = {e["action"] for e in entries}
        assert {"auth.login", "user.create", "space.create"} <= actions
        assert admin.delete("/api/audit").status_code == 405
        assert admin.put("/api/audit", json={}).status_code == 405
    with live_server.login("sam") as sam:
        assert_problem(sam.get("/api/audit"), 403, "forbidden")


def test_repeated_failed_sign_ins_are_throttled(live_server: LiveServer) -> None:
    user = f"brute{secrets.token_hex(3)}"
    codes = [
        httpx.post(live_server.url + "/api/auth/login", json={"username": user, "password": "wrong-pw"}).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [401] * 10 and codes[10] == 429


def test_the_web_client_is_served_for_unknown_paths(live_server: LiveServer) -> None:
    r = httpx.get(live_server.url + "/some/client/route")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<!doctype html" in r.text.lower()


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/assets/../../../../etc/passwd",
        "/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    ],
)
def test_static_files_do_not_escape_the_client_folder(live_server: LiveServer, path: str) -> None:
    # http.client sends the path as written (httpx would remove the dot segments before sending)
    conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read().decode("utf-8", "replace")
    finally:
        conn.close()
    assert r.status in (200, 400, 404), (r.status, body[:200])
    assert "root:" not in body
    if r.status == 200:
        assert "<!doctype html" in body.lower()  # the client's index page, not a file from outside


def test_oversized_body_is_refused_and_the_server_carries_on(live_server: LiveServer) -> None:
    big = b'{"username": "' + b"a" * (2 * 1024 * 1024) + b'", "password": "x"}'
    r = httpx.post(live_server.url + "/api/auth/login", content=big, headers={"content-type": "application/json"})
    assert_problem(r, 413, "too-large")

    def chunks():
        for _ in range(40):
            yield b"x" * 65536

    r = httpx.post(live_server.url + "/api/auth/login", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(r, 413, "too-large")
    assert httpx.get(live_server.url + "/api/health").status_code == 200
