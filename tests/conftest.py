"""Shared fixtures: real servers in subprocesses, fresh databases, signed-in clients; the markers
that sort the tests into layers (docs/testing.md); and waits on conditions instead of sleeps."""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from medverse.client import SpaceClient, sign_in

DEMO_CREDENTIALS = {
    "admin": "admin-demo",
    "ines": "instructor-demo",
    "sam": "student-demo",
    "kim": "student-demo",
}
POSTGRES_ADMIN_URL = os.environ.get("MEDVERSE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("MEDVERSE_TEST_REDIS", "redis://127.0.0.1:6379/0")


TESTS_DIR = Path(__file__).resolve().parent
# What a fixture or test does, read from its source, that puts it in a layer (docs/testing.md):
STARTS_A_SERVER = re.compile(r"\bLiveServer\(")  # a `medverse serve` subprocess
USES_SAMPLES = re.compile(r"\b(sample_path|samples\.path|import_sample)\(")  # the sample-data mirror
SAMPLE_PARAM = re.compile(r"[\[-]sample-")  # a parametrised case named after a sample
_SOURCE_CACHE: dict[Any, str] = {}
_FILE_CACHE: dict[str, str] = {}


def _source(fn: Any) -> str:
    """The source of a function, or "" when its file mentions nothing the layer rules look for
    (reading a file is much cheaper than cutting a function out of it)."""
    if fn not in _SOURCE_CACHE:
        try:
            path = inspect.getsourcefile(fn) or ""
            if path not in _FILE_CACHE:
                _FILE_CACHE[path] = Path(path).read_text(encoding="utf-8") if path else ""
            text = _FILE_CACHE[path]
            relevant = STARTS_A_SERVER.search(text) or USES_SAMPLES.search(text)
            _SOURCE_CACHE[fn] = inspect.getsource(fn) if relevant else ""
        except (OSError, TypeError):
            _SOURCE_CACHE[fn] = ""
    return _SOURCE_CACHE[fn]


def _layer_markers(item: pytest.Item) -> set[str]:
    """The markers ``item`` gets from what it uses (see docs/testing.md for the rules)."""
    marks: set[str] = set()
    names = set(getattr(item, "fixturenames", ()))
    if TESTS_DIR / "browser" in item.path.parents:
        marks.add("browser")
    if "postgres_url" in names:  # also fresh_postgres_url and database_url[postgres], which need it
        marks.add("postgres")
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("database_url") == "postgres":
        marks.add("postgres")
    if "redis_url" in names:
        marks.add("redis")
    info = getattr(item, "_fixtureinfo", None)
    sources = [_source(getattr(item, "function", None))]
    if info is not None:
        sources += [_source(d.func) for defs in info.name2fixturedefs.values() for d in defs]
    if any(STARTS_A_SERVER.search(src) for src in sources):
        marks.add("slow")
    if (
        any(USES_SAMPLES.search(src) for src in sources)
        or SAMPLE_PARAM.search(item.name)
        or names & {"abdomen_ct", "dicom20_j2k"}
        or any("sample" in str(m.kwargs.get("reason", "")) for m in item.iter_markers("skipif"))
    ):
        marks.add("samples")
    return marks


@pytest.hookimpl(tryfirst=True)  # before -m deselects by the markers added here
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks each test with its layers (browser, postgres, redis, samples, slow), then sorts the
    browser tests last: Playwright's sync API keeps an event loop running in the main thread while
    its browser is open, which the asyncio tests must not meet."""
    for item in items:
        for name in sorted(_layer_markers(item)):
            if item.get_closest_marker(name) is None:
                item.add_marker(name)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


async def eventually(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01, what: str | None = None) -> Any:
    """Wait until ``predicate()`` is truthy (or, if it returns an awaitable, its result is) and
    return that value; fail the test after ``timeout`` seconds naming what was awaited.

    Use it instead of a sleep that hopes a condition will have come true by then."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if isinstance(value, Awaitable):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            label = what or _describe_predicate(predicate)
            raise AssertionError(f"timed out after {timeout} s waiting for {label}")
        await asyncio.sleep(interval)


def _describe_predicate(predicate: Callable[[], Any]) -> str:
    try:
        src = inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        src = ""
    return src if src and len(src) < 300 else getattr(predicate, "__qualname__", repr(predicate))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A real `medverse serve` process."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    demo: bool = True
    proc: subprocess.Popen[bytes] | None = None
    credentials: dict[str, str] = field(default_factory=lambda: dict(DEMO_CREDENTIALS))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> LiveServer:
        if self.proc is not None:
            raise RuntimeError("server already running")
        cmd = [
            sys.executable,
            "-m",
            "medverse.cli",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--log-level",
            "warning",
        ]
        if self.demo:
            cmd.append("--demo")
        env = {**os.environ, **self.env}
        self.log_path = self.data_dir / f"server-{self.port}.log"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/api/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self._log.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    @contextmanager
    def login(self, username: str) -> Iterator[httpx.Client]:
        """An HTTP client signed in as ``username`` (use it in a ``with`` block)."""
        with httpx.Client(base_url=self.url, timeout=10) as client:
            r = client.post("/api/auth/login", json={"username": username, "password": self.credentials[username]})
            r.raise_for_status()
            yield client

    def cookie(self, username: str) -> str:
        with self.login(username) as c:
            return str(c.cookies["medverse_session"])


def new_space(server: LiveServer, kind: str = "commons", members: dict[str, str] | None = None, prefix: str = "t") -> str:
    """A new space on ``server``, created by the admin, with ``members`` (username -> role); its name."""
    name = f"{prefix}-{secrets.token_hex(4)}"
    roles = members if members is not None else {"ines": "instructor", "sam": "participant", "kim": "participant"}
    with server.login("admin") as admin:
        r = admin.post(
            "/api/spaces",
            json={"name": name, "kind": kind, "members": [{"username": u, "role": role} for u, role in roles.items()]},
        )
        assert r.status_code == 201, r.text
    return name


async def join(server: LiveServer, space: str, username: str) -> SpaceClient:
    """A demo user signed in and joined to ``space`` with the Python client."""
    client = SpaceClient(server.url, space, await sign_in(server.url, username, server.credentials[username]))
    await client.connect()
    return client


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One demo server for the whole session (tests must not depend on each other's changes)."""
    server = LiveServer(tmp_path_factory.mktemp("live"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A demo server of this test's own (for tests that restart it or change its state)."""
    server = LiveServer(tmp_path / "data")
    yield server
    server.stop()


def _postgres_available() -> bool:
    try:
        import psycopg  # noqa: F401
        import sqlalchemy

        eng = sqlalchemy.create_engine(POSTGRES_ADMIN_URL)
        with eng.connect():
            pass
        eng.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped afterwards."""
    if not _postgres_available():
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
    import sqlalchemy

    name = f"medverse_test_{secrets.token_hex(6)}"
    admin = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """A fresh database per test (for tests that need an empty schema)."""
    import sqlalchemy

    name = f"medverse_t_{secrets.token_hex(6)}"
    base = postgres_url.rsplit("/", 1)[0]
    admin = sqlalchemy.create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def redis_url() -> str:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs against SQLite and against a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'medverse.db'}"
    return str(request.getfixturevalue("fresh_postgres_url"))
