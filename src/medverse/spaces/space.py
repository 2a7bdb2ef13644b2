"""A space: authoritative state plus its append-only event log.

Every change goes the same way: a command is validated (schema, the sender's role, the current
state), becomes events with the next sequence numbers, is appended to the log in one database
transaction, applied to the state, and broadcast. The database is the serialiser: the append
transaction locks the log's head, so two server processes serving the same space never give two
events one number; a process that finds the head ahead of it first applies what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from medverse.auth.roles import INSTRUCTOR
from medverse.bus import Bus
from medverse.config import Settings
from medverse.errors import Forbidden, MedverseError
from medverse.spaces import core, presence
from medverse.spaces import protocol as P
from medverse.spaces.connection import Connection, Delivery
from medverse.spaces.kinds import Actor, SpaceKind, State
from medverse.spaces.metrics import Metrics
from medverse.store import Database, SpaceRow, StoredEvent, User

log = logging.getLogger("medverse.spaces")


@dataclass(frozen=True)
class CommandResult:
    seq: int
    duplicate: bool = False


class StorageError(MedverseError):
    code = "unavailable"
    status = 503
    title = "Storage unavailable"


@dataclass
class _Pending:
    actor: Actor
    cmd_id: str | None
    name: str
    args: Any
    future: asyncio.Future[CommandResult]
    received: float


def event_message(ev: StoredEvent) -> dict[str, Any]:
    return {
        "type": P.EVENT,
        "seq": ev.seq,
        "name": ev.name,
        "data": ev.data,
        "actor": ev.actor_id,
        "cmd": ev.cmd_id,
        "ts": ev.ts,
    }


def dumps(msg: dict[str, Any]) -> str:
    return json.dumps(msg, separators=(",", ":"))


class Space:
    """One space's state, log, connections and presence, in this process."""

    def __init__(
        self,
        row: SpaceRow,
        kind: SpaceKind,
        db: Database,
        settings: Settings,
        metrics: Metrics,
        bus: Bus,
    ) -> None:
        self.row = row
        self.kind = kind
        self.db = db
        self.settings = settings
        self.metrics = metrics
        self.bus = bus
        self.state: State = kind.initial_state()
        self.seq = 0
        self.lock = asyncio.Lock()
        self.conns: dict[int, Connection] = {}
        self.remote: dict[int, dict[str, Any]] = {}  # participants on other server processes
        self.presence = presence.PresenceBuffer()
        self._tick = 0
        self._ticker: asyncio.Task[None] | None = None
        self._since_snapshot = 0
        self._started = False
        self._writes: set[asyncio.Future[None]] = set()
        self._inbox: list[_Pending] = []
        self._committer: asyncio.Task[None] | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Load the newest snapshot and replay the events after it."""
        if self._started:
            raise RuntimeError(f"space {self.row.name} is started already")
        await self._reload()
        self._started = True
        log.info("space %s loaded at seq %d", self.row.name, self.seq)

    async def stop(self, code: int = P.CLOSE_RESTART, reason: str = "server restarting") -> None:
        if self._ticker:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        for conn in list(self.conns.values()):
            conn.close(code, reason)
        await asyncio.sleep(0)
        for conn in list(self.conns.values()):
            await conn.stop()
        self.conns.clear()
        if self._committer is not None:
            await asyncio.gather(self._committer, return_exceptions=True)
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        self._started = False

    # --- roles --------------------------------------------------------------------------------
    def role_of(self, user: User) -> str | None:
        """The user's effective role here, or None when they may not be in this space."""
        if user.is_admin:
            return INSTRUCTOR
        member = self.state["members"].get(str(user.id))
        return member["role"] if member else None

    def entry_refusal(self, user: User) -> str | None:
        role = self.role_of(user)
        if role is None:
            if user.id in self.state["removed"]:
                return "you were removed from this space by an instructor"
            return "you are not a member of this space"
        if self.state["locked"] and role != INSTRUCTOR:
            return "this space is locked by its instructor"
        return None

    def actor(self, user: User) -> Actor:
        role = self.role_of(user)
        if role is None:
            raise Forbidden("you are no longer a member of this space")
        return Actor(user.id, user.display_name, role, user.is_admin)

    # --- commands -----------------------------------------------------------------------------
    async def execute(
        self, actor: Actor, cmd_id: str | None, name: str, args: Any
    ) -> CommandResult:
        """Validate and apply a command; raises a MedverseError subclass when refused.

        Commands that arrive while a transaction is being committed wait and are then committed
        together in the next one (group commit): one disk flush for many commands.
        """
        fut: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        self._inbox.append(_Pending(actor, cmd_id, name, args, fut, time.perf_counter()))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_loop(), name=f"commit-{self.row.name}")
        return await fut

    async def _commit_loop(self) -> None:
        while self._inbox:
            batch, self._inbox = self._inbox, []
            async with self.lock:
                try:
                    missed, outcomes = await asyncio.to_thread(self._append_batch, batch)
                except Exception as exc:  # the transaction failed: nothing of it was applied
                    log.exception("space %s: commit failed", self.row.name)
                    await self._reload()
                    error = exc if isinstance(exc, MedverseError) else StorageError(
                        "the change could not be stored; try again"
                    )
                    for item in batch:
                        if not item.future.done():
                            item.future.set_exception(error)
                    continue
                new = [ev for outcome in outcomes if isinstance(outcome, list) for ev in outcome]
                for ev in missed + new:
                    self._broadcast_event(ev)
                now = time.perf_counter()
                for item in batch:
                    self.metrics.command.add(now - item.received)
            if missed or new:
                await self.bus.publish_events(self.row.id, [event_message(e) for e in missed + new])
            if new:
                self._after(new)
            for item, outcome in zip(batch, outcomes, strict=True):
                if item.future.done():
                    continue
                if isinstance(outcome, Exception):
                    item.future.set_exception(outcome)
                elif isinstance(outcome, list):
                    item.future.set_result(CommandResult(outcome[-1].seq if outcome else self.seq))
                else:
                    item.future.set_result(CommandResult(outcome, duplicate=True))

    def _append_batch(
        self, batch: list[_Pending]
    ) -> tuple[list[StoredEvent], list[list[StoredEvent] | Exception | int]]:
        """In a worker thread, holding the space lock: one transaction for a batch of commands.

        Returns the events another process appended (applied first), and per command its new
        events, the exception refusing it, or the sequence number of its earlier application.
        """
        with self.db.write() as conn:
            head = self.db.lock_head(conn, self.row.id)
            missed: list[StoredEvent] = []
            if head > self.seq:  # another process appended: catch up before deciding
                missed = self.db.events_since(self.row.id, self.seq, conn=conn)
                for ev in missed:
                    self._apply(ev)
            outcomes: list[list[StoredEvent] | Exception | int] = []
            seen: dict[str, int] = {}
            appended: list[StoredEvent] = []
            now = time.time()
            for item in batch:
                if item.cmd_id is not None:
                    done = seen.get(item.cmd_id) or self.db.command_seq(conn, self.row.id, item.cmd_id)
                    if done is not None:
                        outcomes.append(done)
                        continue
                try:
                    actor = item.actor
                    actor = Actor(actor.user_id, actor.display_name, self._current_role(actor), actor.is_admin)
                    specs = self.kind.decide(self.state, item.name, item.args, actor)
                except MedverseError as exc:
                    outcomes.append(exc)
                    continue
                evs = [
                    StoredEvent(self.seq + i + 1, ev_name, data, actor.user_id, item.cmd_id, now)
                    for i, (ev_name, data) in enumerate(specs)
                ]
                for ev in evs:
                    self._apply(ev)
                    if ev.name in core.MEMBERSHIP_EVENTS:
                        self._project_membership(conn, ev)
                    if ev.name in core.AUDITED_EVENTS:
                        self.db.audit(ev.name, actor_id=actor.user_id, actor_name=actor.display_name,
                                      target=self.row.name, detail={**ev.data, "seq": ev.seq}, conn=conn)
                appended.extend(evs)
                outcomes.append(evs)
                if item.cmd_id is not None and evs:
                    seen[item.cmd_id] = evs[-1].seq
            self.db.append_events(conn, self.row.id, appended)
        return missed, outcomes

    async def _reload(self) -> None:
        """Rebuild the state from the database (after a failed commit)."""
        self.state = self.kind.initial_state()
        self.seq = 0
        snap = await asyncio.to_thread(self.db.latest_snapshot, self.row.id)
        if snap:
            self.seq, self.state = snap
        for ev in await asyncio.to_thread(self.db.events_since, self.row.id, self.seq):
            self._apply(ev)

    def _current_role(self, actor: Actor) -> str:
        if actor.is_admin:
            return INSTRUCTOR
        member = self.state["members"].get(str(actor.user_id))
        if member is None:
            raise Forbidden("you are no longer a member of this space")
        return str(member["role"])

    def _project_membership(self, conn: Any, ev: StoredEvent) -> None:
        uid = int(ev.data["user_id"])
        if ev.name == "member.role_changed":
            self.db.set_member(self.row.id, uid, ev.data["role"], conn=conn)
        else:
            self.db.remove_member(self.row.id, uid, conn)

    def _apply(self, ev: StoredEvent) -> None:
        if ev.seq != self.seq + 1:
            raise RuntimeError(f"event {ev.seq} does not follow {self.seq} in space {self.row.name}")
        self.kind.apply(self.state, ev.name, ev.data)
        self.seq = ev.seq
        self._since_snapshot += 1

    def _broadcast_event(self, ev: StoredEvent) -> None:
        text = dumps(event_message(ev))
        for conn in self.conns.values():
            conn.send_text(text)

    def _after(self, evs: list[StoredEvent]) -> None:
        """Side effects of events on connected people (not on state)."""
        for ev in evs:
            if ev.name == "member.removed":
                for conn in list(self.conns.values()):
                    if conn.user.id == ev.data["user_id"]:
                        conn.close(P.CLOSE_FORBIDDEN, "removed from this space by an instructor")
            elif ev.name in ("member.role_changed", "member.muted"):
                for conn in self.conns.values():
                    if conn.user.id == ev.data["user_id"]:
                        conn.role = self.role_of(conn.user) or conn.role
                        self.broadcast(
                            {"type": P.PARTICIPANT_UPDATED, "participant": self._participant(conn)}
                        )
        if self._since_snapshot >= self.settings.snapshot_every:
            self._since_snapshot = 0
            seq, state = self.seq, json.loads(dumps(self.state))
            fut = asyncio.get_running_loop().run_in_executor(
                None, self.db.save_snapshot, self.row.id, seq, state
            )
            self._writes.add(fut)
            fut.add_done_callback(self._writes.discard)

    async def apply_remote(self, messages: list[dict[str, Any]]) -> None:
        """Events another server process appended (from the bus)."""
        async with self.lock:
            if not messages or messages[-1]["seq"] <= self.seq:
                return
            if messages[0]["seq"] > self.seq + 1:  # a gap: read what we missed from the log
                evs = await asyncio.to_thread(self.db.events_since, self.row.id, self.seq)
            else:
                evs = [
                    StoredEvent(m["seq"], m["name"], m["data"], m["actor"], m["cmd"], m["ts"])
                    for m in messages
                    if m["seq"] > self.seq
                ]
            for ev in evs:
                self._apply(ev)
                self._broadcast_event(ev)
        self._after(evs)

    # --- people -------------------------------------------------------------------------------
    def _participant(self, conn: Connection) -> dict[str, Any]:
        member = self.state["members"].get(str(conn.user.id), {})
        return conn.participant(muted=bool(member.get("muted")))

    def participants(self) -> list[dict[str, Any]]:
        local = [self._participant(c) for c in self.conns.values()]
        return local + list(self.remote.values())

    def broadcast(self, msg: dict[str, Any], exclude: int | None = None) -> None:
        text = dumps(msg)
        for pid, conn in self.conns.items():
            if pid != exclude:
                conn.send_text(text)

    async def join(self, conn: Connection, since: int | None) -> None:
        """Welcome a connection: snapshot or missed events, then the participant list."""
        async with self.lock:
            conn.send_text(
                dumps(
                    {
                        "type": P.WELCOME,
                        "you": {
                            "pid": conn.pid,
                            "user_id": conn.user.id,
                            "display_name": conn.user.display_name,
                            "role": conn.role,
                            "is_admin": conn.user.is_admin,
                        },
                        "space": {**self.row.public(), "kind": self.kind.name},
                        "seq": self.seq,
                        "presence_hz": self.settings.presence_hz,
                        "client_pose_hz": 20,
                    }
                )
            )
            if since is None or not 0 <= self.seq - since <= self.settings.replay_limit:
                conn.send_text(dumps({"type": P.SNAPSHOT, "seq": self.seq, "state": self.state}))
            else:
                evs = await asyncio.to_thread(self.db.events_since, self.row.id, since)
                conn.send_text(dumps({"type": P.EVENTS, "events": [event_message(e) for e in evs]}))
            self.conns[conn.pid] = conn
            conn.start()
            conn.send_text(dumps({"type": P.PARTICIPANTS, "participants": self.participants()}))
        info = self._participant(conn)
        self.broadcast({"type": P.PARTICIPANT_JOINED, "participant": info}, exclude=conn.pid)
        await self.bus.publish_participant(self.row.id, "joined", info)
        self._ensure_ticker()

    async def leave(self, conn: Connection) -> None:
        if self.conns.pop(conn.pid, None) is None:
            return
        self.presence.drop(conn.pid)
        await conn.stop()
        self.broadcast({"type": P.PARTICIPANT_LEFT, "participant": {"pid": conn.pid}})
        await self.bus.publish_participant(self.row.id, "left", {"pid": conn.pid})

    def remote_participant(self, what: str, info: dict[str, Any]) -> None:
        if what == "left":
            self.remote.pop(info["pid"], None)
            self.presence.drop(info["pid"])
            self.broadcast({"type": P.PARTICIPANT_LEFT, "participant": info})
        else:
            self.remote[info["pid"]] = info
            self.broadcast({"type": P.PARTICIPANT_JOINED, "participant": info})
            self._ensure_ticker()

    # --- presence -----------------------------------------------------------------------------
    def on_pose(self, conn: Connection, frame: bytes) -> None:
        """A validated POSE frame from a local participant."""
        received = time.perf_counter()
        entry = presence.encode_entry(conn.pid, frame)
        if self.settings.presence_mode == "relay":
            self._relay(conn.pid, entry, received)
            return
        self.presence.put(conn.pid, entry, received)

    def on_remote_poses(self, entries: list[bytes]) -> None:
        now = time.perf_counter()
        for entry in entries:
            pid = int.from_bytes(entry[:4], "little")
            self.presence.put(pid, entry, now)

    def _relay(self, sender: int, entry: bytes, received: float) -> None:
        """The naive baseline: forward each pose to everyone as it arrives (nothing dropped)."""
        data = presence.encode_batch(0, [entry])
        others = [c for pid, c in self.conns.items() if pid != sender]
        delivery = Delivery([received], len(others), self.metrics.presence) if others else None
        for c in others:
            if not c.send_presence(data, delivery, drop_if_behind=False) and delivery is not None:
                delivery.written()

    def _ensure_ticker(self) -> None:
        if self.settings.presence_mode == "batch" and (self._ticker is None or self._ticker.done()):
            self._ticker = asyncio.create_task(self._tick_loop(), name=f"presence-{self.row.name}")

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / self.settings.presence_hz
        next_at = loop.time()
        while self.conns or self.remote:
            next_at += period
            delay = next_at - loop.time()
            if delay < -period:  # fell behind (a long pause): skip the missed ticks
                next_at = loop.time()
            await asyncio.sleep(max(0.0, delay))
            self.flush_presence()
        self._ticker = None

    def flush_presence(self) -> None:
        pending = self.presence.take()
        if not pending:
            return
        self._tick += 1
        local = {pid: p for pid, p in pending.items() if pid in self.conns}
        if local:
            self.bus.publish_poses_nowait(self.row.id, [p.entry for p in local.values()])
        batches = list(presence.batches_for(self._tick, pending, self.conns.keys()))
        if not batches:
            return
        delivery = Delivery([p.received_at for p in pending.values()], len(batches), self.metrics.presence)
        for pid, data in batches:
            if not self.conns[pid].send_presence(data, delivery):
                delivery.written()
