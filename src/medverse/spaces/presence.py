"""Presence: poses decoded from binary frames, and per-tick batches for each recipient.

Poses are ephemeral. Each participant's latest pose is kept; at every tick the hub sends each
recipient one POSE_BATCH with every pose that changed since the previous tick (its own excluded).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from medverse.errors import InvalidInput
from medverse.spaces import protocol as P
from medverse.spaces.connection import Delivery

if TYPE_CHECKING:
    from medverse.spaces.metrics import Metrics
    from medverse.spaces.room import Room


@dataclass(frozen=True)
class Pose:
    flags: int
    floats: tuple[float, ...]  # 27 numbers: head, left hand, right hand (pos + quat), ray


def decode_pose(frame: bytes) -> Pose:
    """Decode a client POSE frame; raises InvalidInput for anything malformed."""
    if len(frame) != P.POSE_SIZE:
        raise InvalidInput(f"a pose frame has {P.POSE_SIZE} bytes (got {len(frame)})")
    kind, flags, _reserved, *floats = P.POSE_STRUCT.unpack(frame)
    if kind != P.POSE:
        raise InvalidInput(f"binary frame type must be {P.POSE} (pose) (got {kind})")
    if flags > 0x0F:
        raise InvalidInput(f"pose flags use bits 0-3 only (got {flags:#x})")
    if not all(math.isfinite(x) for x in floats):
        raise InvalidInput("a pose holds a non-finite number")
    if any(abs(x) > 1e4 for x in floats):
        raise InvalidInput("a pose coordinate is beyond 10 km")
    return Pose(flags, tuple(floats))


def encode_pose(pose: Pose) -> bytes:
    return P.POSE_STRUCT.pack(P.POSE, pose.flags, 0, *pose.floats)


def encode_entry(pid: int, frame: bytes) -> bytes:
    """A batch entry from a validated client frame: pid, flags, reserved, the 27 floats."""
    return P.ENTRY_PREFIX.pack(pid, frame[1]) + frame[4:]


def encode_batch(tick: int, entries: list[bytes]) -> bytes:
    return P.BATCH_HEADER.pack(P.POSE_BATCH, 0, len(entries), tick & 0xFFFFFFFF) + b"".join(entries)


def decode_batch(frame: bytes) -> tuple[int, dict[int, Pose]]:
    """Decode a POSE_BATCH (used by tests and the benchmark clients)."""
    kind, _r, count, tick = P.BATCH_HEADER.unpack_from(frame, 0)
    if kind != P.POSE_BATCH or len(frame) != P.BATCH_HEADER.size + count * P.ENTRY_SIZE:
        raise InvalidInput("not a pose batch")
    out: dict[int, Pose] = {}
    offset = P.BATCH_HEADER.size
    floats = struct.Struct("<27f")
    for _ in range(count):
        pid, flags = P.ENTRY_PREFIX.unpack_from(frame, offset)
        out[pid] = Pose(flags, floats.unpack_from(frame, offset + P.ENTRY_PREFIX.size))
        offset += P.ENTRY_SIZE
    return tick, out


@dataclass
class PendingPose:
    entry: bytes
    received_at: float  # perf_counter() when the server received it


@dataclass
class PresenceBuffer:
    """The poses that changed since the last tick, keyed by pid (the newest wins)."""

    pending: dict[int, PendingPose] = field(default_factory=dict)

    def put(self, pid: int, entry: bytes, received_at: float | None = None) -> None:
        prev = self.pending.get(pid)
        # keep the earliest receipt time: latency counts from the first pose not yet delivered
        t = received_at if received_at is not None else time.perf_counter()
        self.pending[pid] = PendingPose(entry, prev.received_at if prev else t)

    def take(self) -> dict[int, PendingPose]:
        out, self.pending = self.pending, {}
        return out

    def drop(self, pid: int) -> None:
        self.pending.pop(pid, None)


def batches_for(tick: int, pending: dict[int, PendingPose], recipients: Iterable[int]) -> Iterable[tuple[int, bytes]]:
    """One batch per recipient with every pending pose but its own."""
    entries = {pid: p.entry for pid, p in pending.items()}
    full: bytes | None = None
    for pid in recipients:
        if pid in entries:
            others = [e for p, e in entries.items() if p != pid]
            if others:
                yield pid, encode_batch(tick, others)
        elif entries:
            if full is None:
                full = encode_batch(tick, list(entries.values()))
            yield pid, full


class PresenceHub:
    """One space's presence: the newest pose of each participant, fanned out on a fixed tick.

    ``mode`` is ``batch`` (the default: one batch per recipient per tick) or ``relay`` (the naive
    baseline of the benchmarks: every pose forwarded to everyone as it arrives). Runs on the event
    loop; the ticker task runs while anyone is in the room and stops by itself when it is empty.
    """

    def __init__(
        self, name: str, room: Room, hz: float, mode: str, metrics: Metrics, publish: Callable[[list[bytes]], None]
    ) -> None:
        self.name = name
        self.room = room
        self.hz = hz
        self.mode = mode
        self.metrics = metrics
        self.publish = publish
        self.buffer = PresenceBuffer()
        self._tick = 0
        self._ticker: asyncio.Task[None] | None = None

    def on_pose(self, pid: int, frame: bytes) -> None:
        """A validated POSE frame from a local participant."""
        received = time.perf_counter()
        entry = encode_entry(pid, frame)
        if self.mode == "relay":
            self._relay(pid, entry, received)
            return
        self.buffer.put(pid, entry, received)

    def on_remote(self, entries: list[bytes]) -> None:
        now = time.perf_counter()
        for entry in entries:
            if len(entry) != P.ENTRY_SIZE:
                continue
            pid = int.from_bytes(entry[:4], "little")
            self.buffer.put(pid, entry, now)

    def drop(self, pid: int) -> None:
        self.buffer.drop(pid)

    def _relay(self, sender: int, entry: bytes, received: float) -> None:
        data = encode_batch(0, [entry])
        others = [c for pid, c in self.room.conns.items() if pid != sender]
        delivery = Delivery([received], len(others), self.metrics.presence) if others else None
        for c in others:
            if not c.send_presence(data, delivery, drop_if_behind=False) and delivery is not None:
                delivery.written()

    def ensure_ticker(self) -> None:
        if self.mode == "batch" and (self._ticker is None or self._ticker.done()):
            self._ticker = asyncio.create_task(self._tick_loop(), name=f"presence-{self.name}")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / self.hz
        next_at = loop.time()
        while self.room:
            next_at += period
            delay = next_at - loop.time()
            if delay < -period:  # fell behind (a long pause): skip the missed ticks
                next_at = loop.time()
            await asyncio.sleep(max(0.0, delay))
            self.flush()
        self._ticker = None

    def flush(self) -> None:
        pending = self.buffer.take()
        if not pending:
            return
        self._tick += 1
        conns = self.room.conns
        local = [p.entry for pid, p in pending.items() if pid in conns]
        if local:
            self.publish(local)
        batches = list(batches_for(self._tick, pending, conns.keys()))
        if not batches:
            return
        delivery = Delivery([p.received_at for p in pending.values()], len(batches), self.metrics.presence)
        for pid, data in batches:
            if not conns[pid].send_presence(data, delivery):
                delivery.written()
