"""Redis pub/sub fan-out between server processes (extra: ``medverse[redis]``).

Every message is signed: ``node id (16 bytes) | time (8 bytes, float64) | HMAC-SHA256 (32 bytes) |
body``, the MAC covering the channel, the node, the time and the body, keyed by a key derived from
the site's secret. A message that is unsigned, signed with another key, meant for another channel
or older than :data:`MAX_AGE_S` is dropped and counted. Redis AUTH and TLS come with the URL
(``redis://:password@host:6379/0``, ``rediss://...``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import struct
import time
from typing import Any

from medverse.bus.base import BusHandler
from medverse.errors import optional_import

log = logging.getLogger("medverse.bus")

_NODE_LEN = 16
_TIME = struct.Struct("<d")
_MAC_LEN = 32
_HEADER = _NODE_LEN + _TIME.size + _MAC_LEN
MAX_AGE_S = 60.0


class RedisBus:
    def __init__(self, url: str, prefix: str, secret: str) -> None:
        self._redis_mod = optional_import("redis.asyncio", "redis")
        if not secret:
            raise ValueError("the Redis bus needs the site's secret key to sign its messages")
        self.url = url
        self.prefix = prefix
        self._key = hashlib.sha256(b"medverse-bus\x00" + secret.encode()).digest()
        self.node_id = (f"{os.getpid():x}-" + secrets.token_hex(8))[:_NODE_LEN].ljust(_NODE_LEN, "0")
        self._node = self.node_id.encode()
        self._client: Any = None
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None
        self._handler: BusHandler | None = None
        self._pending: set[asyncio.Task[Any]] = set()
        self.dropped = 0  # messages refused (bad signature, stale, malformed)
        self._last_warning = 0.0

    def __repr__(self) -> str:
        return f"RedisBus(node={self.node_id}, prefix={self.prefix!r})"

    def _ch(self, what: str, space_id: int | str) -> str:
        return f"{self.prefix}:{what}:{space_id}"

    # --- signing ------------------------------------------------------------------------------
    def _mac(self, channel: str, node: bytes, t: bytes, body: bytes) -> bytes:
        return hmac.new(self._key, channel.encode() + b"\x00" + node + t + body, hashlib.sha256).digest()

    def seal(self, channel: str, body: bytes) -> bytes:
        t = _TIME.pack(time.time())
        return self._node + t + self._mac(channel, self._node, t, body) + body

    def open(self, channel: str, data: bytes) -> tuple[bytes, bytes] | None:
        """(node, body) of a genuine, fresh message; None otherwise."""
        if len(data) < _HEADER:
            return None
        node, t, mac, body = (data[:_NODE_LEN], data[_NODE_LEN : _NODE_LEN + 8], data[_NODE_LEN + 8 : _HEADER], data[_HEADER:])
        if not hmac.compare_digest(mac, self._mac(channel, node, t, body)):
            return None
        if abs(time.time() - _TIME.unpack(t)[0]) > MAX_AGE_S:
            return None
        return node, body

    # --- lifecycle ----------------------------------------------------------------------------
    async def start(self, handler: BusHandler) -> None:
        if self._task is not None:
            raise RuntimeError("the Redis bus is started already")
        self._handler = handler
        self._client = self._redis_mod.Redis.from_url(self.url)
        await self._client.ping()
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.psubscribe(*(f"{self.prefix}:{what}:*" for what in ("ev", "pp", "po", "ms", "dm")))
        self._task = asyncio.create_task(self._listen(), name="redis-bus")
        log.info("redis bus started as node %s", self.node_id)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()

    async def new_pid(self) -> int:
        return int(await self._client.incr(f"{self.prefix}:pid")) & 0xFFFFFFFF

    # --- publishing ---------------------------------------------------------------------------
    async def _publish_json(self, what: str, space_id: int, payload: dict[str, Any]) -> None:
        channel = self._ch(what, space_id)
        body = json.dumps(payload, separators=(",", ":")).encode()
        await self._client.publish(channel, self.seal(channel, body))

    async def publish_events(self, space_id: int, head: int) -> None:
        await self._publish_json("ev", space_id, {"head": head})

    async def publish_participant(self, space_id: int, what: str, info: dict[str, Any]) -> None:
        await self._publish_json("pp", space_id, {"what": what, "info": info})

    async def publish_message(self, space_id: int, msg: dict[str, Any]) -> None:
        await self._publish_json("ms", space_id, {"msg": msg})

    async def publish_direct(self, space_id: int, pid: int, msg: dict[str, Any]) -> None:
        await self._publish_json("dm", space_id, {"to": pid, "msg": msg})

    def publish_poses_nowait(self, space_id: int, entries: list[bytes]) -> None:
        channel = self._ch("po", space_id)
        task = asyncio.create_task(self._client.publish(channel, self.seal(channel, b"".join(entries))))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # --- receiving ----------------------------------------------------------------------------
    async def _listen(self) -> None:
        assert self._handler is not None
        while True:
            try:
                msg = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection trouble: log, wait, go on
                log.warning("redis bus: %s", exc)
                await asyncio.sleep(0.5)
                continue
            if msg is None:
                continue
            try:
                await self._dispatch(msg)
            except Exception:
                self._refuse("a message could not be handled")

    def _refuse(self, why: str) -> None:
        self.dropped += 1
        now = time.monotonic()
        if now - self._last_warning > 10.0:
            self._last_warning = now
            log.warning("redis bus: dropped a message (%s); %d dropped so far", why, self.dropped)

    async def _dispatch(self, msg: dict[str, Any]) -> None:
        assert self._handler is not None
        channel = msg["channel"].decode() if isinstance(msg["channel"], bytes) else str(msg["channel"])
        _prefix, what, space = channel.rsplit(":", 2)
        space_id = int(space)
        data = msg["data"]
        if not isinstance(data, bytes):
            self._refuse("not bytes")
            return
        opened = self.open(channel, data)
        if opened is None:
            self._refuse("bad signature or stale")
            return
        node, body = opened
        if node == self._node:
            return
        if what == "po":
            from medverse.spaces.protocol import ENTRY_SIZE

            if len(body) % ENTRY_SIZE:
                self._refuse("pose batch of a wrong size")
                return
            self._handler.bus_poses(space_id, [body[i : i + ENTRY_SIZE] for i in range(0, len(body), ENTRY_SIZE)])
            return
        payload = json.loads(body)
        if what == "ev":
            head = payload.get("head")
            if isinstance(head, int) and not isinstance(head, bool):
                await self._handler.bus_events(space_id, head)
        elif what == "pp":
            self._handler.bus_participant(space_id, payload["what"], payload["info"])
        elif what == "ms":
            self._handler.bus_message(space_id, payload["msg"])
        elif what == "dm":
            to = payload.get("to")
            if not isinstance(to, int) or isinstance(to, bool) or not isinstance(payload.get("msg"), dict):
                self._refuse("a direct message without a target")
                return
            self._handler.bus_direct(space_id, to, payload["msg"])
