"""The argon2 pool: its own threads, a bounded line of waiting calls, and a clean stop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from medverse.auth.hashpool import HashingBusy, HashPool


async def test_hashes_and_verifies_in_its_own_threads() -> None:
    pool = HashPool(workers=1, queue=2)
    digest = await pool.hash("long-enough")
    assert await pool.verify(digest, "long-enough") and not await pool.verify(digest, "wrong-one")
    names = {t.name for t in threading.enumerate()}
    assert any(n.startswith("medverse-argon2") for n in names)
    assert pool.pending == 0
    pool.close()
    pool.close()  # twice is fine
    with pytest.raises(HashingBusy):
        await pool.hash("long-enough")


async def test_calls_beyond_the_workers_and_the_line_are_refused_at_once() -> None:
    pool = HashPool(workers=1, queue=2)
    calls = [asyncio.ensure_future(pool.hash(f"password-{i}")) for i in range(6)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    busy = [r for r in results if isinstance(r, HashingBusy)]
    assert len(busy) == 3 and all(isinstance(r, str) for r in results[:3])
    assert busy[0].status == 503 and busy[0].retry_after_s >= 1
    assert pool.pending == 0
    assert isinstance(await pool.hash("afterwards"), str)  # the line is free again
    pool.close()


async def test_a_cancelled_caller_frees_its_place_only_when_the_work_is_done() -> None:
    pool = HashPool(workers=1, queue=0)
    first = asyncio.ensure_future(pool.hash("password-1"))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(HashingBusy):  # the thread is still hashing for the caller that left
        await pool.hash("password-2")
    while pool.pending:
        await asyncio.sleep(0.01)
    assert isinstance(await pool.hash("password-3"), str)
    pool.close()


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        HashPool(workers=-1)
