"""The client's presence codec against the server's, byte for byte (both directions)."""

from __future__ import annotations

import random
import struct
from typing import TYPE_CHECKING

import pytest

from medverse.spaces import presence
from medverse.spaces import protocol as P

if TYPE_CHECKING:
    from tests.browser.conftest import PeopleFactory

pytestmark = pytest.mark.browser


def test_pose_frames_and_batches_round_trip_between_client_and_server(people: PeopleFactory) -> None:
    ines = people("ines")
    rng = random.Random(20261125)
    # client -> server: the browser's POSE frame is what the server's decoder expects
    values = [round(rng.uniform(-50, 50), 3) for _ in range(P.POSE_FLOATS)]
    flags = P.FLAG_LEFT | P.FLAG_RAY | P.FLAG_VR
    frame = bytes(ines.page.evaluate("([f, v]) => __medverse.encodePose(f, v)", [flags, values]))
    assert len(frame) == P.POSE_SIZE == 112
    pose = presence.decode_pose(frame)
    assert pose.flags == flags
    expected = struct.unpack("<27f", struct.pack("<27f", *values))  # float32 rounding
    assert pose.floats == expected
    assert frame == presence.encode_pose(pose)
    # server -> client: a POSE_BATCH the server builds decodes to the same entries in the browser
    poses = {pid: presence.Pose(rng.randrange(16), tuple(rng.uniform(-9, 9) for _ in range(27))) for pid in (3, 70000, 2**31 + 5)}
    entries = [presence.encode_entry(pid, presence.encode_pose(p)) for pid, p in poses.items()]
    batch = presence.encode_batch(123456, entries)
    assert len(batch) == 8 + 116 * len(poses)
    decoded = ines.page.evaluate("(b) => __medverse.decodeBatch(b)", list(batch))
    assert decoded["tick"] == 123456
    assert [e["pid"] for e in decoded["entries"]] == list(poses)
    for e in decoded["entries"]:
        p = poses[e["pid"]]
        assert e["flags"] == p.flags
        assert tuple(e["values"]) == struct.unpack("<27f", struct.pack("<27f", *p.floats))
    # a frame that is not a batch (wrong type, truncated) is ignored, not misread
    assert ines.page.evaluate("(b) => __medverse.decodeBatch(b)", list(batch[:-1])) is None
    assert ines.page.evaluate("(b) => __medverse.decodeBatch(b)", [1, *batch[1:]]) is None
