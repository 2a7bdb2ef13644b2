"""Two server processes serve one space through PostgreSQL + Redis: each side sees the other."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from tests.conftest import LiveServer, eventually

from medverse.client import SpaceClient, sign_in


@pytest.fixture
def two_servers(tmp_path, postgres_url, redis_url):
    import sqlalchemy

    name = f"medverse_fanout_{secrets.token_hex(5)}"
    base = postgres_url.rsplit("/", 1)[0]
    admin = sqlalchemy.create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    env = {
        "MEDVERSE_DATABASE_URL": f"{base}/{name}",
        "MEDVERSE_REDIS_URL": redis_url,
        "MEDVERSE_BUS_PREFIX": f"mvtest-{secrets.token_hex(4)}",
        "MEDVERSE_SECRET_KEY": secrets.token_urlsafe(32),
    }
    a = LiveServer(tmp_path / "a", env=dict(env)).start()
    b = LiveServer(tmp_path / "b", env=dict(env), demo=False).start()
    yield a, b
    a.stop(), b.stop()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


async def test_two_processes_share_one_space(two_servers) -> None:
    a, b = two_servers
    ines = SpaceClient(a.url, "commons-demo", await sign_in(a.url, "ines", "instructor-demo"))
    sam = SpaceClient(b.url, "commons-demo", await sign_in(b.url, "sam", "student-demo"))
    await ines.connect()
    await sam.connect()
    # participants on the other process are listed
    await eventually(lambda: "Sam Okafor" in {p["display_name"] for p in ines.participants.values()})
    # a command on A reaches the client on B
    ack = await ines.command("object.create", {"shape": "box", "position": [0, 1, 0], "id": "shared"})
    ev = await sam.wait_event(lambda e: e["seq"] == ack["seq"])
    assert ev["name"] == "object.created"
    # and one on B reaches A, with one sequence for both
    ack2 = await sam.command("chat.send", {"text": "from B"})
    assert ack2["seq"] == ack["seq"] + 1
    await ines.wait_event(lambda e: e["seq"] == ack2["seq"])
    assert ines.state == sam.state

    # poses cross too
    async def sent_and_seen() -> bool:  # sends a pose as a headset does, until Sam has one
        await ines.send_pose((3.0, 1.5, 0.0, 0, 0, 0, 1))
        return ines.you["pid"] in sam.poses

    await eventually(sent_and_seen, interval=0.05)
    assert sam.poses[ines.you["pid"]].floats[0] == 3.0
    await ines.close(), await sam.close()


async def test_interleaved_writers_on_two_processes_keep_one_order(two_servers) -> None:
    a, b = two_servers
    ines = SpaceClient(a.url, "commons-demo", await sign_in(a.url, "ines", "instructor-demo"))
    kim = SpaceClient(b.url, "commons-demo", await sign_in(b.url, "kim", "student-demo"))
    await ines.connect(), await kim.connect()

    async def talk(client: SpaceClient, who: str) -> int:
        for i in range(20):
            ack = await client.command("chat.send", {"text": f"{who}{i}"})
        return int(ack["seq"])

    head = max(await asyncio.gather(talk(ines, "a"), talk(kim, "b")))
    await eventually(lambda: ines.seq == kim.seq == head)
    assert [m["text"] for m in ines.state["chat"]] == [m["text"] for m in kim.state["chat"]]
    await ines.close(), await kim.close()
