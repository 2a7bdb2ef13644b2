"""Physiology engine speed and memory (docs/benchmarks.md, section physiology).

Prints:
1. one patient, all systems and waveforms (ECG 500 Hz, ABP/pleth/CO2 100 Hz), one core:
   simulated seconds per wall-clock second (x real time);
2. the number of patients one core advances together in real time (with waveforms);
3. memory per patient (state arrays, and with one minute of waveform buffers).

Run: .venv/bin/python benchmarks/physiology_speed.py  (pins itself to one core)
"""

from __future__ import annotations

import os
import platform
import time


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _best(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    """Shortest wall time of ``repeat`` calls (the machine is shared; the minimum is the cost)."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    from medverse.physiology import Patient, PatientBatch

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} cores (nproc), {_cpu_model()}; pinned to 1 core; load average {load:.1f}")
    one = PatientBatch([Patient()])
    one.advance(2.0, waveforms=True)  # compile / warm up
    sim_s = 300.0
    wall = _best(lambda: one.advance(sim_s, waveforms=True))
    print(
        f"1. one patient, all systems + waveforms: {sim_s / wall:,.0f}x real time "
        f"({sim_s:.0f} s simulated in {wall:.3f} s, best of 5)"
    )
    wall_nw = _best(lambda: one.advance(sim_s, waveforms=False))
    print(f"   (trends only, no waveforms: {sim_s / wall_nw:,.0f}x real time)")

    n = 256
    many = PatientBatch([Patient()] * n)
    many.advance(1.0, waveforms=True)
    sim_s = 20.0
    wall = _best(lambda: many.advance(sim_s, waveforms=True), 3)
    per_patient = wall / sim_s / n  # wall seconds per simulated second per patient
    print(
        f"2. {n} patients together, with waveforms: {sim_s:.0f} s in {wall:.2f} s -> "
        f"{1.0 / per_patient:,.0f} patients in real time on one core"
    )

    state = many.memory_bytes() / n
    waves_min = (500 + 3 * 100) * 60 * 8
    print(f"3. memory per patient: {state / 1024:.1f} KiB of state; +{waves_min / 1024:.0f} KiB per minute of buffered waveforms")


if __name__ == "__main__":
    main()
