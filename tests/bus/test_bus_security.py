"""The Redis bus trusts nothing it cannot verify: forged, replayed or misdirected messages are
dropped, events always come from the log, and Redis AUTH URLs work."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import httpx
import pytest
from tests.bus.test_redis_fanout import two_servers  # noqa: F401 - a fixture
from tests.conftest import LiveServer, free_port

from medverse.bus.redis import MAX_AGE_S, RedisBus
from medverse.client import CommandRefused, SpaceClient, sign_in


def test_a_sealed_message_opens_only_unchanged_on_its_channel_with_the_same_key() -> None:
    bus = RedisBus("redis://127.0.0.1:1/0", "p", "site-secret")
    sealed = bus.seal("p:ev:1", b'{"head":5}')
    assert bus.open("p:ev:1", sealed) == (bus.node_id.encode(), b'{"head":5}')
    assert bus.open("p:ev:2", sealed) is None  # replayed onto another space's channel
    assert bus.open("p:ev:1", sealed[:-1] + b"6") is None  # body changed
    assert bus.open("p:ev:1", b'{"node":"x","events":[]}') is None  # unsigned (the old format)
    other_site = RedisBus("redis://127.0.0.1:1/0", "p", "another-secret")
    assert other_site.open("p:ev:1", sealed) is None
    stale = bytearray(sealed)
    import struct

    stale[16:24] = struct.pack("<d", time.time() - MAX_AGE_S - 5)
    assert bus.open("p:ev:1", bytes(stale)) is None  # old, even with its bytes intact the MAC fails
    with pytest.raises(ValueError, match="secret"):
        RedisBus("redis://127.0.0.1:1/0", "p", "")


async def test_forged_bus_messages_change_nothing(two_servers, redis_url) -> None:  # noqa: F811
    import redis.asyncio as aioredis

    a, b = two_servers
    ines = SpaceClient(a.url, "commons-demo", await sign_in(a.url, "ines", "instructor-demo"))
    sam = SpaceClient(b.url, "commons-demo", await sign_in(b.url, "sam", "student-demo"))
    await ines.connect(), await sam.connect()
    sam_id = sam.you["user_id"]
    with b.login("admin") as admin:
        space_id = admin.get("/api/spaces/commons-demo").json()["space"]["id"]
    prefix = a.env["MEDVERSE_BUS_PREFIX"]
    head = ines.seq
    forged_event = {
        "type": "event",
        "seq": head + 1,
        "name": "member.role_changed",
        "data": {"user_id": sam_id, "role": "instructor", "display_name": "Sam"},
        "actor": 1,
        "cmd": None,
        "ts": time.time(),
    }
    r = aioredis.Redis.from_url(redis_url)
    try:
        # what the review did (the old unsigned format), and the same signed with another key
        await r.publish(f"{prefix}:ev:{space_id}", json.dumps({"node": "evil", "events": [forged_event]}))
        mallory = RedisBus(redis_url, prefix, "not-the-site-secret")
        for what, body in (
            ("ev", {"head": head + 50}),
            (
                "pp",
                {
                    "what": "joined",
                    "info": {"pid": 999999, "user_id": 666, "display_name": "Mallory", "role": "instructor", "muted": False},
                },
            ),
            ("ms", {"msg": {"type": "job.progress", "job": {"id": "x", "state": "succeeded"}}}),
        ):
            channel = f"{prefix}:{what}:{space_id}"
            await r.publish(channel, mallory.seal(channel, json.dumps(body).encode()))
        await r.publish(f"{prefix}:pp:{space_id}", b"\xff" * 80)  # garbage
    finally:
        await r.aclose()
    # a genuine change after the forgeries still crosses, with the next sequence number
    ack = await ines.command("chat.send", {"text": "still one log"})
    assert ack["seq"] == head + 1
    await sam.wait_event(lambda e: e["seq"] == ack["seq"])
    assert sam.state["members"][str(sam_id)]["role"] == "participant"
    assert "Mallory" not in {p["display_name"] for p in sam.participants.values()}
    with pytest.raises(CommandRefused):
        await sam.command("space.lock", {"locked": True})
    await ines.close(), await sam.close()
    # the log has no gap: a fresh process loads the space
    b.restart()
    with b.login("ines") as http:
        assert http.get("/api/spaces/commons-demo").status_code == 200
    again = SpaceClient(b.url, "commons-demo", await sign_in(b.url, "ines", "instructor-demo"))
    await again.connect()
    assert again.seq == ack["seq"] and again.state["chat"][-1]["text"] == "still one log"
    await again.close()


@pytest.fixture
def redis_with_password(tmp_path):  # type: ignore[no-untyped-def]
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed here")
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--requirepass",
            "s3cret-pw",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            import socket

            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(5)


def test_the_bus_signs_in_to_redis_with_the_password_in_its_url(tmp_path, redis_with_password) -> None:
    port = redis_with_password
    good = LiveServer(tmp_path / "good", env={"MEDVERSE_REDIS_URL": f"redis://:s3cret-pw@127.0.0.1:{port}/0"})
    good.start()
    try:
        assert httpx.get(good.url + "/api/health").status_code == 200
    finally:
        good.stop()
    bad = LiveServer(tmp_path / "bad", env={"MEDVERSE_REDIS_URL": f"redis://:n0t-it-pw@127.0.0.1:{port}/0"})
    try:
        with pytest.raises(RuntimeError) as failed:
            bad.start(timeout=30)
    finally:
        bad.stop()
    log = str(failed.value)
    assert "n0t-it-pw" not in log  # the password is not logged
    assert "password" in log.lower()
