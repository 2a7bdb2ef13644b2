"""The anatomy lab as a kind plug-in: its rules, study library, imports, REST routes and client."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from medverse.anatomy.imports import Imports
from medverse.anatomy.routes import build_router
from medverse.anatomy.rules import anatomy_rules
from medverse.anatomy.studies import StudyLibrary
from medverse.spaces.host import KindHost
from medverse.spaces.kinds import SpaceKind


class AnatomyPlugin:
    """Everything the anatomy lab brings to a server.

    ``data_dir``: studies go to ``<data_dir>/studies``, uploads in flight to ``<data_dir>/uploads``
    (emptied at start: an upload left by a crash is never imported).
    """

    client_module = "anatomy"

    def __init__(self, data_dir: Path, triangle_budget: int = 300_000) -> None:
        self.library = StudyLibrary(data_dir / "studies", triangle_budget=triangle_budget)
        self.upload_dir = data_dir / "uploads"
        self._rules = anatomy_rules(self.library)
        self._host: KindHost | None = None
        self._imports: Imports | None = None

    @property
    def rules(self) -> SpaceKind:
        return self._rules

    @property
    def host(self) -> KindHost:
        if self._host is None:
            raise RuntimeError("the anatomy plug-in is not started")
        return self._host

    @property
    def imports(self) -> Imports:
        if self._imports is None:
            raise RuntimeError("the anatomy plug-in is not started")
        return self._imports

    def routers(self) -> list[Any]:
        return [build_router(self)]

    async def start(self, host: KindHost) -> None:
        if self._host is not None:
            raise RuntimeError("the anatomy plug-in is started already")
        shutil.rmtree(self.upload_dir, ignore_errors=True)
        self.upload_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._host = host
        self._imports = Imports(self.library, host.spaces)

    async def stop(self) -> None:
        if self._imports is not None:
            for record in self._imports.jobs.values():
                record.job.cancel()
        self._host = None
        self._imports = None
