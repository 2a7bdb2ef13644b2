"""The anatomy lab as a kind plug-in: its rules, study library, imports, REST routes and client."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from medverse.anatomy.imports import Imports
from medverse.anatomy.routes import build_router
from medverse.anatomy.rules import anatomy_rules
from medverse.anatomy.studies import StudyLibrary
from medverse.errors import Unavailable
from medverse.spaces.host import KindHost
from medverse.spaces.kinds import SpaceKind

STALE_UPLOAD_S = 3600.0
RENDER_WORKERS = 2  # slice images drawn at once
RENDER_QUEUE = 8  # slice requests in flight (drawing or waiting) before the next gets 503
T = TypeVar("T")


def _remove_stale(folder: Path, older_than_s: float) -> None:
    cutoff = time.time() - older_than_s
    for entry in folder.iterdir():
        try:
            newest = max([entry.stat().st_mtime, *(p.stat().st_mtime for p in entry.rglob("*"))])
        except OSError:
            continue
        if newest < cutoff and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif newest < cutoff:
            entry.unlink(missing_ok=True)


class AnatomyPlugin:
    """Everything the anatomy lab brings to a server.

    ``data_dir``: studies go to ``<data_dir>/studies``, uploads in flight to ``<data_dir>/uploads``
    (at start, uploads untouched for an hour are removed: left by a crash, never imported; a
    fresher one may be another server process's upload in flight on a shared data folder).
    """

    client_module = "anatomy"

    def __init__(self, data_dir: Path, triangle_budget: int = 300_000) -> None:
        self.library = StudyLibrary(data_dir / "studies", triangle_budget=triangle_budget)
        self.upload_dir = data_dir / "uploads"
        self._rules = anatomy_rules(self.library)
        self._host: KindHost | None = None
        self._imports: Imports | None = None
        self._render_pool: ThreadPoolExecutor | None = None
        self._rendering = 0

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

    async def render(self, fn: Callable[..., T], *args: Any) -> T:
        """Run slice rendering in the plug-in's own small pool; refuse (503) past a short queue,
        so that many slice requests can neither pile up nor take the server's other threads."""
        if self._rendering >= RENDER_QUEUE:
            raise Unavailable("too many slices are being drawn right now; try again in a moment")
        self._rendering += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._render_pool, fn, *args)
        finally:
            self._rendering -= 1

    def routers(self) -> list[Any]:
        return [build_router(self)]

    async def start(self, host: KindHost) -> None:
        if self._host is not None:
            raise RuntimeError("the anatomy plug-in is started already")
        self.upload_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        _remove_stale(self.upload_dir, STALE_UPLOAD_S)
        self._host = host
        self._imports = Imports(self.library, host.spaces)
        self._render_pool = ThreadPoolExecutor(max_workers=RENDER_WORKERS, thread_name_prefix="medverse-slices")

    async def stop(self) -> None:
        if self._imports is not None:
            for record in self._imports.jobs.values():
                record.job.cancel()
        if self._render_pool is not None:
            self._render_pool.shutdown(wait=True)
            self._render_pool = None
        self._host = None
        self._imports = None
