"""Presence and command latency in one space, with simulated clients in a separate process.

For each client count (50 and 100) and each presence mode, a real server process is started
(optionally pinned to one core with --pin) and N WebSocket clients in this process send
poses at 20 Hz. The server measures, for every pose, the time from receiving it to writing it to
the last recipient's socket (GET /api/metrics), and its own CPU use. The naive baseline
("relay": forward every pose the moment it arrives) runs in the same process for comparison.

Then, with 50 clients sending poses, one instructor sends commands and we time each from send
until the event has reached all 50 clients (all clients live in this process: one clock).

    python benchmarks/spaces_presence.py [--clients 50 100] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from _server import BenchServer, machine  # type: ignore[import-not-found]
from medverse.client import SpaceClient, sign_in
from medverse.spaces import protocol as P

PASSWORD = "bench-password"


def setup_users(url: str, n: int) -> None:
    with httpx.Client(base_url=url, timeout=60) as admin:
        admin.post("/api/auth/login", json={"username": "admin", "password": "admin-demo"}).raise_for_status()
        for i in range(n):
            admin.post("/api/users", json={"username": f"bench{i:03d}", "display_name": f"Bench {i}", "password": PASSWORD})
        members = [{"username": f"bench{i:03d}", "role": "participant"} for i in range(n)]
        members[0]["role"] = "instructor"
        admin.post("/api/spaces", json={"name": "bench", "kind": "commons", "members": members})


async def connect_all(url: str, n: int) -> list[SpaceClient]:
    clients = []
    for i in range(n):
        cookie = await sign_in(url, f"bench{i:03d}", PASSWORD)
        c = SpaceClient(url, "bench", cookie, keep_events=False)
        c.batches = 0  # type: ignore[attr-defined]

        def on_batch(data: bytes, c: SpaceClient = c) -> None:
            c.batches += 1  # type: ignore[attr-defined]

        c.on_batch = on_batch
        await c.connect()
        clients.append(c)
    return clients


async def pose_loop(c: SpaceClient, stop: asyncio.Event, hz: float = 20.0) -> None:
    await asyncio.sleep(random.random() / hz)  # clients are not in phase
    t = 0.0
    next_at = time.perf_counter()
    while not stop.is_set():
        t += 1 / hz
        head = (math.sin(t), 1.6, math.cos(t), 0.0, math.sin(t / 2), 0.0, math.cos(t / 2))
        try:
            await c.send_pose(head, flags=P.FLAG_RIGHT | P.FLAG_LEFT)
        except Exception:
            return
        next_at += 1 / hz
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))


def _cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def measure(url: str, n: int, seconds: float, commands: int) -> dict:
    clients = await connect_all(url, n)
    stop = asyncio.Event()
    loops = [asyncio.create_task(pose_loop(c, stop)) for c in clients]
    await asyncio.sleep(3.0)  # warm up
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        await http.post("/api/metrics/reset")
        cpu0, t0 = _cpu(), time.perf_counter()
        await asyncio.sleep(seconds)
        client_cpu = (_cpu() - cpu0) / (time.perf_counter() - t0)
        server = (await http.get("/api/metrics")).json()
        result = {
            "presence": server["presence"],
            "cpu_cores": server["cpu_cores"],
            "client_cpu": client_cpu,
            "batches_per_client_s": statistics.mean(c.batches for c in clients) / (seconds + 3),
        }
        if commands:
            result["command_rtt"] = await command_round_trips(clients, commands)
    stop.set()
    await asyncio.gather(*loops, return_exceptions=True)
    for c in clients:
        await c.close()
    return result


async def command_round_trips(clients: list[SpaceClient], count: int) -> dict:
    """Send -> the event received by all clients, measured in this process."""
    instructor = clients[0]
    arrivals: dict[int, list[float]] = {}
    for c in clients:

        def on_event(ev: dict, arrivals: dict = arrivals) -> None:
            arrivals.setdefault(ev["seq"], []).append(time.perf_counter())

        c.on_event = on_event
    rtts = []
    for i in range(count):
        t0 = time.perf_counter()
        ack = await instructor.command(
            "object.create" if i == 0 else "object.update",
            {"id": "probe", "shape": "box", "position": [0, 1, 0]} if i == 0 else {"id": "probe", "position": [i % 10, 1, 0]},
        )
        while len(arrivals.get(ack["seq"], [])) < len(clients):
            await asyncio.sleep(0.0005)
        rtts.append(max(arrivals[ack["seq"]]) - t0)
        await asyncio.sleep(0.05)
    a = np.array(rtts) * 1000
    return {
        "count": count,
        "p50_ms": round(float(np.percentile(a, 50)), 2),
        "p99_ms": round(float(np.percentile(a, 99)), 2),
        "max_ms": round(float(a.max()), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, nargs="+", default=[50, 100])
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--commands", type=int, default=200)
    ap.add_argument("--modes", nargs="+", default=["batch", "relay"])
    ap.add_argument("--pin", action="store_true", help="pin the server to CPU 0 and the clients to CPU 1")
    args = ap.parse_args()
    import os

    if args.pin and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # clients on core 1, the server on core 0
    print(f"machine: {machine()}")
    print("server pinned to CPU 0, clients to CPU 1" if args.pin else "no CPU pinning: the OS schedules server and clients")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        with BenchServer(data) as srv:
            setup_users(srv.url, max(args.clients))
        rows = []
        for n in args.clients:
            for mode in args.modes:
                with BenchServer(data, env={"MEDVERSE_PRESENCE_MODE": mode}, cpu=0 if args.pin else None) as srv:
                    r = asyncio.run(measure(srv.url, n, args.seconds, args.commands if (n == 50 and mode == "batch") else 0))
                p = r["presence"]
                rows.append((n, mode, r))
                print(
                    f"{n:>4} clients  {mode:<5}  pose->last write p50 {p.get('p50_ms', float('nan')):7.2f} ms"
                    f"  p99 {p.get('p99_ms', float('nan')):8.2f} ms  samples {p['count']:>7}"
                    f"  server CPU {r['cpu_cores']:.2f} cores (clients {r['client_cpu']:.2f})"
                    f"  batches/client/s {r['batches_per_client_s']:.1f}",
                    flush=True,
                )
                if "command_rtt" in r:
                    c = r["command_rtt"]
                    print(
                        f"{n:>4} clients  command -> event at all clients: p50 {c['p50_ms']} ms  "
                        f"p99 {c['p99_ms']} ms  max {c['max_ms']} ms  ({c['count']} commands)",
                        flush=True,
                    )
        for n in args.clients:
            got = {mode: r for (m, mode, r) in rows if m == n}
            if "batch" in got and "relay" in got:
                b, rl = got["batch"], got["relay"]
                ratio = rl["presence"].get("p99_ms", 0) / max(b["presence"].get("p99_ms", 1e-9), 1e-9)
                print(
                    f"{n:>4} clients: relay/batch p99 ratio {ratio:.1f}x, "
                    f"CPU ratio {rl['cpu_cores'] / max(b['cpu_cores'], 1e-9):.1f}x"
                )


if __name__ == "__main__":
    main()
