"""The WebSocket protocol of a space: authenticate, hello, then commands, pings and poses.

Every bad frame gets an error frame (naming the command id when there is one) or a documented
close code; nothing a client sends can harm the space or the other connections.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from medverse.auth import COOKIE_NAME, SessionManager
from medverse.errors import InvalidInput, MedverseError, NotAuthenticated, NotFound
from medverse.spaces import presence
from medverse.spaces import protocol as P
from medverse.spaces.connection import Connection
from medverse.spaces.manager import SpaceManager
from medverse.spaces.space import Space, dumps

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
    def __init__(self, manager: SpaceManager, sessions: SessionManager) -> None:
        self.manager = manager
        self.sessions = sessions

    async def serve(self, ws: WebSocket, name: str) -> None:
        await ws.accept()
        if not _same_origin(ws):
            await ws.close(P.CLOSE_FORBIDDEN, "cross-site WebSocket refused")
            return
        try:
            _sid, user = await asyncio.to_thread(self.sessions.user, ws.cookies.get(COOKIE_NAME))
        except NotAuthenticated as exc:
            await ws.close(P.CLOSE_UNAUTHENTICATED, str(exc)[:120])
            return
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
        assert role is not None
        conn = Connection(await self.manager.bus.new_pid(), user, ws, role)
        await space.join(conn, since)
        log.info("%s joined %s as %s (pid %d)", user.username, name, role, conn.pid)
        try:
            await self._loop(ws, space, conn)
        finally:
            await space.leave(conn)
            log.info("%s left %s", user.username, name)

    async def _hello(self, ws: WebSocket) -> int | None:
        msg = await asyncio.wait_for(ws.receive(), timeout=P.HELLO_TIMEOUT_S)
        if msg["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(msg.get("code", 1000))
        text = msg.get("text")
        if text is None:
            raise InvalidInput("the first frame must be a text hello frame")
        try:
            hello = json.loads(text)
        except ValueError:
            raise InvalidInput("the hello frame is not JSON") from None
        if not isinstance(hello, dict) or hello.get("type") != P.HELLO:
            raise InvalidInput("expected a hello frame first")
        since = hello.get("since")
        if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
            raise InvalidInput("hello.since must be null or a sequence number >= 0")
        return since

    async def _loop(self, ws: WebSocket, space: Space, conn: Connection) -> None:
        settings = space.settings
        commands = TokenBucket(settings.ws_commands_per_s, settings.ws_command_burst)
        poses = TokenBucket(settings.ws_presence_per_s, settings.ws_presence_per_s)
        strikes = 0
        last_pose_error = 0.0
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
                elif not commands.take():
                    strikes += 1
                    conn.send_text(
                        error_frame(P.E_RATE_LIMITED, "too many messages; slow down", _peek_id(text))
                    )
                else:
                    await self._text(space, conn, text)
            if strikes > FLOOD_STRIKES:
                log.warning("closing flooding connection %s (%s)", conn.pid, conn.user.username)
                conn.close(P.CLOSE_FLOOD, "rate limit exceeded too often")

    async def _text(self, space: Space, conn: Connection, text: str) -> None:
        try:
            msg = json.loads(text)
        except ValueError:
            conn.send_text(error_frame(P.E_BAD_MESSAGE, "the frame is not valid JSON"))
            return
        if not isinstance(msg, dict):
            conn.send_text(error_frame(P.E_BAD_MESSAGE, "a frame must be a JSON object"))
            return
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
            result = await space.execute(actor, cmd_id, name, args)
        except MedverseError as exc:
            log.info("refused %s from %s: %s", name[:40], conn.user.username, exc)
            conn.send_text(error_frame(exc.code, str(exc), cmd_id))
            return
        ack: dict[str, Any] = {"type": P.ACK, "id": cmd_id, "seq": result.seq}
        if result.duplicate:
            ack["duplicate"] = True
        conn.send_text(dumps(ack))


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


def _peek_id(text: str) -> str | None:
    try:
        value = json.loads(text).get("id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and len(value) <= P.MAX_COMMAND_ID else None
