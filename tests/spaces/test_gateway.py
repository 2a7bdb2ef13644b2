"""The space WebSocket against a real server: sharing, catching up, and every kind of bad input."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from tests.conftest import LiveServer, eventually, join, new_space

from medverse.client import CommandRefused, sign_in
from medverse.spaces import protocol as P


@pytest.fixture
def space_name(live_server: LiveServer) -> str:
    """A new space on the shared server: ines instructor, sam and kim participants."""
    return new_space(live_server)


async def test_a_change_reaches_everyone_and_states_agree(live_server, space_name) -> None:
    ines, sam = await join(live_server, space_name, "ines"), await join(live_server, space_name, "sam")
    ack = await ines.command("object.create", {"shape": "cone", "position": [1, 0, 2], "id": "c1", "label": "apex"})
    ev = await sam.wait_event(lambda e: e["seq"] == ack["seq"])
    assert ev["name"] == "object.created" and ev["actor"] == ines.you["user_id"]
    await ines.command("object.update", {"id": "c1", "scale": [2, 2, 2]})
    await sam.wait_event(lambda e: e["name"] == "object.updated")
    assert sam.state["objects"]["c1"]["scale"] == [2.0, 2.0, 2.0]
    assert sam.state == ines.state
    await ines.close(), await sam.close()


async def test_participants_see_each_other_come_and_go(live_server, space_name) -> None:
    ines = await join(live_server, space_name, "ines")
    sam = await join(live_server, space_name, "sam")
    await eventually(lambda: {p["display_name"] for p in ines.participants.values()} == {"Dr Ines Moreau", "Sam Okafor"})
    assert {p["role"] for p in sam.participants.values()} == {"instructor", "participant"}  # in Sam's welcome
    await sam.close()
    await eventually(lambda: [p["user_id"] for p in ines.participants.values()] == [ines.you["user_id"]])
    await ines.close()


async def test_poses_reach_others_but_not_the_sender(live_server, space_name) -> None:
    ines, sam = await join(live_server, space_name, "ines"), await join(live_server, space_name, "sam")

    async def sent_and_seen() -> bool:  # sends a pose as a headset does, until Sam has one
        await ines.send_pose((0.5, 1.6, -2.0, 0, 0, 0, 1), flags=P.FLAG_RIGHT)
        return ines.you["pid"] in sam.poses

    await eventually(sent_and_seen, interval=0.05)
    pose = sam.poses[ines.you["pid"]]
    assert pose.floats[:3] == (0.5, 1.600000023841858, -2.0) and pose.flags == P.FLAG_RIGHT
    assert ines.you["pid"] not in ines.poses
    await ines.close(), await sam.close()


async def test_bad_pose_frame_gets_an_error_and_the_socket_lives(live_server, space_name) -> None:
    sam = await join(live_server, space_name, "sam")
    await sam.send_raw(b"\x01\x00garbage")
    await eventually(lambda: sam.errors)
    assert sam.errors[-1]["code"] == P.E_BAD_MESSAGE and "112 bytes" in sam.errors[-1]["message"]
    await sam.command("chat.send", {"text": "still here"})
    await sam.close()


@pytest.mark.parametrize(
    "frame, code, with_id",
    [
        ("{not json", P.E_BAD_MESSAGE, False),
        ("[1, 2, 3]", P.E_BAD_MESSAGE, False),
        (json.dumps({"no": "type"}), P.E_BAD_MESSAGE, False),
        (json.dumps({"type": "teleport"}), P.E_UNKNOWN_TYPE, False),
        (json.dumps({"type": "command", "name": "chat.send", "args": {"text": "x"}}), P.E_BAD_MESSAGE, False),
        (json.dumps({"type": "command", "id": "k1", "name": 5}), P.E_BAD_MESSAGE, True),
        (json.dumps({"type": "command", "id": "k2", "name": "chat.send", "args": {"text": 12}}), P.E_INVALID, True),
        (json.dumps({"type": "command", "id": "k3", "name": "chat.send", "args": "hi"}), P.E_INVALID, True),
        # an extra argument, in a command Sam's role allows: the schema refuses it
        (json.dumps({"type": "command", "id": "k4", "name": "chat.send", "args": {"text": "x", "extra": 1}}), P.E_INVALID, True),
        (
            json.dumps(
                {"type": "command", "id": "k4b", "name": "object.create", "args": {"shape": "box", "position": [0, 0, 0]}}
            ),
            P.E_FORBIDDEN,
            True,
        ),
        (json.dumps({"type": "command", "id": "k5", "name": "warp.drive", "args": {}}), P.E_UNKNOWN_COMMAND, True),
        (json.dumps({"type": "command", "id": "k6", "name": "object.delete", "args": {"id": "nope"}}), P.E_FORBIDDEN, True),
        (json.dumps({"type": "command", "id": "k7", "name": "space.lock", "args": {"locked": True}}), P.E_FORBIDDEN, True),
        (json.dumps({"type": "hello", "since": None}), P.E_BAD_MESSAGE, False),
    ],
)
async def test_bad_frames_get_error_frames(live_server, space_name, frame, code, with_id) -> None:
    sam, kim = await join(live_server, space_name, "sam"), await join(live_server, space_name, "kim")
    seq = kim.seq
    await sam.send_raw(frame)
    await eventually(lambda: sam.errors)
    err = sam.errors[-1]
    assert err["code"] == code, err
    assert (err["id"] is not None) == with_id
    # nothing changed for anyone, and both sockets still work
    await sam.command("chat.send", {"text": "after"})
    await kim.wait_event(lambda e: e["name"] == "chat.message")
    assert kim.seq == seq + 1
    await sam.close(), await kim.close()


async def test_instructor_errors_name_missing_objects(live_server, space_name) -> None:
    ines = await join(live_server, space_name, "ines")
    with pytest.raises(CommandRefused) as info:
        await ines.command("object.update", {"id": "ghost", "position": [0, 0, 0]})
    assert info.value.code == P.E_NOT_FOUND and "ghost" in info.value.message
    with pytest.raises(CommandRefused) as info:
        await ines.command("object.create", {"shape": "box", "position": [0, 0, 0], "rotation": [0, 0, 0.5, 0.5]})
    assert info.value.code == P.E_INVALID and "quaternion" in info.value.message
    await ines.close()


async def test_oversized_frame_closes_only_that_socket(live_server, space_name) -> None:
    sam, kim = await join(live_server, space_name, "sam"), await join(live_server, space_name, "kim")
    await sam.send_raw(json.dumps({"type": "command", "id": "big", "name": "chat.send", "args": {"text": "x" * 100_000}}))
    assert await sam.wait_closed() == P.CLOSE_TOO_BIG
    await kim.command("chat.send", {"text": "unharmed"})
    await kim.close()


async def test_flooding_is_rate_limited_then_closed(live_server, space_name) -> None:
    sam, kim = await join(live_server, space_name, "sam"), await join(live_server, space_name, "kim")
    for i in range(200):
        try:
            await sam.send_raw(json.dumps({"type": "ping", "t": i}))
        except websockets.ConnectionClosed:
            break
    assert await sam.wait_closed() == P.CLOSE_FLOOD
    assert any(e["code"] == P.E_RATE_LIMITED for e in sam.errors)
    await kim.command("chat.send", {"text": "unharmed"})
    await kim.close()


async def _raw_close_code(url: str, cookie: str | None, first: str | bytes | None = None, origin: str | None = None) -> int:
    headers = {"Cookie": f"medverse_session={cookie}"} if cookie is not None else {}
    async with websockets.connect(url, additional_headers=headers, origin=origin) as ws:
        if first is not None:
            await ws.send(first)
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
            await asyncio.wait_for(ws.recv(), 5)
        return int(ws.close_code)


async def test_close_codes_for_refused_sockets(live_server, space_name) -> None:
    url = live_server.url.replace("http", "ws") + f"/ws/spaces/{space_name}"
    cookie = await sign_in(live_server.url, "sam", "student-demo")
    assert await _raw_close_code(url, None) == P.CLOSE_UNAUTHENTICATED
    assert await _raw_close_code(url, "forged.cookie-value") == P.CLOSE_UNAUTHENTICATED
    assert await _raw_close_code(url, cookie[:-2] + "xx") == P.CLOSE_UNAUTHENTICATED
    assert await _raw_close_code(url, cookie, json.dumps({"type": "command"})) == P.CLOSE_PROTOCOL
    assert await _raw_close_code(url, cookie, b"\x01binary first") == P.CLOSE_PROTOCOL
    assert await _raw_close_code(url.replace(space_name, "no-such-space"), cookie) == P.CLOSE_NO_SPACE
    assert await _raw_close_code(url, cookie, origin="https://evil.example") == P.CLOSE_FORBIDDEN
    with live_server.login("admin") as admin:
        assert (
            admin.post(
                "/api/users", json={"username": f"u{space_name}", "display_name": "Out Sider", "password": "outsider-pw"}
            ).status_code
            == 201
        )
    outsider = await sign_in(live_server.url, f"u{space_name}", "outsider-pw")
    assert await _raw_close_code(url, outsider) == P.CLOSE_FORBIDDEN


async def test_signed_out_session_is_refused(live_server, space_name) -> None:
    with live_server.login("kim") as kim_http:
        cookie = kim_http.cookies["medverse_session"]
        assert kim_http.post("/api/auth/logout").status_code == 204
    url = live_server.url.replace("http", "ws") + f"/ws/spaces/{space_name}"
    assert await _raw_close_code(url, cookie) == P.CLOSE_UNAUTHENTICATED


async def test_reconnect_catches_up_on_missed_events(live_server, space_name) -> None:
    ines, sam = await join(live_server, space_name, "ines"), await join(live_server, space_name, "sam")
    await sam.close()
    for i in range(5):
        await ines.command("object.create", {"shape": "box", "position": [i, 0, 0], "id": f"r{i}"})
    await ines.command("object.delete", {"id": "r2"})
    await sam.reconnect()
    await sam.wait_event(lambda e: e["seq"] == ines.seq)
    assert sam.state == ines.state
    assert set(sam.state["objects"]) == {"r0", "r1", "r3", "r4"}
    await ines.close(), await sam.close()


async def test_retried_command_is_applied_once(live_server, space_name) -> None:
    ines = await join(live_server, space_name, "ines")
    first = await ines.command("chat.send", {"text": "once"}, cmd_id="retry-me")
    await ines.reconnect()
    again = await ines.command("chat.send", {"text": "once"}, cmd_id="retry-me")
    assert again["duplicate"] is True and again["seq"] == first["seq"]
    assert [m["text"] for m in ines.state["chat"]].count("once") == 1
    await ines.close()


async def test_moderation_mute_role_remove_lock(live_server, space_name) -> None:
    ines, sam = await join(live_server, space_name, "ines"), await join(live_server, space_name, "sam")
    sam_id = sam.you["user_id"]
    await ines.command("member.mute", {"user_id": sam_id, "muted": True})
    with pytest.raises(CommandRefused, match="muted"):
        await sam.command("chat.send", {"text": "let me talk"})
    await ines.command("member.set_role", {"user_id": sam_id, "role": "observer"})
    await eventually(lambda: sam.participants[sam.you["pid"]]["role"] == "observer")
    await ines.command("space.lock", {"locked": True})
    kim_cookie = await sign_in(live_server.url, "kim", "student-demo")
    url = live_server.url.replace("http", "ws") + f"/ws/spaces/{space_name}"
    assert await _raw_close_code(url, kim_cookie) == P.CLOSE_FORBIDDEN
    await ines.command("member.remove", {"user_id": sam_id})
    assert await sam.wait_closed() == P.CLOSE_FORBIDDEN
    with live_server.login("sam") as http:
        lobby = http.get("/api/spaces").json()["spaces"]
        assert space_name not in [s["name"] for s in lobby]
    with live_server.login("admin") as admin:
        audited = [(e["action"], e["target"]) for e in admin.get("/api/audit").json()["entries"]]
    for action in ("member.muted", "member.role_changed", "space.locked", "member.removed"):
        assert (action, space_name) in audited
    await ines.close()


async def test_server_restart_loses_nothing_acknowledged(fresh_server) -> None:
    fresh_server.start()
    ines = await join(fresh_server, "commons-demo", "ines")
    acked = [
        await ines.command("object.create", {"shape": "pin", "position": [i, 1, 0], "id": f"p{i}", "label": f"pin {i}"})
        for i in range(10)
    ]
    state, seq = ines.state, ines.seq
    assert acked[-1]["seq"] == seq
    fresh_server.restart()
    assert await ines.wait_closed() in (P.CLOSE_RESTART, 1006, 1001)
    await ines.reconnect()
    assert ines.seq == seq and ines.state == state
    late = await join(fresh_server, "commons-demo", "sam")
    assert late.state == state and late.seq == seq
    await ines.close(), await late.close()


async def test_expired_session_is_refused(fresh_server) -> None:
    fresh_server.env["MEDVERSE_SESSION_MAX_AGE_S"] = "1"
    fresh_server.start()
    cookie = await sign_in(fresh_server.url, "sam", "student-demo")
    await asyncio.sleep(1.5)  # kept: the session's age is what is under test
    url = fresh_server.url.replace("http", "ws") + "/ws/spaces/commons-demo"
    assert await _raw_close_code(url, cookie) == P.CLOSE_UNAUTHENTICATED
