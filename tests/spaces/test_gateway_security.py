"""Attacks on the space socket, over the real WebSocket, refused (and the server carries on)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import websockets
from tests.conftest import LiveServer, join, new_space

from medverse.client import SpaceClient, sign_in
from medverse.spaces import protocol as P


@pytest.fixture
def space_name(live_server: LiveServer) -> str:
    return new_space(live_server, members={"ines": "instructor", "sam": "participant"}, prefix="g")


async def test_signing_out_closes_the_sessions_open_sockets(live_server, space_name) -> None:
    cookie = await sign_in(live_server.url, "sam", "student-demo")
    sam = SpaceClient(live_server.url, space_name, cookie)
    await sam.connect()
    other = await join(live_server, space_name, "sam")  # another session of the same user stays
    async with httpx.AsyncClient(base_url=live_server.url, cookies={"medverse_session": cookie}) as http:
        assert (await http.post("/api/auth/logout")).status_code == 204
    assert await sam.wait_closed(5) == P.CLOSE_UNAUTHENTICATED
    ack = await other.command("chat.send", {"text": "still here"})
    assert ack["type"] == P.ACK
    await other.close()


@pytest.fixture
def short_sessions(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = LiveServer(tmp_path / "data", env={"MEDVERSE_SESSION_MAX_AGE_S": "3", "MEDVERSE_SESSION_CHECK_S": "0.5"})
    server.start()
    yield server
    server.stop()


async def test_a_socket_closes_when_its_session_expires(short_sessions) -> None:
    sam = await join(short_sessions, "commons-demo", "sam")
    assert await sam.wait_closed(10) == P.CLOSE_UNAUTHENTICATED


async def test_one_user_may_hold_only_so_many_sockets(live_server, space_name) -> None:
    cookie = await sign_in(live_server.url, "ines", "instructor-demo")
    clients = []
    for _ in range(8):  # the default limit
        c = SpaceClient(live_server.url, space_name, cookie)
        await c.connect()
        clients.append(c)
    url = live_server.url.replace("http", "ws") + f"/ws/spaces/{space_name}"
    async with websockets.connect(url, additional_headers={"Cookie": f"medverse_session={cookie}"}) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == P.CLOSE_TOO_MANY
    sam = await join(live_server, space_name, "sam")  # others are not affected
    await clients[0].close()
    await clients[0].wait_closed(5)
    again = SpaceClient(live_server.url, space_name, cookie)  # a place is free again
    for _ in range(50):
        try:
            await again.connect()
            break
        except Exception:
            await asyncio.sleep(0.05)
    assert again.you["user_id"] == clients[1].you["user_id"]
    for c in [*clients[1:], again, sam]:
        await c.close()


async def test_a_deeply_nested_frame_gets_an_error_and_the_socket_goes_on(live_server, space_name) -> None:
    ines = await join(live_server, space_name, "ines")
    await ines.send_raw('{"type":"command","id":"deep","name":"chat.send","args":{"text":' + "[" * 20_000 + "]" * 20_000 + "}}")
    await ines.send_raw("[" * 30_000 + "]" * 30_000)
    ack = await ines.command("chat.send", {"text": "after the bombs"})
    assert ack["type"] == P.ACK
    codes = [e["code"] for e in ines.errors]
    assert codes.count(P.E_BAD_MESSAGE) == 2, ines.errors
    assert any("nested too deeply" in e["message"] for e in ines.errors)
    await ines.close()


def test_a_deeply_nested_json_body_is_a_client_error(live_server) -> None:
    with live_server.login("admin") as admin:
        r = admin.post(
            "/api/spaces",
            content=b'{"name":' + b"[" * 50_000 + b"]" * 50_000 + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert 400 <= r.status_code < 500, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    assert httpx.get(live_server.url + "/api/health").status_code == 200


async def test_a_client_of_another_protocol_version_is_refused_plainly(live_server, space_name) -> None:
    cookie = await sign_in(live_server.url, "sam", "student-demo")
    url = live_server.url.replace("http", "ws") + f"/ws/spaces/{space_name}"
    async with websockets.connect(url, additional_headers={"Cookie": f"medverse_session={cookie}"}) as ws:
        await ws.send(json.dumps({"type": "hello", "since": None, "protocol": P.PROTOCOL_VERSION + 1}))
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == P.CLOSE_PROTOCOL and "protocol version" in (ws.close_reason or "")
    sam = await join(live_server, space_name, "sam")
    assert sam.you and sam.you["role"] == "participant"
    await sam.close()
