"""A bounded pool of threads for argon2, apart from the threads that commit events.

An argon2 check takes tens of milliseconds of CPU and 64 MiB of memory. Run on asyncio's default
executor, a flood of sign-ins fills every worker thread and the database writes of unrelated
spaces queue behind the hashes. Here hashing gets its own few threads and a bounded line of
waiting calls; when the line is full a sign-in is refused at once (:class:`HashingBusy`, 503 with
Retry-After) instead of waiting without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from medverse.auth.passwords import hash_password, verify_password
from medverse.errors import MedverseError

T = TypeVar("T")


class HashingBusy(MedverseError):
    """Too many sign-ins are waiting for a password check; trying again shortly may work."""

    code = "busy"
    status = 503
    title = "Server busy"
    retry_after_s = 1.0


HASH_NICENESS = 10  # on Linux the argon2 threads yield the CPU to the event loop and the commits


def _lower_priority() -> None:
    """Run in each hashing thread: on Linux niceness is per thread (and inherited by the threads
    argon2 starts for its lanes), so only hashing gives way. Elsewhere it would be per process."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)


def default_workers() -> int:
    """One thread on a machine with up to 3 CPUs, then one per two CPUs, at most 4."""
    return max(1, min(4, (os.cpu_count() or 1) // 2))


class HashPool:
    """``workers`` threads for argon2 and at most ``queue`` calls waiting for one.

    Use from one event loop; :meth:`close` stops the threads (idempotent). Threads start on first use.
    """

    def __init__(self, workers: int = 0, queue: int = 16) -> None:
        if workers < 0 or queue < 0:
            raise ValueError(f"hash workers and queue must be >= 0 (got {workers} and {queue})")
        self.workers = workers or default_workers()
        self.queue = queue
        self._executor: ThreadPoolExecutor | None = None
        self._pending = 0  # calls handed to the executor and not yet finished (running + waiting)
        self._closed = False

    def __repr__(self) -> str:
        return f"HashPool(workers={self.workers}, queue={self.queue}, pending={self._pending})"

    @property
    def pending(self) -> int:
        return self._pending

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._run(verify_password, password_hash, password)

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    def close(self) -> None:
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def _run(self, fn: Callable[..., T], *args: str) -> T:
        if self._closed:
            raise HashingBusy("the server is shutting down")
        if self._pending >= self.workers + self.queue:
            raise HashingBusy(f"too many sign-ins are waiting for a password check ({self._pending}); try again in a second")
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="medverse-argon2", initializer=_lower_priority)
        loop = asyncio.get_running_loop()
        self._pending += 1
        future = self._executor.submit(fn, *args)

        def finished(_f: Future[T]) -> None:
            # counted down when the thread is really done (or the call was cancelled before it
            # started), not when the awaiting request goes away: the bound is on work, not waiters
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._done)

        future.add_done_callback(finished)
        return await asyncio.wrap_future(future)

    def _done(self) -> None:
        self._pending -= 1
