"""The WebSocket protocol of a space: authenticate, hello, then commands, pings and poses.

Every bad frame gets an error frame (naming the command id when there is one) or a documented
close code; nothing a client sends can harm the space or the other connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from medverse.auth import COOKIE_NAME, SessionManager
from medverse.errors import InvalidInput, MedverseError, NotAuthenticated, NotFound
from medverse.spaces import presence, voice
from medverse.spaces import protocol as P
from medverse.spaces.connection import Connection
from medverse.spaces.manager import SpaceManager
from medverse.spaces.media import SFU_ANSWER_MAX_BYTES, SFU_PID, SignalRefused
from medverse.spaces.room import dumps
from medverse.spaces.space import Space

log = logging.getLogger("medverse.gateway")

FLOOD_STRIKES = 50  # refused frames (rate limit) before the socket is closed with 4029


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.t = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate)
        self.t = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def error_frame(code: str, message: str, cmd_id: str | None = None) -> str:
    return dumps({"type": P.ERROR, "id": cmd_id, "code": code, "message": message})


class Gateway:
    """Serves the space sockets of this process; knows which session each socket lives on, so a
    socket closes (4001) when its session is signed out or expires."""

    def __init__(self, manager: SpaceManager, sessions: SessionManager) -> None:
        self.manager = manager
        self.sessions = sessions
        self.settings = manager.settings
        self._by_session: dict[str, set[Connection]] = defaultdict(set)
        self._per_user: dict[int, int] = defaultdict(int)
        self._sweeper: asyncio.Task[None] | None = None

    # --- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        if self._sweeper is not None:
            raise RuntimeError("the gateway is started already")
        self._sweeper = asyncio.create_task(self._sweep_loop(), name="session-sweep")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    # --- sessions -----------------------------------------------------------------------------
    def session_ended(self, session_id: str, reason: str = "signed out") -> int:
        """Close every socket of a session (sign-out in this process); returns how many."""
        conns = self._by_session.pop(session_id, set())
        for conn in conns:
            conn.close(P.CLOSE_UNAUTHENTICATED, f"the session ended ({reason}); sign in again")
        return len(conns)

    async def _sweep_loop(self) -> None:
        """Sessions signed out in another process, expired, or of a deleted user: close their sockets."""
        while True:
            await asyncio.sleep(self.settings.session_check_s)
            sids = list(self._by_session)
            if not sids:
                continue
            try:
                live = await asyncio.to_thread(self.sessions.live, sids)
            except Exception:  # the database is away: try again at the next sweep
                log.exception("session sweep failed")
                continue
            for sid in sids:
                if sid not in live:
                    self.session_ended(sid, "expired or signed out")

    # --- one socket ---------------------------------------------------------------------------
    async def serve(self, ws: WebSocket, name: str) -> None:
        await ws.accept()
        if not _same_origin(ws):
            await ws.close(P.CLOSE_FORBIDDEN, "cross-site WebSocket refused")
            return
        try:
            sid, user = await asyncio.to_thread(self.sessions.user, ws.cookies.get(COOKIE_NAME))
        except NotAuthenticated as exc:
            await ws.close(P.CLOSE_UNAUTHENTICATED, str(exc)[:120])
            return
        if self._per_user[user.id] >= self.settings.ws_max_sockets_per_user:
            await ws.close(P.CLOSE_TOO_MANY, f"at most {self.settings.ws_max_sockets_per_user} open spaces per user")
            return
        self._per_user[user.id] += 1
        try:
            await self._serve(ws, name, sid, user)
        finally:
            self._per_user[user.id] -= 1
            if self._per_user[user.id] <= 0:
                del self._per_user[user.id]

    async def _serve(self, ws: WebSocket, name: str, sid: str, user: Any) -> None:
        try:
            space = await self.manager.get(name)
        except NotFound as exc:
            await ws.close(P.CLOSE_NO_SPACE, str(exc)[:120])
            return
        refusal = space.entry_refusal(user)
        if refusal:
            await ws.close(P.CLOSE_FORBIDDEN, refusal[:120])
            return
        try:
            since = await self._hello(ws)
        except (TimeoutError, InvalidInput, WebSocketDisconnect) as exc:
            reason = "expected a hello frame first" if not str(exc) else str(exc)
            if not isinstance(exc, WebSocketDisconnect):
                await ws.close(P.CLOSE_PROTOCOL, reason[:120])
            return
        role = space.role_of(user)
        if role is None:  # removed while saying hello
            await ws.close(P.CLOSE_FORBIDDEN, "you are not a member of this space")
            return
        conn = Connection(await self.manager.bus.new_pid(), user, ws, role)
        self._by_session[sid].add(conn)
        try:
            await space.join(conn, since)
            log.info("%s joined %s as %s (pid %d)", user.username, name, role, conn.pid)
            await self._loop(ws, space, conn)
        finally:
            conns = self._by_session.get(sid)
            if conns is not None:
                conns.discard(conn)
                if not conns:
                    del self._by_session[sid]
            await space.leave(conn)
            log.info("%s left %s", user.username, name)

    async def _hello(self, ws: WebSocket) -> int | None:
        msg = await asyncio.wait_for(ws.receive(), timeout=P.HELLO_TIMEOUT_S)
        if msg["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(msg.get("code", 1000))
        text = msg.get("text")
        if text is None:
            raise InvalidInput("the first frame must be a text hello frame")
        if len(text) > 4096:
            raise InvalidInput("the hello frame is too long")
        try:
            hello = json.loads(text)
        except (ValueError, RecursionError):
            raise InvalidInput("the hello frame is not JSON") from None
        if not isinstance(hello, dict) or hello.get("type") != P.HELLO:
            raise InvalidInput("expected a hello frame first")
        version = hello.get("protocol", P.PROTOCOL_VERSION)
        if version != P.PROTOCOL_VERSION:
            raise InvalidInput(
                f"protocol version mismatch: this server speaks {P.PROTOCOL_VERSION} "
                f"(the client sent {str(version)[:10]}); reload the page"
            )
        since = hello.get("since")
        if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
            raise InvalidInput("hello.since must be null or a sequence number >= 0")
        return since

    async def _loop(self, ws: WebSocket, space: Space, conn: Connection) -> None:
        settings = space.settings
        commands = TokenBucket(settings.ws_commands_per_s, settings.ws_command_burst)
        signals = TokenBucket(P.SIGNALS_PER_S, P.SIGNAL_BURST)
        poses = TokenBucket(settings.ws_presence_per_s, settings.ws_presence_per_s)
        strikes = 0
        last_pose_error = last_signal_limit = 0.0
        metrics = space.metrics
        while not conn.closed:
            msg = await ws.receive()
            kind = msg["type"]
            if kind == "websocket.disconnect":
                return
            metrics.frames_in += 1
            data = msg.get("bytes")
            if data is not None:
                if not poses.take():
                    strikes += 1
                elif len(data) > settings.ws_max_frame_bytes:
                    conn.close(P.CLOSE_TOO_BIG, "frame too large")
                else:
                    try:
                        space.on_pose(conn, _checked_pose(data))
                    except InvalidInput as exc:
                        now = time.monotonic()
                        if now - last_pose_error > 1.0:
                            last_pose_error = now
                            conn.send_text(error_frame(P.E_BAD_MESSAGE, str(exc)))
            else:
                text = msg.get("text") or ""
                if len(text) > settings.ws_max_frame_bytes:
                    conn.close(P.CLOSE_TOO_BIG, "frame too large")
                    continue
                frame = _parse(text)
                is_signal = isinstance(frame, dict) and frame.get("type") == P.SIGNAL
                if not (signals if is_signal else commands).take():
                    strikes += 1
                    what = "signalling messages" if is_signal else "messages"
                    conn.send_text(error_frame(P.E_RATE_LIMITED, f"too many {what}; slow down", _frame_id(frame)))
                    now = time.monotonic()
                    if is_signal and now - last_signal_limit > 1.0:
                        last_signal_limit = now
                        log.info("rate-limited signalling from %s (pid %d) in %s", conn.user.username, conn.pid, space.row.name)
                elif isinstance(frame, str):
                    conn.send_text(error_frame(P.E_BAD_MESSAGE, frame))
                elif is_signal:
                    await self._signal(space, conn, frame)
                else:
                    await self._text(space, conn, frame)
            if strikes > FLOOD_STRIKES:
                log.warning("closing flooding connection %s (%s)", conn.pid, conn.user.username)
                conn.close(P.CLOSE_FLOOD, "rate limit exceeded too often")

    async def _text(self, space: Space, conn: Connection, msg: dict[str, Any]) -> None:
        mtype = msg.get("type")
        if not isinstance(mtype, str):
            conn.send_text(error_frame(P.E_BAD_MESSAGE, "a frame needs a string 'type'"))
            return
        if mtype == P.PING:
            conn.send_text(dumps({"type": P.PONG, "t": msg.get("t")}))
            return
        if mtype == P.HELLO:
            conn.send_text(error_frame(P.E_BAD_MESSAGE, "hello was sent already"))
            return
        if mtype != P.COMMAND:
            conn.send_text(error_frame(P.E_UNKNOWN_TYPE, f"unknown message type {mtype[:40]!r}"))
            return
        cmd_id = msg.get("id")
        if not isinstance(cmd_id, str) or not 1 <= len(cmd_id) <= P.MAX_COMMAND_ID:
            conn.send_text(error_frame(P.E_BAD_MESSAGE, "a command needs an 'id' string of 1-64 characters"))
            return
        name = msg.get("name")
        if not isinstance(name, str):
            conn.send_text(error_frame(P.E_BAD_MESSAGE, "a command needs a string 'name'", cmd_id))
            return
        args = msg.get("args", {})
        try:
            actor = space.actor(conn.user)
            result = await space.execute(actor, cmd_id, name, args, trusted=False)
        except MedverseError as exc:
            log.info("refused %s from %s: %s", name[:40], conn.user.username, exc)
            conn.send_text(error_frame(protocol_code(exc), str(exc), cmd_id))
            return
        ack: dict[str, Any] = {"type": P.ACK, "id": cmd_id, "seq": result.seq}
        if result.duplicate:
            ack["duplicate"] = True
        conn.send_text(dumps(ack))

    # --- WebRTC signalling (docs/media.md) -------------------------------------------------
    async def _signal(self, space: Space, conn: Connection, msg: dict[str, Any]) -> None:
        """Relay one `signal` message to the participant it names (or to the media server), or
        refuse it."""
        try:
            to, relayed = _checked_signal(space, conn, msg)
            if to == SFU_PID:
                await space.media.signal(space, conn, relayed["kind"], relayed["data"], _frame_id(msg))
            elif not space.send_to(to, relayed):
                raise SignalRefused(P.E_NOT_FOUND, f"participant {to} is not in this space")
        except SignalRefused as exc:
            who = f"{conn.user.username} (pid {conn.pid})"
            log.info("refused a %s signal from %s in %s: %s", _kind_of(msg), who, space.row.name, exc)
            conn.send_text(error_frame(exc.code, str(exc), _frame_id(msg)))


def _checked_signal(space: Space, conn: Connection, msg: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(target pid, the message to relay) of a valid signal from ``conn``; SignalRefused otherwise."""
    if space.role_of(conn.user) is None:
        raise SignalRefused(P.E_FORBIDDEN, "you are no longer a member of this space")
    forged = msg.get("from")
    if forged is not None and forged != conn.pid:
        raise SignalRefused(P.E_FORBIDDEN, f"you may only signal as yourself (pid {conn.pid})")
    to = msg.get("to")
    if not isinstance(to, int) or isinstance(to, bool):
        raise SignalRefused(P.E_BAD_MESSAGE, "a signal needs 'to': the pid of a participant (0: the media server)")
    if to == conn.pid:
        raise SignalRefused(P.E_BAD_MESSAGE, "a signal cannot be sent to yourself")
    kind = msg.get("kind")
    if kind not in P.SIGNAL_KINDS:
        raise SignalRefused(P.E_BAD_MESSAGE, f"a signal's 'kind' is one of {', '.join(P.SIGNAL_KINDS)}")
    data = msg.get("data", {})
    if not isinstance(data, dict):
        raise SignalRefused(P.E_BAD_MESSAGE, "a signal's 'data' must be an object")
    size = len(dumps(data).encode())
    limit = P.SIGNAL_MAX_SDP_BYTES if kind in ("offer", "answer") else P.SIGNAL_MAX_CANDIDATE_BYTES
    if to == SFU_PID and kind == "answer" and data.get("pc") == "sub":
        limit = SFU_ANSWER_MAX_BYTES
    if size > limit:
        raise SignalRefused(P.E_BAD_MESSAGE, f"the data of a {kind} may be at most {limit} bytes (got {size})")
    if kind in ("offer", "answer"):
        if not isinstance(data.get("sdp"), str):
            raise SignalRefused(P.E_BAD_MESSAGE, f"an {kind} needs 'data.sdp', a string")
        if voice.sends_audio(data):
            refusal = voice.speak_refusal(space.state, conn.user.id, conn.role)
            if refusal:
                raise SignalRefused(P.E_FORBIDDEN, f"this {kind} sends audio, but {refusal}")
    return to, {"type": P.SIGNAL, "from": conn.pid, "from_user": conn.user.id, "kind": kind, "data": data}


def _kind_of(msg: dict[str, Any]) -> str:
    kind = msg.get("kind")
    return kind if kind in P.SIGNAL_KINDS else "bad"


_CODES = frozenset(v for k, v in vars(P).items() if k.startswith("E_"))


def protocol_code(exc: MedverseError) -> str:
    """The error frame's code: the exception's own when the protocol names it, else that of the
    nearest base class the protocol names (a kind's ``invalid-study`` is ``invalid`` on the wire)."""
    for cls in type(exc).__mro__:
        code = getattr(cls, "code", None)
        if code in _CODES:
            return str(code)
    return P.E_INTERNAL


def _same_origin(ws: WebSocket) -> bool:
    """Browsers send Origin: refuse pages of other sites (non-browser clients send none)."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    host = ws.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


def _checked_pose(data: bytes) -> bytes:
    presence.decode_pose(data)
    return data


def _parse(text: str) -> dict[str, Any] | str:
    """The frame as a JSON object, or why it is not one."""
    try:
        msg = json.loads(text)
    except ValueError:
        return "the frame is not valid JSON"
    except RecursionError:
        return "the frame is nested too deeply"
    if not isinstance(msg, dict):
        return "a frame must be a JSON object"
    return msg


def _frame_id(frame: dict[str, Any] | str) -> str | None:
    value = frame.get("id") if isinstance(frame, dict) else None
    return value if isinstance(value, str) and len(value) <= P.MAX_COMMAND_ID else None
