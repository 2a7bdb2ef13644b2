"""WebRTC signalling between participants on two server processes, through the signed Redis bus:
relayed only to the participant named, refused on the sender's process when it should be."""

from __future__ import annotations

import json

from tests.bus.test_redis_fanout import two_servers  # noqa: F401 - a fixture
from tests.conftest import eventually

from medverse.client import SpaceClient, sign_in
from medverse.spaces import protocol as P

SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n"
OFFER = {"sdp": SDP, "media": {"audio": True, "video": False, "screen": False}}


async def test_signals_cross_server_processes(two_servers) -> None:  # noqa: F811
    a, b = two_servers
    ines = SpaceClient(a.url, "commons-demo", await sign_in(a.url, "ines", "instructor-demo"))
    sam = SpaceClient(b.url, "commons-demo", await sign_in(b.url, "sam", "student-demo"))
    kim = SpaceClient(b.url, "commons-demo", await sign_in(b.url, "kim", "student-demo"))
    await ines.connect()
    await sam.connect(), await kim.connect()
    ines_pid, sam_pid = ines.you["pid"], sam.you["pid"]
    # B loaded the space after Ines joined on A: A's answer to Sam's join tells B she is there
    await eventually(lambda: ines_pid in sam.participants and sam_pid in ines.participants)

    await ines.signal(sam_pid, "offer", OFFER)
    got = await eventually(lambda: sam.signals and sam.signals[0])
    assert got == {"type": P.SIGNAL, "from": ines_pid, "from_user": ines.you["user_id"], "kind": "offer", "data": OFFER}
    await sam.signal(ines_pid, "answer", OFFER)
    await sam.signal(ines_pid, "candidate", {"candidate": "candidate:1 1 udp 1 192.0.2.1 5000 typ host"})
    await eventually(lambda: [s["kind"] for s in ines.signals] == ["answer", "candidate"])
    assert all(s["from"] == sam_pid for s in ines.signals)
    assert not kim.signals  # on the same process as Sam, but not named

    # a floor decision taken on A is enforced on B: Sam's audio offer is refused there
    await ines.command("voice.mute", {"user_id": sam.you["user_id"], "muted": True})
    await eventually(lambda: sam.media_stops)
    await sam.signal(ines_pid, "offer", OFFER, sig_id="muted")
    error = await eventually(lambda: next((e for e in sam.errors if e.get("id") == "muted"), None))
    assert error["code"] == P.E_FORBIDDEN
    # a forged sender is refused on the sender's process, before the bus
    forged = {"type": P.SIGNAL, "id": "forged", "to": sam_pid, "from": kim.you["pid"], "kind": "bye", "data": {}}
    await ines.send_raw(json.dumps(forged))
    error = await eventually(lambda: next((e for e in ines.errors if e.get("id") == "forged"), None))
    assert error["code"] == P.E_FORBIDDEN
    assert len(sam.signals) == 1 and len(ines.signals) == 2
    await ines.close(), await sam.close(), await kim.close()
