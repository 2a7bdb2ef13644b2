"""The REST routes in-process: the real app (lifespan and all) under Starlette's TestClient, on a
fresh data folder, with no server process. One app serves the module; each test makes its own
spaces, so the tests do not depend on each other."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from medverse.app.factory import create_app
from medverse.app.limits import MAX_JSON_BODY
from medverse.auth import COOKIE_NAME
from medverse.config import load_settings
from medverse.spaces import core

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
# username -> (display name, password, site admin)
USERS = {
    "admin": ("Site Admin", "admin-password", True),
    "ines": ("Dr Ines Moreau", "ines-password", False),
    "sam": ("Sam Okafor", "sam-password", False),
    "kim": ("Kim Lindqvist", "kim-password", False),
}


def assert_problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status and body["code"] == code
    assert body["type"].endswith("/" + code) and body["title"] and body["detail"]
    return dict(body)


class As:
    """Requests on the shared client as one signed-in user (their cookie, nobody else's)."""

    def __init__(self, client: TestClient, cookie: str) -> None:
        self.client = client
        self.cookie = cookie

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.client.cookies.clear()
        headers = {**kwargs.pop("headers", {}), "Cookie": f"{COOKIE_NAME}={self.cookie}"}
        return self.client.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


# argon2id with the least cost: a hash carries its parameters, so the server checks these quickly
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("inprocess")
    app = create_app(load_settings({}, data_dir=data_dir))
    db = app.state.services.db
    for username, (display, password, is_admin) in USERS.items():
        db.create_user(username, display, CHEAP_HASHER.hash(password), is_admin)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def users(client: TestClient) -> dict[str, As]:
    """A session for each user, made by the session manager (signing in is tested on its own)."""
    svc = client.app.state.services  # type: ignore[attr-defined]
    signed_in = {}
    for username in USERS:
        found = svc.db.user_by_username(username)
        assert found is not None
        _sid, cookie = svc.sessions.start(found[0])
        signed_in[username] = As(client, cookie)
    return signed_in


@pytest.fixture
def anon(client: TestClient) -> TestClient:
    client.cookies.clear()
    return client


def new_space(users: dict[str, As], kind: str = "commons", **members: str) -> str:
    name = f"s-{secrets.token_hex(4)}"
    body = {"name": name, "kind": kind, "members": [{"username": u, "role": r} for u, r in members.items()]}
    r = users["admin"].post("/api/spaces", json=body)
    assert r.status_code == 201, r.text
    return name


# --- sign-in -------------------------------------------------------------------------------------------
def test_health_reports_ok(anon: TestClient) -> None:
    assert anon.get("/api/health").json()["status"] == "ok"


def test_sign_in_sets_an_http_only_session_cookie_and_sign_out_ends_it(anon: TestClient) -> None:
    r = anon.post("/api/auth/login", json={"username": "kim", "password": "kim-password"})
    assert r.status_code == 200 and r.json()["user"] == {
        "id": r.json()["user"]["id"],
        "username": "kim",
        "display_name": "Kim Lindqvist",
        "is_admin": False,
    }
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(COOKIE_NAME + "="))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    kim = As(anon, r.cookies[COOKIE_NAME])
    assert kim.get("/api/auth/me").json()["user"]["username"] == "kim"
    assert kim.post("/api/auth/logout").status_code == 204
    assert_problem(kim.get("/api/auth/me"), 401, "not-authenticated")


def test_wrong_password_and_unknown_user_get_the_same_answer(anon: TestClient) -> None:
    wrong = anon.post("/api/auth/login", json={"username": "sam", "password": "not-his-password"})
    ghost = anon.post("/api/auth/login", json={"username": "ghost", "password": "not-his-password"})
    assert assert_problem(wrong, 401, "not-authenticated")["detail"] == assert_problem(ghost, 401, "not-authenticated")["detail"]


# --- the problem JSON shape, one status at a time ------------------------------------------------------
def test_401_without_a_session(anon: TestClient) -> None:
    for path in ("/api/auth/me", "/api/spaces", "/api/kinds"):
        assert_problem(anon.get(path), 401, "not-authenticated")


def test_401_for_a_forged_cookie(anon: TestClient) -> None:
    r = anon.get("/api/auth/me", headers={"Cookie": f"{COOKIE_NAME}=eyJmb3JnZWQiOnRydWV9.abc"})
    assert_problem(r, 401, "not-authenticated")


def test_403_for_admin_routes_as_a_student(users: dict[str, As]) -> None:
    assert_problem(users["sam"].get("/api/audit"), 403, "forbidden")
    body = {"username": "newbie", "display_name": "New", "password": "long-enough"}
    assert_problem(users["sam"].post("/api/users", json=body), 403, "forbidden")
    assert_problem(users["ines"].post("/api/spaces", json={"name": "mine", "kind": "commons"}), 403, "forbidden")


def test_404_for_unknown_paths_spaces_and_kinds(users: dict[str, As]) -> None:
    assert_problem(users["sam"].get("/api/nothing-here"), 404, "not-found")
    assert_problem(users["sam"].get("/api/spaces/no-such-space"), 404, "not-found")
    r = users["admin"].post("/api/spaces", json={"name": "ok-name", "kind": "warp-core"})
    assert "warp-core" in assert_problem(r, 404, "not-found")["detail"]


def test_422_for_malformed_and_invalid_bodies(anon: TestClient) -> None:
    r = anon.post("/api/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert_problem(r, 422, "invalid")
    assert_problem(anon.post("/api/auth/login", json={"username": 5}), 422, "invalid")
    assert_problem(anon.post("/api/auth/login", json={"username": "sam"}), 422, "invalid")


def test_413_for_a_body_over_the_limit(anon: TestClient) -> None:
    big = b'{"username": "' + b"a" * (MAX_JSON_BODY + 1) + b'", "password": "x"}'
    r = anon.post("/api/auth/login", content=big, headers={"content-type": "application/json"})
    assert_problem(r, 413, "too-large")
    assert anon.get("/api/health").status_code == 200


# --- the lobby and spaces ------------------------------------------------------------------------------
def test_space_creation_answers_with_the_space(users: dict[str, As]) -> None:
    name = f"s-{secrets.token_hex(4)}"
    r = users["admin"].post(
        "/api/spaces",
        json={"name": name, "kind": "anatomy", "title": "Lab", "members": [{"username": "ines", "role": "instructor"}]},
    )
    assert r.status_code == 201, r.text
    space = r.json()["space"]
    assert (space["name"], space["kind"], space["title"], space["my_role"]) == (name, "anatomy", "Lab", "instructor")
    assert space["locked"] is False and space["online"] == []


def test_space_creation_validates_name_members_and_uniqueness(users: dict[str, As]) -> None:
    admin = users["admin"]
    assert_problem(admin.post("/api/spaces", json={"name": "Bad Name", "kind": "commons"}), 422, "invalid")
    assert_problem(admin.post("/api/spaces", json={"name": "x", "kind": "commons"}), 422, "invalid")
    ghost = [{"username": "ghost", "role": "participant"}]
    r = admin.post("/api/spaces", json={"name": "has-ghost", "kind": "commons", "members": ghost})
    assert "ghost" in assert_problem(r, 404, "not-found")["detail"]
    bad_role = [{"username": "sam", "role": "king"}]
    assert_problem(admin.post("/api/spaces", json={"name": "bad-role", "kind": "commons", "members": bad_role}), 422, "invalid")
    name = new_space(users)
    assert_problem(admin.post("/api/spaces", json={"name": name, "kind": "commons"}), 409, "conflict")


def test_the_lobby_lists_my_spaces_with_my_role(users: dict[str, As]) -> None:
    mine = new_space(users, ines="instructor", sam="observer")
    not_mine = new_space(users, ines="instructor")
    sams = {s["name"]: s for s in users["sam"].get("/api/spaces").json()["spaces"]}
    assert sams[mine]["my_role"] == "observer" and not_mine not in sams
    assert_problem(users["sam"].get(f"/api/spaces/{not_mine}"), 404, "not-found")
    admins = {s["name"]: s for s in users["admin"].get("/api/spaces").json()["spaces"]}
    assert admins[mine]["my_role"] == admins[not_mine]["my_role"] == "instructor"


def test_instructors_set_and_remove_members(users: dict[str, As]) -> None:
    name = new_space(users, ines="instructor", sam="participant")
    ines = users["ines"]
    r = ines.put(f"/api/spaces/{name}/members/kim", json={"role": "observer"})
    assert r.status_code == 200 and r.json()["member"]["role"] == "observer"
    members = {m["username"]: m["role"] for m in ines.get(f"/api/spaces/{name}").json()["space"]["members"]}
    assert members == {"ines": "instructor", "sam": "participant", "kim": "observer"}
    assert ines.delete(f"/api/spaces/{name}/members/sam").json() == {"removed": "sam"}
    assert name not in [s["name"] for s in users["sam"].get("/api/spaces").json()["spaces"]]
    members = {m["username"] for m in ines.get(f"/api/spaces/{name}").json()["space"]["members"]}
    assert members == {"ines", "kim"}


def test_members_route_refusals(users: dict[str, As]) -> None:
    name = new_space(users, ines="instructor", sam="participant")
    assert_problem(users["sam"].put(f"/api/spaces/{name}/members/kim", json={"role": "participant"}), 403, "forbidden")
    assert_problem(users["sam"].delete(f"/api/spaces/{name}/members/ines"), 403, "forbidden")
    assert_problem(users["kim"].put(f"/api/spaces/{name}/members/kim", json={"role": "instructor"}), 404, "not-found")
    ines = users["ines"]
    assert_problem(ines.put(f"/api/spaces/{name}/members/kim", json={"role": "god"}), 422, "invalid")
    assert_problem(ines.put(f"/api/spaces/{name}/members/ghost", json={"role": "observer"}), 404, "not-found")
    assert_problem(ines.put(f"/api/spaces/{name}/members/sam", json={"role": "participant"}), 409, "conflict")


# --- kinds -------------------------------------------------------------------------------------------
def test_kinds_describe_themselves_and_name_their_client_module(users: dict[str, As]) -> None:
    kinds = {k["name"]: k for k in users["sam"].get("/api/kinds").json()["kinds"]}
    assert set(kinds) == {"commons", "anatomy", "simbay"}
    for name, kind in kinds.items():
        assert set(kind) == {"name", "title", "description", "commands", "client_module"}
        assert kind["client_module"] == name and kind["title"] and kind["description"]
        assert set(core.COMMANDS) <= set(kind["commands"]) and kind["commands"] == sorted(kind["commands"])
    assert kinds["commons"]["commands"] == sorted(core.COMMANDS)
    assert {"anatomy.load_study", "anatomy.quiz_answer"} <= set(kinds["anatomy"]["commands"])
