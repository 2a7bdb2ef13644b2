"""Two server processes (PostgreSQL and the Redis bus) on one Janus: participants of one space
connected to different processes meet in one videoroom, and the floor is enforced for each
publisher by the process it is connected to, whichever process the decision was made on."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import LiveServer, new_space
from tests.media.conftest import JanusProcess
from tests.media.test_janus_sfu import connect, rtc, wait_loud

pytestmark = pytest.mark.slow


@pytest.fixture
def two_sfu_servers(
    tmp_path: Path, fresh_postgres_url: str, redis_url: str, janus: JanusProcess
) -> Iterator[tuple[LiveServer, LiveServer]]:
    env = {
        "MEDVERSE_DATABASE_URL": fresh_postgres_url,
        "MEDVERSE_REDIS_URL": redis_url,
        "MEDVERSE_BUS_PREFIX": f"mvsfu-{secrets.token_hex(4)}",
        "MEDVERSE_SECRET_KEY": secrets.token_urlsafe(32),
        "MEDVERSE_MEDIA_MODE": "sfu",
        "MEDVERSE_JANUS_URL": janus.url,
        "MEDVERSE_JANUS_API_SECRET": janus.api_secret,
    }
    a = LiveServer(tmp_path / "a", env=dict(env))
    b = LiveServer(tmp_path / "b", env=dict(env), demo=False)
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        a.stop()
        b.stop()


async def test_one_room_across_processes_and_the_floor_enforced_by_each(two_sfu_servers: tuple[LiveServer, LiveServer]) -> None:
    a, b = two_sfu_servers
    space = new_space(a)
    sam = await rtc(a, space, "sam")
    kim = await rtc(b, space, "kim")
    ines, _ = await connect(b, space, "ines")
    try:
        await sam.publish()
        await kim.publish()
        await wait_loud(kim, sam.pid, 25)  # from process A's publisher to process B's listener
        await wait_loud(sam, kim.pid, 25)  # and back
        # the instructor, on B, mutes everyone: A stops Janus forwarding sam, B stops kim
        await ines.command("voice.mute_all", {"muted": True})
        await asyncio.sleep(1.5)
        heard = kim.heard_from(sam.pid).loud, sam.heard_from(kim.pid).loud
        await asyncio.sleep(2.0)
        assert kim.heard_from(sam.pid).loud - heard[0] <= 2, "Janus still forwards sam (on A) to kim"
        assert sam.heard_from(kim.pid).loud - heard[1] <= 2, "Janus still forwards kim (on B) to sam"
        await ines.command("voice.mute_all", {"muted": False})
        await wait_loud(kim, sam.pid, heard[0] + 25, timeout=10)
        await wait_loud(sam, kim.pid, heard[1] + 25, timeout=10)
    finally:
        for p in (sam, kim):
            await p.close()
        await ines.close()
