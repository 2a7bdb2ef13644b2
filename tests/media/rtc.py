"""A WebRTC participant for the SFU tests: an aiortc client speaking the `sfu` signalling of
docs/protocol.md over a real space socket (``medverse.client.SpaceClient``).

It publishes a tone on its ``pub`` connection and answers the server's ``sub`` offers, counting,
for each publisher it receives, the audio frames and how many of them are not silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import math
import time
from dataclasses import dataclass, field
from typing import Any

import ifaddr
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from av import AudioFrame, VideoFrame

from medverse.client import SpaceClient

SAMPLE_RATE = 48000
FRAME_SAMPLES = 960  # 20 ms


def lan_address() -> str | None:
    """An IPv4 address of this machine other than loopback: Janus never gathers candidates on
    the loopback interface, so the clients and Janus meet on this one."""
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str) and not ip.ip.startswith("127."):
                return ip.ip
    return None


class ToneTrack(AudioStreamTrack):
    """A 440 Hz sine, 20 ms frames at 48 kHz, paced in real time (what a microphone would send)."""

    def __init__(self, amplitude: float = 0.3) -> None:
        super().__init__()
        self.amplitude = amplitude
        self._n = 0
        self._start: float | None = None
        self.sent = 0

    async def recv(self) -> AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._n * FRAME_SAMPLES / SAMPLE_RATE
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        t = (np.arange(FRAME_SAMPLES) + self._n * FRAME_SAMPLES) / SAMPLE_RATE
        samples = (np.sin(2 * math.pi * 440 * t) * self.amplitude * 32767).astype(np.int16)
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._n * FRAME_SAMPLES
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._n += 1
        self.sent += 1
        return frame


class TinyVideoTrack(VideoStreamTrack):
    """A 64x48 grey picture at 5 fps: video that costs next to nothing to encode."""

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame.from_ndarray(np.full((48, 64, 3), 128, dtype=np.uint8), format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        await asyncio.sleep(0.2)
        return frame


@dataclass
class Heard:
    """What one participant received from one publisher's audio."""

    frames: int = 0
    loud: int = 0  # frames whose RMS is clearly above silence
    last_loud: float = 0.0
    rms: list[float] = field(default_factory=list)


@dataclass
class RtcParticipant:
    client: SpaceClient
    pub: RTCPeerConnection | None = None
    sub: RTCPeerConnection | None = None
    tone: ToneTrack | None = None
    heard: dict[int, Heard] = field(default_factory=dict)  # publisher pid -> what we got
    tracks: dict[str, dict[str, Any]] = field(default_factory=dict)  # sub mid -> {pid, user_id, source}
    sub_offers: int = 0
    answers: int = 0
    modes: list[dict[str, Any]] = field(default_factory=list)  # media.mode messages seen

    def __post_init__(self) -> None:
        self._seen = 0
        self._sources: dict[str, str] = {}
        self._pending_sources: list[tuple[Any, str]] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._pub_answer: asyncio.Future[dict[str, Any]] | None = None
        self._pump = asyncio.create_task(self._read_signals())

    @property
    def pid(self) -> int:
        return int(self.client.you["pid"])

    async def publish(self, tone: ToneTrack | None = None, video: tuple[str, ...] = (), timeout: float = 10.0) -> None:
        """Offer a tone (and a small video per source in ``video``, e.g. "screen") on a new
        publish connection and apply the server's answer."""
        self.pub = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.tone = tone or ToneTrack()
        self._sources = {}
        self._pending_sources = [(self.pub.addTransceiver(self.tone, direction="sendonly"), "mic")]
        for source in video:
            await self.add_video(source, negotiate=False)
        await self.negotiate(timeout)

    async def add_video(self, source: str, negotiate: bool = True) -> None:
        """Send one more (tiny) video, described as ``source``; renegotiates unless told not to."""
        assert self.pub is not None
        self._pending_sources.append((self.pub.addTransceiver(TinyVideoTrack(), direction="sendonly"), source))
        if negotiate:
            await self.negotiate()

    async def negotiate(self, timeout: float = 10.0) -> None:
        assert self.pub is not None
        await self.pub.setLocalDescription(await self.pub.createOffer())
        for transceiver, source in self._pending_sources:
            self._sources[str(transceiver.mid)] = source
        self._pub_answer = asyncio.get_running_loop().create_future()
        sdp = self.pub.localDescription.sdp
        data = {"pc": "pub", "sdp": sdp, "media": {"audio": True, "video": len(self._sources) > 1}, "sources": self._sources}
        await self.client.signal(0, "offer", data)
        answer = await asyncio.wait_for(self._pub_answer, timeout)
        await self.pub.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))

    def heard_from(self, pid: int) -> Heard:
        return self.heard.setdefault(pid, Heard())

    async def close(self) -> None:
        self._pump.cancel()
        for task in self._tasks:
            task.cancel()
        for pc in (self.pub, self.sub):
            if pc is not None:
                with contextlib.suppress(Exception):
                    await pc.close()
        await self.client.close()

    # --- the server's messages -----------------------------------------------------------------
    async def _read_signals(self) -> None:
        while True:
            signals = self.client.signals
            while self._seen < len(signals):
                msg = signals[self._seen]
                self._seen += 1
                if msg.get("from") == 0:
                    await self._on_signal(msg)
            await asyncio.sleep(0.01)

    async def _on_signal(self, msg: dict[str, Any]) -> None:
        data = msg["data"]
        if msg["kind"] == "answer" and data.get("pc") == "pub":
            if self._pub_answer is not None and not self._pub_answer.done():
                self._pub_answer.set_result(data)
        elif msg["kind"] == "offer" and data.get("pc") == "sub":
            self.sub_offers += 1
            self.tracks = dict(data["tracks"])
            if self.sub is None:
                self.sub = RTCPeerConnection(RTCConfiguration(iceServers=[]))
                self.sub.on("track", self._on_track)
            await self.sub.setRemoteDescription(RTCSessionDescription(sdp=data["sdp"], type="offer"))
            await self.sub.setLocalDescription(await self.sub.createAnswer())
            await self.client.signal(0, "answer", {"pc": "sub", "sdp": self.sub.localDescription.sdp})
            self.answers += 1

    def _on_track(self, track: Any) -> None:
        if track.kind == "audio":
            self._tasks.append(asyncio.create_task(self._listen(track)))

    def _pid_of(self, track: Any) -> int:
        assert self.sub is not None
        for transceiver in self.sub.getTransceivers():
            if transceiver.receiver.track is track and transceiver.mid in self.tracks:
                return int(self.tracks[transceiver.mid]["pid"])
        return -1

    async def _listen(self, track: Any) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                samples = frame.to_ndarray().astype(np.float64)
                rms = float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0
                heard = self.heard_from(self._pid_of(track))
                heard.frames += 1
                heard.rms.append(rms)
                if rms > 500:  # the tone is ~7000; Opus silence and comfort noise are far below
                    heard.loud += 1
                    heard.last_loud = time.monotonic()
