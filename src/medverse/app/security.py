"""HTTP hardening: which proxy to believe, cross-site requests, security headers, sign-in guard.

One ASGI middleware, outermost, does three things for every request (docs/security.md):

1. Forwarded headers. Only when the direct peer is one of ``settings.trusted_proxies`` does it
   take the client address from ``X-Forwarded-For`` (the right-most address that is not itself a
   trusted proxy) and the scheme from ``X-Forwarded-Proto``; it rewrites the ASGI scope, so
   ``request.client`` and ``request.url.scheme`` are the real ones everywhere downstream.
   Otherwise those headers are ignored.
2. Cross-site requests. A state-changing request to ``/api/`` (POST, PUT, PATCH, DELETE) whose
   ``Origin`` (or, when absent, ``Referer``) names another host than ``Host`` gets 403 problem
   JSON. Requests with neither header (the CLI, scripts) pass: a browser always sends ``Origin``
   on such requests. (The space WebSocket checks its Origin in the gateway.)
3. Headers on every response: Content-Security-Policy, X-Content-Type-Options, X-Frame-Options,
   Referrer-Policy, and Strict-Transport-Security when the request came over HTTPS.

:func:`install` also puts the sign-in guard (argon2 pool, throttle, device cookies) on
``app.state`` and answers 429/503 problems with ``Retry-After``.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medverse.app.problems import problem
from medverse.auth.devices import DeviceTokens
from medverse.auth.hashpool import HashingBusy, HashPool
from medverse.auth.throttle import SignInThrottle, ThrottlePolicy
from medverse.config import Settings
from medverse.errors import MedverseError, RateLimited

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The built client loads only its own module scripts and stylesheet; the favicon is a data: URI,
# slice images and glTF textures are blob: URLs, and the space socket is ws:/wss: on this host.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # the client sets element styles (progress bars, tooltips)
        "img-src 'self' data: blob:",
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# FastAPI's /api/docs page loads Swagger UI from a CDN and starts it with an inline script
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "img-src 'self' data: https://fastapi.tiangolo.com",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
)
DOCS_PATHS = ("/api/docs",)
HSTS = "max-age=31536000"

_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


log = logging.getLogger("medverse.http")


class TrustedProxies:
    """The peers whose ``X-Forwarded-*`` headers are believed: IPs and CIDRs, comma-separated."""

    def __init__(self, spec: str | Iterable[str] = "") -> None:
        items = spec.split(",") if isinstance(spec, str) else list(spec)
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in (i.strip() for i in items):
            if not item:
                continue
            try:
                self.networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise ValueError(f"MEDVERSE_TRUSTED_PROXIES holds IP addresses or CIDR networks (got {item!r})") from exc

    def __repr__(self) -> str:
        return f"TrustedProxies({', '.join(str(n) for n in self.networks)!r})"

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __contains__(self, host: object) -> bool:
        if not isinstance(host, str) or not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip.version == n.version and ip in n for n in self.networks)

    def client(self, forwarded_for: list[str]) -> str | None:
        """The right-most address of an ``X-Forwarded-For`` chain that is not a trusted proxy.

        Each proxy appends the peer it saw, so everything right of the first untrusted entry was
        written by proxies we trust and everything left of it may be made up by the client.
        """
        hosts = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
        for host in reversed(hosts):
            if host not in self:
                return host[:64]
        return hosts[0][:64] if hosts else None


def _headers(scope: Scope, name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in scope.get("headers") or [] if k == name]


def _host_key(netloc: str) -> str:
    netloc = netloc.strip().lower()
    for default in (":80", ":443"):
        if netloc.endswith(default):
            return netloc[: -len(default)]
    return netloc


def foreign_origin(scope: Scope) -> str | None:
    """The ``Origin`` (or ``Referer``) of a request when it names another host than ``Host``, else None."""
    sources = _headers(scope, b"origin") or _headers(scope, b"referer")
    if not sources:
        return None
    source = sources[0]
    hosts = _headers(scope, b"host")
    netloc = urlsplit(source).netloc if source != "null" else ""
    if not netloc or not hosts or _host_key(netloc) != _host_key(hosts[0]):
        return source
    return None


class HttpSecurity:
    """The ASGI middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp, trusted_proxies: TrustedProxies | str = "") -> None:
        self.app = app
        self.proxies = trusted_proxies if isinstance(trusted_proxies, TrustedProxies) else TrustedProxies(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope = self.resolve(scope)
        if scope["type"] == "websocket":  # the gateway checks their Origin itself (CLOSE_FORBIDDEN)
            await self.app(scope, receive, send)
            return

        extra = self._response_headers(scope)
        origin = foreign_origin(scope) if scope["method"] in UNSAFE_METHODS else None
        if origin is not None and scope["path"].startswith("/api/"):
            response = problem(403, "forbidden", "Forbidden", f"cross-site request refused: {origin[:200]!r} is not this site")
            response.raw_headers.extend(extra)
            await response(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for key, value in extra:
                    if key.decode() not in headers:
                        headers.raw.append((key, value))
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # an unexpected error: answer it here, inside this middleware, so the 500 carries the
            # same headers as every other answer (Starlette's outermost handler would not add them)
            if started:
                raise
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            response = problem(500, "error", "Internal error", "an unexpected error occurred; it was logged")
            response.raw_headers.extend(extra)
            await response(scope, receive, send)

    def resolve(self, scope: Scope) -> Scope:
        """The scope with client and scheme from a trusted proxy's headers (or unchanged)."""
        client = scope.get("client")
        if not self.proxies or not client or client[0] not in self.proxies:
            return scope
        scope = dict(scope)
        address = self.proxies.client(_headers(scope, b"x-forwarded-for"))
        if address is not None:
            scope["client"] = (address, 0)
        protos = [p.strip().lower() for v in _headers(scope, b"x-forwarded-proto") for p in v.split(",")]
        if protos and protos[-1] in ("http", "https", "ws", "wss"):
            secure = protos[-1] in ("https", "wss")
            if scope["type"] == "websocket":
                scope["scheme"] = "wss" if secure else "ws"
            else:
                scope["scheme"] = "https" if secure else "http"
        return scope

    @staticmethod
    def _response_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
        docs = scope["path"].startswith(DOCS_PATHS)
        csp = DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY
        headers = [(b"content-security-policy", csp.encode()), *_ALWAYS]
        if scope.get("scheme") == "https":
            headers.append((b"strict-transport-security", HSTS.encode()))
        return headers


@dataclass
class SignInGuard:
    """What sign-in needs beyond the database: the argon2 pool, the throttle, device cookies."""

    pool: HashPool
    throttle: SignInThrottle
    devices: DeviceTokens

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInGuard:
        policy = ThrottlePolicy(
            free_per_name=settings.auth_free_failures_per_name,
            free_per_address=settings.auth_free_failures_per_address,
            max_delay_s=settings.auth_max_delay_s,
            forget_s=settings.auth_forget_failure_s,
        )
        return cls(
            HashPool(settings.auth_hash_workers, settings.auth_hash_queue),
            SignInThrottle(policy),
            DeviceTokens(settings.resolved_secret_key()),
        )

    def close(self) -> None:
        self.pool.close()


def sign_in_guard(request: Request) -> SignInGuard:
    return request.app.state.sign_in_guard  # type: ignore[no-any-return]


def is_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly, or through a trusted proxy)."""
    return request.url.scheme == "https"


def install(app: FastAPI, settings: Settings) -> None:
    """Add the middleware, the sign-in guard (closed with the app) and Retry-After on 429/503."""
    proxies = TrustedProxies(settings.trusted_proxies)  # a bad value stops the start, with its name
    guard = SignInGuard.from_settings(settings)
    app.state.sign_in_guard = guard
    app.add_middleware(HttpSecurity, trusted_proxies=proxies)

    async def retry_later(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MedverseError)
        response = problem(exc.status, exc.code, exc.title, str(exc))
        wait = getattr(exc, "retry_after_s", None)
        if wait:
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return response

    app.add_exception_handler(RateLimited, retry_later)
    app.add_exception_handler(HashingBusy, retry_later)

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        try:
            async with inner(app_) as state:
                yield state
        finally:
            guard.close()

    app.router.lifespan_context = lifespan
