"""The anatomy lab against a real server: import a real sample, share the dissection, quiz."""

from __future__ import annotations

import asyncio
import io
import zipfile

import httpx
import pytest

from medverse import samples
from medverse.client import CommandRefused, SpaceClient
from tests.conftest import LiveServer, join, new_space

pytestmark = pytest.mark.skipif(samples.samples_dir() is None, reason="no sample-data mirror on this machine")


@pytest.fixture
def lab(live_server: LiveServer) -> str:
    return new_space(live_server, "anatomy", {"ines": "instructor", "sam": "participant", "kim": "observer"}, "lab")


async def wait_job(http: httpx.Client, job_id: str, timeout: float = 60.0) -> dict:
    """Poll a job until it ends (the REST answer is the condition waited on)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        job = http.get(f"/api/jobs/{job_id}").json()["job"]
        if job["state"] not in ("queued", "running") or asyncio.get_running_loop().time() > deadline:
            return job
        await asyncio.sleep(0.05)


async def import_sample(server: LiveServer, space: str, sample: str, watcher: SpaceClient) -> dict:
    with server.login("ines") as ines:
        r = ines.post(f"/api/spaces/{space}/studies", json={"sample": sample})
        assert r.status_code == 202, r.text
    ev = await watcher.wait_event(lambda e: e["name"] == "anatomy.study_loaded", timeout=120)
    return ev["data"]["study"]


async def test_imported_study_appears_for_everyone_with_its_files(live_server, lab) -> None:
    sam = await join(live_server, lab, "sam")
    study = await import_sample(live_server, lab, "abdomen-ct-organs", sam)
    names = {s["name"] for s in study["structures"]}
    assert {"liver", "spleen", "aorta"} <= names
    assert study["has_volume"] and study["triangles"] <= 500_000 and len(study["structures"]) <= 100
    assert sam.jobs and sam.jobs[-1]["state"] == "succeeded"
    assert sam.state["kind"]["study"]["id"] == study["id"]
    base = f"/api/spaces/{lab}/studies/{study['id']}"
    with live_server.login("sam") as http:
        glb = http.get(f"{base}/scene.glb")
        assert glb.status_code == 200 and glb.content[:4] == b"glTF"
        png = http.get(f"{base}/slice.png", params={"plane": "axial", "preset": "soft_tissue"})
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
        placement = httpx.Response(200, content=png.headers["x-slice-placement"]).json()
        assert placement["plane"] == "axial" and len(placement["corners_gltf"]) == 4
        bad = http.get(f"{base}/slice.png", params={"plane": "oblique"})
        assert bad.status_code == 422
        assert http.get(f"{base}/volume.nii.gz").status_code == 404
        assert http.get(f"/api/spaces/{lab}/studies/..%2F..%2Fsecret/scene.glb").status_code in (404, 422)
    await sam.close()


async def test_dissection_state_is_shared_and_checked(live_server, lab) -> None:
    ines, sam = await join(live_server, lab, "ines"), await join(live_server, lab, "sam")
    study = await import_sample(live_server, lab, "abdomen-ct-organs", sam)
    liver = next(s["label"] for s in study["structures"] if s["name"] == "liver")
    await ines.command("anatomy.set_clip", {"index": 1, "enabled": True, "normal": [0, 0, -2], "offset_m": 0.05})
    await ines.command("anatomy.set_opacity", {"label": liver, "opacity": 0.4})
    await ines.command("anatomy.set_visible", {"label": liver, "visible": False})
    await ines.command("anatomy.highlight", {"label": liver})
    await ines.command("anatomy.set_slice", {"plane": "coronal", "enabled": True, "position_mm": -150})
    ack = await ines.command("anatomy.measure", {"a": [0, 0, 0], "b": [0.03, 0.04, 0]})
    await sam.wait_event(lambda e: e["seq"] == ack["seq"])
    k = sam.state["kind"]
    assert k["clips"][1] == {"enabled": True, "normal": [0.0, 0.0, -1.0], "offset_m": 0.05}
    assert k["opacity"][str(liver)] == 0.4 and k["visible"][str(liver)] is False and k["highlight"] == liver
    assert k["slices"]["coronal"] == {"enabled": True, "position_mm": -150.0}
    assert [m["mm"] for m in k["measures"].values()] == [50.0]
    assert sam.state == ines.state
    for name, args, code in [
        ("anatomy.set_clip", {"index": 0, "enabled": True}, "forbidden"),
        ("anatomy.highlight", {"label": liver}, "forbidden"),
        ("anatomy.load_study", {"study_id": study["id"]}, "forbidden"),
    ]:
        with pytest.raises(CommandRefused) as info:
            await sam.command(name, args)
        assert info.value.code == code
    for name, args, code in [
        ("anatomy.set_clip", {"index": 3, "enabled": True}, "invalid"),
        ("anatomy.set_clip", {"index": 0, "enabled": True, "normal": [0, 0, 0]}, "invalid"),
        ("anatomy.set_visible", {"label": 9999, "visible": True}, "not-found"),
        ("anatomy.load_study", {"study_id": "does-not-exist"}, "not-found"),
        ("anatomy.load_study", {"study_id": "../../etc"}, "invalid"),
    ]:
        with pytest.raises(CommandRefused) as info:
            await ines.command(name, args)
        assert info.value.code == code, (name, info.value)
    await ines.close(), await sam.close()


async def test_quiz_round_is_graded_by_the_server(live_server, lab) -> None:
    ines, sam, kim = [await join(live_server, lab, u) for u in ("ines", "sam", "kim")]
    study = await import_sample(live_server, lab, "abdomen-ct-organs", sam)
    labels = {s["name"]: s["label"] for s in study["structures"]}
    with pytest.raises(CommandRefused, match="no open quiz"):
        await sam.command("anatomy.quiz_answer", {"label": labels["liver"]})
    await ines.command("anatomy.quiz_start", {"label": labels["spleen"]})
    ack = await sam.command("anatomy.quiz_answer", {"label": labels["spleen"]})
    with pytest.raises(CommandRefused, match="answered this question already"):
        await sam.command("anatomy.quiz_answer", {"label": labels["liver"]})  # no second try
    with pytest.raises(CommandRefused) as info:
        await kim.command("anatomy.quiz_answer", {"label": labels["spleen"]})
    assert info.value.code == "forbidden"  # observers watch
    await ines.wait_event(lambda e: e["seq"] == ack["seq"])
    answers = ines.state["kind"]["quiz"]["answers"]
    assert answers[str(sam.you["user_id"])]["correct"] is True
    reveal = await ines.command("anatomy.quiz_reveal", {})
    await kim.wait_event(lambda e: e["seq"] == reveal["seq"])
    assert kim.state["kind"]["quiz"]["answers"][str(sam.you["user_id"])]["correct"] is True  # shown now
    with pytest.raises(CommandRefused):
        await sam.command("anatomy.quiz_answer", {"label": labels["liver"]})
    end = await ines.command("anatomy.quiz_end", {})
    await sam.wait_event(lambda e: e["seq"] == end["seq"])
    assert sam.state["kind"]["quiz"] is None
    for c in (ines, sam, kim):
        await c.close()


def test_imports_are_for_instructors_of_anatomy_spaces(live_server, lab) -> None:
    with live_server.login("sam") as sam:
        assert sam.post(f"/api/spaces/{lab}/studies", json={"sample": "abdomen-ct"}).status_code == 403
    with live_server.login("ines") as ines:
        assert ines.post("/api/spaces/commons-demo/studies", json={"sample": "abdomen-ct"}).status_code == 422
        r = ines.post(f"/api/spaces/{lab}/studies", json={"sample": "no-such-sample"})
        assert r.status_code == 404 and "known:" in r.json()["detail"]
        r = ines.post(f"/api/spaces/{lab}/studies/upload", params={"filename": "notes.txt"}, content=b"hello")
        assert r.status_code == 422 and ".zip" in r.json()["detail"]


@pytest.mark.parametrize(
    "filename, payload, code",
    [
        ("random.zip", bytes(range(256)) * 40, None),
        ("scan.dcm", b"\x00" * 128 + b"DICM" + b"\x02\x00" * 50, None),
        ("traversal.zip", "traversal", "unsafe-archive"),
    ],
)
async def test_bad_uploads_fail_as_jobs_with_a_reason(live_server, lab, filename, payload, code) -> None:
    if payload == "traversal":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("../../evil.dcm", b"x" * 100)
        payload = buf.getvalue()
    with live_server.login("ines") as ines:
        r = ines.post(
            f"/api/spaces/{lab}/studies/upload",
            params={"filename": filename},
            content=payload,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 202, r.text
        job_id = r.json()["job"]["id"]
        job = await wait_job(ines, job_id)
    assert job["state"] == "failed" and job["error"]
    if code:
        assert job["error_code"] == code
    assert httpx.get(live_server.url + "/api/health").status_code == 200
