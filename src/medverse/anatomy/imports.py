"""Study imports into a space: upload or sample -> job -> progress -> the study joins the space.

An import belongs to the space it was started in. Its progress goes to everyone in that space,
on every server process (through the space's :meth:`~medverse.spaces.space.Space.announce`, which
uses the bus); when it succeeds, the server issues ``anatomy.add_study`` (the study joins the
space's library) and ``anatomy.load_study`` on behalf of the instructor who started it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medverse.anatomy.studies import StudyLibrary
from medverse.auth.roles import INSTRUCTOR
from medverse.errors import Conflict, NotFound
from medverse.spaces import protocol as P
from medverse.spaces.kinds import Actor
from medverse.spaces.manager import SpaceManager
from medverse.spaces.space import Space
from medverse.store import User

log = logging.getLogger("medverse.anatomy")

MAX_RUNNING = 2  # imports at once on this server (each may hold a volume in memory)
KEEP_FINISHED = 200  # finished jobs whose status can still be asked for
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:/[^\s/:'\"]+){2,}/?")


@dataclass
class ImportJob:
    """An import and where it belongs."""

    job: Any  # medverse.imaging.Job
    study_id: str
    space_id: int
    space_name: str
    owner: int
    title: str

    def view(self) -> dict[str, Any]:
        u = self.job.snapshot()
        return job_view(u)


def job_view(update: Any) -> dict[str, Any]:
    """What clients see of a job: never a server path or a raw exception."""
    error = update.error
    if error is not None:
        error = "the import failed on the server" if update.error_code == "internal" else _PATH.sub("<file>", error)
    return {
        "id": update.job_id,
        "state": update.state,
        "stage": update.stage,
        "percent": update.percent,
        "error": error,
        "error_code": update.error_code,
    }


class Imports:
    """The imports of one server process."""

    def __init__(self, library: StudyLibrary, spaces: SpaceManager) -> None:
        self.library = library
        self.spaces = spaces
        self.jobs: dict[str, ImportJob] = {}
        self._lock = threading.Lock()
        self._reserved = 0

    def reserve(self) -> None:
        """Hold one of the import places (before an upload's body is read); Conflict when full."""
        with self._lock:
            running = sum(1 for j in self.jobs.values() if not j.job.done) + self._reserved
            if running >= MAX_RUNNING:
                raise Conflict(f"{MAX_RUNNING} imports are running already; wait for one to finish")
            self._reserved += 1

    def release(self) -> None:
        with self._lock:
            self._reserved = max(0, self._reserved - 1)

    def get(self, job_id: str) -> ImportJob:
        found = self.jobs.get(job_id)
        if found is None:
            raise NotFound(f"no job {job_id!r}")
        return found

    def start_sample(self, space: Space, user: User, sample: str, title: str = "") -> ImportJob:
        """Build (or reuse) a sample study for ``space``; ``title``: its name in this space's library."""
        self.reserve()
        try:
            reporter = _Reporter(self, space, user)
            study_id, job = self.library.sample_job(sample, reporter.on_update)
            return self._start(reporter, job, study_id, space, user, title)
        finally:
            self.release()

    def start_upload(self, space: Space, user: User, upload: Path, title: str) -> ImportJob:
        """Start importing an upload (after :meth:`reserve`; the place is handed to the job)."""
        try:
            reporter = _Reporter(self, space, user)
            study_id, job = self.library.upload_job(upload, title or None, reporter.on_update)
            return self._start(reporter, job, study_id, space, user, title)
        except BaseException:
            shutil.rmtree(upload.parent, ignore_errors=True)
            raise
        finally:
            self.release()

    def _start(self, reporter: _Reporter, job: Any, study_id: str, space: Space, user: User, title: str) -> ImportJob:
        record = ImportJob(job, study_id, space.row.id, space.row.name, user.id, title)
        reporter.record = record
        with self._lock:
            self.jobs[job.id] = record
            finished = [k for k, r in self.jobs.items() if r.job.done]
            for k in finished[: max(0, len(finished) - KEEP_FINISHED)]:  # the oldest first (insertion order)
                del self.jobs[k]
        job.start()
        return record

    async def finish(self, record: ImportJob, space: Space, user: User) -> None:
        """On the loop, after the job succeeded: the study joins the space and is shown."""
        actor = Actor(user.id, user.display_name, INSTRUCTOR, user.is_admin)
        summary = await asyncio.to_thread(self.library.summary, record.study_id)
        title = record.title or str(summary.get("title") or record.study_id)
        await space.execute(actor, None, "anatomy.add_study", {"study_id": record.study_id, "title": title}, trusted=True)
        await space.execute(actor, None, "anatomy.load_study", {"study_id": record.study_id}, trusted=True)


class _Reporter:
    """A job listener (called on the job's worker thread) that hops to the loop to tell the space."""

    def __init__(self, imports: Imports, space: Space, user: User) -> None:
        self.imports = imports
        self.space = space
        self.user = user
        self.loop = asyncio.get_running_loop()
        self.record: ImportJob | None = None
        self._last = -10.0

    def on_update(self, update: Any) -> None:
        final = update.state in P.JOB_FINAL_STATES
        if final or update.percent - self._last >= 1.0 or (update.state == P.JOB_RUNNING and self._last < 0):
            self._last = update.percent
            asyncio.run_coroutine_threadsafe(self._report(update), self.loop)

    async def _report(self, update: Any) -> None:
        self.space.announce({"type": P.JOB_PROGRESS, "job": job_view(update)})
        if update.state == P.JOB_SUCCEEDED and self.record is not None:
            try:
                await self.imports.finish(self.record, self.space, self.user)
            except Exception:
                log.exception("the study of job %s could not join space %s", update.job_id, self.space.row.name)
