"""Attacks on the anatomy lab's routes and commands, over the real HTTP and WebSocket, refused.

Each test reproduces something a security review did against a running server."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import httpx
import pytest

from medverse import samples
from medverse.client import CommandRefused
from tests.anatomy.test_anatomy_space import import_sample, wait_job
from tests.conftest import LiveServer, eventually, join, new_space

needs_samples = pytest.mark.skipif(samples.samples_dir() is None, reason="no sample-data mirror on this machine")


def make_lab(server: LiveServer, members: list[tuple[str, str]]) -> str:
    return new_space(server, "anatomy", dict(members), "lab")


def uploads_left(server: LiveServer) -> list[Path]:
    return [p for p in (server.data_dir / "uploads").rglob("*") if p.is_file()]


@needs_samples
async def test_a_study_is_reachable_only_through_a_space_that_owns_it(live_server) -> None:
    mine = make_lab(live_server, [("ines", "instructor"), ("sam", "participant")])
    other = make_lab(live_server, [("kim", "instructor")])
    sam = await join(live_server, mine, "sam")
    study = await import_sample(live_server, mine, "abdomen-ct", sam)
    sid = study["id"]
    with live_server.login("kim") as kim:  # a member of another space, instructor there
        for path in (
            f"/api/spaces/{mine}/studies/{sid}/study.json",
            f"/api/spaces/{mine}/studies/{sid}/scene.glb",
            f"/api/spaces/{mine}/studies/{sid}/slice.png",
            f"/api/spaces/{mine}/studies/{sid}/slice.json",
            f"/api/spaces/{other}/studies/{sid}/study.json",
            f"/api/spaces/{other}/studies/{sid}/slice.png",
            f"/api/studies/{sid}/study.json",
        ):
            assert kim.get(path).status_code == 404, path
    for path in (f"/api/spaces/{mine}/studies/{sid}/study.json", f"/api/spaces/{mine}/studies/{sid}/slice.png"):
        assert httpx.get(live_server.url + path).status_code == 401, path  # signed out
    kim_ws = await join(live_server, other, "kim")
    with pytest.raises(CommandRefused) as refused:  # loading another space's study by its id
        await kim_ws.command("anatomy.load_study", {"study_id": sid})
    assert refused.value.code == "not-found" and "library" in refused.value.message
    with pytest.raises(CommandRefused) as refused:  # or adding it to one's own library
        await kim_ws.command("anatomy.add_study", {"study_id": sid, "title": "mine now"})
    assert refused.value.code == "forbidden"
    assert kim_ws.state["kind"]["library"] == {} and kim_ws.state["kind"]["study"] is None
    await sam.close()
    await kim_ws.close()


@needs_samples
async def test_jobs_are_seen_and_cancelled_only_from_their_space(live_server) -> None:
    mine = make_lab(live_server, [("ines", "instructor"), ("sam", "participant")])
    make_lab(live_server, [("kim", "instructor")])
    with live_server.login("ines") as ines:
        job = ines.post(f"/api/spaces/{mine}/studies", json={"sample": "abdomen-ct"}).json()["job"]
        with live_server.login("kim") as kim:
            assert kim.get(f"/api/jobs/{job['id']}").status_code == 404
            assert kim.delete(f"/api/jobs/{job['id']}").status_code == 404
        with live_server.login("sam") as sam:
            assert sam.get(f"/api/jobs/{job['id']}").status_code == 200  # its space sees its progress
            assert sam.delete(f"/api/jobs/{job['id']}").status_code == 403
        await wait_job(ines, job["id"], timeout=120)


def _raw_upload(server: LiveServer, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, float]:
    """Send a request's head (and maybe the start of a body) without the rest; return the status
    code of the answer and how long it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        s.sendall(head.encode() + body)
        answer = s.recv(4096).decode(errors="replace")
    return int(answer.split(" ", 2)[1]), time.monotonic() - started


def test_uploads_are_refused_before_their_body_is_read(live_server) -> None:
    lab = make_lab(live_server, [("ines", "instructor"), ("sam", "participant")])
    path = f"/api/spaces/{lab}/studies/upload?filename=scan.zip"
    big = {"Content-Type": "application/octet-stream", "Content-Length": str(300 * 2**20)}
    status, took = _raw_upload(live_server, path, big)  # anonymous, 300 MiB announced, none sent
    assert status == 401 and took < 5
    sam_cookie = live_server.cookie("sam")
    status, _ = _raw_upload(live_server, path, {**big, "Cookie": f"medverse_session={sam_cookie}"})
    assert status == 403  # a student
    ines_cookie = live_server.cookie("ines")
    huge = {**big, "Content-Length": str(2 * 2**30), "Cookie": f"medverse_session={ines_cookie}"}
    status, _ = _raw_upload(live_server, path, huge)  # the instructor, past the cap
    assert status == 413
    assert uploads_left(live_server) == []


def test_a_long_or_hostile_file_name_is_not_kept(live_server) -> None:
    lab = make_lab(live_server, [("ines", "instructor")])
    with live_server.login("ines") as ines:
        r = ines.post(f"/api/spaces/{lab}/studies/upload", params={"filename": "x" * 300 + ".zip"}, content=b"PK")
        assert r.status_code == 422
        r = ines.post(f"/api/spaces/{lab}/studies/upload", params={"filename": "../" * 60 + "a.zip"}, content=b"not a zip")
        assert r.status_code == 202, r.text
        job = asyncio.run(wait_job(ines, r.json()["job"]["id"]))
        assert job["state"] == "failed" and "/" not in (job["error"] or "").replace("a .zip", "")
        r = ines.post(f"/api/spaces/{lab}/studies/upload", params={"filename": "scan.zip"}, files={"file": ("scan.zip", b"PK")})
        assert r.status_code == 422 and "request body" in r.json()["detail"]


@pytest.fixture
def small_cap_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = LiveServer(tmp_path / "data", env={"MEDVERSE_UPLOAD_MAX_BYTES": str(2**20)})
    server.start()
    yield server
    server.stop()


def test_a_streamed_upload_past_the_cap_is_cut_off_and_removed(small_cap_server) -> None:
    server = small_cap_server
    lab = make_lab(server, [("ines", "instructor")])

    def chunks():  # no Content-Length: the cap must hold while streaming
        for _ in range(8):
            yield b"\0" * 2**19

    with server.login("ines") as ines:
        r = ines.post(f"/api/spaces/{lab}/studies/upload", params={"filename": "scan.zip"}, content=chunks())
        assert r.status_code == 413 and "1 MiB" in r.json()["detail"]
    assert uploads_left(server) == []


async def test_a_third_upload_is_refused_at_once_and_nothing_is_left_behind(small_cap_server) -> None:
    server = small_cap_server
    lab = make_lab(server, [("ines", "instructor")])
    cookie = server.cookie("ines")
    path = f"/api/spaces/{lab}/studies/upload?filename=scan.zip"
    # two uploads that send their head and a little, then stall: each holds an import place
    writers = []
    for _ in range(2):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            (
                f"POST {path} HTTP/1.1\r\nHost: x\r\nCookie: medverse_session={cookie}\r\n"
                "Content-Type: application/octet-stream\r\nContent-Length: 900000\r\n\r\n"
            ).encode()
            + b"\0" * 1000
        )
        await writer.drain()
        writers.append((reader, writer))
    # the server has taken both places once both uploads stream to disk (it answers nothing until a body ends)
    await eventually(lambda: len(list((server.data_dir / "uploads").iterdir())) == 2, timeout=10)
    async with httpx.AsyncClient(base_url=server.url, cookies={"medverse_session": cookie}) as http:
        r = await http.post(path, content=b"PK" * 10)
        assert r.status_code == 409 and "imports are running" in r.json()["detail"]
        for _reader, writer in writers:  # the stalled clients go away
            writer.close()
        await eventually(lambda: not list((server.data_dir / "uploads").iterdir()), timeout=10)
        r = await http.post(path, content=b"not a zip")  # the places are free again
        assert r.status_code == 202


@needs_samples
async def test_an_uploads_file_name_never_becomes_its_title_or_reaches_the_logs(live_server) -> None:
    lab = make_lab(live_server, [("ines", "instructor"), ("sam", "participant")])
    sam = await join(live_server, lab, "sam")
    scan = samples.path("ct_abdomen_3mm").read_bytes()
    with live_server.login("ines") as ines:
        r = ines.post(
            f"/api/spaces/{lab}/studies/upload",
            content=scan,
            params={"filename": "DOE^JANE_1961-02-03.nii.gz", "title": "Teaching case 7"},
        )
        assert r.status_code == 202, r.text
    ev = await sam.wait_event(lambda e: e["name"] == "anatomy.study_loaded", timeout=120)
    assert ev["data"]["study"]["title"] == "Teaching case 7"
    assert sam.state["kind"]["library"][ev["data"]["study"]["id"]]["title"] == "Teaching case 7"
    with live_server.login("admin") as admin:
        audit = admin.get("/api/audit", params={"limit": 500}).text
    assert "DOE" not in audit and "JANE" not in audit
    assert all("DOE" not in str(e["data"]) for e in sam.events)
    await sam.close()


def test_uploads_left_by_a_crash_are_removed_at_start_and_fresh_ones_kept(tmp_path: Path) -> None:
    import os

    uploads = tmp_path / "data" / "uploads"
    stale, fresh = uploads / "upload-stale", uploads / "upload-fresh"
    for folder in (stale, fresh):
        folder.mkdir(parents=True)
        (folder / "upload.zip").write_bytes(b"PK")
    two_hours_ago = time.time() - 7200
    for path in (stale / "upload.zip", stale):
        os.utime(path, (two_hours_ago, two_hours_ago))
    server = LiveServer(tmp_path / "data")
    server.start()
    try:
        assert not stale.exists()
        assert (fresh / "upload.zip").exists()  # maybe another process's upload in flight
    finally:
        server.stop()


@needs_samples
async def test_a_flood_of_slice_requests_neither_piles_up_nor_delays_commands(live_server) -> None:
    lab = make_lab(live_server, [("ines", "instructor"), ("sam", "participant")])
    sam = await join(live_server, lab, "sam")
    study = await import_sample(live_server, lab, "abdomen-ct", sam)
    cookie = live_server.cookie("sam")
    path = f"/api/spaces/{lab}/studies/{study['id']}/slice.png"
    statuses: list[int] = []
    stop = asyncio.Event()

    async def flood(k: int) -> None:
        async with httpx.AsyncClient(base_url=live_server.url, cookies={"medverse_session": cookie}, timeout=60) as http:
            i = 0
            planes = ("axial", "coronal", "sagittal")
            while not stop.is_set():  # each one drawn anew (the server keeps no image cache)
                r = await http.get(path, params={"plane": planes[(k + i) % 3], "overlay": True})
                statuses.append(r.status_code)
                i += 1

    ines = await join(live_server, lab, "ines")
    attack = [asyncio.create_task(flood(k)) for k in range(24)]
    await eventually(lambda: len(statuses) >= 24, timeout=60)
    took = []
    for n in range(15):
        t0 = time.perf_counter()
        await ines.command("chat.send", {"text": f"still quick {n}"}, timeout=60)
        took.append(time.perf_counter() - t0)
    stop.set()
    await asyncio.gather(*attack)
    assert 503 in statuses and 200 in statuses  # the queue is bounded, and slices are still drawn
    assert set(statuses) <= {200, 503}
    took.sort()
    # a guard: commands run in the log's own pool, not behind the slices (on this small study even
    # one shared pool kept the median near 0.2 s here, so this bound only catches a gross regression)
    assert took[len(took) // 2] < 1.0, took
    await sam.close(), await ines.close()
