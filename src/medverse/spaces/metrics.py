"""Latency samples for the benchmarks (exposed at /api/metrics when enabled)."""

from __future__ import annotations

import os
import resource
import time
from collections import deque
from typing import Any

import numpy as np


class Histogram:
    def __init__(self, keep: int = 500_000) -> None:
        self.samples: deque[float] = deque(maxlen=keep)

    def add(self, seconds: float) -> None:
        self.samples.append(seconds)

    def summary(self) -> dict[str, Any]:
        if not self.samples:
            return {"count": 0}
        a = np.fromiter(self.samples, dtype=float) * 1000.0
        return {
            "count": int(a.size),
            "p50_ms": round(float(np.percentile(a, 50)), 3),
            "p90_ms": round(float(np.percentile(a, 90)), 3),
            "p99_ms": round(float(np.percentile(a, 99)), 3),
            "max_ms": round(float(a.max()), 3),
        }


class Metrics:
    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled
        self.reset()

    def reset(self) -> None:
        self.presence = Histogram()  # pose received -> written to the last recipient's socket
        self.command = Histogram()  # command received -> event written to every local socket
        self.frames_in = 0
        self._t0 = time.perf_counter()
        self._cpu0 = _cpu_seconds()

    def summary(self) -> dict[str, Any]:
        wall = time.perf_counter() - self._t0
        cpu = _cpu_seconds() - self._cpu0
        return {
            "presence": self.presence.summary(),
            "command": self.command.summary(),
            "frames_in": self.frames_in,
            "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3),
            "cpu_cores": round(cpu / wall, 3) if wall > 0 else 0.0,
            "pid": os.getpid(),
        }


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
