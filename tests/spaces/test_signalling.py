"""WebRTC signalling over the space socket and floor control enforced on it, against a real server:
relayed to the one participant named, from the sender's own pid, never into the log; forged,
oversized, flooding and silenced signals refused with an error frame, harming nobody else."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from tests.conftest import LiveServer, eventually, join

from medverse.client import SpaceClient
from medverse.spaces import protocol as P

HEAD = "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
AUDIO_SDP = HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendrecv\r\n"
VIDEO_ONLY_SDP = HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n"
CANDIDATE = {"candidate": "candidate:1 1 udp 2122260223 192.0.2.7 54400 typ host", "sdpMid": "0", "sdpMLineIndex": 0}


def _space(server: LiveServer, members: dict[str, str]) -> str:
    name = f"sig-{secrets.token_hex(4)}"
    with server.login("admin") as admin:
        r = admin.post(
            "/api/spaces",
            json={"name": name, "kind": "commons", "members": [{"username": u, "role": r} for u, r in members.items()]},
        )
        assert r.status_code == 201, r.text
    return name


@pytest.fixture
def space_name(live_server: LiveServer) -> str:
    return _space(live_server, {"ines": "instructor", "sam": "participant", "kim": "participant"})


def pid(client: SpaceClient) -> int:
    return int(client.you["pid"])


async def refused(client: SpaceClient, sig_id: str) -> dict[str, Any]:
    """The error frame answering the signal ``sig_id``."""
    return await eventually(lambda: next((e for e in client.errors if e.get("id") == sig_id), None), what=f"error {sig_id}")


def offer(sdp: str, audio: bool, video: bool = False) -> dict[str, Any]:
    return {"sdp": sdp, "media": {"audio": audio, "video": video, "screen": False}}


async def test_two_users_exchange_offer_answer_and_candidates(live_server, space_name) -> None:
    ines, sam = await join(live_server, space_name, "ines"), await join(live_server, space_name, "sam")
    seq = ines.seq
    await ines.signal(pid(sam), "offer", offer(AUDIO_SDP, audio=True))
    got = await eventually(lambda: sam.signals and sam.signals[0])
    assert got == {
        "type": P.SIGNAL,
        "from": pid(ines),
        "from_user": ines.you["user_id"],
        "kind": "offer",
        "data": offer(AUDIO_SDP, audio=True),
    }
    await sam.signal(pid(ines), "answer", offer(AUDIO_SDP, audio=True))
    await sam.signal(pid(ines), "candidate", CANDIDATE)
    await ines.signal(pid(sam), "candidate", CANDIDATE)
    await ines.signal(pid(sam), "bye")
    await eventually(lambda: len(ines.signals) == 2 and len(sam.signals) == 3)
    assert [s["kind"] for s in ines.signals] == ["answer", "candidate"]
    assert [s["kind"] for s in sam.signals] == ["offer", "candidate", "bye"]
    assert all(s["from"] == pid(sam) for s in ines.signals)
    assert not ines.errors and not sam.errors
    ack = await ines.command("chat.send", {"text": "signals are not events"})
    assert ack["seq"] == seq + 1  # nothing of the signalling entered the log
    await ines.close(), await sam.close()


async def test_a_participant_of_another_space_is_not_found(live_server, space_name) -> None:
    other = _space(live_server, {"kim": "participant"})
    ines, kim = await join(live_server, space_name, "ines"), await join(live_server, other, "kim")
    await ines.signal(pid(kim), "offer", offer(AUDIO_SDP, audio=True), sig_id="cross")
    await ines.signal(999_999_999, "candidate", CANDIDATE, sig_id="nobody")
    assert (await refused(ines, "cross"))["code"] == P.E_NOT_FOUND
    assert (await refused(ines, "nobody"))["code"] == P.E_NOT_FOUND
    assert not kim.signals
    await ines.close(), await kim.close()


async def test_a_forged_sender_is_refused_and_nothing_is_relayed(live_server, space_name) -> None:
    ines, sam, kim = [await join(live_server, space_name, u) for u in ("ines", "sam", "kim")]
    forged = {"type": P.SIGNAL, "id": "forged", "to": pid(kim), "from": pid(sam), "kind": "offer", "data": offer(AUDIO_SDP, True)}
    await ines.send_raw(json.dumps(forged))
    error = await refused(ines, "forged")
    assert error["code"] == P.E_FORBIDDEN and "as yourself" in error["message"]
    honest = {**forged, "id": "honest", "from": pid(ines)}  # naming oneself is harmless
    await ines.send_raw(json.dumps(honest))
    await eventually(lambda: kim.signals)
    assert [s["from"] for s in kim.signals] == [pid(ines)]
    for c in (ines, sam, kim):
        await c.close()


async def test_oversized_and_malformed_signals_are_bad_messages(live_server, space_name) -> None:
    ines, sam = await join(live_server, space_name, "ines"), await join(live_server, space_name, "sam")
    big_sdp = AUDIO_SDP + "a=x-padding:" + "x" * P.SIGNAL_MAX_SDP_BYTES + "\r\n"
    await ines.signal(pid(sam), "offer", offer(big_sdp, audio=True), sig_id="big-sdp")
    await ines.signal(pid(sam), "candidate", {**CANDIDATE, "candidate": "c" * 2000}, sig_id="big-candidate")
    await ines.signal(pid(sam), "wave", {}, sig_id="bad-kind")
    await ines.signal(pid(ines), "bye", {}, sig_id="self")
    await ines.signal(pid(sam), "offer", {"media": {"audio": False}}, sig_id="no-sdp")
    await ines.send_raw(json.dumps({"type": P.SIGNAL, "id": "no-target", "kind": "bye", "data": {}}))
    await ines.send_raw(json.dumps({"type": P.SIGNAL, "id": "bad-data", "to": pid(sam), "kind": "bye", "data": [1]}))
    for sig_id in ("big-sdp", "big-candidate", "bad-kind", "self", "no-sdp", "no-target", "bad-data"):
        assert (await refused(ines, sig_id))["code"] == P.E_BAD_MESSAGE, sig_id
    assert "at most 16384 bytes" in (await refused(ines, "big-sdp"))["message"]
    await ines.signal(pid(sam), "offer", offer(AUDIO_SDP, audio=True))  # the socket goes on
    await eventually(lambda: sam.signals)
    assert len(sam.signals) == 1
    await ines.close(), await sam.close()


async def test_a_candidate_flood_is_rate_limited_and_harms_nobody_else(live_server, space_name) -> None:
    ines, sam, kim = [await join(live_server, space_name, u) for u in ("ines", "sam", "kim")]
    for _ in range(400):
        await sam.signal(pid(ines), "candidate", CANDIDATE)
    assert await sam.wait_closed(10) == P.CLOSE_FLOOD
    assert any(e["code"] == P.E_RATE_LIMITED for e in sam.errors)
    assert len(ines.signals) <= P.SIGNAL_BURST + 50  # the burst, and what trickled in meanwhile
    # the others carry on: commands, and signalling between them
    assert (await kim.command("chat.send", {"text": "still fine"}))["type"] == P.ACK
    await kim.signal(pid(ines), "candidate", CANDIDATE)
    await eventually(lambda: any(s["from"] == pid(kim) for s in ines.signals))
    await ines.close(), await kim.close()


async def test_a_muted_student_may_send_video_but_no_audio(live_server, space_name) -> None:
    ines, sam = await join(live_server, space_name, "ines"), await join(live_server, space_name, "sam")
    await ines.command("voice.mute", {"user_id": sam.you["user_id"], "muted": True})
    stop = await eventually(lambda: sam.media_stops and sam.media_stops[0])
    assert stop == {"type": P.MEDIA_STOP, "audio": True, "reason": "an instructor muted your microphone"}
    await sam.signal(pid(ines), "offer", offer(AUDIO_SDP, audio=True), sig_id="flagged")
    await sam.signal(pid(ines), "offer", {"sdp": AUDIO_SDP}, sig_id="unflagged")  # the SDP sends audio
    await sam.signal(pid(ines), "answer", {"sdp": AUDIO_SDP, "media": {"audio": False}}, sig_id="lying")
    for sig_id in ("flagged", "unflagged", "lying"):
        error = await refused(sam, sig_id)
        assert error["code"] == P.E_FORBIDDEN and "muted your microphone" in error["message"], sig_id
    await sam.signal(pid(ines), "offer", offer(VIDEO_ONLY_SDP, audio=False, video=True))
    got = await eventually(lambda: ines.signals and ines.signals[-1])
    assert got["data"]["sdp"] == VIDEO_ONLY_SDP and len(ines.signals) == 1
    assert not ines.media_stops
    await ines.close(), await sam.close()


async def test_mute_all_is_logged_and_stops_every_students_microphone(live_server, space_name) -> None:
    ines, sam, kim = [await join(live_server, space_name, u) for u in ("ines", "sam", "kim")]
    ack = await ines.command("voice.mute_all", {"muted": True})
    for student in (sam, kim):
        ev = await student.wait_event(lambda e: e["seq"] == ack["seq"])
        assert ev["name"] == "voice.muted_all" and ev["data"] == {"muted": True}
        await eventually(lambda s=student: s.media_stops)  # type: ignore[misc]
        assert student.state and student.state["voice"]["muted_all"] is True
    assert not ines.media_stops
    await sam.signal(pid(ines), "offer", offer(AUDIO_SDP, audio=True), sig_id="before-floor")
    assert (await refused(sam, "before-floor"))["code"] == P.E_FORBIDDEN
    await sam.command("voice.raise_hand", {"raised": True})
    await ines.command("voice.give_floor", {"user_id": sam.you["user_id"], "allowed": True})
    await sam.signal(pid(ines), "offer", offer(AUDIO_SDP, audio=True), sig_id="with-floor")
    await eventually(lambda: ines.signals)
    assert [s["from"] for s in ines.signals] == [pid(sam)]
    with pytest.raises(Exception, match="forbidden"):
        await kim.command("voice.set_self_muted", {"muted": False})
    for c in (ines, sam, kim):
        await c.close()


async def test_a_removed_participant_cannot_signal(live_server, space_name) -> None:
    ines, sam = await join(live_server, space_name, "ines"), await join(live_server, space_name, "sam")
    await ines.command("member.remove", {"user_id": sam.you["user_id"]})
    assert await sam.wait_closed(5) == P.CLOSE_FORBIDDEN
    with pytest.raises(Exception):  # noqa: B017 - the socket is gone, whatever the library raises
        await sam.signal(pid(ines), "offer", offer(AUDIO_SDP, audio=True))
    await eventually(lambda: pid(sam) not in ines.participants)
    await ines.signal(pid(sam), "offer", offer(AUDIO_SDP, audio=True), sig_id="to-removed")
    assert (await refused(ines, "to-removed"))["code"] == P.E_NOT_FOUND
    assert not ines.signals
    await ines.close()


async def test_without_a_media_server_signals_to_it_are_unavailable(live_server, space_name) -> None:
    sam = await join(live_server, space_name, "sam")
    assert sam.welcome["media"] == {"mode": "p2p", "ice_servers": [], "p2p_max_peers": 8}
    await sam.signal(0, "offer", {**offer(AUDIO_SDP, audio=True), "pc": "pub"}, sig_id="to-sfu")
    error = await refused(sam, "to-sfu")
    assert error["code"] == P.E_UNAVAILABLE and "peer-to-peer" in error["message"]
    await sam.close()
