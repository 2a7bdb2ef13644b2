"""Fixtures of the SFU tests: a real Janus started by scripts/janus.sh, and a real medverse server
in `sfu` media mode driving it."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import LiveServer, free_port
from tests.media.rtc import lan_address

ROOT = Path(__file__).resolve().parents[2]
JANUS_SH = ROOT / "scripts" / "janus.sh"


@dataclass
class JanusProcess:
    """A Janus of the test's own, on a free port, configured by scripts/janus.sh."""

    dir: Path
    port: int
    api_secret: str = ""
    pid: int = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def start(self) -> JanusProcess:
        secret = ["--api-secret", self.api_secret] if self.api_secret else []
        out = subprocess.run(
            ["bash", str(JANUS_SH), "start", str(self.dir), "--port", str(self.port), *secret],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if out.returncode != 0:
            raise RuntimeError(f"scripts/janus.sh start failed ({out.returncode}): {out.stderr[-2000:]}")
        self.pid = int(out.stdout.split()[-1])
        return self

    def kill(self) -> None:
        """Kill it the hard way (a crash, not a shutdown)."""
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and Path(f"/proc/{self.pid}").exists():
                stat = Path(f"/proc/{self.pid}/stat").read_text() if Path(f"/proc/{self.pid}/stat").exists() else ""
                if " Z " in stat:  # a zombie of setsid's: gone as far as anyone can tell
                    break
                time.sleep(0.05)
            self.pid = 0

    def stop(self) -> None:
        subprocess.run(["bash", str(JANUS_SH), "stop", str(self.dir)], capture_output=True, timeout=30)
        self.pid = 0


def _janus_installable() -> str | None:
    """Why Janus cannot run here, or None."""
    if shutil.which("janus") and lan_address() is not None:
        return None
    if lan_address() is None:
        return "this machine has no network interface but loopback, and Janus gathers no ICE candidates on loopback"
    if os.geteuid() != 0:
        return "Janus is not installed and installing it (apt-get install janus) needs root: run scripts/janus.sh as root"
    return None


def _new_janus(base: Path, api_secret: str = "") -> JanusProcess:
    reason = _janus_installable()
    if reason:
        pytest.skip(reason)
    return JanusProcess(base / "janus", free_port(), api_secret).start()


def _sfu_server(base: Path, janus: JanusProcess) -> LiveServer:
    env = {"MEDVERSE_MEDIA_MODE": "sfu", "MEDVERSE_JANUS_URL": janus.url}
    if janus.api_secret:
        env["MEDVERSE_JANUS_API_SECRET"] = janus.api_secret
    return LiveServer(base / "data", env=env)


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JanusProcess]:
    """The module's Janus, with an API secret (as a deployment should have)."""
    proc = _new_janus(tmp_path_factory.mktemp("janus"), api_secret=secrets.token_hex(12))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def sfu_server(tmp_path_factory: pytest.TempPathFactory, janus: JanusProcess) -> Iterator[LiveServer]:
    """A medverse server in `sfu` mode on the module's Janus (tests must not depend on each other)."""
    server = _sfu_server(tmp_path_factory.mktemp("sfu"), janus)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_janus(tmp_path: Path) -> Iterator[JanusProcess]:
    """A Janus of this test's own (for tests that kill it)."""
    proc = _new_janus(tmp_path)
    yield proc
    proc.stop()


@pytest.fixture
def own_janus_and_server(tmp_path: Path) -> Iterator[tuple[JanusProcess, LiveServer]]:
    """A Janus and an `sfu` server of this test's own (for tests that kill Janus)."""
    proc = _new_janus(tmp_path)
    server = _sfu_server(tmp_path, proc)
    try:
        server.start()
        yield proc, server
    finally:
        server.stop()
        proc.stop()
