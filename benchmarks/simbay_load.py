"""The simulation bay under load: 50 bays with one patient and one bay with 20 patients, every
patient with waveforms, each bay watched by one client, on one server process.

Prints: the server's CPU (percent of one core, from /proc) while every case runs at x1; whether
real time holds (simulated seconds per wall second, per bay); the monitor delay: for the newest
sample of each chunk, the wall time it reached the client minus the wall time at which the
simulation clock reached that sample's time (the client draws a chunk's samples over the next
250 ms tick); the monitor bandwidth per watching client. Then crash recovery: kill -9 mid-case,
restart, the time until the bay runs again.

    python benchmarks/simbay_load.py [--bays 50] [--big 20] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from _server import BenchServer, machine
from medverse.client import SpaceClient
from medverse.simbay import monitor

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def p(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))]


async def sign_in(url: str) -> str:
    async with httpx.AsyncClient(base_url=url) as c:
        r = await c.post("/api/auth/login", json={"username": "ines", "password": "instructor-demo"})
        r.raise_for_status()
        return str(r.cookies["medverse_session"])


def make_spaces(url: str, n: int) -> list[str]:
    names = []
    with httpx.Client(base_url=url, timeout=30) as c:
        c.post("/api/auth/login", json={"username": "admin", "password": "admin-demo"}).raise_for_status()
        for i in range(n):
            name = f"bay-{i:03d}"
            r = c.post(
                "/api/spaces", json={"name": name, "kind": "simbay", "members": [{"username": "ines", "role": "instructor"}]}
            )
            r.raise_for_status()
            names.append(name)
    return names


async def watch(url: str, cookie: str, name: str, patients: int) -> SpaceClient:
    c = SpaceClient(url, name, cookie)
    await c.connect()
    await c.command("sim.load_case", {"case_id": "anaphylaxis"})
    for k in range(patients - 1):
        await c.command("sim.add_patient", {"label": f"Casualty {k + 2}"})
    return c


async def run(opts: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        env = {"MEDVERSE_WS_MAX_SOCKETS_PER_USER": "200"}
        with BenchServer(Path(tmp) / "srv", env=env) as server:
            assert server.proc is not None
            names = make_spaces(server.url, opts.bays + 1)
            cookie = await sign_in(server.url)
            clients = [await watch(server.url, cookie, n, 1) for n in names[:-1]]
            clients.append(await watch(server.url, cookie, names[-1], opts.big))
            t_setup = time.monotonic()
            for c in clients:
                await c.command("sim.start", {})
            took = time.monotonic() - t_setup
            print(f"{opts.bays} bays x 1 patient + 1 bay x {opts.big} patients started in {took:.1f} s; warming up 5 s")
            await asyncio.sleep(5)
            for c in clients:
                c.streams.clear()
            arrivals: dict[int, list[tuple[float, bytes]]] = {i: [] for i in range(len(clients))}
            for i, c in enumerate(clients):
                c.streams = _Recorder(arrivals[i])  # type: ignore[assignment]
            t0, cpu0 = time.monotonic(), cpu_s(server.proc.pid)
            await asyncio.sleep(opts.seconds)
            wall = time.monotonic() - t0
            cpu = 100 * (cpu_s(server.proc.pid) - cpu0) / wall
            delays, rates, kbps = [], [], []
            for i, c in enumerate(clients):
                got = arrivals[i]
                if len(got) < 2:
                    continue
                clock = c.state["kind"]["clock"]
                for when, data in got:
                    _seq, sim_s, _p = monitor.decode(data)
                    reached = clock["wall_ts"] + (sim_s - clock["sim_s"]) / clock["speed"]
                    delays.append(1000 * (when - reached))
                sims = [monitor.decode(d)[1] for _w, d in got]
                rates.append((sims[-1] - sims[0]) / (got[-1][0] - got[0][0]))
                kbps.append(sum(len(d) for _w, d in got) / (got[-1][0] - got[0][0]) / 1000)
            patients = opts.bays + opts.big
            print(f"server CPU over {wall:.0f} s: {cpu:.1f} % of one core for {patients} patients with waveforms")
            print(f"real time: simulated s per wall s, min {min(rates):.3f}, median {statistics.median(rates):.3f}")
            p50, p99 = p(delays, 0.5), p(delays, 0.99)
            print(f"monitor delay (newest sample -> client): p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {max(delays):.0f} ms")
            one, big = statistics.median(kbps[:-1]), kbps[-1]
            print(f"monitor bandwidth per client: one patient {one:.1f} kB/s, {opts.big} patients {big:.1f} kB/s")
            for c in clients:
                await c.close()
            # crash recovery
            c = await watch(server.url, cookie, names[0], 1)
            await c.command("sim.start", {})
            await asyncio.sleep(8)
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait()
        with BenchServer(Path(tmp) / "srv", env=env) as server:
            t0 = time.monotonic()
            c = SpaceClient(server.url, names[0], await sign_in(server.url))
            await c.connect()
            while not any(e["name"] == "sim.clock" for e in c.events):
                await asyncio.sleep(0.05)
            resumed = time.monotonic() - t0
            while not c.streams:
                await asyncio.sleep(0.05)
            streaming = time.monotonic() - t0
            print(f"after kill -9 and a restart: resumed after {resumed:.2f} s, streaming after {streaming:.2f} s")
            await c.close()


class _Recorder(list):  # type: ignore[type-arg]
    """Stands in for a client's stream list: stamps each chunk with its arrival time."""

    def __init__(self, sink: list[tuple[float, bytes]]) -> None:
        super().__init__()
        self.sink = sink

    def append(self, data: Any) -> None:
        self.sink.append((time.time(), data))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bays", type=int, default=50)
    ap.add_argument("--big", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0)
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
