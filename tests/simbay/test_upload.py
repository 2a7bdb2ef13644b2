"""Uploading a case file into a bay: checked whole before anything changes; instructors only."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer, new_space
from tests.simbay.test_cases import GOOD

pytest.importorskip("medverse.physiology.scenario")


def test_an_instructor_uploads_a_case_and_mistakes_are_named(live_server: LiveServer) -> None:
    room = new_space(live_server, kind="simbay", members={"ines": "instructor", "sam": "participant"}, prefix="bay")
    url = f"/api/spaces/{room}/simbay/case"
    with live_server.login("ines") as ines:
        r = ines.post(url, content=GOOD.encode())
        assert r.status_code == 200, r.text
        assert r.json()["title"] == "Test case"
        record = ines.get(f"/api/spaces/{room}/simbay/record.json").json()
        assert record["case"]["title"] == "Test case" and record["case"]["expected"][0]["id"] == "epi"
        r = ines.post(url, content=GOOD.replace("action: anaphylaxis", "action: levitation").encode())
        assert r.status_code == 422 and "levitation" in r.text
        r = ines.post(url, content=b"\xff\xfe not text")
        assert r.status_code == 422
        r = ines.post(url, content=b"name: x\n" + b"#" * 300_000)
        assert r.status_code == 413
        # nothing of the refused files reached the bay
        assert ines.get(f"/api/spaces/{room}/simbay/record.json").json()["case"]["title"] == "Test case"
    with live_server.login("sam") as sam:
        assert sam.post(url, content=GOOD.encode()).status_code == 403
        student_view = sam.get(f"/api/spaces/{room}/simbay/record.json").json()
        assert "expected" not in student_view["case"] and student_view["score"] is None


def test_the_bays_routes_refuse_strangers(live_server: LiveServer) -> None:
    """A signed-out client gets 401 from every route; a signed-in non-member (kim) learns nothing
    of the bay (404), and cannot upload into it."""
    import httpx

    room = new_space(live_server, kind="simbay", members={"ines": "instructor", "sam": "participant"}, prefix="bay")
    reads = [f"/api/spaces/{room}/simbay/record.json", f"/api/spaces/{room}/simbay/vitals.csv"]
    with httpx.Client(base_url=live_server.url, timeout=10) as anon:
        assert anon.get("/api/simbay/cases").status_code == 401
        for url in reads:
            assert anon.get(url).status_code == 401
        assert anon.post(f"/api/spaces/{room}/simbay/case", content=GOOD.encode()).status_code == 401
    with live_server.login("kim") as kim:
        assert kim.get("/api/simbay/cases").status_code == 200  # the library is no secret
        for url in reads:
            assert kim.get(url).status_code == 404
        assert kim.post(f"/api/spaces/{room}/simbay/case", content=GOOD.encode()).status_code == 404
    with live_server.login("ines") as ines:  # a bay's routes refuse a space of another kind
        r = ines.get("/api/spaces/commons-demo/simbay/record.json")
        assert r.status_code == 422 and "kind simbay" in r.text
