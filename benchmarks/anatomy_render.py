"""Time from "import finished" to the body rendered in a second user's browser.

A real demo server and two real browsers (Debian's Chromium, headless, driven by Playwright): the
instructor and a student are in the anatomy space; the instructor imports a sample study (REST,
as the Import button does). In the student's page we take two moments on the page's own clock:

- ``job done``: the `job.progress` message saying the import succeeded arrives;
- ``rendered``: the first frame that drew the body (a mesh's onAfterRender) after the GLB was
  fetched and parsed.

Their difference is the figure. The study is unloaded between rounds so each round loads anew;
the sample's meshes are built once before the first round (the import itself is not measured).
Headless Chromium here renders with SwiftShader (a CPU rasteriser), so the figure is an upper
bound for a machine with a GPU.

    python benchmarks/anatomy_render.py [--sample abdomen-ct-organs] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from _server import BenchServer, machine  # type: ignore[import-not-found]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
SPACE = "anatomy-demo"


def sign_in(browser, url: str, username: str, password: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(url + "/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.signin-card button[type=submit]")
    page.wait_for_selector(".page-lobby")
    page.goto(f"{url}/#/space/{SPACE}")
    page.wait_for_function("() => window.__anatomy && window.__medverse && __medverse.connected()", timeout=60_000)
    return page


def import_and_wait(client: httpx.Client, sample: str) -> None:
    r = client.post(f"/api/spaces/{SPACE}/studies", json={"sample": sample})
    r.raise_for_status()
    job = r.json()["job"]["id"]
    while True:
        state = client.get(f"/api/jobs/{job}").json()["job"]
        if state["state"] in ("succeeded", "failed", "cancelled"):
            if state["state"] != "succeeded":
                raise SystemExit(f"the import {state['state']}: {state['error']}")
            return
        time.sleep(0.2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", default="abdomen-ct-organs")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, BenchServer(Path(tmp)) as server, sync_playwright() as pw:
        with httpx.Client(base_url=server.url, timeout=120) as ines:
            ines.post("/api/auth/login", json={"username": "ines", "password": "instructor-demo"}).raise_for_status()
            import_and_wait(ines, args.sample)  # builds the sample's meshes once
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            teacher = sign_in(browser, server.url, "ines", "instructor-demo")
            student = sign_in(browser, server.url, "sam", "student-demo")
            student.wait_for_function("() => __anatomy.structureCount() > 0", timeout=120_000)
            figures = []
            for i in range(args.rounds):
                r = teacher.evaluate("() => __medverse.command('anatomy.unload_study', {})")
                assert r["ok"], r
                student.wait_for_function("() => __anatomy.structureCount() === 0", timeout=60_000)
                before = student.evaluate("() => __anatomy.timings().jobDone") or 0
                import_and_wait(ines, args.sample)
                student.wait_for_function(
                    "(before) => { const t = __anatomy.timings(); return t.jobDone !== null && t.jobDone > before"
                    " && t.rendered !== null && t.rendered > t.jobDone; }",
                    arg=before,
                    timeout=120_000,
                )
                t = student.evaluate("() => __anatomy.timings()")
                info = student.evaluate("() => ({n: __anatomy.structureCount(), ...__anatomy.render()})")
                total = t["rendered"] - t["jobDone"]
                figures.append(total)
                print(
                    f"round {i + 1}: {total:7.0f} ms from import finished to the body drawn "
                    f"(event +{t['studyEvent'] - t['jobDone']:.0f} ms, GLB fetched and parsed "
                    f"+{t['glbLoaded'] - t['jobDone']:.0f} ms); {info['n']} structures, "
                    f"{info['triangles']:,} triangles, {info['calls']} draw calls"
                )
            browser.close()
    print(
        f"\n{args.sample}: median {statistics.median(figures):.0f} ms, best {min(figures):.0f} ms "
        f"over {len(figures)} rounds ({machine()}; headless Chromium, SwiftShader)"
    )


if __name__ == "__main__":
    main()
