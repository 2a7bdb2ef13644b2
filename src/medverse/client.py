"""A Python client for medverse spaces: signs in over REST and speaks the space protocol.

Used by the test suite and the benchmarks as a real remote participant, and usable for bots
(e.g. a script that places pins). It keeps the last sequence number it applied and the
commands not yet acknowledged, so :meth:`SpaceClient.reconnect` resumes where it left off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from medverse.spaces import presence
from medverse.spaces import protocol as P

STREAM_KEEP = 400  # kind stream chunks a client keeps (the newest)


class CommandRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ProtocolMismatch(Exception):
    """The server speaks another version of the protocol than this client."""


async def sign_in(base_url: str, username: str, password: str) -> str:
    """Sign in; returns the session cookie value."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        r = await http.post("/api/auth/login", json={"username": username, "password": password})
        r.raise_for_status()
        return r.cookies[_cookie_name()]


def _cookie_name() -> str:
    from medverse.auth.sessions import COOKIE_NAME

    return COOKIE_NAME


@dataclass
class SpaceClient:
    base_url: str
    space: str
    cookie: str
    seq: int = 0
    state: dict[str, Any] | None = None
    you: dict[str, Any] = field(default_factory=dict)
    welcome: dict[str, Any] = field(default_factory=dict)  # the latest welcome message
    streams: list[bytes] = field(default_factory=list)  # a kind's binary stream chunks (the newest)
    participants: dict[int, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    poses: dict[int, presence.Pose] = field(default_factory=dict)
    close_code: int | None = None
    mismatch: str | None = None  # why the server's protocol version is not this client's
    keep_events: bool = True
    jobs: list[dict[str, Any]] = field(default_factory=list)  # every job.progress view received
    signals: list[dict[str, Any]] = field(default_factory=list)  # every WebRTC signal relayed to us
    media_stops: list[dict[str, Any]] = field(default_factory=list)  # every media.stop received

    def __post_init__(self) -> None:
        self._ws: Any = None
        self._kind: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._unacked: dict[str, dict[str, Any]] = {}
        self._joined = asyncio.Event()
        self._event_waiters: list[tuple[Any, asyncio.Future[dict[str, Any]]]] = []
        self.on_event: Any = None  # optional callback(event message)
        self.on_batch: Any = None  # optional callback(bytes)

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + f"/ws/spaces/{self.space}"

    async def connect(self, since: int | None = None, timeout: float = 10.0) -> None:
        self._joined.clear()
        self.close_code = None
        self._ws = await websockets.connect(
            self.ws_url,
            additional_headers={"Cookie": f"{_cookie_name()}={self.cookie}"},
            max_size=2**22,
            ping_interval=None,
        )
        await self._ws.send(json.dumps({"type": P.HELLO, "since": since, "protocol": P.PROTOCOL_VERSION}))
        self._reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self._joined.wait(), timeout)
        if self.mismatch:
            await self.close()
            raise ProtocolMismatch(self.mismatch)

    async def reconnect(self) -> None:
        """Resume from the last applied sequence and re-send unacknowledged commands."""
        await self.close()
        await self.connect(since=self.seq)
        for cmd in list(self._unacked.values()):
            await self._ws.send(json.dumps(cmd))

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        self._ws = None
        self._reader = None

    async def send_raw(self, data: str | bytes) -> None:
        await self._ws.send(data)

    async def command(
        self, name: str, args: dict[str, Any] | None = None, *, cmd_id: str | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Send a command and wait for its ack; raises CommandRefused on an error frame."""
        cmd_id = cmd_id or f"c-{uuid.uuid4().hex}"
        msg = {"type": P.COMMAND, "id": cmd_id, "name": name, "args": args or {}}
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[cmd_id] = fut
        self._unacked[cmd_id] = msg
        await self._ws.send(json.dumps(msg))
        reply = await asyncio.wait_for(fut, timeout)
        if reply["type"] == P.ERROR:
            raise CommandRefused(reply["code"], reply["message"])
        return reply

    async def signal(self, to: int, kind: str, data: dict[str, Any] | None = None, *, sig_id: str | None = None) -> None:
        """Send a WebRTC signal (offer, answer, candidate, bye) to participant ``to``; no ack
        comes back, a refusal lands in :attr:`errors` (with ``sig_id`` as its id when given)."""
        msg: dict[str, Any] = {"type": P.SIGNAL, "to": to, "kind": kind, "data": data or {}}
        if sig_id is not None:
            msg["id"] = sig_id
        await self._ws.send(json.dumps(msg))

    async def send_pose(self, head: tuple[float, ...], flags: int = 0, rest: tuple[float, ...] = (0.0,) * 20) -> None:
        await self._ws.send(presence.encode_pose(presence.Pose(flags, tuple(head) + tuple(rest))))

    async def wait_event(self, predicate: Any, timeout: float = 5.0) -> dict[str, Any]:
        for ev in self.events:
            if predicate(ev):
                return ev
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._event_waiters.append((predicate, fut))
        return await asyncio.wait_for(fut, timeout)

    async def wait_closed(self, timeout: float = 5.0) -> int | None:
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self.close_code

    # --- reading -------------------------------------------------------------------------
    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                if isinstance(raw, bytes):
                    if raw[:1] == bytes([P.KIND_STREAM]):
                        self.streams.append(raw)
                        del self.streams[:-STREAM_KEEP]
                    elif self.on_batch is not None:
                        self.on_batch(raw)
                    else:
                        _tick, poses = presence.decode_batch(raw)
                        self.poses.update(poses)
                    continue
                self._handle(json.loads(raw))
        except websockets.ConnectionClosed:
            pass
        finally:
            if self._ws is not None and self._ws.close_code is not None:
                self.close_code = self._ws.close_code
            for fut in self._acks.values():
                if not fut.done():
                    fut.set_exception(ConnectionError(f"connection closed ({self.close_code})"))
            self._acks.clear()

    def _apply_event(self, ev: dict[str, Any]) -> None:
        if ev["seq"] <= self.seq:
            return
        self.seq = ev["seq"]
        if self.state is not None:
            self._kind.apply(self.state, ev["name"], ev["data"])
        if self.keep_events:
            self.events.append(ev)
        if self.on_event is not None:
            self.on_event(ev)
        for pred, fut in list(self._event_waiters):
            if not fut.done() and pred(ev):
                fut.set_result(ev)
                self._event_waiters.remove((pred, fut))

    def _handle(self, msg: dict[str, Any]) -> None:
        t = msg["type"]
        if t == P.WELCOME:
            if msg.get("protocol") != P.PROTOCOL_VERSION:
                self.mismatch = f"the server speaks protocol {msg.get('protocol')}, this client {P.PROTOCOL_VERSION}"
                self._joined.set()
                return
            self.you = msg["you"]
            self.welcome = msg
            from medverse.kinds import rules_by_name

            self._kind = rules_by_name(msg["space"]["kind"])
        elif t == P.SNAPSHOT:
            self.state = msg["state"]
            self.seq = msg["seq"]
        elif t == P.EVENTS:
            for ev in msg["events"]:
                self._apply_event(ev)
        elif t == P.PARTICIPANTS:
            self.participants = {p["pid"]: p for p in msg["participants"]}
            self._joined.set()
        elif t in (P.PARTICIPANT_JOINED, P.PARTICIPANT_UPDATED):
            self.participants[msg["participant"]["pid"]] = msg["participant"]
        elif t == P.PARTICIPANT_LEFT:
            self.participants.pop(msg["participant"]["pid"], None)
            self.poses.pop(msg["participant"]["pid"], None)
        elif t == P.JOB_PROGRESS:
            self.jobs.append(msg["job"])
        elif t == P.SIGNAL:
            self.signals.append(msg)
        elif t == P.MEDIA_STOP:
            self.media_stops.append(msg)
        elif t == P.EVENT:
            self._apply_event(msg)
        elif t in (P.ACK, P.ERROR):
            cmd_id = msg.get("id")
            if t == P.ERROR:
                self.errors.append(msg)
            if cmd_id is not None:
                self._unacked.pop(cmd_id, None)
                fut = self._acks.pop(cmd_id, None)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
