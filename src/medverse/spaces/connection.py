"""One participant's socket in a space, with its own outgoing queue and writer task.

Sends never block the space: messages go into the connection's queue and its writer task
drains it. A client too slow to keep up with events is disconnected (it catches up on
reconnect); presence for a slow client is dropped instead, since only the newest pose matters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from medverse.store import User

log = logging.getLogger("medverse.spaces")

MAX_QUEUED = 2000  # messages waiting for a slow client before it is dropped
PRESENCE_BACKLOG = 8  # batches waiting before presence for this client is skipped


class Transport(Protocol):
    """What a space needs of a socket (Starlette's WebSocket provides it)."""

    async def send_text(self, data: str) -> None: ...
    async def send_bytes(self, data: bytes) -> None: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class Delivery:
    """Tracks one presence payload until every recipient's socket has been written."""

    __slots__ = ("received", "remaining", "sink")

    def __init__(self, received: list[float], remaining: int, sink: Any) -> None:
        self.received = received
        self.remaining = remaining
        self.sink = sink

    def written(self) -> None:
        self.remaining -= 1
        if self.remaining == 0:
            now = time.perf_counter()
            for t in self.received:
                self.sink.add(now - t)


@dataclass(eq=False)
class Connection:
    pid: int
    user: User
    transport: Transport
    role: str
    closed: bool = False
    _queue: asyncio.Queue[tuple[str | bytes | None, Delivery | None]] = field(default_factory=lambda: asyncio.Queue())
    _writer: asyncio.Task[None] | None = None
    _close_code: int | None = None

    def start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_loop(), name=f"ws-writer-{self.pid}")

    def participant(self, muted: bool = False) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "user_id": self.user.id,
            "display_name": self.user.display_name,
            "role": self.role,
            "muted": muted,
        }

    def send_text(self, text: str) -> None:
        if self.closed:
            return
        if self._queue.qsize() >= MAX_QUEUED:
            log.warning("connection %s is too slow; disconnecting it", self.pid)
            self.close(1013, "too slow to keep up; reconnect to catch up")
            return
        self._queue.put_nowait((text, None))

    def send_presence(self, data: bytes, delivery: Delivery | None, drop_if_behind: bool = True) -> bool:
        """Queue a presence batch; False (and nothing queued) when this client lags behind.

        ``drop_if_behind=False`` queues regardless (the naive relay baseline does that).
        """
        if self.closed or (drop_if_behind and self._queue.qsize() >= PRESENCE_BACKLOG):
            return False
        self._queue.put_nowait((data, delivery))
        return True

    def close(self, code: int, reason: str = "") -> None:
        """Close after everything queued so far has been sent."""
        if self.closed:
            return
        self.closed = True
        self._close_code = code
        self._queue.put_nowait((None, None))
        self._close_reason = reason

    async def _write_loop(self) -> None:
        try:
            while True:
                item, delivery = await self._queue.get()
                if item is None:
                    with contextlib.suppress(Exception):
                        await self.transport.close(self._close_code or 1000, self._close_reason)
                    return
                try:
                    if isinstance(item, bytes):
                        await self.transport.send_bytes(item)
                    else:
                        await self.transport.send_text(item)
                except Exception:  # the peer went away; the reader notices and cleans up
                    self.closed = True
                    return
                finally:
                    if delivery is not None:
                        delivery.written()
        except asyncio.CancelledError:
            pass

    async def stop(self) -> None:
        """Stop the writer; a requested close is flushed first (for at most two seconds)."""
        if self._writer is not None:
            if self._close_code is not None:
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(self._writer), 2.0)
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
