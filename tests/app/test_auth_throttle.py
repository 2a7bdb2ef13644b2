"""Sign-in throttling over real HTTP: per user name, per client address, backoff, and no lock-out.

The server trusts 127.0.0.1 as its reverse proxy, so each request can speak for another client
address with ``X-Forwarded-For`` (what nginx in front of medverse would send).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import httpx
import pytest
from tests.conftest import LiveServer

FREE_PER_NAME = 4
FREE_PER_ADDRESS = 6
PASSWORD = "right-password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    s = LiveServer(
        tmp_path_factory.mktemp("throttle"),
        env={
            "MEDVERSE_TRUSTED_PROXIES": "127.0.0.1",
            "MEDVERSE_AUTH_FREE_FAILURES_PER_NAME": str(FREE_PER_NAME),
            "MEDVERSE_AUTH_FREE_FAILURES_PER_ADDRESS": str(FREE_PER_ADDRESS),
            "MEDVERSE_AUTH_MAX_DELAY_S": "60",
        },
    )
    s.start()
    yield s
    s.stop()


_counter = iter(range(100_000))


def address() -> str:
    """A client address no other test uses."""
    n = next(_counter)
    return f"198.18.{n // 250}.{n % 250 + 1}"


def new_user(server: LiveServer) -> str:
    name = f"u{secrets.token_hex(4)}"
    with httpx.Client(base_url=server.url, headers={"X-Forwarded-For": address()}) as admin:
        assert admin.post("/api/auth/login", json={"username": "admin", "password": "admin-demo"}).status_code == 200
        r = admin.post("/api/users", json={"username": name, "display_name": name, "password": PASSWORD})
        assert r.status_code == 201, r.text
    return name


def attempt(server: LiveServer, username: str, password: str, addr: str, client: httpx.Client | None = None) -> httpx.Response:
    body = {"username": username, "password": password}
    headers = {"X-Forwarded-For": addr}
    if client is not None:
        return client.post("/api/auth/login", json=body, headers=headers)
    return httpx.post(server.url + "/api/auth/login", json=body, headers=headers, timeout=30)


def assert_throttled(r: httpx.Response, which: str) -> int:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "rate-limited" and which in body["detail"]
    retry_after = int(r.headers["retry-after"])
    assert retry_after >= 1
    return retry_after


def test_failures_on_one_name_from_many_addresses_slow_that_name(server: LiveServer) -> None:
    name = new_user(server)
    for _ in range(FREE_PER_NAME):
        assert attempt(server, name, "wrong-guess", address()).status_code == 401
    # the next attempt, from yet another address and even with the right password, must wait
    assert_throttled(attempt(server, name, PASSWORD, address()), "for this user name")
    # other names are not affected
    assert attempt(server, new_user(server), PASSWORD, address()).status_code == 200


def test_failures_from_one_address_on_many_names_slow_that_address(server: LiveServer) -> None:
    sprayer = address()
    for _ in range(FREE_PER_ADDRESS):
        assert attempt(server, f"n{secrets.token_hex(4)}", "wrong-guess", sprayer).status_code == 401
    assert_throttled(attempt(server, f"n{secrets.token_hex(4)}", "wrong-guess", sprayer), "from this address")
    # the same names from another address are checked as usual
    assert attempt(server, f"n{secrets.token_hex(4)}", "wrong-guess", address()).status_code == 401


def test_the_delay_doubles_with_each_further_failure(server: LiveServer) -> None:
    name = f"n{secrets.token_hex(4)}"
    for _ in range(FREE_PER_NAME):
        assert attempt(server, name, "wrong-guess", address()).status_code == 401
    first = assert_throttled(attempt(server, name, "wrong-guess", address()), "for this user name")
    assert first == 1
    time.sleep(first + 0.1)
    assert attempt(server, name, "wrong-guess", address()).status_code == 401  # checked again: one more failure
    second = assert_throttled(attempt(server, name, "wrong-guess", address()), "for this user name")
    assert second == 2


def test_a_stranger_cannot_lock_the_real_user_out(server: LiveServer) -> None:
    name = new_user(server)
    home, stranger = address(), address()
    with httpx.Client(base_url=server.url, timeout=30) as real_user:
        # the real user signed in on this browser before: it keeps a device cookie for the name
        assert attempt(server, name, PASSWORD, home, real_user).status_code == 200
        assert real_user.post("/api/auth/logout").status_code == 204

        # a stranger hammers the name from one address, then from others
        statuses = [attempt(server, name, "guess-" + str(i), stranger).status_code for i in range(FREE_PER_NAME + 2)]
        assert statuses[:FREE_PER_NAME] == [401] * FREE_PER_NAME and set(statuses[FREE_PER_NAME:]) == {429}
        assert_throttled(attempt(server, name, "another-guess", address()), "for this user name")
        # the stranger, even with the right password, and any browser new to the name must wait ...
        assert_throttled(attempt(server, name, PASSWORD, stranger), "for this user name")
        assert_throttled(attempt(server, name, PASSWORD, address()), "for this user name")

        # ... but the real user signs in at once: from home, from a new address, even from the
        # stranger's address (one hospital NAT); and typing the password wrong first is fine too
        assert attempt(server, name, "a-typo", home, real_user).status_code == 401
        for addr in (home, address(), stranger):
            r = attempt(server, name, PASSWORD, addr, real_user)
            assert r.status_code == 200, r.text
            assert real_user.get("/api/auth/me").json()["user"]["username"] == name


def test_a_device_cookie_works_for_its_own_user_name_only(server: LiveServer) -> None:
    mine, target = new_user(server), new_user(server)
    with httpx.Client(base_url=server.url, timeout=30) as attacker:
        assert attempt(server, mine, PASSWORD, address(), attacker).status_code == 200  # his own account
        for _ in range(FREE_PER_NAME):
            assert attempt(server, target, "wrong-guess", address(), attacker).status_code == 401
        assert_throttled(attempt(server, target, "wrong-guess", address(), attacker), "for this user name")


def test_a_success_forgives_the_typos_of_that_address_on_that_name(server: LiveServer) -> None:
    name, office = new_user(server), address()
    for _ in range(FREE_PER_NAME - 1):
        assert attempt(server, name, "a-typo", office).status_code == 401
    assert attempt(server, name, PASSWORD, office).status_code == 200
    # without the forgiveness the office would reach its limit within the next few failures
    for _ in range(FREE_PER_ADDRESS - 1):
        assert attempt(server, f"n{secrets.token_hex(4)}", "wrong-guess", office).status_code == 401
    for _ in range(FREE_PER_NAME - 1):
        assert attempt(server, name, "a-typo", address()).status_code == 401
    assert attempt(server, name, PASSWORD, office).status_code == 200


def test_a_success_does_not_forgive_failures_on_other_names(server: LiveServer) -> None:
    name, sprayer = new_user(server), address()
    for _ in range(FREE_PER_ADDRESS - 1):
        assert attempt(server, f"n{secrets.token_hex(4)}", "wrong-guess", sprayer).status_code == 401
    assert attempt(server, name, PASSWORD, sprayer).status_code == 200  # the sprayer's own account
    assert attempt(server, f"n{secrets.token_hex(4)}", "wrong-guess", sprayer).status_code == 401
    assert_throttled(attempt(server, f"n{secrets.token_hex(4)}", "wrong-guess", sprayer), "from this address")


def test_throttled_attempts_are_neither_checked_nor_counted(server: LiveServer) -> None:
    """A refused attempt costs no argon2 check (a burst is answered quickly) and does not lengthen
    the wait (else a stranger could push it to the maximum by hammering)."""
    name = f"n{secrets.token_hex(4)}"
    for _ in range(FREE_PER_NAME):
        assert attempt(server, name, "wrong-guess", address()).status_code == 401
    with httpx.Client(base_url=server.url, timeout=30) as c:
        t0 = time.perf_counter()
        answers = [attempt(server, name, "wrong-guess", address(), c) for _ in range(20)]
        elapsed = time.perf_counter() - t0
    refused = [r for r in answers if r.status_code == 429]
    assert len(refused) >= 18  # at most the one or two attempts after each 1-2 s delay were checked
    assert elapsed < 3.0  # 20 argon2 checks take 4-8 s on this machine
    assert max(int(r.headers["retry-after"]) for r in refused) <= 4
