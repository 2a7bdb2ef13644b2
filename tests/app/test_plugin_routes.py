"""A kind plug-in's routes join the app, and even a route with a bug answers like every other:
problem JSON, with the security headers, and the server carries on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from starlette.testclient import TestClient

from medverse.app.factory import create_app
from medverse.commons import commons_plugin
from medverse.config import load_settings
from medverse.spaces import KindHost, RulesOnly, SpaceKind


class BuggyPlugin(RulesOnly):
    """A kind whose only route has a bug, and that records its lifecycle."""

    def __init__(self) -> None:
        super().__init__(SpaceKind("buggy", "Buggy", "a kind with a broken route"))
        self.started: KindHost | None = None
        self.stopped = False

    def routers(self) -> list[Any]:
        router = APIRouter(prefix="/api/buggy")

        @router.get("/divide")
        async def divide() -> dict[str, float]:
            return {"x": 1 / 0}

        @router.get("/ok")
        async def ok() -> dict[str, bool]:
            return {"ok": self.started is not None}

        return [router]

    async def start(self, host: KindHost) -> None:
        self.started = host

    async def stop(self) -> None:
        self.stopped = True


def test_a_plugins_routes_and_lifecycle_and_a_bug_in_one(tmp_path: Path) -> None:
    plugin = BuggyPlugin()
    app = create_app(load_settings({}, data_dir=tmp_path), plugins=[commons_plugin(), plugin])
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/buggy/ok").json() == {"ok": True}
        r = client.get("/api/buggy/divide")
        assert r.status_code == 500
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "error" and "ZeroDivision" not in r.text
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert client.get("/api/health").status_code == 200  # the server carries on
    assert plugin.stopped
