"""The Janus WebSocket client (medverse.media.janus) against a real Janus: sessions, handles,
synchronous and asynchronous plugin requests, refusals, and a Janus that dies."""

from __future__ import annotations

import asyncio

import pytest
from tests.media.conftest import JanusProcess

from medverse.media.janus import Janus, JanusError, JanusGone

pytestmark = pytest.mark.slow  # needs a Janus process (docs/testing.md: like a server process)


async def test_requests_replies_and_refusals(janus: JanusProcess) -> None:
    client = Janus(janus.url, janus.api_secret)
    await client.open()
    try:
        assert client.session_id > 0
        handle = await client.attach()
        room = 900_000_000 + janus.port
        data, jsep = await handle.message({"request": "create", "room": room, "secret": "s3cret", "is_private": True})
        assert data["videoroom"] == "created" and jsep is None
        with pytest.raises(JanusError) as exc:  # a plugin error carries the plugin's code
            await handle.message({"request": "create", "room": room})
        assert exc.value.code == 427
        # an asynchronous request: ack first, then the event, matched by transaction
        data, _ = await handle.message({"request": "join", "ptype": "publisher", "room": room, "id": 7, "display": "x"})
        assert data["videoroom"] == "joined" and data["id"] == 7
        listed, _ = await handle.message({"request": "listparticipants", "room": room})
        assert [p["id"] for p in listed["participants"]] == [7]
        await handle.trickle(None)
        await handle.message({"request": "destroy", "room": room, "secret": "s3cret"})
        await handle.detach()
    finally:
        await client.close()
    assert not client.is_open
    with pytest.raises(JanusGone):
        await client.attach()


async def test_a_wrong_api_secret_is_refused_clearly(janus: JanusProcess) -> None:
    client = Janus(janus.url, "not-the-secret")
    with pytest.raises(JanusError, match="Unauthorized"):
        await client.open()
    assert not client.is_open


async def test_nothing_listening_is_a_clear_error() -> None:
    client = Janus("ws://127.0.0.1:9/")
    with pytest.raises(JanusGone, match="cannot connect to Janus"):
        await client.open()


async def test_a_dying_janus_fails_what_is_pending_and_closes(own_janus: JanusProcess) -> None:
    client = Janus(own_janus.url)
    await client.open()
    handle = await client.attach()
    own_janus.kill()
    reason = await asyncio.wait_for(client.wait_closed(), 5)
    assert "closed" in reason and not client.is_open
    with pytest.raises(JanusGone):
        await handle.message({"request": "list"})
    await client.close()
