"""The simulation bay as a kind plug-in: its rules, the engine runner, REST routes and client."""

from __future__ import annotations

from typing import Any

from medverse.simbay.routes import build_router
from medverse.simbay.rules import simbay_rules
from medverse.simbay.runner import Runner
from medverse.spaces.host import KindHost
from medverse.spaces.kinds import SpaceKind


class SimBayPlugin:
    """Everything the simulation bay brings to a server: while started, a runner advances the
    patients of every loaded bay in real time and streams their monitors."""

    client_module = "simbay"

    def __init__(self) -> None:
        self._rules = simbay_rules()
        self._host: KindHost | None = None
        self.runner: Runner | None = None

    @property
    def rules(self) -> SpaceKind:
        return self._rules

    @property
    def host(self) -> KindHost:
        if self._host is None:
            raise RuntimeError("the simulation bay plug-in is not started")
        return self._host

    def routers(self) -> list[Any]:
        return [build_router(self)]

    async def start(self, host: KindHost) -> None:
        if self._host is not None:
            raise RuntimeError("the simulation bay plug-in is started already")
        self._host = host
        self.runner = Runner(host)
        self.runner.start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.stop()
            self.runner = None
        self._host = None
