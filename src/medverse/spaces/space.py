"""A space: one room's authoritative state and event log, the people in it, and their presence.

Every change goes the same way: a command is validated (schema, the sender's role, the current
state), becomes events with the next sequence numbers, is appended to the log in one database
transaction, applied to the state, and sent to everyone. The parts:

- :class:`~medverse.spaces.commit.CommandLog`: commands -> committed events (group commit);
- :class:`~medverse.spaces.room.Room`: the connections here and on other processes, fan-out;
- :class:`~medverse.spaces.presence.PresenceHub`: poses, batched on a fixed tick;
- the bus: tells other server processes that the log moved on (they read it from the database),
  who joined and left, and relays poses and non-event messages such as job progress.

Lifecycle: ``await start()`` loads the state; ``await stop()`` closes every connection, waits for
the commits in flight and the snapshot being written. Everything runs on the event loop except
the database work of a commit and of a snapshot (see :mod:`medverse.spaces.commit`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Executor
from typing import Any

from medverse.auth.roles import INSTRUCTOR
from medverse.bus import Bus
from medverse.config import Settings
from medverse.errors import Forbidden
from medverse.spaces import presence, voice
from medverse.spaces import protocol as P
from medverse.spaces.commit import CommandLog, CommandResult
from medverse.spaces.connection import Connection
from medverse.spaces.kinds import Actor, SpaceKind, State
from medverse.spaces.media import MediaPlane, PeerToPeer, ice_servers
from medverse.spaces.metrics import Metrics
from medverse.spaces.room import Room, dumps
from medverse.store import Database, SpaceRow, StoredEvent, User

log = logging.getLogger("medverse.spaces")

GONE_KEEP = 1000  # remembered departures before old ones are pruned...
GONE_KEEP_S = 600.0  # ...of those older than this

__all__ = ["CommandResult", "Space"]


class Space:
    """One space in this process (see the module docstring)."""

    def __init__(
        self,
        row: SpaceRow,
        kind: SpaceKind,
        db: Database,
        settings: Settings,
        metrics: Metrics,
        bus: Bus,
        executor: Executor | None = None,
        media: MediaPlane | None = None,
    ) -> None:
        self.row = row
        self.media: MediaPlane = media or PeerToPeer()
        self.kind = kind
        self.db = db
        self.settings = settings
        self.metrics = metrics
        self.bus = bus
        self.lock = asyncio.Lock()
        self.log = CommandLog(row.id, row.name, kind, db, metrics, self.lock, self._committed, executor)
        self.room = Room(kind)
        self.presence = presence.PresenceHub(
            row.name,
            self.room,
            settings.presence_hz,
            settings.presence_mode,
            metrics,
            lambda entries: bus.publish_poses_nowait(row.id, entries),
        )
        self._since_snapshot = 0
        # pids that left on other processes, and when: a late `present` must not bring them back
        # (pids are never reused: the bus hands them out)
        self._gone: dict[int, float] = {}
        self._background: set[asyncio.Future[Any]] = set()
        self._started = False

    @property
    def state(self) -> State:
        """The committed state (read-only for everyone but the command log)."""
        return self.log.state

    @property
    def seq(self) -> int:
        return self.log.seq

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Load the newest snapshot and replay the events after it."""
        if self._started:
            raise RuntimeError(f"space {self.row.name} is started already")
        await self.log.load()
        self._started = True
        log.info("space %s loaded at seq %d", self.row.name, self.seq)

    async def stop(self, code: int = P.CLOSE_RESTART, reason: str = "server restarting") -> None:
        await self.presence.stop()
        self.room.close_all(code, reason)
        await asyncio.sleep(0)
        for conn in list(self.room.conns.values()):
            await conn.stop()
        self.room.conns.clear()
        await self.log.drain()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        self._started = False

    # --- roles --------------------------------------------------------------------------------
    def role_of(self, user: User) -> str | None:
        """The user's effective role here, or None when they may not be in this space.

        The space's state is the one source of truth for who may do what in it: REST routes
        and commands both ask here (the membership table in the database is only the lobby's
        projection of it).
        """
        if user.is_admin:
            return INSTRUCTOR
        member = self.state["members"].get(str(user.id))
        return member["role"] if member else None

    def entry_refusal(self, user: User) -> str | None:
        role = self.role_of(user)
        if role is None:
            if user.id in self.state["removed"]:
                return "an instructor removed you from this space"
            return "you are not a member of this space"
        if self.state["locked"] and role != INSTRUCTOR:
            return "this space is locked by an instructor"
        return None

    def actor(self, user: User) -> Actor:
        role = self.role_of(user)
        if role is None:
            raise Forbidden("you are no longer a member of this space")
        return Actor(user.id, user.display_name, role, user.is_admin)

    # --- commands -----------------------------------------------------------------------------
    async def execute(self, actor: Actor, cmd_id: str | None, name: str, args: Any, trusted: bool = False) -> CommandResult:
        """Validate and apply a command (see :class:`CommandLog`); ``trusted`` when the server
        itself issues it (may use the kind's internal commands)."""
        return await self.log.execute(actor, cmd_id, name, args, trusted)

    def _committed(self, evs: list[StoredEvent]) -> None:
        """On the loop, right after a commit (or a catch-up) made ``evs`` part of the state."""
        self.room.send_events(evs)
        self._spawn(self.bus.publish_events(self.row.id, evs[-1].seq))
        self._after(evs)

    def _spawn(self, aw: Any) -> None:
        fut = asyncio.ensure_future(aw)
        self._background.add(fut)
        fut.add_done_callback(self._background.discard)

    def _after(self, evs: list[StoredEvent]) -> None:
        """Side effects of events on connected people (not on state)."""
        for ev in evs:
            if ev.name == "member.removed":
                for conn in self.room.of_user(ev.data["user_id"]):
                    conn.close(P.CLOSE_FORBIDDEN, "removed from this space by an instructor")
            elif ev.name in ("member.role_changed", "member.muted"):
                for conn in self.room.of_user(ev.data["user_id"]):
                    conn.role = self.role_of(conn.user) or conn.role
                    self.room.broadcast({"type": P.PARTICIPANT_UPDATED, "participant": self.room.participant(conn, self.state)})
            if ev.name in voice.SILENCING_EVENTS:
                self._stop_media(ev)
            if ev.name in voice.FLOOR_EVENTS:
                self.media.floor_changed(self, voice.affected(ev.name, ev.data))
        self._since_snapshot += len(evs)
        if self._since_snapshot >= self.settings.snapshot_every:
            self._since_snapshot = 0
            # the committed state is never mutated, only replaced: the thread may read it as is
            self._spawn(asyncio.to_thread(self.db.save_snapshot, self.row.id, self.seq, self.state))

    def _stop_media(self, ev: StoredEvent) -> None:
        """Tell each local connection that ``ev`` silenced to stop sending its microphone (in
        peer-to-peer mode the server cannot stop the media itself; it also refuses their offers)."""
        for conn in self.room.conns.values():
            if voice.concerns(ev.name, ev.data, conn.user.id):
                refusal = voice.speak_refusal(self.state, conn.user.id, conn.role)
                if refusal:
                    conn.send_text(dumps({"type": P.MEDIA_STOP, "audio": True, "reason": refusal}))

    async def on_remote_head(self, head: int) -> None:
        """Another server process appended up to ``head``: read what we missed from the log.

        The bus only says that the log moved on; the events themselves always come from the
        database, so a message forged on the bus cannot change a space.
        """
        if head <= self.seq:
            return
        async with self.lock:
            evs = await self.log.catch_up()
            if evs:
                self.room.send_events(evs)
        if evs:
            self._after(evs)

    def announce(self, msg: dict[str, Any]) -> None:
        """A message that is not an event (e.g. job progress) to everyone in the space, on every
        server process."""
        self.room.broadcast(msg)
        self._spawn(self.bus.publish_message(self.row.id, msg))

    def send_to(self, pid: int, msg: dict[str, Any]) -> bool:
        """A message for one participant (e.g. a signal), here or on another server process;
        False when no participant ``pid`` is in this space."""
        conn = self.room.conns.get(pid)
        if conn is not None:
            conn.send_text(dumps(msg))
            return True
        if pid in self.room.remote:
            self._spawn(self.bus.publish_direct(self.row.id, pid, msg))
            return True
        return False

    def send_stream(self, data: bytes) -> None:
        """A kind's binary stream chunk (e.g. a bedside monitor) to every local connection;
        ephemeral like presence: dropped for a client that lags behind, never stored."""
        for conn in self.room.conns.values():
            conn.send_presence(data, None)

    def deliver(self, pid: int, msg: dict[str, Any]) -> None:
        """A message another server process sent to participant ``pid`` (dropped when not here)."""
        conn = self.room.conns.get(pid)
        if conn is not None:
            conn.send_text(dumps(msg))

    def media_info(self, conn: Connection) -> dict[str, Any]:
        """How ``conn`` sends and receives media here (the welcome's ``media``; docs/media.md)."""
        return {
            "mode": self.media.mode(self),
            "ice_servers": ice_servers(self.settings, conn.user.id),
            "p2p_max_peers": self.settings.p2p_max_peers,
        }

    # --- people -------------------------------------------------------------------------------
    def participants(self) -> list[dict[str, Any]]:
        return self.room.participants(self.state)

    def broadcast(self, msg: dict[str, Any], exclude: int | None = None) -> None:
        self.room.broadcast(msg, exclude)

    @property
    def conns(self) -> dict[int, Connection]:
        return self.room.conns

    async def join(self, conn: Connection, since: int | None) -> None:
        """Welcome a connection: snapshot or missed events, then the participant list."""
        async with self.lock:
            conn.send_text(
                dumps(
                    {
                        "type": P.WELCOME,
                        "protocol": P.PROTOCOL_VERSION,
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
                        "media": self.media_info(conn),
                    }
                )
            )
            if since is None or not 0 <= self.seq - since <= self.settings.replay_limit:
                conn.send_text(self.room.snapshot_for(conn, self.seq, self.state))
            else:
                evs = await asyncio.to_thread(self.db.events_since, self.row.id, since)
                evs = [ev for ev in evs if ev.seq <= self.seq]
                conn.send_text(self.room.events_for(conn, evs))
            self.room.add(conn)
            conn.start()
            conn.send_text(dumps({"type": P.PARTICIPANTS, "participants": self.participants()}))
        info = self.room.participant(conn, self.state)
        self.room.broadcast({"type": P.PARTICIPANT_JOINED, "participant": info}, exclude=conn.pid)
        await self.bus.publish_participant(self.row.id, "joined", info)
        self.presence.ensure_ticker()
        await self.media.joined(self, conn)

    async def leave(self, conn: Connection) -> None:
        if not self.room.remove(conn):
            return
        self.presence.drop(conn.pid)
        await conn.stop()
        await self.media.left(self, conn)
        self.room.broadcast({"type": P.PARTICIPANT_LEFT, "participant": {"pid": conn.pid}})
        await self.bus.publish_participant(self.row.id, "left", {"pid": conn.pid})

    def remote_participant(self, what: str, info: dict[str, Any]) -> None:
        """Someone joined or left on another process; ``present``: a process answering a join
        with the people it has (so a process that loads the space late learns who is there)."""
        now = time.monotonic()
        if what == "left":
            self._gone[info["pid"]] = now
            if len(self._gone) > GONE_KEEP:
                self._gone = {pid: t for pid, t in self._gone.items() if now - t < GONE_KEEP_S}
            self.room.remote.pop(info["pid"], None)
            self.presence.drop(info["pid"])
            self.room.broadcast({"type": P.PARTICIPANT_LEFT, "participant": info})
            return
        if info["pid"] in self._gone:
            return  # a `present` sent before they left, delivered after it
        known = info["pid"] in self.room.remote
        self.room.remote[info["pid"]] = info
        if not known:
            self.room.broadcast({"type": P.PARTICIPANT_JOINED, "participant": info})
        self.presence.ensure_ticker()
        if what == "joined":
            for conn in list(self.room.conns.values()):
                self._spawn(self.bus.publish_participant(self.row.id, "present", self.room.participant(conn, self.state)))

    # --- presence -----------------------------------------------------------------------------
    def on_pose(self, conn: Connection, frame: bytes) -> None:
        self.presence.on_pose(conn.pid, frame)

    def on_remote_poses(self, entries: list[bytes]) -> None:
        self.presence.on_remote(entries)

    def flush_presence(self) -> None:
        self.presence.flush()
