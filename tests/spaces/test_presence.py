"""The binary presence codec, including a hypothesis fuzz of the frame decoder."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medverse.errors import InvalidInput
from medverse.spaces import presence
from medverse.spaces import protocol as P

finite = st.floats(min_value=-1000, max_value=1000, allow_nan=False, width=32)


@given(flags=st.integers(0, 15), floats=st.lists(finite, min_size=27, max_size=27))
def test_pose_round_trip(flags: int, floats: list[float]) -> None:
    pose = presence.Pose(flags, tuple(floats))
    frame = presence.encode_pose(pose)
    assert len(frame) == P.POSE_SIZE
    assert presence.decode_pose(frame) == pose


@given(st.binary(max_size=400))
@settings(max_examples=500)
def test_decoder_accepts_or_refuses_cleanly(data: bytes) -> None:
    try:
        pose = presence.decode_pose(data)
    except InvalidInput:
        return
    assert len(data) == P.POSE_SIZE and all(math.isfinite(x) for x in pose.floats)


@pytest.mark.parametrize(
    "frame, message",
    [
        (b"", "112 bytes"),
        (b"\x01" * 111, "112 bytes"),
        (struct.pack("<BBH27f", 9, 0, 0, *([0.0] * 27)), "type must be 1"),
        (struct.pack("<BBH27f", 1, 0x80, 0, *([0.0] * 27)), "flags"),
        (struct.pack("<BBH27f", 1, 0, 0, float("nan"), *([0.0] * 26)), "non-finite"),
        (struct.pack("<BBH27f", 1, 0, 0, 1e9, *([0.0] * 26)), "10 km"),
    ],
)
def test_bad_frames_are_named(frame: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        presence.decode_pose(frame)


def test_batches_exclude_the_recipients_own_pose() -> None:
    buf = presence.PresenceBuffer()
    for pid in (1, 2, 3):
        frame = presence.encode_pose(presence.Pose(0, (float(pid),) + (0.0,) * 26))
        buf.put(pid, presence.encode_entry(pid, frame))
    pending = buf.take()
    batches = dict(presence.batches_for(7, pending, [1, 2, 3, 4]))
    for recipient, data in batches.items():
        tick, poses = presence.decode_batch(data)
        assert tick == 7
        assert recipient not in poses
        assert {pid: p.floats[0] for pid, p in poses.items()} == {pid: float(pid) for pid in (1, 2, 3) if pid != recipient}
    assert set(batches) == {1, 2, 3, 4}
    assert buf.take() == {}


def test_newest_pose_wins_but_latency_counts_from_the_first() -> None:
    buf = presence.PresenceBuffer()
    buf.put(1, b"a" * P.ENTRY_SIZE, received_at=1.0)
    buf.put(1, b"b" * P.ENTRY_SIZE, received_at=2.0)
    pending = buf.take()
    assert pending[1].entry == b"b" * P.ENTRY_SIZE
    assert pending[1].received_at == 1.0
