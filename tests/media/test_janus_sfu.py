"""The `sfu` media mode against a real Janus (started by scripts/janus.sh) and a real server:
aiortc clients publish and receive through Janus over the space socket's signalling; the floor is
enforced by Janus not forwarding; bad signals are refused; a Janus that dies or comes back is
announced and the space keeps working."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from tests.conftest import LiveServer, eventually, new_space
from tests.media.conftest import JanusProcess
from tests.media.rtc import RtcParticipant

from medverse.client import SpaceClient, sign_in
from medverse.spaces import protocol as P

pytestmark = pytest.mark.slow

HEAD = "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
AUDIO_SDP = HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendonly\r\n"


async def connect(server: LiveServer, space: str, username: str) -> tuple[SpaceClient, list[dict[str, Any]]]:
    """A signed-in client joined to ``space``, and the list of the welcome and every
    ``media.mode`` message it gets (the Python client keeps neither)."""
    client = SpaceClient(server.url, space, await sign_in(server.url, username, server.credentials[username]))
    seen: list[dict[str, Any]] = []
    handle = client._handle

    def spy(msg: dict[str, Any]) -> None:
        if msg.get("type") in (P.WELCOME, P.MEDIA_MODE):
            seen.append(msg)
        handle(msg)

    client._handle = spy  # type: ignore[method-assign]
    await client.connect()
    return client, seen


async def rtc(server: LiveServer, space: str, username: str) -> RtcParticipant:
    client, seen = await connect(server, space, username)
    participant = RtcParticipant(client)
    participant.modes = seen
    return participant


def welcome_mode(seen: list[dict[str, Any]]) -> str:
    return str(next(m for m in seen if m["type"] == P.WELCOME)["media"]["mode"])


async def refused(client: SpaceClient, sig_id: str | None, contains: str = "") -> dict[str, Any]:
    def match() -> dict[str, Any] | None:
        return next((e for e in client.errors if e.get("id") == sig_id and contains in e.get("message", "")), None)

    return await eventually(match, timeout=8, what=f"error {sig_id} ({contains})")


async def wait_loud(listener: RtcParticipant, pid: int, more_than: int, timeout: float = 15.0) -> None:
    await eventually(lambda: listener.heard_from(pid).loud > more_than, timeout=timeout, what=f"audio from pid {pid}")


async def test_audio_goes_through_janus_and_mute_all_stops_forwarding(sfu_server: LiveServer) -> None:
    space = new_space(sfu_server)
    ines, ines_seen = await connect(sfu_server, space, "ines")  # no WebRTC: never answers its offers
    sam = await rtc(sfu_server, space, "sam")
    kim = await rtc(sfu_server, space, "kim")
    try:
        assert welcome_mode(sam.modes) == "sfu" and welcome_mode(ines_seen) == "sfu"
        await sam.publish()
        await wait_loud(kim, sam.pid, 25)  # half a second of tone, through Janus
        mid, track = next(iter(kim.tracks.items()))
        assert track == {"pid": sam.pid, "user_id": sam.client.you["user_id"], "source": "mic"}, kim.tracks
        assert mid
        assert kim.heard_from(sam.pid).frames > 0 and sam.pid not in sam.heard  # nobody receives themselves

        # the instructor mutes everyone; sam's client ignores media.stop and keeps sending
        await ines.command("voice.mute_all", {"muted": True})
        await eventually(lambda: sam.client.media_stops, what="media.stop for sam")
        await asyncio.sleep(1.5)  # what was in flight drains
        heard, sent = kim.heard_from(sam.pid).loud, sam.tone.sent if sam.tone else 0
        await asyncio.sleep(2.0)
        assert sam.tone is not None and sam.tone.sent - sent >= 80, "sam's client kept sending"
        assert kim.heard_from(sam.pid).loud - heard <= 2, "Janus still forwards sam's audio"

        # the floor comes back: Janus forwards sam again, without any new negotiation
        offers = kim.sub_offers
        await ines.command("voice.mute_all", {"muted": False})
        await wait_loud(kim, sam.pid, kim.heard_from(sam.pid).loud + 25, timeout=10)
        assert kim.sub_offers == offers
        # nothing of the media path is in the log: only the floor decisions
        assert [e["name"] for e in ines.events if e["name"].startswith("voice.")] == ["voice.muted_all", "voice.muted_all"]
        assert all(not e["name"].startswith(("signal", "media")) for e in ines.events)
    finally:
        for p in (sam, kim):
            await p.close()
        await ines.close()


async def test_sources_travel_through_janus_as_the_tracks_of_the_offers(sfu_server: LiveServer) -> None:
    space = new_space(sfu_server)
    sam = await rtc(sfu_server, space, "sam")
    kim = await rtc(sfu_server, space, "kim")
    try:
        await sam.publish(video=("screen",))
        await eventually(lambda: len(kim.tracks) == 2, what="sam's two streams offered to kim")
        assert sorted(t["source"] for t in kim.tracks.values()) == ["mic", "screen"]
        assert {t["pid"] for t in kim.tracks.values()} == {sam.pid}
        # sam adds a camera: the new stream reaches kim in a new offer, described as such
        offers = kim.sub_offers
        await sam.add_video("camera")
        await eventually(lambda: len(kim.tracks) == 3, what="sam's camera offered to kim")
        assert sorted(t["source"] for t in kim.tracks.values()) == ["camera", "mic", "screen"]
        assert kim.sub_offers > offers
        await eventually(lambda: kim.answers == kim.sub_offers, what="kim answering every offer")
        # sam stops publishing: kim is offered nothing of sam's any more
        await sam.client.signal(0, "bye", {"pc": "pub"})
        await eventually(lambda: not kim.tracks, what="sam's streams withdrawn from kim")
    finally:
        for p in (sam, kim):
            await p.close()


async def test_a_late_listener_is_offered_what_is_published_and_a_candidate_flood_harms_nobody(sfu_server: LiveServer) -> None:
    space = new_space(sfu_server)
    sam = await rtc(sfu_server, space, "sam")
    kim = None
    try:
        await sam.publish()
        kim = await rtc(sfu_server, space, "kim")  # joins after sam publishes, signals nothing
        await wait_loud(kim, sam.pid, 10)
        # kim floods the media server with candidates: the gateway's rate limit takes the excess,
        # the plane hands Janus at most 100 per connection, and the audio keeps flowing
        for i in range(130):
            cand = {
                "pc": "sub",
                "candidate": f"candidate:{i} 1 udp 2122260223 198.51.100.{i % 250} {40000 + i} typ host",
                "sdpMid": "0",
                "sdpMLineIndex": 0,
            }
            await kim.client.signal(0, "candidate", cand)
        before = kim.heard_from(sam.pid).loud
        await wait_loud(kim, sam.pid, before + 50)
        assert {e["code"] for e in kim.client.errors} <= {P.E_RATE_LIMITED}
        assert not sam.client.errors
        assert (await sam.client.command("chat.send", {"text": "still here"}))["type"] == P.ACK
    finally:
        if kim is not None:
            await kim.close()
        await sam.close()


async def test_bad_signals_to_the_media_server_are_refused(sfu_server: LiveServer) -> None:
    space = new_space(sfu_server, members={"ines": "instructor", "sam": "participant", "kim": "observer"})
    ines, _ = await connect(sfu_server, space, "ines")
    sam, _ = await connect(sfu_server, space, "sam")
    kim, _ = await connect(sfu_server, space, "kim")
    try:
        pub = {"pc": "pub", "sdp": AUDIO_SDP, "media": {"audio": True}, "sources": {"0": "mic"}}
        # forged sender, oversized SDP, no pc, a pc that does not take this kind
        await sam.send_raw(
            json.dumps({"type": "signal", "id": "forged", "from": int(ines.you["pid"]), "to": 0, "kind": "offer", "data": pub})
        )
        await sam.signal(0, "offer", {**pub, "sdp": AUDIO_SDP + "a=x-pad:" + "x" * 17000 + "\r\n"}, sig_id="huge")
        await sam.signal(0, "offer", {"sdp": AUDIO_SDP}, sig_id="no-pc")
        await sam.signal(0, "offer", {**pub, "pc": "sub"}, sig_id="sub-offer")
        await sam.signal(0, "answer", {"pc": "pub", "sdp": AUDIO_SDP}, sig_id="pub-answer")
        await sam.signal(0, "answer", {"pc": "sub", "sdp": AUDIO_SDP}, sig_id="unasked-answer")
        await sam.signal(0, "offer", {**pub, "sources": {"0": "microwave"}}, sig_id="bad-source")
        await sam.signal(0, "candidate", {"pc": "pub", "candidate": 42, "sdpMid": "0"}, sig_id="bad-candidate")
        expected = {
            "forged": P.E_FORBIDDEN,
            "huge": P.E_BAD_MESSAGE,
            "no-pc": P.E_BAD_MESSAGE,
            "sub-offer": P.E_BAD_MESSAGE,
            "pub-answer": P.E_BAD_MESSAGE,
            "unasked-answer": P.E_BAD_MESSAGE,
            "bad-source": P.E_BAD_MESSAGE,
            "bad-candidate": P.E_BAD_MESSAGE,
        }
        for sig_id, code in expected.items():
            assert (await refused(sam, sig_id))["code"] == code, sig_id
        # who may not speak cannot publish audio: an observer, a muted student
        await kim.signal(0, "offer", pub, sig_id="observer")
        assert (await refused(kim, "observer"))["code"] == P.E_FORBIDDEN
        await ines.command("voice.mute", {"user_id": sam.you["user_id"], "muted": True})
        await eventually(lambda: sam.media_stops)
        await sam.signal(0, "offer", pub, sig_id="muted")
        assert (await refused(sam, "muted", "muted"))["code"] == P.E_FORBIDDEN
        # an SDP Janus cannot use is refused by Janus, reported to the sender only
        await ines.signal(0, "offer", {**pub, "sdp": "v=0\r\nthis is not an sdp\r\n"})
        error = await refused(ines, None, "media server refused")
        assert error["code"] == P.E_BAD_MESSAGE
        assert not [e for e in sam.errors if "media server refused" in e["message"]]
        # nobody else heard about any of it, and the space works
        assert not [s for c in (ines, sam, kim) for s in c.signals]
        assert (await kim.command("chat.send", {"text": "fine"}))["type"] == P.ACK
    finally:
        for c in (ines, sam, kim):
            await c.close()


async def test_janus_dying_and_coming_back_is_announced_and_the_space_keeps_working(
    own_janus_and_server: tuple[JanusProcess, LiveServer],
) -> None:
    janus, server = own_janus_and_server
    space = new_space(server)
    sam = await rtc(server, space, "sam")
    kim = await rtc(server, space, "kim")
    try:
        await sam.publish()
        await wait_loud(kim, sam.pid, 10)
        started = time.monotonic()
        janus.kill()
        for p in (sam, kim):
            await eventually(lambda p=p: [m for m in p.modes if m["type"] == P.MEDIA_MODE], timeout=10)  # type: ignore[misc]
            mode = next(m for m in p.modes if m["type"] == P.MEDIA_MODE)
            assert mode["mode"] == "p2p" and mode["reason"]
        noticed = time.monotonic() - started
        # the space keeps working: commands, newcomers (told p2p), peer-to-peer signalling
        assert (await kim.client.command("chat.send", {"text": "can you hear me?"}))["type"] == P.ACK
        ines, ines_seen = await connect(server, space, "ines")
        assert welcome_mode(ines_seen) == "p2p"
        await sam.client.signal(0, "offer", {"pc": "pub", "sdp": AUDIO_SDP, "media": {"audio": True}}, sig_id="down")
        assert (await refused(sam.client, "down"))["code"] == P.E_UNAVAILABLE
        await ines.signal(kim.pid, "offer", {"sdp": AUDIO_SDP, "media": {"audio": True}})
        await eventually(lambda: [s for s in kim.client.signals if s["from"] == int(ines.you["pid"])])

        janus.start()
        restarted = time.monotonic()
        for p in (sam, kim):
            await eventually(lambda p=p: [m for m in p.modes if m.get("mode") == "sfu" and m["type"] == P.MEDIA_MODE], timeout=15)  # type: ignore[misc]
        back = time.monotonic() - restarted
        await eventually(lambda: [m for m in ines_seen if m.get("mode") == "sfu"])
        # media work again through the new Janus
        await sam.pub.close() if sam.pub else None
        await kim.sub.close() if kim.sub else None
        kim.sub = None
        before = kim.heard_from(sam.pid).loud
        await sam.publish()
        await wait_loud(kim, sam.pid, before + 10)
        print(f"Janus's death noticed in {noticed:.2f} s, its return in {back:.2f} s")
        await ines.close()
    finally:
        for p in (sam, kim):
            await p.close()
