"""A small asyncio client for the Janus WebSocket API (https://janus.conf.meetecho.com/docs/rest.html).

One :class:`Janus` is one WebSocket connection (subprotocol ``janus-protocol``) carrying one Janus
session, kept alive every :data:`KEEPALIVE_S` seconds; :meth:`Janus.attach` gives a
:class:`Handle` on a plugin. Requests are matched to their replies by transaction:

- ``message`` (:meth:`Handle.message`) waits for the plugin's answer, whether it comes at once
  (``success``, a synchronous plugin request such as ``create`` or ``moderate``) or after an
  ``ack`` as an asynchronous ``event`` (``joinandconfigure``, ``start``, ``update``...), with its
  JSEP if any;
- ``trickle`` and ``keepalive`` are done at their ``ack``;
- ``attach``, ``detach``, ``create`` and ``destroy`` at their ``success``.

Whatever Janus sends a handle on its own (plugin events without a pending transaction,
``webrtcup``, ``media``, ``hangup``, ``slowlink``, ``detached``...) goes to that handle's
``on_event`` callback. When the connection dies (Janus stopped, killed, or silent past the
WebSocket ping timeout, or the session timed out) every pending call fails with
:class:`JanusGone`, :meth:`Janus.wait_closed` returns, and the session and its handles are gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Subprotocol

log = logging.getLogger("medverse.media.janus")

KEEPALIVE_S = 25.0  # Janus drops a session silent for session_timeout (60 s by default)
CALL_TIMEOUT_S = 10.0
VIDEOROOM = "janus.plugin.videoroom"
EventCallback = Callable[[dict[str, Any]], None]


class JanusError(Exception):
    """Janus refused a request (``code``: Janus's or the plugin's error code, 0 if none)."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class JanusGone(JanusError):
    """The connection to Janus is closed (or was never opened): nothing it held is left."""


class Janus:
    """One connection and one session; use :meth:`open`, then :meth:`attach`, then :meth:`close`."""

    def __init__(self, url: str, api_secret: str = "", timeout: float = CALL_TIMEOUT_S) -> None:
        self.url = url
        self.api_secret = api_secret
        self.timeout = timeout
        self.session_id = 0
        self.handles: dict[int, Handle] = {}
        self._ws: ClientConnection | None = None
        self._pending: dict[str, tuple[asyncio.Future[dict[str, Any]], frozenset[str]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = asyncio.Event()
        self.close_reason = ""

    # --- life -------------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect and create the session; raises :class:`JanusGone` when Janus is unreachable."""
        try:
            self._ws = await connect(
                self.url,
                subprotocols=[Subprotocol("janus-protocol")],
                open_timeout=self.timeout,
                ping_interval=10,
                ping_timeout=10,
                max_size=2**22,
                compression=None,
            )
        except (TimeoutError, OSError, WebSocketException) as exc:
            self._closed.set()
            self.close_reason = f"cannot connect to Janus at {self.url}: {exc or type(exc).__name__}"
            raise JanusGone(self.close_reason) from exc
        self._tasks.append(asyncio.create_task(self._read(), name="janus-reader"))
        try:
            reply = await self._call({"janus": "create"}, final={"success"})
        except BaseException:
            await self.close()
            raise
        self.session_id = int(reply["data"]["id"])
        self._tasks.append(asyncio.create_task(self._keepalive(), name="janus-keepalive"))

    @property
    def is_open(self) -> bool:
        return self._ws is not None and not self._closed.is_set()

    async def wait_closed(self) -> str:
        """Until the connection is gone; why it went."""
        await self._closed.wait()
        return self.close_reason

    async def close(self) -> None:
        """Destroy the session (Janus then drops its handles) and close the connection."""
        if self.is_open and self.session_id:
            with contextlib.suppress(JanusError, asyncio.TimeoutError):
                await asyncio.wait_for(self._call({"janus": "destroy"}, final={"success"}), 2.0)
        self._gone("closed by medverse")
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        for task in self._tasks:
            if task is not asyncio.current_task():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._tasks.clear()

    async def attach(self, plugin: str = VIDEOROOM, on_event: EventCallback | None = None) -> Handle:
        reply = await self._call({"janus": "attach", "plugin": plugin}, final={"success"})
        handle = Handle(self, int(reply["data"]["id"]), on_event)
        self.handles[handle.id] = handle
        return handle

    # --- wire -------------------------------------------------------------------------------
    async def _call(self, msg: dict[str, Any], final: set[str], timeout: float | None = None) -> dict[str, Any]:
        """Send ``msg`` and wait for its first reply whose ``janus`` is in ``final`` (an
        ``error`` reply raises :class:`JanusError`)."""
        if not self.is_open or self._ws is None:
            raise JanusGone(self.close_reason or "not connected to Janus")
        tx = secrets.token_hex(8)
        msg = {**msg, "transaction": tx}
        if self.session_id and msg["janus"] != "create":
            msg["session_id"] = self.session_id
        if self.api_secret:
            msg["apisecret"] = self.api_secret
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[tx] = (fut, frozenset(final))
        try:
            await self._ws.send(json.dumps(msg))
            reply = await asyncio.wait_for(fut, timeout or self.timeout)
        except ConnectionClosed as exc:
            raise JanusGone(self.close_reason or f"the connection to Janus closed ({exc})") from exc
        except TimeoutError:
            raise JanusError(f"Janus did not answer a {msg['janus']} within {timeout or self.timeout} s") from None
        finally:
            self._pending.pop(tx, None)
        if reply.get("janus") == "error":
            err = reply.get("error") or {}
            raise JanusError(f"Janus refused a {msg['janus']}: {err.get('reason', 'unknown error')}", int(err.get("code", 0)))
        return reply

    async def _read(self) -> None:
        assert self._ws is not None
        reason = "the connection to Janus closed"
        try:
            async for raw in self._ws:
                try:
                    msg = json.loads(raw)
                except ValueError:
                    log.warning("Janus sent something that is not JSON: %.200r", raw)
                    continue
                if isinstance(msg, dict):
                    self._dispatch(msg)
        except ConnectionClosed as exc:
            reason = f"the connection to Janus closed ({exc})"
        except Exception as exc:  # a bug in a callback must not leave the plane believing Janus is up
            log.exception("error while reading from Janus")
            reason = f"error reading from Janus: {exc}"
        self._gone(reason)

    def _dispatch(self, msg: dict[str, Any]) -> None:
        kind = msg.get("janus")
        if kind == "timeout":
            log.warning("Janus timed out session %s", msg.get("session_id"))
            self._gone("Janus timed out the session")
            if self._ws is not None:
                self._tasks.append(asyncio.create_task(self._ws.close()))  # type: ignore[arg-type]
            return
        tx = msg.get("transaction")
        pending = self._pending.get(tx) if isinstance(tx, str) else None
        if pending is not None:
            fut, final = pending
            if kind == "error" or kind in final:
                if not fut.done():
                    fut.set_result(msg)
                return
            if kind == "ack":
                return
        handle = self.handles.get(msg.get("sender", 0))
        if handle is not None:
            if kind == "detached":
                self.handles.pop(handle.id, None)
            if handle.on_event is not None:
                try:
                    handle.on_event(msg)
                except Exception:
                    log.exception("error handling a Janus %s on handle %s", kind, handle.id)
        elif kind not in ("ack", "success"):
            log.debug("Janus message for no handle: %s", kind)

    async def _keepalive(self) -> None:
        while self.is_open:
            await asyncio.sleep(KEEPALIVE_S)
            try:
                await self._call({"janus": "keepalive"}, final={"ack"})
            except JanusGone:
                return
            except JanusError as exc:
                log.warning("Janus keepalive failed: %s", exc)

    def _gone(self, reason: str) -> None:
        if self._closed.is_set():
            return
        self.close_reason = reason
        self._closed.set()
        for fut, _final in self._pending.values():
            if not fut.done():
                fut.set_exception(JanusGone(reason))
        self._pending.clear()
        self.handles.clear()


class Handle:
    """A handle on a plugin in a :class:`Janus` session."""

    def __init__(self, janus: Janus, handle_id: int, on_event: EventCallback | None) -> None:
        self.janus = janus
        self.id = handle_id
        self.on_event = on_event

    async def message(
        self, body: dict[str, Any], jsep: dict[str, Any] | None = None, timeout: float | None = None
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Send a plugin request; (the plugin's data, the JSEP if any) of its answer, synchronous
        (``success``) or asynchronous (``event``). A plugin error raises :class:`JanusError`."""
        msg: dict[str, Any] = {"janus": "message", "handle_id": self.id, "body": body}
        if jsep is not None:
            msg["jsep"] = jsep
        reply = await self.janus._call(msg, final={"success", "event"}, timeout=timeout)
        data = (reply.get("plugindata") or {}).get("data") or {}
        if "error_code" in data or "error" in data:
            raise JanusError(f"{body.get('request')}: {data.get('error', 'error')}", int(data.get("error_code", 0)))
        return data, reply.get("jsep")

    async def trickle(self, candidate: dict[str, Any] | None) -> None:
        """One ICE candidate (``{candidate, sdpMid, sdpMLineIndex}``), or None: no more."""
        msg = {"janus": "trickle", "handle_id": self.id, "candidate": candidate if candidate is not None else {"completed": True}}
        await self.janus._call(msg, final={"ack"})

    async def detach(self) -> None:
        """Drop the handle (Janus hangs up its peer connection); quiet when the session is gone."""
        self.janus.handles.pop(self.id, None)
        if not self.janus.is_open:
            return
        with contextlib.suppress(JanusError):
            await self.janus._call({"janus": "detach", "handle_id": self.id}, final={"success"})
