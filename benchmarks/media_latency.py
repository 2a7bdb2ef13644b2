"""Mouth-to-ear latency between two browsers on this machine, peer-to-peer and through Janus.

Chromium's fake microphone plays a known pattern (a 40 ms burst of 1 kHz every 500 ms). On the
sender's page an onset detector listens to its own microphone track; on the receiver's page the
same detector listens to the sender's voice as received. Both stamp onsets with the wall clock
(``performance.timeOrigin + performance.now()``, one clock on one machine); the latency of a
burst is the receiver's onset minus the sender's. What it includes: encoding, the network path
(loopback, or through Janus), the receiver's jitter buffer and decoding. What it leaves out: the
capture latency before the sender's Web Audio graph and the output latency after the receiver's
(the detector sits at the same point of both graphs; the receiving page's ``outputLatency`` is
printed for the ear side).

    python benchmarks/media_latency.py                  # both modes, 20 s each
    python benchmarks/media_latency.py --mode p2p --seconds 30

Target (issue 8): p95 <= 150 ms.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import struct
import subprocess
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

from _server import BenchServer, free_port, machine

ROOT = Path(__file__).resolve().parents[1]
PASSWORDS = {"ines": "instructor-demo", "sam": "student-demo"}
PERIOD_S = 0.5
BURST_S = 0.04

DETECTOR = """
(track) => {
  const ctx = new AudioContext({ latencyHint: "interactive" });
  const src = ctx.createMediaStreamSource(new MediaStream([track]));
  const proc = ctx.createScriptProcessor(256, 1, 1);
  const sink = ctx.createGain();
  sink.gain.value = 0;
  const onsets = [];
  let quietSamples = 0;
  proc.onaudioprocess = (e) => {
    const now = performance.timeOrigin + performance.now();
    const data = e.inputBuffer.getChannelData(0);
    const n = data.length;
    for (let i = 0; i < n; i++) {
      if (Math.abs(data[i]) > 0.05) {
        if (quietSamples > ctx.sampleRate * 0.2) onsets.push(now - ((n - i) * 1000) / ctx.sampleRate);
        quietSamples = 0;
      } else quietSamples++;
    }
  };
  src.connect(proc);
  proc.connect(sink);
  sink.connect(ctx.destination);
  window.__onsets = onsets;
  window.__detector = { ctx, src, proc };
  return { rate: ctx.sampleRate, outputLatency: ctx.outputLatency || 0, baseLatency: ctx.baseLatency || 0 };
}
"""


def write_bursts(path: Path, rate: int = 48000, seconds: float = 4.0) -> Path:
    period, burst = int(PERIOD_S * rate), int(BURST_S * rate)
    samples = (
        int(0.6 * 32767 * math.sin(2 * math.pi * 1000 * i / rate)) if i % period < burst else 0
        for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


def start_janus(workdir: Path) -> tuple[str, Path] | None:
    port = free_port()
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "janus.sh"), "start", str(workdir), "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if out.returncode != 0:
        print(f"  (Janus could not start: {out.stderr.strip()[-300:]})")
        return None
    return f"ws://127.0.0.1:{port}/", workdir


def stop_janus(workdir: Path) -> None:
    subprocess.run(["bash", str(ROOT / "scripts" / "janus.sh"), "stop", str(workdir)], capture_output=True, timeout=30)


def measure(url: str, chromium: str, wav: Path, seconds: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--allow-loopback-in-peer-connection",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--autoplay-policy=no-user-gesture-required",
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=args)
        pages = {}
        for user in ("ines", "sam"):
            ctx = browser.new_context(viewport={"width": 640, "height": 400})
            assert ctx.request.post(url + "/api/auth/login", data={"username": user, "password": PASSWORDS[user]}).ok
            ctx.add_init_script("localStorage.setItem('medverse.signedIn', '1')")
            page = ctx.new_page()
            page.goto(f"{url}/#/space/commons-demo")
            page.wait_for_function("() => window.__medverse && __medverse.connected()", timeout=60_000)
            page.click("#join-audio")
            pages[user] = page
        sender, receiver = pages["sam"], pages["ines"]
        sender_pid = sender.evaluate("() => __medverse.me().pid")
        mode = receiver.evaluate("() => __medverse.media().mode")
        receiver.wait_for_function("(pid) => __medverse.voiceTrack(pid) !== null", arg=sender_pid, timeout=60_000)
        sender.wait_for_function("() => __medverse.micTrack() !== null", timeout=30_000)
        sender.evaluate(f"() => ({DETECTOR})(__medverse.micTrack())")
        ear = receiver.evaluate(f"(pid) => ({DETECTOR})(__medverse.voiceTrack(pid))", sender_pid)
        time.sleep(seconds)
        sent = sender.evaluate("() => window.__onsets")
        got = receiver.evaluate("() => window.__onsets")
        browser.close()
    latencies = []
    for t in got:
        before = [s for s in sent if s <= t]
        if before and t - before[-1] < PERIOD_S * 1000 * 0.8:
            latencies.append(t - before[-1])
    return {"mode": mode, "sent": len(sent), "received": len(got), "latencies": latencies, "ear": ear}


def report(name: str, r: dict[str, Any]) -> None:
    lat = sorted(r["latencies"])
    if len(lat) < 5:
        print(f"{name}: too few matched bursts ({len(lat)} of {r['sent']} sent, {r['received']} detected)")
        return
    p50 = statistics.median(lat)
    p95 = lat[min(len(lat) - 1, math.ceil(0.95 * len(lat)) - 1)]
    print(
        f"{name:<22} mode={r['mode']:<4} bursts={len(lat):>3}/{r['sent']:<3} "
        f"p50={p50:6.1f} ms  p95={p95:6.1f} ms  max={lat[-1]:6.1f} ms  "
        f"(+ receiver output latency {1000 * r['ear']['outputLatency']:.1f} ms)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["p2p", "sfu", "both"], default="both")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    opts = ap.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        wav = write_bursts(Path(tmp) / "bursts.wav")
        if opts.mode in ("p2p", "both"):
            with BenchServer(Path(tmp) / "p2p") as server:
                report("browser -> browser", measure(server.url, opts.chromium, wav, opts.seconds))
        if opts.mode in ("sfu", "both"):
            janus = start_janus(Path(tmp) / "janus")
            if janus is None:
                print("through Janus: skipped (Janus is not installed; run as root to let scripts/janus.sh install it)")
                return
            try:
                env = {"MEDVERSE_MEDIA_MODE": "sfu", "MEDVERSE_JANUS_URL": janus[0]}
                with BenchServer(Path(tmp) / "sfu", env=env) as server:
                    report("browser -> Janus -> browser", measure(server.url, opts.chromium, wav, opts.seconds))
            finally:
                stop_janus(janus[1])


if __name__ == "__main__":
    main()
