"""The `sfu` media plane: every space's media go through Janus's videoroom plugin (docs/janus.md).

Browsers never talk to Janus: their signalling comes over the space socket (``signal`` with
``to: 0``, docs/protocol.md) and this module turns it into videoroom requests:

- one videoroom per loaded space, created on first use, its id and its secret/pin derived from
  the server's secret key (random to anyone else, the same on every process of one deployment),
  destroyed when the space has nobody left on this process and nobody else in the room;
- per participant connection a *publisher* handle (``pc: "pub"``: the client's offer goes to
  ``joinandconfigure``/``configure`` with its ``sources`` as stream descriptions, Janus's answer
  comes back) and a *subscriber* handle (``pc: "sub"``: a multistream subscription to every other
  publisher's streams, updated as publishers come and go; Janus's offers go to the client with
  the ``tracks`` map, the client's answers to ``start``);
- one *watcher* handle per room (a participant that never publishes) tells this process who
  publishes what, on any process;
- floor control: after every floor event each local publisher who may not speak has their audio
  streams ``moderate``-muted, so Janus drops their audio whatever their client does, and unmuted
  when they may speak again.

When the connection to Janus dies the plane is unavailable (``mode`` is ``p2p``, signals to 0 are
refused with ``unavailable``), every local space gets ``media.mode`` ``p2p`` and the plane
reconnects with backoff; once back, ``media.mode`` ``sfu``. None of this goes into the event log.

Each connection's work with Janus runs in a queue of its own, so a slow Janus never holds up the
socket that signalled, and one client's trouble (a bad SDP, an answer that never comes) stays
with that client.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from medverse.config import Settings
from medverse.media.janus import Handle, Janus, JanusError, JanusGone
from medverse.spaces import protocol as P
from medverse.spaces import voice
from medverse.spaces.media import P2P, SFU, SignalRefused

if TYPE_CHECKING:
    from medverse.spaces.connection import Connection
    from medverse.spaces.manager import SpaceManager
    from medverse.spaces.space import Space

log = logging.getLogger("medverse.media")

SOURCES = frozenset({"mic", "camera", "screen"})
PCS = ("pub", "sub")
RECONNECT_FIRST_S = 0.5
RECONNECT_MAX_S = 5.0
FIRST_CONNECT_WAIT_S = 3.0  # start() waits this long for Janus, so the first welcomes say sfu
SWEEP_S = 1.0  # how often rooms are checked against who is here (newcomers, stalled answers)
ANSWER_TIMEOUT_S = 15.0  # a subscribe offer not answered by then is dropped
RETRY_SAME_UPDATE_S = 10.0  # a subscription change that did not take is not retried sooner
MAX_QUEUED_OPS = 200  # per connection; beyond it signals are refused
MAX_CANDIDATES = 100  # trickled candidates per handle; more are ignored
ROOM_PUBLISHERS = 100
ROOM_BITRATE = 1_500_000

Op = Callable[[], Awaitable[None]]


def _error(code: str, message: str, sig_id: str | None = None) -> str:
    return json.dumps({"type": P.ERROR, "id": sig_id, "code": code, "message": message}, separators=(",", ":"))


def _signal(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": P.SIGNAL, "from": 0, "from_user": 0, "kind": kind, "data": data}


def audio_mids(sdp: str) -> list[str]:
    """The mids of the sections of ``sdp`` that send audio (a port, sendrecv/sendonly)."""
    sections: list[dict[str, Any]] = []
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            parts = line[2:].split()
            sections.append({"audio": len(parts) > 1 and parts[0] == "audio" and parts[1] != "0", "dir": "sendrecv", "mid": None})
        elif sections and line.startswith("a=mid:"):
            sections[-1]["mid"] = line[6:].strip()
        elif sections and line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
            sections[-1]["dir"] = line[2:]
    return [s["mid"] for s in sections if s["audio"] and s["mid"] and s["dir"] in ("sendrecv", "sendonly")]


@dataclass
class _Feed:
    """A publisher in a room, as the watcher sees it (on any process)."""

    id: int  # the publisher's pid
    user_id: int
    streams: dict[str, dict[str, Any]]  # its mid -> Janus's description of the stream


@dataclass
class _Peer:
    """What Janus holds for one local connection."""

    conn: Connection
    # (work, whether a refusal is reported to the client: yes for what its signals asked)
    queue: asyncio.Queue[tuple[Op, bool, str | None] | None] = field(default_factory=lambda: asyncio.Queue(MAX_QUEUED_OPS))
    worker: asyncio.Task[None] | None = None
    pub: Handle | None = None
    pub_joined: bool = False
    audio_mids: list[str] = field(default_factory=list)
    moderated: dict[str, bool] = field(default_factory=dict)  # audio mid -> muted by moderation
    pub_candidates: int = 0
    sub: Handle | None = None
    sub_streams: list[dict[str, Any]] = field(default_factory=list)
    sub_candidates: int = 0
    awaiting_answer: bool = False
    offer_at: float = 0.0
    stalled: bool = False  # never answered: no new offer until the client signals again
    reconcile_queued: bool = False
    last_update: tuple[frozenset[tuple[int, str]], float] = (frozenset(), 0.0)

    @property
    def pid(self) -> int:
        return self.conn.pid


@dataclass
class _Room:
    space: Space
    room_id: int
    secret: str
    watcher_id: int
    watcher: Handle | None = None
    feeds: dict[int, _Feed] = field(default_factory=dict)
    peers: dict[int, _Peer] = field(default_factory=dict)
    ready: asyncio.Future[None] | None = None


class JanusPlane:
    """:class:`medverse.spaces.media.MediaPlane` on Janus (``MEDVERSE_MEDIA_MODE=sfu``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.janus_url
        self.api_secret = str(settings.janus_api_secret)
        self._key = settings.resolved_secret_key().encode()
        self._janus: Janus | None = None
        self._manager: SpaceManager | None = None
        self._rooms: dict[int, _Room] = {}
        self._room_locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._supervisor: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._up = asyncio.Event()
        self._announced_down = False

    # --- MediaPlane ---------------------------------------------------------------------------
    def mode(self, space: Space) -> str:
        return SFU if self.available else P2P

    @property
    def available(self) -> bool:
        return self._janus is not None and self._janus.is_open

    async def start(self, spaces: SpaceManager) -> None:
        self._manager = spaces
        self._supervisor = asyncio.create_task(self._supervise(), name="janus-supervisor")
        self._sweeper = asyncio.create_task(self._sweep(), name="janus-sweeper")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._up.wait(), FIRST_CONNECT_WAIT_S)

    async def stop(self) -> None:
        for task in (self._supervisor, self._sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for space_id in list(self._rooms):
            room = self._rooms.pop(space_id)
            self._stop_peers(room)
            if self.available:
                with contextlib.suppress(JanusError, asyncio.TimeoutError):
                    await asyncio.wait_for(self._close_room(room), 3.0)
        for task in list(self._tasks):
            task.cancel()
        if self._janus is not None:
            await self._janus.close()
            self._janus = None

    async def signal(self, space: Space, conn: Connection, kind: str, data: dict[str, Any], sig_id: str | None = None) -> None:
        if not self.available:
            raise SignalRefused(P.E_UNAVAILABLE, "the media server is unreachable now; send media peer-to-peer")
        pc = data.get("pc")
        if pc not in PCS:
            raise SignalRefused(P.E_BAD_MESSAGE, 'a signal to the media server needs \'data.pc\': "pub" or "sub"')
        op: Op
        if kind == "offer":
            if pc == "sub":
                raise SignalRefused(P.E_BAD_MESSAGE, "the media server makes the offers of the subscribe connection; answer them")
            sources = _sources(data.get("sources"))
            sdp = str(data["sdp"])
            if voice.sends_audio(data):
                refusal = voice.speak_refusal(space.state, conn.user.id, conn.role)
                if refusal:
                    raise SignalRefused(P.E_FORBIDDEN, f"this offer sends audio, but {refusal}")
            op_offer = self._publish
            room, peer = self._peer(space, conn)
            peer.stalled = False

            async def op() -> None:
                await op_offer(room, peer, sdp, sources)

        elif kind == "answer":
            if pc == "pub":
                raise SignalRefused(P.E_BAD_MESSAGE, "the media server answers the publish connection's offers; it takes none")
            room, peer = self._peer(space, conn)
            if not peer.awaiting_answer or peer.sub is None:
                raise SignalRefused(P.E_BAD_MESSAGE, "no subscribe offer of the media server is waiting for an answer")
            sdp = str(data["sdp"])

            async def op() -> None:
                await self._answer(room, peer, sdp)

        elif kind == "candidate":
            candidate = _candidate(data)
            room, peer = self._peer(space, conn)

            async def op() -> None:
                await self._trickle(room, peer, pc, candidate)

        else:  # bye
            room, peer = self._peer(space, conn)
            peer.stalled = False

            async def op() -> None:
                await self._bye(room, peer, pc)

        self._enqueue(room, peer, op, f"{kind} ({pc})", sig_id)

    async def left(self, space: Space, conn: Connection) -> None:
        room = self._rooms.get(space.row.id)
        if room is None:
            return
        peer = room.peers.pop(conn.pid, None)
        if peer is not None:
            self._spawn(self._drop_peer(peer))
        if not space.conns:
            self._rooms.pop(space.row.id, None)
            self._stop_peers(room)
            self._spawn(self._retire(room))

    def floor_changed(self, space: Space, user_ids: set[int] | None) -> None:
        room = self._rooms.get(space.row.id)
        if room is None:
            return
        for peer in list(room.peers.values()):
            if user_ids is None or peer.conn.user.id in user_ids:

                async def op(peer: _Peer = peer) -> None:
                    await self._enforce(room, peer)

                self._enqueue_quiet(peer, op)

    async def joined(self, space: Space, conn: Connection) -> None:
        """``conn`` joined ``space``: offer it what is published there now (the sweep does it
        within :data:`SWEEP_S` otherwise, e.g. for a join that raced the room's creation)."""
        room = self._rooms.get(space.row.id)
        if room is not None and self.available:
            self._schedule_reconcile(room, self._peer(space, conn)[1])

    # --- rooms --------------------------------------------------------------------------------
    def _derive(self, what: str, space_id: int) -> bytes:
        return hmac.new(self._key, f"medverse-janus:{what}:{space_id}:{self.api_secret}".encode(), hashlib.sha256).digest()

    def _peer(self, space: Space, conn: Connection) -> tuple[_Room, _Peer]:
        room = self._rooms.get(space.row.id)
        if room is None:
            room = _Room(
                space,
                room_id=int.from_bytes(self._derive("room", space.row.id)[:6], "big") or 1,
                secret=self._derive("secret", space.row.id).hex()[:40],
                watcher_id=2**50 + secrets.randbelow(2**50),
            )
            self._rooms[space.row.id] = room
        peer = room.peers.get(conn.pid)
        if peer is None or peer.conn is not conn:
            peer = _Peer(conn)
            room.peers[conn.pid] = peer
            peer.worker = asyncio.create_task(self._work(room, peer), name=f"janus-peer-{conn.pid}")
        return room, peer

    async def _ensure_room(self, room: _Room) -> None:
        if room.ready is None:
            room.ready = asyncio.get_running_loop().create_future()
            self._spawn(self._open_room(room))
        await asyncio.shield(room.ready)

    async def _open_room(self, room: _Room) -> None:
        assert room.ready is not None
        lock = self._room_locks.setdefault(room.space.row.id, asyncio.Lock())
        try:
            async with lock:
                janus = self._connected()
                watcher = await janus.attach(on_event=lambda msg: self._on_watcher(room, msg))
                try:
                    await watcher.message(
                        {
                            "request": "create",
                            "room": room.room_id,
                            "secret": room.secret,
                            "pin": room.secret,
                            "is_private": True,
                            "permanent": False,
                            "description": f"medverse space {room.space.row.id}",
                            "publishers": ROOM_PUBLISHERS,
                            "bitrate": ROOM_BITRATE,
                            "fir_freq": 10,
                            "audiocodec": "opus",
                            "videocodec": "vp8,h264,vp9",
                            "notify_joining": False,
                        }
                    )
                    log.info("created Janus room %d for space %s", room.room_id, room.space.row.name)
                except JanusError as exc:
                    if exc.code != 427:  # 427: it exists (another process of this deployment made it)
                        raise
                data, _ = await watcher.message(
                    {
                        "request": "join",
                        "ptype": "publisher",
                        "room": room.room_id,
                        "pin": room.secret,
                        "id": room.watcher_id,
                        "display": "medverse:watcher",
                    }
                )
                room.watcher = watcher
                self._update_feeds(room, data.get("publishers") or [])
            room.ready.set_result(None)
        except (TimeoutError, JanusError) as exc:
            log.warning("could not open the Janus room of space %s: %s", room.space.row.name, exc)
            if self._rooms.get(room.space.row.id) is room:
                self._rooms.pop(room.space.row.id, None)
                self._stop_peers(room)
            room.ready.set_exception(exc if isinstance(exc, JanusError) else JanusError("Janus timed out"))
            room.ready.exception()  # retrieved: nobody may be waiting

    async def _retire(self, room: _Room) -> None:
        """The space has nobody left here: leave the room, and destroy it if nobody else is in."""
        if room.ready is None or not self.available:
            return
        lock = self._room_locks.setdefault(room.space.row.id, asyncio.Lock())
        async with lock:
            with contextlib.suppress(JanusError, asyncio.CancelledError):
                await asyncio.shield(room.ready)
                await self._close_room(room)

    async def _close_room(self, room: _Room) -> None:
        if room.watcher is None:
            return
        watcher, room.watcher = room.watcher, None
        data, _ = await watcher.message({"request": "listparticipants", "room": room.room_id})
        others = [
            p for p in data.get("participants") or [] if p.get("id") != room.watcher_id and p.get("display") != "medverse:watcher"
        ]
        if not others:
            with contextlib.suppress(JanusError):
                await watcher.message({"request": "destroy", "room": room.room_id, "secret": room.secret})
                log.info("destroyed Janus room %d of space %s", room.room_id, room.space.row.name)
        await watcher.detach()

    def _on_watcher(self, room: _Room, msg: dict[str, Any]) -> None:
        if msg.get("janus") != "event":
            return
        data = (msg.get("plugindata") or {}).get("data") or {}
        changed = False
        if data.get("videoroom") == "destroyed":
            if self._rooms.get(room.space.row.id) is room:  # not by us: e.g. by another process
                log.warning("the Janus room of space %s was destroyed", room.space.row.name)
                self._rooms.pop(room.space.row.id, None)
                self._stop_peers(room)
            return
        if isinstance(data.get("publishers"), list):
            self._update_feeds(room, data["publishers"])
            changed = True
        for key in ("unpublished", "leaving", "kicked"):
            gone = data.get(key)
            if isinstance(gone, int) and room.feeds.pop(gone, None) is not None:
                changed = True
        if changed:
            for peer in list(room.peers.values()):
                self._schedule_reconcile(room, peer)

    def _update_feeds(self, room: _Room, publishers: list[dict[str, Any]]) -> None:
        for pub in publishers:
            feed_id = pub.get("id")
            if not isinstance(feed_id, int) or feed_id == room.watcher_id:
                continue
            try:
                user_id = int(json.loads(pub.get("display") or "{}").get("user_id", 0))
            except (ValueError, TypeError, AttributeError):
                user_id = 0
            streams = {str(s["mid"]): s for s in pub.get("streams") or [] if isinstance(s, dict) and "mid" in s}
            room.feeds[feed_id] = _Feed(feed_id, user_id, streams)

    # --- one connection's queue ---------------------------------------------------------------
    def _enqueue(self, room: _Room, peer: _Peer, op: Op, what: str, sig_id: str | None) -> None:
        """Queues a client's signal; a refusal by Janus later comes back as an error frame
        naming ``sig_id`` (so the client knows which offer to roll back)."""
        try:
            peer.queue.put_nowait((op, True, sig_id))
        except asyncio.QueueFull:
            log.info("refused a %s signal from %s (pid %d): too many pending", what, peer.conn.user.username, peer.pid)
            raise SignalRefused(P.E_RATE_LIMITED, "too many signals waiting for the media server") from None

    async def _work(self, room: _Room, peer: _Peer) -> None:
        while True:
            item = await peer.queue.get()
            if item is None:
                return
            op, report, sig_id = item
            try:
                await self._ensure_room(room)
                await op()
            except JanusGone:
                pass  # the supervisor announces it and drops everything
            except JanusError as exc:
                log.info(
                    "the media server refused a request for %s (pid %d) in %s: %s",
                    peer.conn.user.username,
                    peer.pid,
                    room.space.row.name,
                    exc,
                )
                if report:
                    peer.conn.send_text(_error(P.E_BAD_MESSAGE, f"the media server refused this: {exc}", sig_id))
            except Exception:
                log.exception("error driving Janus for pid %d", peer.pid)

    def _stop_peers(self, room: _Room) -> None:
        for peer in room.peers.values():
            if peer.worker is not None:
                peer.worker.cancel()
        room.peers.clear()

    async def _drop_peer(self, peer: _Peer) -> None:
        if peer.worker is not None:
            peer.worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await peer.worker
        for handle in (peer.pub, peer.sub):
            if handle is not None:
                await handle.detach()
        peer.pub = peer.sub = None

    # --- publishing ---------------------------------------------------------------------------
    async def _publish(self, room: _Room, peer: _Peer, sdp: str, sources: dict[str, str]) -> None:
        conn = peer.conn
        descriptions = [{"mid": mid, "description": src} for mid, src in sources.items()]
        jsep = {"type": "offer", "sdp": sdp}
        if peer.pub is None:
            peer.pub = await self._connected().attach(on_event=lambda msg: self._on_pub(room, peer, msg))
            peer.pub_joined = False
            peer.pub_candidates = 0
        if not peer.pub_joined:
            body = {
                "request": "joinandconfigure",
                "ptype": "publisher",
                "room": room.room_id,
                "pin": room.secret,
                "id": conn.pid,
                "display": json.dumps({"user_id": conn.user.id}),
                "descriptions": descriptions,
            }
            try:
                _data, answer = await peer.pub.message(body, jsep)
            except JanusError as exc:
                if exc.code != 436:  # 436: this id is in the room (a session of ours Janus has not dropped yet)
                    raise
                await self._watcher(room).message(
                    {"request": "kick", "room": room.room_id, "secret": room.secret, "id": conn.pid}
                )
                _data, answer = await peer.pub.message(body, jsep)
            peer.pub_joined = True
        else:
            _data, answer = await peer.pub.message({"request": "configure", "descriptions": descriptions}, jsep)
        peer.audio_mids = audio_mids(sdp)
        peer.moderated = {mid: muted for mid, muted in peer.moderated.items() if mid in peer.audio_mids}
        await self._enforce(room, peer)
        if answer is None:
            raise JanusError("Janus gave no answer to the offer")
        room.space.send_to(conn.pid, _signal("answer", {"pc": "pub", "sdp": answer.get("sdp", "")}))
        self._schedule_reconcile(room, peer)

    async def _enforce(self, room: _Room, peer: _Peer) -> None:
        """Mute (moderate) ``peer``'s audio streams in Janus while they may not speak; unmute."""
        if not peer.pub_joined or not peer.audio_mids:
            return
        conn = peer.conn
        refusal = voice.speak_refusal(room.space.state, conn.user.id, conn.role)
        for mid in peer.audio_mids:
            mute = refusal is not None
            if peer.moderated.get(mid, False) == mute:
                continue
            await self._watcher(room).message(
                {"request": "moderate", "room": room.room_id, "secret": room.secret, "id": conn.pid, "mid": mid, "mute": mute}
            )
            peer.moderated[mid] = mute
            if mute:
                log.info(
                    "stopped forwarding the audio of %s (pid %d) in %s: %s",
                    conn.user.username,
                    conn.pid,
                    room.space.row.name,
                    refusal,
                )
            else:
                log.info("forwarding the audio of %s (pid %d) in %s again", conn.user.username, conn.pid, room.space.row.name)

    def _on_pub(self, room: _Room, peer: _Peer, msg: dict[str, Any]) -> None:
        kind = msg.get("janus")
        if kind == "trickle":
            self._relay_candidate(room, peer, "pub", msg.get("candidate"))
        elif kind == "hangup":
            log.info("Janus hung up the publish connection of pid %d: %s", peer.pid, msg.get("reason"))

    # --- subscribing --------------------------------------------------------------------------
    def _schedule_reconcile(self, room: _Room, peer: _Peer) -> None:
        if peer.reconcile_queued:
            return
        peer.reconcile_queued = True

        async def op() -> None:
            peer.reconcile_queued = False
            await self._reconcile(room, peer)

        try:
            peer.queue.put_nowait((op, False, None))
        except asyncio.QueueFull:
            peer.reconcile_queued = False

    def _wanted(self, room: _Room, peer: _Peer) -> set[tuple[int, str]]:
        return {
            (feed.id, mid)
            for feed in room.feeds.values()
            if feed.id != peer.pid
            for mid, stream in feed.streams.items()
            if stream.get("type") in ("audio", "video") and not stream.get("disabled")
        }

    @staticmethod
    def _current(peer: _Peer) -> set[tuple[int, str]]:
        return {
            (int(s["feed_id"]), str(s["feed_mid"]))
            for s in peer.sub_streams
            if s.get("active", True) and isinstance(s.get("feed_id"), int) and s.get("feed_mid") is not None
        }

    async def _reconcile(self, room: _Room, peer: _Peer) -> None:
        """Bring ``peer``'s subscription to every other publisher's streams."""
        if peer.awaiting_answer or peer.stalled or peer.conn.closed:
            return
        wanted = self._wanted(room, peer)
        if peer.sub is None:
            if not wanted:
                return
            if not self._retry_due(peer, wanted):
                return
            peer.sub = await self._connected().attach(on_event=lambda msg: self._on_sub(room, peer, msg))
            peer.sub_streams = []
            peer.sub_candidates = 0
            body = {
                "request": "join",
                "ptype": "subscriber",
                "room": room.room_id,
                "pin": room.secret,
                "streams": [{"feed": f, "mid": m} for f, m in sorted(wanted)],
            }
            try:
                data, jsep = await peer.sub.message(body)
            except JanusError:
                sub, peer.sub = peer.sub, None
                await sub.detach()
                raise
            self._subscription_event(room, peer, data, jsep)
            return
        current = self._current(peer)
        add, remove = wanted - current, current - wanted
        if not add and not remove:
            return
        if not self._retry_due(peer, wanted):
            return
        update: dict[str, Any] = {"request": "update"}
        if add:
            update["subscribe"] = [{"feed": f, "mid": m} for f, m in sorted(add)]
        if remove:
            update["unsubscribe"] = [{"feed": f, "mid": m} for f, m in sorted(remove)]
        data, jsep = await peer.sub.message(update)
        self._subscription_event(room, peer, data, jsep)

    @staticmethod
    def _retry_due(peer: _Peer, wanted: set[tuple[int, str]]) -> bool:
        key = frozenset(wanted)
        last, at = peer.last_update
        now = time.monotonic()
        if key == last and now - at < RETRY_SAME_UPDATE_S:
            return False
        peer.last_update = (key, now)
        return True

    def _on_sub(self, room: _Room, peer: _Peer, msg: dict[str, Any]) -> None:
        kind = msg.get("janus")
        if kind == "event":
            data = (msg.get("plugindata") or {}).get("data") or {}
            self._subscription_event(room, peer, data, msg.get("jsep"))
        elif kind == "trickle":
            self._relay_candidate(room, peer, "sub", msg.get("candidate"))
        elif kind == "hangup":
            log.info("Janus hung up the subscribe connection of pid %d: %s", peer.pid, msg.get("reason"))

    def _subscription_event(self, room: _Room, peer: _Peer, data: dict[str, Any], jsep: dict[str, Any] | None) -> None:
        """Janus's answer to join/update, or an update of its own (a publisher went): keep the
        streams, and send its offer to the client."""
        if isinstance(data.get("streams"), list):
            peer.sub_streams = [s for s in data["streams"] if isinstance(s, dict)]
        if jsep is None or jsep.get("type") != "offer":
            return
        tracks: dict[str, dict[str, Any]] = {}
        for s in peer.sub_streams:
            if s.get("type") not in ("audio", "video") or not s.get("active", True) or not isinstance(s.get("feed_id"), int):
                continue
            feed = room.feeds.get(s["feed_id"])
            described = (feed.streams.get(str(s.get("feed_mid")), {}) if feed else {}).get("description")
            source = described if described in SOURCES else ("mic" if s["type"] == "audio" else "camera")
            user_id = feed.user_id if feed else _user_of(s.get("feed_display"))
            tracks[str(s["mid"])] = {"pid": s["feed_id"], "user_id": user_id, "source": source}
        peer.awaiting_answer = True
        peer.offer_at = time.monotonic()
        room.space.send_to(peer.pid, _signal("offer", {"pc": "sub", "sdp": jsep.get("sdp", ""), "tracks": tracks}))

    async def _answer(self, room: _Room, peer: _Peer, sdp: str) -> None:
        if peer.sub is None or not peer.awaiting_answer:
            raise JanusError("no subscribe offer is waiting for an answer (it was withdrawn)")
        await peer.sub.message({"request": "start"}, {"type": "answer", "sdp": sdp})
        peer.awaiting_answer = False
        self._schedule_reconcile(room, peer)  # whatever changed while the client was answering

    async def _reset_sub(self, peer: _Peer) -> None:
        sub, peer.sub = peer.sub, None
        peer.sub_streams = []
        peer.awaiting_answer = False
        if sub is not None:
            await sub.detach()

    # --- candidates and bye -------------------------------------------------------------------
    async def _trickle(self, room: _Room, peer: _Peer, pc: str, candidate: dict[str, Any] | None) -> None:
        handle = peer.pub if pc == "pub" else peer.sub
        if handle is None:
            return  # nothing to add it to (e.g. a candidate after a bye): ignored
        count = peer.pub_candidates if pc == "pub" else peer.sub_candidates
        if count >= MAX_CANDIDATES:
            if count == MAX_CANDIDATES:
                log.info(
                    "ignoring further candidates of %s (pid %d) for its %s connection", peer.conn.user.username, peer.pid, pc
                )
        else:
            await handle.trickle(candidate)
        if pc == "pub":
            peer.pub_candidates += 1
        else:
            peer.sub_candidates += 1

    def _relay_candidate(self, room: _Room, peer: _Peer, pc: str, cand: Any) -> None:
        if not isinstance(cand, dict):
            return
        if cand.get("completed"):
            data: dict[str, Any] = {"pc": pc, "candidate": "", "sdpMid": None, "sdpMLineIndex": None}
        else:
            data = {
                "pc": pc,
                "candidate": cand.get("candidate", ""),
                "sdpMid": cand.get("sdpMid"),
                "sdpMLineIndex": cand.get("sdpMLineIndex"),
            }
        room.space.send_to(peer.pid, _signal("candidate", data))

    async def _bye(self, room: _Room, peer: _Peer, pc: str) -> None:
        if pc == "pub":
            pub, peer.pub = peer.pub, None
            peer.pub_joined = False
            peer.audio_mids = []
            peer.moderated = {}
            if pub is not None:
                await pub.detach()  # leaves the room: the others' subscriptions drop its streams
        else:
            await self._reset_sub(peer)  # a fresh offer follows while there is something to receive
            peer.last_update = (frozenset(), 0.0)
            self._schedule_reconcile(room, peer)

    # --- connection to Janus ------------------------------------------------------------------
    def _connected(self) -> Janus:
        if self._janus is None or not self._janus.is_open:
            raise JanusGone("not connected to Janus")
        return self._janus

    def _watcher(self, room: _Room) -> Handle:
        if room.watcher is None:
            raise JanusError("the room is closed")
        return room.watcher

    async def _supervise(self) -> None:
        delay = RECONNECT_FIRST_S
        failures = 0
        while True:
            janus = Janus(self.url, self.api_secret)
            try:
                await janus.open()
            except JanusError as exc:
                if failures == 0:
                    log.warning("Janus is unreachable (%s); media go peer-to-peer until it is back", exc)
                failures += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
                continue
            log.info("connected to Janus at %s (session %d)", self.url, janus.session_id)
            self._janus = janus
            self._up.set()
            if failures or self._announced_down:
                self._announce(SFU, "the media server is available again")
            failures = 0
            delay = RECONNECT_FIRST_S
            try:
                reason = await janus.wait_closed()
            except asyncio.CancelledError:
                raise
            self._janus = None
            self._up.clear()
            log.warning("lost Janus: %s; media go peer-to-peer until it is back", reason)
            for space_id in list(self._rooms):
                self._stop_peers(self._rooms.pop(space_id))
            self._announce(P2P, "the media server went away; reconnecting your media peer-to-peer")
            with contextlib.suppress(Exception):
                await janus.close()
            await asyncio.sleep(RECONNECT_FIRST_S)

    def _announce(self, mode: str, reason: str) -> None:
        self._announced_down = mode == P2P
        if self._manager is None:
            return
        for space in self._manager.loaded_spaces():
            # each process tells its own clients: its own link to Janus is what came or went
            space.broadcast({"type": P.MEDIA_MODE, "mode": mode, "reason": reason})

    async def _sweep(self) -> None:
        """Every SWEEP_S: newcomers get offered what is published; answers that never came are
        given up; connections that left without a word are dropped."""
        while True:
            await asyncio.sleep(SWEEP_S)
            if not self.available:
                continue
            now = time.monotonic()
            for room in list(self._rooms.values()):
                if room.watcher is None:
                    continue
                conns = room.space.conns
                for pid in [pid for pid, peer in room.peers.items() if conns.get(pid) is not peer.conn]:
                    self._spawn(self._drop_peer(room.peers.pop(pid)))
                if not room.feeds:
                    continue
                for conn in list(conns.values()):
                    _room, peer = self._peer(room.space, conn)
                    if peer.awaiting_answer and now - peer.offer_at > ANSWER_TIMEOUT_S:
                        log.info("%s (pid %d) never answered the media server's offer; dropped it", conn.user.username, conn.pid)
                        peer.stalled = True
                        self._enqueue_quiet(peer, functools.partial(self._reset_sub, peer))
                    elif not peer.awaiting_answer and not peer.stalled and self._wanted(room, peer) != self._current(peer):
                        self._schedule_reconcile(room, peer)

    @staticmethod
    def _enqueue_quiet(peer: _Peer, op: Op) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            peer.queue.put_nowait((op, False, None))

    def _spawn(self, aw: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(aw)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _sources(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > 16:
        raise SignalRefused(P.E_BAD_MESSAGE, '\'data.sources\' maps at most 16 mids to "mic", "camera" or "screen"')
    for mid, source in raw.items():
        if not isinstance(mid, str) or len(mid) > 32 or source not in SOURCES:
            raise SignalRefused(P.E_BAD_MESSAGE, '\'data.sources\' maps mids to "mic", "camera" or "screen"')
    return dict(raw)


def _candidate(data: dict[str, Any]) -> dict[str, Any] | None:
    """The candidate for Janus's trickle, None for the end of candidates; refuses malformed ones."""
    cand = data.get("candidate")
    if cand is None or cand == "":
        return None
    mid, index = data.get("sdpMid"), data.get("sdpMLineIndex")
    if (
        not isinstance(cand, str)
        or not (mid is None or isinstance(mid, str))
        or not (index is None or (isinstance(index, int) and not isinstance(index, bool)))
    ):
        raise SignalRefused(P.E_BAD_MESSAGE, "a candidate is {pc, candidate: string, sdpMid: string, sdpMLineIndex: integer}")
    out: dict[str, Any] = {"candidate": cand}
    if mid is not None:
        out["sdpMid"] = mid
    if index is not None:
        out["sdpMLineIndex"] = index
    return out


def _user_of(display: Any) -> int:
    try:
        return int(json.loads(display).get("user_id", 0))
    except (ValueError, TypeError, AttributeError):
        return 0
