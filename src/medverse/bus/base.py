"""The bus protocol and its in-process implementation.

The bus tells the other server processes of a site what happened in a space they also serve:
that its log moved on (they read the new events from the database, never from the bus), who
joined and left, poses, messages that are not events (job progress), and messages for one
participant (WebRTC signalling).
"""

from __future__ import annotations

import itertools
import os
import secrets
from typing import Any, Protocol


class BusHandler(Protocol):
    """What the bus calls when another process publishes (the space manager implements it)."""

    async def bus_events(self, space_id: int, head: int) -> None: ...
    def bus_participant(self, space_id: int, what: str, info: dict[str, Any]) -> None: ...
    def bus_poses(self, space_id: int, entries: list[bytes]) -> None: ...
    def bus_message(self, space_id: int, msg: dict[str, Any]) -> None: ...
    def bus_direct(self, space_id: int, pid: int, msg: dict[str, Any]) -> None: ...


class Bus(Protocol):
    node_id: str

    async def start(self, handler: BusHandler) -> None: ...
    async def stop(self) -> None: ...
    async def new_pid(self) -> int: ...
    async def publish_events(self, space_id: int, head: int) -> None: ...
    async def publish_participant(self, space_id: int, what: str, info: dict[str, Any]) -> None: ...
    async def publish_message(self, space_id: int, msg: dict[str, Any]) -> None: ...
    async def publish_direct(self, space_id: int, pid: int, msg: dict[str, Any]) -> None: ...
    def publish_poses_nowait(self, space_id: int, entries: list[bytes]) -> None: ...


class LocalBus:
    """One process: nothing to publish; participant numbers from a local counter."""

    def __init__(self) -> None:
        self.node_id = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._pids = itertools.count(1)

    async def start(self, handler: BusHandler) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def new_pid(self) -> int:
        return next(self._pids)

    async def publish_events(self, space_id: int, head: int) -> None:
        return None

    async def publish_participant(self, space_id: int, what: str, info: dict[str, Any]) -> None:
        return None

    async def publish_message(self, space_id: int, msg: dict[str, Any]) -> None:
        return None

    async def publish_direct(self, space_id: int, pid: int, msg: dict[str, Any]) -> None:
        return None

    def publish_poses_nowait(self, space_id: int, entries: list[bytes]) -> None:
        return None


def make_bus(redis_url: str, prefix: str, secret: str) -> Bus:
    """The bus for a site: in-process without a Redis URL; otherwise Redis, every message signed
    with a key derived from the site's secret (which every process of the site shares)."""
    if not redis_url:
        return LocalBus()
    from medverse.bus.redis import RedisBus

    return RedisBus(redis_url, prefix, secret)
