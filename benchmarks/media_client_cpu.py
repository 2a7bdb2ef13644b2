"""What voice costs one browser: spatial audio with N voices, and peer-to-peer with N peers.

1. Spatial audio: the page plays N synthetic voices (oscillator tones arriving as MediaStream
   tracks, like WebRTC voices) through medverse's own spatial chain (SpatialAudio: HRTF for the
   nearest six, equal-power for the rest), for N = 10 and 30; and, as the baseline, the same N
   all with HRTF (the plain way: one HRTF panner per voice).
2. Peer-to-peer: in peer-to-peer mode each browser encodes and sends its microphone once per
   peer (and its camera too when on). The page opens k loopback RTCPeerConnection pairs that
   send the microphone (and, with ``--video``, a 640x360 camera) and the script reads the CPU and
   the bytes sent per second for k = 1, 4, 8, 12: where one client runs out of CPU or uplink is
   where peer-to-peer stops working, and what MEDVERSE_P2P_MAX_PEERS is set from.

CPU is the sum over every Chromium process (utime + stime from /proc) over a 10 s window, in
percent of one core, minus the same page idle.

    python benchmarks/media_client_cpu.py [--seconds 10] [--video]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from _server import BenchServer, machine

TICK = os.sysconf("SC_CLK_TCK")

LOOPBACK_PAIRS = """
async ([k, video]) => {
  for (const pc of window.__pairs || []) pc.close();
  window.__pairs = [];
  const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
  const cam = video ? await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360, frameRate: 24 } }) : null;
  for (let i = 0; i < k; i++) {
    const a = new RTCPeerConnection(), b = new RTCPeerConnection();
    a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
    b.ontrack = (e) => { const el = new Audio(); el.muted = true; el.srcObject = e.streams[0]; el.play().catch(() => {}); };
    for (const t of mic.getTracks()) a.addTrack(t, mic);
    if (cam) for (const t of cam.getTracks()) a.addTrack(t, cam);
    await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
    window.__pairs.push(a, b);
  }
  return k;
}
"""

BYTES_SENT = """
async () => {
  let bytes = 0;
  for (const pc of window.__pairs || []) {
    (await pc.getStats()).forEach((s) => { if (s.type === "outbound-rtp") bytes += s.bytesSent || 0; });
  }
  return bytes;
}
"""


def chromium_cpu_s() -> float:
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            if "chrom" not in comm:
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / TICK


def cpu_over(seconds: float) -> float:
    """Percent of one core all Chromium processes used during the next ``seconds``."""
    start, t0 = chromium_cpu_s(), time.monotonic()
    time.sleep(seconds)
    return 100 * (chromium_cpu_s() - start) / (time.monotonic() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--video", action="store_true", help="peer-to-peer pairs also send a 640x360 camera")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    opts = ap.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"machine: {machine()}")
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
    ]
    with tempfile.TemporaryDirectory() as tmp, BenchServer(Path(tmp) / "srv") as server:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=opts.chromium, headless=True, args=args)
            ctx = browser.new_context(viewport={"width": 800, "height": 500})
            assert ctx.request.post(server.url + "/api/auth/login", data={"username": "ines", "password": "instructor-demo"}).ok
            ctx.add_init_script("localStorage.setItem('medverse.signedIn', '1')")
            page: Any = ctx.new_page()
            page.goto(f"{server.url}/#/space/commons-demo")
            page.wait_for_function("() => window.__medverse && __medverse.connected()", timeout=60_000)
            page.click("#join-audio")
            page.wait_for_function("() => __medverse.media().joined")
            time.sleep(2)
            idle = cpu_over(opts.seconds)
            print(f"page idle (3D view, joined audio): {idle:5.1f} % of a core")
            print("\nspatial audio (medverse: HRTF for the nearest 6, equal-power for the rest)")
            for n in (10, 30):
                for label, limit in (("medverse", 6), ("HRTF for all", n)):
                    page.evaluate("([n, limit]) => __medverse.syntheticVoices(n, limit)", [n, limit])
                    time.sleep(1.5)
                    models = page.evaluate("() => __medverse.media().voices.map(v => v.model)")
                    cpu = cpu_over(opts.seconds)
                    print(f"  {n:>2} voices, {label:<12}: {cpu - idle:5.1f} % of a core above idle ({models.count('HRTF')} HRTF)")
            page.evaluate("() => __medverse.syntheticVoices(0)")
            print(
                "\npeer-to-peer sending: k loopback connections each sending the microphone"
                + (" and camera" if opts.video else "")
            )
            for k in (1, 4, 8, 12):
                page.evaluate(LOOPBACK_PAIRS, [k, opts.video])
                time.sleep(2)
                b0, t0 = page.evaluate(BYTES_SENT), time.monotonic()
                cpu = cpu_over(opts.seconds)
                rate = 8 * (page.evaluate(BYTES_SENT) - b0) / (time.monotonic() - t0) / 1000
                print(f"  k={k:>2}: {cpu - idle:5.1f} % of a core above idle (both ends), uplink {rate:7.0f} kbit/s")
            browser.close()


if __name__ == "__main__":
    main()
