"""Event-log durability: events appended per second, one committed transaction per command.

Measures the same append path the server uses (lock the log head, insert, commit) on SQLite
(WAL, synchronous=FULL: an acknowledged event survives power loss) and on PostgreSQL (default
synchronous_commit), plus the full command path (validate -> append -> apply) of a Space.

    python benchmarks/eventlog.py [--events 2000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
from pathlib import Path

from _server import machine  # type: ignore[import-not-found]
from medverse.bus import LocalBus
from medverse.commons import commons_plugin
from medverse.config import load_settings
from medverse.spaces import Actor, KindSet, SpaceManager
from medverse.spaces.metrics import Metrics
from medverse.store import Database, StoredEvent


def raw_appends(db: Database, n: int) -> float:
    space = db.create_space(f"bench-{secrets.token_hex(3)}", "commons", "bench")
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        with db.write() as conn:
            head = db.lock_head(conn, space.id)
            db.append_events(conn, space.id, [StoredEvent(head + 1, "chat.message", {"text": f"m{i}"}, 1, f"c{i}", time.time())])
    return n / (time.perf_counter() - t0)


async def commands(db: Database, n: int, tmp: Path) -> tuple[float, float]:
    admin = db.create_user(f"admin{secrets.token_hex(3)}", "Admin", "x", True)
    manager = SpaceManager(db, load_settings({}, data_dir=tmp), LocalBus(), Metrics(), KindSet([commons_plugin()]))
    await manager.start()
    row = await manager.create(f"cmd-{secrets.token_hex(3)}", "commons", "bench", admin, [])
    space = await manager.load(row)
    actor = Actor(admin.id, "Admin", "instructor", True)
    t0 = time.perf_counter()
    for i in range(n):
        if i == 0:
            await space.execute(actor, "c0", "object.create", {"id": "o", "shape": "box", "position": [0, 0, 0]})
        else:
            await space.execute(actor, f"c{i}", "object.update", {"id": "o", "position": [i % 7, 0, 0]})
    rate = n / (time.perf_counter() - t0)
    # 50 writers at once, as 50 clients would: group commit shares each disk flush
    per = max(1, n // 50)

    async def writer(w: int) -> None:
        for i in range(per):
            await space.execute(actor, f"w{w}-{i}", "chat.send", {"text": f"{w}:{i}"})

    t0 = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(50)))
    concurrent = 50 * per / (time.perf_counter() - t0)
    await manager.stop()
    return rate, concurrent


def run(label: str, url: str, n: int, tmp: Path) -> None:
    db = Database(url)
    db.upgrade()
    r = raw_appends(db, n)
    c, cc = asyncio.run(commands(db, n, tmp))
    db.close()
    print(
        f"{label:<11} raw append+commit {r:7.0f} events/s ({1000 / r:.2f} ms each) | "
        f"command path, one writer {c:6.0f}/s ({1000 / c:.2f} ms each) | "
        f"50 concurrent writers (group commit) {cc:6.0f}/s ({cc / c:.1f}x)",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.db", args.events, Path(tmp))
        try:
            import sqlalchemy

            name = f"medverse_bench_{secrets.token_hex(4)}"
            base = args.postgres.rsplit("/", 1)[0]
            eng = sqlalchemy.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            with eng.connect() as c:
                c.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                run("PostgreSQL", f"{base}/{name}", args.events, Path(tmp))
            finally:
                with eng.connect() as c:
                    c.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
                eng.dispose()
        except Exception as exc:  # no server: say so, do not fail
            print(f"PostgreSQL  skipped: {exc}")


if __name__ == "__main__":
    main()
