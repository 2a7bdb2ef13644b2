"""An import started on one server process reports its progress to people on another."""

from __future__ import annotations

import pytest
from tests.bus.test_redis_fanout import two_servers  # noqa: F401 - a fixture
from tests.conftest import eventually

from medverse import samples
from medverse.client import SpaceClient, sign_in
from medverse.spaces import protocol as P

pytestmark = pytest.mark.skipif(samples.samples_dir() is None, reason="no sample-data mirror on this machine")


async def test_job_progress_crosses_to_the_other_process(two_servers) -> None:  # noqa: F811
    a, b = two_servers
    sam = SpaceClient(b.url, "anatomy-demo", await sign_in(b.url, "sam", "student-demo"))
    await sam.connect()
    try:
        with a.login("ines") as ines:
            r = ines.post("/api/spaces/anatomy-demo/studies", json={"sample": "abdomen-ct"})
            assert r.status_code == 202, r.text
            job_id = r.json()["job"]["id"]
        ev = await sam.wait_event(lambda e: e["name"] == "anatomy.study_loaded", timeout=120)
        assert ev["data"]["study"]["id"] == "sample-abdomen-ct"
        # the event and the job's last progress message take different paths over the bus (the
        # event is read from the log): either may arrive first
        await eventually(lambda: sam.jobs and sam.jobs[-1]["state"] == P.JOB_SUCCEEDED, timeout=10)
        assert {j["id"] for j in sam.jobs} == {job_id}
    finally:
        await sam.close()
