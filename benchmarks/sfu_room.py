"""One voice room of N synthetic participants through the SFU (Janus), and the same room
peer-to-peer: what each costs and how fast and completely the audio gets through (issue 8).

Setup. One Janus (scripts/janus.sh, on a free port) and a real medverse server process
(`MEDVERSE_MEDIA_MODE=sfu`), N users created through the admin API and one space per run with
them as members. This process holds the N participants: each is a ``medverse.client.SpaceClient``
(its own user, its own space socket) plus aiortc peer connections signalled over that socket
exactly as docs/protocol.md says. 3 of them speak: each publishes one Opus track (a 440 Hz tone
with a little random noise, paced in real time, 20 ms frames; Opus asked for 32 kbit/s, a
browser's voice rate, instead of aiortc's 96: libopus spends more on this tone, the rates printed
are what was sent). Everyone subscribes to everyone else: the server's
``pc: "sub"`` offers are answered. Then nothing changes for ``--seconds`` (the measured window).

Peer-to-peer: a second medverse server (`p2p`, its default mode), same users; each speaker
offers one sending connection to every other participant, relayed by medverse as `signal`s, and
each listener answers (the full mesh the room needs for everyone to hear everyone: the web client
itself caps it at ``p2p_max_peers``, 8, the nearest). 3 speaking gives 3 * (N - 1) streams,
everyone speaking N * (N - 1) (run for the sizes of ``--p2p-all``). Every stream is then its own
connection (ICE, DTLS, SRTP, RTCP, its own Opus encoder at the speaker), where through Janus a
speaker sends one and a listener receives all on one. Here all N clients share this one Python
process (about one core at most, with the GIL) on a machine of 2 cores: when peer-to-peer breaks
down in this harness, it is the whole room's clients on one core that do, not one client; what
carries over to real clients is the per-speaker load (N - 1 encoders and connections, the uplink)
and the cost per connection. benchmarks/media_client_cpu.py measures what k peer connections cost
one Chromium.

What is printed, per run:

- Janus CPU (utime + stime of the process and its threads, /proc/<pid>/stat) over the window,
  in % of one core, and its RSS at the end;
- the medverse server's CPU over the same window (its cost while the room just talks: no
  signalling is left then) and during the join phase (from the first socket opening to the
  moment every listener receives every speaker: the signalling cost);
- packet delay, per (RTP packet, listener): the time from the moment the speaker's aiortc hands
  the RTP packet to SRTP and its UDP socket (a hook on ``RTCDtlsTransport._send_rtp``) to the
  moment the listener's aiortc has received, decrypted and parsed it (a hook on
  ``RTCRtpReceiver._handle_rtp_packet``). Both ends live in this process: one clock
  (``time.perf_counter``). Packets are matched by their Opus payload, which Janus forwards
  unchanged while it rewrites sequence numbers, timestamps and SSRCs (the noise in the tone
  makes every payload unique; a payload seen twice is left out and counted). Included: SRTP
  protect, the kernel's UDP path on this machine (the clients and Janus meet on the LAN address:
  Janus gathers no candidates on loopback), Janus receiving, decrypting, forwarding and
  re-encrypting, and the time the packet waits in the listener's socket buffer until this
  process's event loop reads it (that wait is the harness's: the event loop's lag is printed
  beside it). Not included: encoding, jitter buffer, decoding, playout.
- lost packets: of the packets each speaker sent in the window, those that never reached a
  listener that should get them (or reached it more than 1 s late), over all listeners, and the
  worst single stream;
- the harness's own CPU (this process: N aiortc clients, Opus encoding for the speakers; the
  listeners stop at the RTP layer and do not decode unless ``--decode``) and its event loop's
  lag, so that the harness's share of the figures is visible;
- bit rates: per speaker up (all its sending connections) and per listener down, IPv4 + UDP +
  SRTP (RTP bytes + 10 bytes SRTP tag + 28 bytes headers);
- the speakers' sending: the CPU time of Opus encoding and of handing packets to SRTP and the
  socket (measured inside those calls, so without aiortc's per-connection asyncio overhead), and
  how many of the packets due in real time (50 per second per sending connection) were sent: a
  client short of CPU falls behind there first.

A run "carried the room" unless some stream never flowed, more than 1 % was lost, less than 98 %
was sent in real time, the p99 delay exceeded 150 ms, or the harness's event loop lagged more than
50 ms (p99; then the delay is mostly the harness's).

This file copies what it needs of tests/media/rtc.py instead of importing it: a benchmark is run
as a script from benchmarks/ (tests/ is not on its path), it needs clients that do not decode and
that also speak peer-to-peer, and it must not change when the tests' helpers change.

Nothing is asserted: the figures are printed, with the machine and its load average.

    python benchmarks/sfu_room.py [--sizes 10,30] [--seconds 20] [--p2p-sizes 6,10,30] [--p2p-all 10]
    python benchmarks/sfu_room.py --sizes 6 --seconds 5 --p2p-sizes 6 --p2p-all ''   # a smoke run

Needs Janus (scripts/janus.sh installs Debian's as root) and a network interface other than
loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import math
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import ifaddr
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.codecs import opus
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError
from aiortc.rtcdtlstransport import RTCDtlsTransport
from av import AudioFrame

from _server import BenchServer, free_port, machine  # type: ignore[import-not-found]
from medverse.client import SpaceClient, sign_in

ROOT = Path(__file__).resolve().parents[1]
JANUS_SH = ROOT / "scripts" / "janus.sh"
PASSWORD = "bench-password"
CLK_TCK = os.sysconf("SC_CLK_TCK")
SAMPLE_RATE = 48000
FRAME_SAMPLES = 960  # 20 ms
SPEAKERS = 3
GRACE_S = 1.0  # a packet later than this counts as lost (a jitter buffer would drop it)
SRTP_UDP_IP_OVERHEAD = 10 + 8 + 20


# --- the stamps: hooks into aiortc's send and receive paths -------------------------------------


def rtp_payload(data: bytes) -> bytes:
    """The payload of a serialized RTP packet (after the fixed header, CSRCs and extensions)."""
    offset = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10:
        offset += 4 + 4 * int.from_bytes(data[offset + 2 : offset + 4], "big")
    end = len(data) - (data[-1] if data[0] & 0x20 else 0)
    return data[offset:end]


def is_rtcp(data: bytes) -> bool:
    return len(data) >= 2 and 192 <= data[1] <= 208


Link = tuple[int, int]  # (speaker, listener) for a peer-to-peer connection; (speaker, -1) for an SFU publisher


class Stamps:
    """Send and receive times of every RTP packet of the run, on one clock."""

    def __init__(self) -> None:
        self.link_of: weakref.WeakKeyDictionary[RTCDtlsTransport, Link] = weakref.WeakKeyDictionary()
        self.listener_of: weakref.WeakKeyDictionary[RTCRtpReceiver, int] = weakref.WeakKeyDictionary()
        self.decode = False
        self.reset()

    def reset(self) -> None:
        self.window = False  # sending, and bytes received, count only in the window
        self.recording = False  # receipts count until a grace period after it
        self.sent: dict[Link, list[tuple[bytes, float]]] = defaultdict(list)
        self.sent_bytes: dict[int, int] = defaultdict(int)  # speaker -> bytes sent (IPv4 + UDP + SRTP)
        self.received: dict[tuple[int, bytes], float] = {}
        self.received_bytes: dict[int, int] = defaultdict(int)  # listener -> bytes received (IPv4 + UDP + SRTP)
        self.seen_payloads: dict[bytes, Link] = {}
        self.ambiguous: set[bytes] = set()
        self.flowing: dict[int, set[int]] = defaultdict(set)  # listener -> receivers that got packets
        self.send_cpu_s = 0.0  # CPU time of the speakers' Opus encoding and RTP sending, in the window

    def on_send(self, link: Link, data: bytes, t: float) -> None:
        if not self.window:
            return
        payload = rtp_payload(data)
        if payload in self.seen_payloads:
            self.ambiguous.add(payload)
        self.seen_payloads[payload] = link
        self.sent[link].append((payload, t))
        self.sent_bytes[link[0]] += len(data) + SRTP_UDP_IP_OVERHEAD

    def on_receive(self, listener: int, receiver: RTCRtpReceiver, payload: bytes, size: int, t: float) -> None:
        self.flowing[listener].add(id(receiver))
        if self.recording:
            self.received.setdefault((listener, payload), t)
        if self.window:
            self.received_bytes[listener] += size + SRTP_UDP_IP_OVERHEAD


STAMPS = Stamps()
SEND_CPU_LOCK = threading.Lock()
_send_rtp = RTCDtlsTransport._send_rtp
_handle_rtp_packet = RTCRtpReceiver._handle_rtp_packet


async def _stamped_send_rtp(self: RTCDtlsTransport, data: bytes) -> None:
    t, cpu = time.perf_counter(), time.thread_time()
    await _send_rtp(self, data)
    link = STAMPS.link_of.get(self)
    if link is not None and not is_rtcp(data):
        STAMPS.on_send(link, data, t)
        if STAMPS.window:
            with SEND_CPU_LOCK:
                STAMPS.send_cpu_s += time.thread_time() - cpu


async def _stamped_handle_rtp_packet(self: RTCRtpReceiver, packet: Any, arrival_time_ms: int) -> None:
    listener = STAMPS.listener_of.get(self)
    if listener is None:
        await _handle_rtp_packet(self, packet, arrival_time_ms)
        return
    STAMPS.on_receive(listener, self, packet.payload, 12 + len(packet.payload), time.perf_counter())
    if STAMPS.decode:
        await _handle_rtp_packet(self, packet, arrival_time_ms)


RTCDtlsTransport._send_rtp = _stamped_send_rtp  # type: ignore[method-assign]
RTCRtpReceiver._handle_rtp_packet = _stamped_handle_rtp_packet  # type: ignore[method-assign]


def set_opus_bitrate(bps: int) -> None:
    """aiortc encodes Opus at 96 kbit/s; a browser sends voice at about 32."""
    init = opus.OpusEncoder.__init__

    def patched(self: opus.OpusEncoder) -> None:
        init(self)
        self.codec.bit_rate = bps

    opus.OpusEncoder.__init__ = patched  # type: ignore[method-assign]


_encode = opus.OpusEncoder.encode


def _timed_encode(self: opus.OpusEncoder, frame: Any, force_keyframe: bool = False) -> tuple[list[bytes], int]:
    """Opus encoding runs in aiortc's executor threads: count its CPU time (only speakers encode)."""
    cpu = time.thread_time()
    out = _encode(self, frame, force_keyframe)
    if STAMPS.window:
        with SEND_CPU_LOCK:
            STAMPS.send_cpu_s += time.thread_time() - cpu
    return out


opus.OpusEncoder.encode = _timed_encode  # type: ignore[method-assign]


# --- the synthetic voice ------------------------------------------------------------------------

_t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
TONE = (np.sin(2 * math.pi * 440 * _t) * 0.3 * 32767).astype(np.int16)  # one second, 440 whole cycles


class ToneTrack(AudioStreamTrack):
    """A 440 Hz tone plus noise at -66 dBFS (so that no two Opus packets are alike), 20 ms frames
    at 48 kHz paced in real time, like a microphone."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.rng = np.random.default_rng(seed)
        self.noise = self.rng.integers(-16, 17, size=4 * SAMPLE_RATE, dtype=np.int16)
        self._n = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        delay = self._start + self._n * FRAME_SAMPLES / SAMPLE_RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        at = (self._n * FRAME_SAMPLES) % SAMPLE_RATE
        noise_at = int(self.rng.integers(0, len(self.noise) - FRAME_SAMPLES))
        samples = TONE[at : at + FRAME_SAMPLES] + self.noise[noise_at : noise_at + FRAME_SAMPLES]
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._n * FRAME_SAMPLES
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._n += 1
        return frame


# --- a participant --------------------------------------------------------------------------------


def new_pc() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def register_receivers(pc: RTCPeerConnection, listener: int) -> None:
    for transceiver in pc.getTransceivers():
        STAMPS.listener_of[transceiver.receiver] = listener


async def drain(track: Any) -> None:
    with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
        while True:
            await track.recv()


@dataclass
class Participant:
    """One synthetic participant: a space socket and its aiortc connections.

    SFU: ``pub`` sends its tone to Janus, ``sub`` receives everyone from Janus (both signalled
    with the server, ``to: 0``). Peer-to-peer: ``sends[pid]`` sends the tone to participant
    ``pid``, ``recvs[pid]`` receives ``pid``'s (signalled with ``pid`` through medverse)."""

    index: int
    client: SpaceClient
    index_of: dict[int, int]  # pid -> participant index (shared by the run)
    pub: RTCPeerConnection | None = None
    sub: RTCPeerConnection | None = None
    sends: dict[int, RTCPeerConnection] = field(default_factory=dict)
    recvs: dict[int, RTCPeerConnection] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._pub_answer: asyncio.Future[dict[str, Any]] | None = None
        self._drains: list[asyncio.Task[None]] = []
        handle = self.client._handle

        def spy(msg: dict[str, Any]) -> None:
            handle(msg)
            if msg.get("type") == "signal":
                self.inbox.put_nowait(msg)
            elif msg.get("type") == "error":
                self.errors.append(f"{msg.get('code')}: {msg.get('message')}")

        self.client._handle = spy  # type: ignore[method-assign]
        self.client.on_batch = lambda data: None  # presence: nobody here looks at poses
        self._pump = asyncio.create_task(self._read_signals())

    @property
    def pid(self) -> int:
        return int(self.client.you["pid"])

    def _on_track(self, track: Any) -> None:
        if STAMPS.decode:
            self._drains.append(asyncio.create_task(drain(track)))

    # SFU
    async def publish_sfu(self) -> None:
        self.pub = new_pc()
        transceiver = self.pub.addTransceiver(ToneTrack(seed=1000 + self.index), direction="sendonly")
        await self.pub.setLocalDescription(await self.pub.createOffer())
        STAMPS.link_of[transceiver.sender.transport] = (self.index, -1)
        self._pub_answer = asyncio.get_running_loop().create_future()
        data = {
            "pc": "pub",
            "sdp": self.pub.localDescription.sdp,
            "media": {"audio": True, "video": False},
            "sources": {str(transceiver.mid): "mic"},
        }
        await self.client.signal(0, "offer", data)
        answer = await asyncio.wait_for(self._pub_answer, 30)
        await self.pub.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))

    # peer-to-peer
    async def publish_p2p(self, pids: list[int]) -> None:
        await asyncio.gather(*(self._offer_to(pid) for pid in pids if pid != self.pid))

    async def _offer_to(self, pid: int) -> None:
        pc = self.sends[pid] = new_pc()
        transceiver = pc.addTransceiver(ToneTrack(seed=100_000 * (self.index + 1) + pid), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        STAMPS.link_of[transceiver.sender.transport] = (self.index, self.index_of[pid])
        data = {"sdp": pc.localDescription.sdp, "media": {"audio": True}, "sources": {str(transceiver.mid): "mic"}}
        await self.client.signal(pid, "offer", data)

    async def _read_signals(self) -> None:
        while True:
            msg = await self.inbox.get()
            try:
                await self._on_signal(msg)
            except Exception as exc:  # a failing connection is a result, not a crash of the run
                self.errors.append(f"{msg.get('kind')} from {msg.get('from')}: {exc!r}")

    async def _on_signal(self, msg: dict[str, Any]) -> None:
        data, kind, sender = msg["data"], msg["kind"], int(msg["from"])
        if sender == 0:  # the media server
            if kind == "answer" and data.get("pc") == "pub":
                if self._pub_answer is not None and not self._pub_answer.done():
                    self._pub_answer.set_result(data)
            elif kind == "offer" and data.get("pc") == "sub":
                if self.sub is None:
                    self.sub = new_pc()
                    self.sub.on("track", self._on_track)
                await self.sub.setRemoteDescription(RTCSessionDescription(sdp=data["sdp"], type="offer"))
                register_receivers(self.sub, self.index)
                await self.sub.setLocalDescription(await self.sub.createAnswer())
                await self.client.signal(0, "answer", {"pc": "sub", "sdp": self.sub.localDescription.sdp})
        elif kind == "offer":  # a peer's sending connection
            pc = self.recvs.get(sender)
            if pc is None:
                pc = self.recvs[sender] = new_pc()
                pc.on("track", self._on_track)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=data["sdp"], type="offer"))
            register_receivers(pc, self.index)
            await pc.setLocalDescription(await pc.createAnswer())
            await self.client.signal(sender, "answer", {"sdp": pc.localDescription.sdp, "media": {"audio": False}})
        elif kind == "answer" and sender in self.sends:
            await self.sends[sender].setRemoteDescription(RTCSessionDescription(sdp=data["sdp"], type="answer"))

    async def close(self) -> None:
        self._pump.cancel()
        for task in self._drains:
            task.cancel()
        pcs = [pc for pc in (self.pub, self.sub, *self.sends.values(), *self.recvs.values()) if pc is not None]
        await asyncio.gather(*(pc.close() for pc in pcs), return_exceptions=True)
        await self.client.close()


# --- measuring ------------------------------------------------------------------------------------


def proc_cpu_s(pid: int) -> float:
    """utime + stime of a process and all its threads, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def self_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Meter:
    """CPU seconds of the harness, the medverse server and Janus (when there is one) between
    ``start`` and ``stop``."""

    def __init__(self, server_pid: int, janus_pid: int | None) -> None:
        self.pids = {"medverse": server_pid, **({"janus": janus_pid} if janus_pid else {})}

    def read(self) -> dict[str, float]:
        now = {name: proc_cpu_s(pid) for name, pid in self.pids.items()}
        return {**now, "harness": self_cpu_s(), "t": time.perf_counter()}

    @staticmethod
    def cores(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
        dt = b["t"] - a["t"]
        return {k: (b[k] - a[k]) / dt for k in a if k != "t"} | {"seconds": dt}


async def loop_lag(samples: list[float], stop: asyncio.Event, period: float = 0.01) -> None:
    """How late this event loop wakes up: the wait a packet may spend in a socket buffer."""
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(period)
        samples.append(time.perf_counter() - t - period)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return float(np.percentile(np.asarray(values), q))


@dataclass
class Run:
    mode: str  # "sfu" or "p2p"
    n: int
    speakers: int
    server: BenchServer
    cookies: list[str]
    space: str
    janus_pid: int | None
    args: argparse.Namespace


async def wait_for(pred: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        await asyncio.sleep(step)
    return pred()


async def run_room(run: Run) -> dict[str, Any]:
    """Join N participants, let the speakers speak, measure a window, leave."""
    assert run.server.proc is not None
    STAMPS.reset()
    meter = Meter(run.server.proc.pid, run.janus_pid)
    people: list[Participant] = []
    index_of: dict[int, int] = {}
    speakers = list(range(run.speakers))
    result: dict[str, Any] = {"mode": run.mode, "n": run.n, "speakers": run.speakers}
    lags: list[float] = []
    stop_lag = asyncio.Event()
    try:
        # the join phase: sockets, publishing, subscriptions, until every listener hears every speaker
        j0 = meter.read()
        clients = [SpaceClient(run.server.url, run.space, cookie, keep_events=False) for cookie in run.cookies[: run.n]]
        await gather_limited([c.connect(timeout=30) for c in clients], 10)
        for i, c in enumerate(clients):
            index_of[int(c.you["pid"])] = i
            people.append(Participant(i, c, index_of))
        await wait_for(lambda: all(len(p.client.participants) >= run.n for p in people), 30)
        if run.mode == "sfu":
            await asyncio.gather(*(people[s].publish_sfu() for s in speakers))
        else:
            pids = list(index_of)
            await asyncio.gather(*(people[s].publish_p2p(pids) for s in speakers))

        def hears_all() -> bool:
            return all(len(STAMPS.flowing[p.index]) >= run.speakers - (p.index in speakers) for p in people)

        joined = await wait_for(hears_all, run.args.join_timeout)
        j1 = meter.read()
        result["join"] = Meter.cores(j0, j1) | {"complete": joined}
        result["join_cpu_s"] = {k: j1[k] - j0[k] for k in j0 if k != "t"}
        result["flows"] = sum(len(STAMPS.flowing[p.index]) for p in people)
        result["flows_wanted"] = run.speakers * (run.n - 1)

        # warm up, then the measured window
        lag_task = asyncio.create_task(loop_lag(lags, stop_lag))
        await asyncio.sleep(run.args.warmup)
        lags.clear()
        STAMPS.recording = STAMPS.window = True
        load0 = loadavg()
        m0 = meter.read()
        await asyncio.sleep(run.args.seconds)
        m1 = meter.read()
        STAMPS.window = False  # nothing sent from here on counts...
        window_lags = list(lags)
        await asyncio.sleep(GRACE_S)  # ...but what is in flight may still arrive
        STAMPS.recording = False
        stop_lag.set()
        await lag_task
        result["window"] = Meter.cores(m0, m1)
        result["loadavg"] = [load0, loadavg()]
        if run.janus_pid:
            result["janus_rss_mb"] = rss_mb(run.janus_pid)
        result["lag"] = {"p50_ms": 1000 * pct(window_lags, 50), "p99_ms": 1000 * pct(window_lags, 99)}
        result.update(analyse(run, speakers))
        result["errors"] = sorted({e for p in people for e in p.errors})[:5]
    finally:
        stop_lag.set()
        await gather_limited([p.close() for p in people], 10, timeout=60)
    return result


async def gather_limited(aws: list[Awaitable[Any]], limit: int, timeout: float | None = None) -> list[Any]:
    sem = asyncio.Semaphore(limit)

    async def one(aw: Awaitable[Any]) -> Any:
        async with sem:
            return await aw

    return await asyncio.wait_for(asyncio.gather(*(one(aw) for aw in aws)), timeout)


def analyse(run: Run, speakers: list[int]) -> dict[str, Any]:
    """Delay and loss over every (packet sent in the window, listener that should get it)."""
    delays: list[float] = []
    expected = lost = 0
    worst = 0.0
    for link, packets in STAMPS.sent.items():
        speaker, peer = link
        listeners = [peer] if peer >= 0 else [i for i in range(run.n) if i != speaker]
        for listener in listeners:
            n = missing = 0
            for payload, t_sent in packets:
                if payload in STAMPS.ambiguous:
                    continue
                n += 1
                t_recv = STAMPS.received.get((listener, payload))
                if t_recv is None or t_recv - t_sent > GRACE_S:
                    missing += 1
                else:
                    delays.append(t_recv - t_sent)
            expected += n
            lost += missing
            worst = max(worst, missing / n if n else 0.0)
    if run.mode == "p2p":  # connections that never started sending are lost streams too
        started = {link for link in STAMPS.sent}
        for s in speakers:
            for listener in range(run.n):
                if listener != s and (s, listener) not in started:
                    per_stream = run.args.seconds * 50
                    expected += int(per_stream)
                    lost += int(per_stream)
                    worst = 1.0
    seconds = run.args.seconds
    up = [8 * STAMPS.sent_bytes[s] for s in speakers]
    listeners = [i for i in range(run.n) if i not in speakers] or list(range(run.n))
    down = [8 * STAMPS.received_bytes[i] for i in listeners]
    connections = len(speakers) * (run.n - 1) if run.mode == "p2p" else len(speakers)
    sent = sum(len(v) for v in STAMPS.sent.values())
    return {
        "delay": {
            "count": len(delays),
            "p50_ms": 1000 * pct(delays, 50),
            "p99_ms": 1000 * pct(delays, 99),
            "max_ms": 1000 * max(delays) if delays else float("nan"),
        },
        "expected": expected,
        "lost": lost,
        "worst_stream_loss": worst,
        "ambiguous": len(STAMPS.ambiguous),
        "up_kbps_per_speaker": statistics.mean(up) / seconds / 1000 if up else 0.0,
        "down_kbps_per_listener": statistics.mean(down) / seconds / 1000 if down else 0.0,
        "streams": run.speakers * (run.n - 1),
        "sending_connections": connections,
        # of the 20 ms packets due from every sending connection in the window, how many were sent
        "realtime": sent / (connections * seconds * 50),
        "send_cpu_per_speaker": STAMPS.send_cpu_s / seconds / len(speakers),
        "send_cpu_per_connection": STAMPS.send_cpu_s / seconds / connections,
    }


# --- setting up -----------------------------------------------------------------------------------


def lan_address() -> str | None:
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str) and not ip.ip.startswith("127."):
                return ip.ip
    return None


def setup(url: str, n: int, spaces: list[str]) -> None:
    """N users and the spaces of the runs, every user a participant of each."""
    with httpx.Client(base_url=url, timeout=120) as admin:
        admin.post("/api/auth/login", json={"username": "admin", "password": "admin-demo"}).raise_for_status()
        for i in range(n):
            r = admin.post("/api/users", json={"username": f"room{i:03d}", "display_name": f"Room {i}", "password": PASSWORD})
            if r.status_code not in (201, 409):
                r.raise_for_status()
        members = [{"username": f"room{i:03d}", "role": "participant"} for i in range(n)]
        for name in spaces:
            admin.post("/api/spaces", json={"name": name, "kind": "commons", "members": members}).raise_for_status()


async def sign_in_all(url: str, n: int) -> list[str]:
    return [await sign_in(url, f"room{i:03d}", PASSWORD) for i in range(n)]


class Janus:
    """A Janus of the benchmark's own (scripts/janus.sh) on a free port."""

    def __init__(self, base: Path) -> None:
        self.dir = base / "janus"
        self.port = free_port()
        self.secret = secrets.token_hex(12)
        self.pid = 0

    def __enter__(self) -> Janus:
        out = subprocess.run(
            ["bash", str(JANUS_SH), "start", str(self.dir), "--port", str(self.port), "--api-secret", self.secret],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if out.returncode != 0:
            raise RuntimeError(f"scripts/janus.sh start failed ({out.returncode}): {out.stderr[-2000:]}")
        self.pid = int(out.stdout.split()[-1])
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["bash", str(JANUS_SH), "stop", str(self.dir)], capture_output=True, timeout=30)

    def version(self) -> str:
        out = subprocess.run(["janus", "--version"], capture_output=True, text=True)
        return (out.stdout.strip().splitlines() or ["janus"])[0]


# --- printing -------------------------------------------------------------------------------------


def f(x: float, digits: int = 1) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def broke_down(r: dict[str, Any]) -> str:
    """Why this run did not carry the room (empty when it did)."""
    reasons = []
    if not r["join"]["complete"]:
        reasons.append(f"only {r['flows']} of {r['flows_wanted']} streams ever flowed")
    loss = r["lost"] / r["expected"] if r["expected"] else 1.0
    if loss > 0.01:
        reasons.append(f"{100 * loss:.1f} % lost")
    if r["realtime"] < 0.98:
        reasons.append(f"the speakers' clients sent only {100 * r['realtime']:.0f} % of their audio in real time")
    if r["delay"]["p99_ms"] > 150:
        reasons.append(f"p99 delay {r['delay']['p99_ms']:.0f} ms")
    if r["lag"]["p99_ms"] > 50:
        reasons.append(f"the clients' process lags {r['lag']['p99_ms']:.0f} ms (p99): the delay is mostly the harness's")
    return "; ".join(reasons)


def print_run(r: dict[str, Any]) -> None:
    label = "SFU (Janus)" if r["mode"] == "sfu" else "peer-to-peer"
    w, j, jc = r["window"], r["join"], r["join_cpu_s"]
    d = r["delay"]
    loss = 100 * r["lost"] / r["expected"] if r["expected"] else float("nan")
    print(f"\n{label}, {r['n']} participants, {r['speakers']} speaking: {r['streams']} streams to listeners", flush=True)
    print(
        f"  join phase {j['seconds']:.1f} s ({'complete' if j['complete'] else 'INCOMPLETE'},"
        f" {r['flows']}/{r['flows_wanted']} streams):"
        f" medverse {jc['medverse']:.2f} CPU-s ({100 * j['medverse']:.0f} % of a core)"
        + (f", Janus {jc['janus']:.2f} CPU-s" if "janus" in jc else "")
        + f", harness {jc['harness']:.1f} CPU-s"
    )
    if "janus" in w:
        print(
            f"  Janus      {100 * w['janus']:5.1f} % of a core ({100 * w['janus'] / r['streams']:.2f} % per forwarded stream),"
            f" RSS {r['janus_rss_mb']:.0f} MB"
        )
    print(f"  medverse   {100 * w['medverse']:5.1f} % of a core (nothing left to signal: the room just talks)")
    print(
        f"  delay      p50 {f(d['p50_ms'], 2)} ms, p99 {f(d['p99_ms'], 2)} ms, max {f(d['max_ms'], 1)} ms"
        f" over {d['count']:,} packet deliveries ({r['ambiguous']} ambiguous payloads left out)"
    )
    print(f"  lost       {r['lost']:,} of {r['expected']:,} ({f(loss, 2)} %), worst stream {100 * r['worst_stream_loss']:.1f} %")
    print(
        f"  harness    {100 * w['harness']:5.1f} % of a core for the {r['n']} aiortc clients"
        f" ({100 * w['harness'] / r['streams']:.1f} % per stream);"
        f" event-loop lag p50 {f(r['lag']['p50_ms'], 2)} ms, p99 {f(r['lag']['p99_ms'], 2)} ms"
    )
    print(
        f"  sending    {100 * r['send_cpu_per_speaker']:.1f} % of a core per speaker"
        f" for its {r['sending_connections'] // r['speakers']} connection(s) (Opus encoding + SRTP + send,"
        f" {100 * r['send_cpu_per_connection']:.2f} % each);"
        f" {100 * r['realtime']:.1f} % of the packets due in real time were sent"
    )
    per_speaker = r["n"] - 1 if r["mode"] == "p2p" else 1
    print(
        f"  bit rates  up {f(r['up_kbps_per_speaker'], 0)} kbit/s per speaker"
        f" ({per_speaker} stream{'s' if per_speaker > 1 else ''}),"
        f" down {f(r['down_kbps_per_listener'], 0)} kbit/s per listener; load average {r['loadavg'][0]} -> {r['loadavg'][1]}"
    )
    if r["errors"]:
        print(f"  errors     {r['errors']}")
    why = broke_down(r)
    if why:
        print(f"  BROKE DOWN: {why}")


def summary(results: list[dict[str, Any]]) -> None:
    print(
        "\n| room | streams | Janus CPU | medverse CPU (window / join) | delay p50 / p99 | lost | harness CPU"
        " | loop lag p99 | sent in real time | up per speaker | load average | carried the room? |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        w, d = r["window"], r["delay"]
        mode = "SFU" if r["mode"] == "sfu" else "p2p"
        loss = 100 * r["lost"] / r["expected"] if r["expected"] else float("nan")
        janus = f"{100 * w['janus']:.1f} % ({r['janus_rss_mb']:.0f} MB)" if "janus" in w else "-"
        why = broke_down(r)
        verdict = f"no: {why}" if why else "yes"
        print(
            f"| {mode} {r['n']}, {r['speakers']} speaking | {r['streams']} | {janus}"
            f" | {100 * w['medverse']:.1f} % / {r['join_cpu_s']['medverse']:.2f} CPU-s"
            f" | {f(d['p50_ms'], 1)} / {f(d['p99_ms'], 1)} ms | {f(loss, 2)} % | {100 * w['harness']:.0f} %"
            f" | {f(r['lag']['p99_ms'], 1)} ms | {100 * r['realtime']:.0f} % | {f(r['up_kbps_per_speaker'], 0)} kbit/s"
            f" | {r['loadavg'][0].split()[0]}-{r['loadavg'][1].split()[0]} | {verdict} |"
        )


# --- main -----------------------------------------------------------------------------------------


def sizes(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


async def amain(args: argparse.Namespace) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    plans: list[tuple[str, int, int]] = [("sfu", n, SPEAKERS) for n in args.sizes]
    plans += [("p2p", n, SPEAKERS) for n in args.p2p_sizes]
    plans += [("p2p", n, n) for n in args.p2p_all]
    n_max = max(n for _m, n, _s in plans)
    spaces = [f"room-{mode}-{n}-{s}" for mode, n, s in plans]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        with BenchServer(data) as srv:
            setup(srv.url, n_max, spaces)
        janus = Janus(Path(tmp)) if args.sizes else None
        with janus or contextlib.nullcontext():
            if janus:
                print(f"Janus: {janus.version()} (pid {janus.pid}); clients and Janus meet on {lan_address()}")
            for mode in ("sfu", "p2p"):
                mine = [(p, s) for p, s in zip(plans, spaces, strict=True) if p[0] == mode]
                if not mine:
                    continue
                env = {"MEDVERSE_MEDIA_MODE": mode}
                if mode == "sfu" and janus:
                    env |= {"MEDVERSE_JANUS_URL": f"ws://127.0.0.1:{janus.port}/", "MEDVERSE_JANUS_API_SECRET": janus.secret}
                with BenchServer(data, env=env) as srv:
                    cookies = await sign_in_all(srv.url, n_max)
                    for (_m, n, speaking), space in mine:
                        run = Run(mode, n, speaking, srv, cookies, space, janus.pid if mode == "sfu" and janus else None, args)
                        r = await run_room(run)
                        results.append(r)
                        print_run(r)
                        await asyncio.sleep(2)  # let the connections of this run close
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=sizes, default=[10, 30], help="rooms through the SFU (comma-separated sizes)")
    ap.add_argument("--p2p-sizes", type=sizes, default=[6, 10, 30], help="rooms peer-to-peer, 3 speaking")
    ap.add_argument("--p2p-all", type=sizes, default=[10], help="peer-to-peer rooms where everyone speaks")
    ap.add_argument("--seconds", type=float, default=20.0, help="measured window per run")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--join-timeout", type=float, default=60.0, help="how long to wait for every stream to flow")
    ap.add_argument("--opus-kbps", type=int, default=32)
    ap.add_argument("--decode", action="store_true", help="listeners also run aiortc's jitter buffer and Opus decoder")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    if lan_address() is None:
        sys.exit("this machine has no network interface but loopback: Janus gathers no ICE candidates on loopback")
    STAMPS.decode = args.decode
    set_opus_bitrate(args.opus_kbps * 1000)
    print(f"machine: {machine()}, load average {loadavg()}")
    print(
        f"{args.seconds:g} s measured after {args.warmup:g} s warm-up; Opus {args.opus_kbps} kbit/s, 20 ms;"
        f" listeners {'decode' if args.decode else 'stop at the RTP layer (no decoding)'}; all clients in this process"
    )
    results = asyncio.run(amain(args))
    summary(results)
    if args.json:
        args.json.write_text(
            json.dumps({"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()}, "results": results}, indent=1)
        )


if __name__ == "__main__":
    main()
