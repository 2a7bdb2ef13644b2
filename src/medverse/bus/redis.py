"""Redis pub/sub fan-out between server processes (extra: ``medverse[redis]``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
from typing import Any

from medverse.bus.base import BusHandler
from medverse.errors import optional_import

log = logging.getLogger("medverse.bus")

_NODE_LEN = 16


class RedisBus:
    def __init__(self, url: str, prefix: str) -> None:
        self._redis_mod = optional_import("redis.asyncio", "redis")
        self.url = url
        self.prefix = prefix
        self.node_id = (f"{os.getpid():x}-" + secrets.token_hex(8))[:_NODE_LEN].ljust(_NODE_LEN, "0")
        self._client: Any = None
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None
        self._handler: BusHandler | None = None
        self._pending: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:
        return f"RedisBus(node={self.node_id}, prefix={self.prefix!r})"

    def _ch(self, what: str, space_id: int | str) -> str:
        return f"{self.prefix}:{what}:{space_id}"

    async def start(self, handler: BusHandler) -> None:
        if self._task is not None:
            raise RuntimeError("the Redis bus is started already")
        self._handler = handler
        self._client = self._redis_mod.Redis.from_url(self.url)
        await self._client.ping()
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.psubscribe(f"{self.prefix}:ev:*", f"{self.prefix}:pp:*", f"{self.prefix}:po:*")
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

    async def publish_events(self, space_id: int, messages: list[dict[str, Any]]) -> None:
        body = json.dumps({"node": self.node_id, "events": messages}, separators=(",", ":"))
        await self._client.publish(self._ch("ev", space_id), body)

    async def publish_participant(self, space_id: int, what: str, info: dict[str, Any]) -> None:
        body = json.dumps({"node": self.node_id, "what": what, "info": info}, separators=(",", ":"))
        await self._client.publish(self._ch("pp", space_id), body)

    def publish_poses_nowait(self, space_id: int, entries: list[bytes]) -> None:
        body = self.node_id.encode() + b"".join(entries)
        task = asyncio.create_task(self._client.publish(self._ch("po", space_id), body))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

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
                log.exception("redis bus: a message could not be handled")

    async def _dispatch(self, msg: dict[str, Any]) -> None:
        assert self._handler is not None
        channel = msg["channel"].decode() if isinstance(msg["channel"], bytes) else msg["channel"]
        _prefix, what, space = channel.rsplit(":", 2)
        space_id = int(space)
        data: bytes = msg["data"]
        if what == "po":
            if data[:_NODE_LEN].decode() == self.node_id:
                return
            from medverse.spaces.protocol import ENTRY_SIZE

            body = data[_NODE_LEN:]
            entries = [body[i : i + ENTRY_SIZE] for i in range(0, len(body), ENTRY_SIZE)]
            self._handler.bus_poses(space_id, entries)
            return
        payload = json.loads(data)
        if payload["node"] == self.node_id:
            return
        if what == "ev":
            await self._handler.bus_events(space_id, payload["events"])
        elif what == "pp":
            self._handler.bus_participant(space_id, payload["what"], payload["info"])
