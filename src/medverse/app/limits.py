"""Request body size limit for the JSON API (uploads set their own, larger limits)."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from medverse.app.problems import problem

MAX_JSON_BODY = 1 * 1024 * 1024


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int = MAX_JSON_BODY, exempt: tuple[str, ...] = ()) -> None:
        """``exempt``: path endings (e.g. ``/studies/upload``) whose routes limit themselves."""
        self.app = app
        self.limit = limit
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].endswith(self.exempt):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(scope, receive, send)
            return
        # read the body up to the limit, then hand it on (JSON bodies are small)
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await self._refuse(scope, receive, send)
                return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "too-large", "Payload too large", f"a request body may hold at most {self.limit // 1024} KiB")
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The buffered body first, then the real channel (which reports the disconnect)."""
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
