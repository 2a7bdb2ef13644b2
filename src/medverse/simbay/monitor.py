"""The bedside monitor stream: compact binary chunks, sent at a fixed tick, never stored.

A chunk is one binary WebSocket frame (docs/protocol.md, "Simulation bay")::

    header   <BBHId   kind stream type (3), patients in the chunk, reserved, sequence, sim time (s)
    per patient:
      <BBHH          patient index in the bay, rhythm code, ECG samples, wave samples
      <10f           hr, sbp, dbp, map, spo2, etco2, rr, t_core, pao2, ph (NaN when unknown)
      <h * ECG       ECG lead II at 250 Hz, in 10 uV units
      <h * 3 * wave  arterial pressure (0.1 mmHg), pleth (1/10000), capnogram (0.1 mmHg) at 50 Hz

The samples are those simulated since the previous chunk: a client draws them in order as
they come (a monitor sweep ~0.25 s behind the simulation).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

STREAM_MONITOR = 3  # the first byte: spaces/protocol.py KIND_STREAM
HEADER = struct.Struct("<BBHId")
PATIENT = struct.Struct("<BBHH")
NUMERICS = ("hr", "sbp", "dbp", "map", "spo2", "etco2", "rr", "t_core", "pao2", "ph")
NUM = struct.Struct(f"<{len(NUMERICS)}f")
ECG_HZ = 250  # sent (the engine makes 500 Hz: every second sample)
WAVE_HZ = 50  # sent (the engine makes 100 Hz)
ECG_SCALE = 100.0  # mV -> 10 uV units
WAVE_SCALES = (10.0, 10000.0, 10.0)


@dataclass
class PatientChunk:
    index: int
    rhythm: int
    numerics: tuple[float, ...]
    ecg_mv: np.ndarray  # (E,)
    waves: np.ndarray  # (3, W)


def _i16(values: np.ndarray, scale: float) -> bytes:
    return bytes(np.clip(np.round(np.nan_to_num(values) * scale), -32768, 32767).astype("<i2").tobytes())


def encode(seq: int, sim_s: float, patients: list[PatientChunk]) -> bytes:
    parts = [HEADER.pack(STREAM_MONITOR, len(patients), 0, seq & 0xFFFFFFFF, sim_s)]
    for p in patients:
        ecg = p.ecg_mv
        waves = p.waves
        parts.append(PATIENT.pack(p.index, p.rhythm, ecg.shape[0], waves.shape[1]))
        parts.append(NUM.pack(*p.numerics))
        parts.append(_i16(ecg, ECG_SCALE))
        for k in range(3):
            parts.append(_i16(waves[k], WAVE_SCALES[k]))
    return b"".join(parts)


def decode(data: bytes) -> tuple[int, float, list[PatientChunk]]:
    """For tests and tools: the inverse of :func:`encode` (samples in their units again)."""
    kind, n, _r, seq, sim_s = HEADER.unpack_from(data, 0)
    if kind != STREAM_MONITOR:
        raise ValueError(f"not a monitor chunk (type {kind})")
    at = HEADER.size
    out = []
    for _ in range(n):
        index, rhythm, ne, nw = PATIENT.unpack_from(data, at)
        at += PATIENT.size
        numerics = NUM.unpack_from(data, at)
        at += NUM.size
        ecg = np.frombuffer(data, "<i2", ne, at).astype(float) / ECG_SCALE
        at += 2 * ne
        waves = np.zeros((3, nw))
        for k in range(3):
            waves[k] = np.frombuffer(data, "<i2", nw, at).astype(float) / WAVE_SCALES[k]
            at += 2 * nw
        out.append(PatientChunk(index, rhythm, numerics, ecg, waves))
    if at != len(data):
        raise ValueError(f"{len(data) - at} trailing bytes")
    return seq, sim_s, out
