"""The ASGI application: REST routers, the space WebSocket and the built web client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, WebSocket
from fastapi.responses import FileResponse, HTMLResponse
from starlette.staticfiles import StaticFiles

from medverse import __version__
from medverse.app import problems, security
from medverse.app.deps import Services
from medverse.app.limits import BodyLimit
from medverse.app.routers import admin, auth, spaces, users
from medverse.auth import SessionManager
from medverse.bus import make_bus
from medverse.config import Settings, load_settings
from medverse.spaces.gateway import Gateway
from medverse.spaces.host import KindHost
from medverse.spaces.kinds import KindPlugin, KindSet
from medverse.spaces.manager import SpaceManager
from medverse.spaces.media import P2P, SFU, MediaPlane, PeerToPeer
from medverse.spaces.metrics import Metrics
from medverse.store import Database
from medverse.store.database import private_dir

log = logging.getLogger("medverse")

# path endings of routes that stream large uploads to disk and enforce their own limit
UPLOAD_PATHS: tuple[str, ...] = ("/studies/upload",)

WEB_DIST = Path(__file__).resolve().parent.parent / "web_dist"

_NO_CLIENT = """<!doctype html><meta charset=utf-8><title>medverse</title>
<h1>medverse is running</h1><p>The web client has not been built. Run
<code>bash scripts/run.sh</code> (it builds it) or <code>cd web && npm ci && npm run build</code>.</p>"""


def build_services(settings: Settings, plugins: list[KindPlugin] | None = None) -> Services:
    """The services of a server, with the kinds it runs (default: every built-in kind)."""
    from medverse.kinds import default_plugins

    private_dir(settings.data_dir)
    db = Database(settings.effective_database_url)
    db.upgrade()
    secret = settings.resolved_secret_key()
    sessions = SessionManager(db, secret, settings.session_max_age_s)
    metrics = Metrics(settings.metrics)
    bus = make_bus(settings.redis_url, settings.bus_prefix, secret)
    kinds = KindSet(default_plugins(settings) if plugins is None else plugins)
    manager = SpaceManager(db, settings, bus, metrics, kinds, make_media_plane(settings))
    return Services(settings, db, sessions, manager, metrics, kinds)


def make_media_plane(settings: Settings) -> MediaPlane:
    """Where the spaces' media go (``MEDVERSE_MEDIA_MODE``; docs/media.md)."""
    if settings.media_mode == P2P:
        return PeerToPeer()
    if settings.media_mode == SFU:
        from medverse.media.janus_plane import JanusPlane

        return JanusPlane(settings)
    raise ValueError(f"MEDVERSE_MEDIA_MODE must be {P2P!r} or {SFU!r} (got {settings.media_mode!r})")


def create_app(settings: Settings | None = None, demo: bool = False, plugins: list[KindPlugin] | None = None) -> FastAPI:
    """The app, built from the kind plug-ins it is given (default: every built-in kind); with
    ``demo`` the demo accounts and spaces are created at start-up if missing."""
    settings = settings or load_settings()
    svc = build_services(settings, plugins)
    gateway = Gateway(svc.spaces, svc.sessions)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await svc.spaces.start()
        host = KindHost(svc.spaces, svc.db, settings)
        for plugin in svc.kinds:
            await plugin.start(host)
        await gateway.start()
        if demo:
            from medverse import demo as demo_site

            names = await demo_site.seed(svc.db, svc.spaces)
            print(demo_site.banner(f"http://localhost:{settings.port}", names), flush=True)
        log.info("medverse %s ready (database: %s)", __version__, svc.db.engine.dialect.name)
        try:
            yield
        finally:
            await gateway.stop()
            await svc.spaces.stop()
            for plugin in svc.kinds:
                await plugin.stop()
            svc.db.close()

    app = FastAPI(
        title="medverse",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.services = svc
    problems.install(app)
    app.state.gateway = gateway
    app.add_middleware(BodyLimit, exempt=UPLOAD_PATHS)
    security.install(app, settings)  # added last: its middleware runs first
    for router in (auth.router, users.router, spaces.router, admin.router):
        app.include_router(router)
    for plugin in svc.kinds:
        for router in plugin.routers():
            app.include_router(router)

    @app.websocket("/ws/spaces/{name}")
    async def space_socket(ws: WebSocket, name: str) -> None:
        await gateway.serve(ws, name)

    _mount_client(app)
    return app


def _mount_client(app: FastAPI) -> None:
    index = WEB_DIST / "index.html"
    if (WEB_DIST / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=WEB_DIST / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False, response_model=None)
    async def client(path: str) -> FileResponse | HTMLResponse:
        if path.startswith(("api/", "ws/")):
            from medverse.errors import NotFound

            raise NotFound(f"no such endpoint: /{path}")
        candidate = (WEB_DIST / path).resolve()
        if path and candidate.is_file() and WEB_DIST.resolve() in candidate.parents:
            return FileResponse(candidate)
        if index.exists():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(_NO_CLIENT)
