"""Configuration, read once from the environment (``MEDVERSE_*``) with embedded defaults.

Every setting is documented in docs/configuration.md. Secrets never appear in ``repr``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

_PREFIX = "MEDVERSE_"


class Secret(str):
    """A string that hides itself in reprs and logs."""

    def __repr__(self) -> str:
        return "Secret('**********')"


def _default_data_dir() -> Path:
    return Path.cwd() / "data"


@dataclass(frozen=True)
class Settings:
    # where the SQLite file, blobs and the generated secret key live
    data_dir: Path = field(default_factory=_default_data_dir)
    # SQLAlchemy URL; empty means sqlite:///<data_dir>/medverse.db
    database_url: str = ""
    # Redis URL for cross-process fan-out; empty means in-process only
    redis_url: str = ""
    # key prefix on the bus (lets several sites or test runs share one Redis)
    bus_prefix: str = "medverse"
    host: str = "127.0.0.1"
    port: int = 8000
    # signing key for session cookies; empty means generated once and kept in data_dir/secret.key
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    session_max_age_s: int = 12 * 3600
    # set the Secure flag on cookies even when a request does not look like HTTPS (it is set
    # anyway on requests that came over HTTPS, directly or through a trusted proxy)
    cookie_secure: bool = False
    # reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (IPs or CIDRs,
    # comma-separated); empty: those headers are ignored
    trusted_proxies: str = ""
    # argon2 runs in threads of its own: how many (0: one per two CPUs, 1 to 4) and how many
    # sign-ins may wait for one before the next is refused with 503
    auth_hash_workers: int = 0
    auth_hash_queue: int = 16
    # sign-in throttle: failures allowed before backoff starts, per user name and per address;
    # the longest backoff; and how often one failure is forgotten
    auth_free_failures_per_name: int = 10
    auth_free_failures_per_address: int = 20
    auth_max_delay_s: float = 300.0
    auth_forget_failure_s: float = 60.0
    # presence: how often the server fans out batched poses (clients send at 20 Hz)
    presence_hz: float = 40.0
    # "batch" (default) or "relay" (naive: forward every pose as it arrives; for benchmarks)
    presence_mode: str = "batch"
    # WebSocket limits
    ws_max_frame_bytes: int = 64 * 1024
    ws_commands_per_s: float = 30.0
    ws_command_burst: int = 60
    ws_presence_per_s: float = 60.0
    # threads for the event log's database work (commits, catch-ups, loads), apart from the rest
    commit_workers: int = 4
    # open sockets one user may have at once on this server process (all spaces together)
    ws_max_sockets_per_user: int = 8
    # how often open sockets check that their session is still valid (signed out, expired)
    session_check_s: float = 15.0
    # largest study upload accepted, in bytes
    upload_max_bytes: int = 1024 * 1024 * 1024
    # how many events a reconnecting client may ask to replay before it gets a snapshot instead
    replay_limit: int = 5000
    # take a snapshot every N events so late joiners and restarts replay little
    snapshot_every: int = 200
    # expose /api/metrics (latency histograms) — on for benchmarks, off by default
    metrics: bool = False
    # media (docs/media.md): "p2p" (browsers send to each other; no other service) or "sfu"
    # (through Janus at janus_url; falls back to p2p while Janus is unreachable)
    media_mode: str = "p2p"
    janus_url: str = "ws://127.0.0.1:8188/"
    janus_api_secret: Secret = field(default_factory=lambda: Secret(""))
    # STUN/TURN URLs for the browsers, comma-separated (e.g. turn:turn.example.org:3478); and
    # coturn's static-auth-secret, from which each user gets time-limited TURN credentials
    ice_servers: str = ""
    turn_secret: Secret = field(default_factory=lambda: Secret(""))
    # peer-to-peer: each browser sends its media to at most this many others (the nearest); the
    # limit measured on 2 cores is in docs/media.md
    p2p_max_peers: int = 8
    # where sample data is mirrored (empty: ../shared/data beside the checkout when present)
    samples_dir: str = ""

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "database_url" or f.name == "redis_url":
                value = _redact_url(str(value))
            parts.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(parts)})"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'medverse.db'}"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return str(self.secret_key)
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # created owner-only: no moment in which another user could read it
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key


def _redact_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def _coerce(kind: Any, raw: str) -> Any:
    if kind in (bool, "bool"):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind in (int, "int"):
        return int(raw)
    if kind in (float, "float"):
        return float(raw)
    if kind in (Path, "Path"):
        return Path(raw)
    if kind in (Secret, "Secret"):
        return Secret(raw)
    return raw


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build :class:`Settings` from ``MEDVERSE_<NAME>`` variables, then ``overrides``."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        key = _PREFIX + f.name.upper()
        if key in env:
            try:
                values[f.name] = _coerce(f.type, env[key])
            except ValueError as exc:
                raise ValueError(f"{key} must be a {f.type} (got {env[key]!r})") from exc
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "secret_key" in values and not isinstance(values["secret_key"], Secret):
        values["secret_key"] = Secret(values["secret_key"])
    if "data_dir" in values:
        values["data_dir"] = Path(values["data_dir"])
    return Settings(**values)
