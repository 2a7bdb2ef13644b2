"""Sign-in throttling: failures per client address and per user name, with exponential backoff.

The design and its reasons are in docs/security.md ("Authentication and HTTP"). In short:

- Every failed sign-in adds one to the score of its address (IPv6: its /64) and of its user
  name; one failure is forgotten every ``forget_s``. Past ``free`` failures a key must wait
  ``base_delay_s * 2**(score - free)`` (at most ``max_delay_s``) after its last failure before
  its next attempt is checked; earlier attempts get 429 with Retry-After, without touching argon2.
- A browser that has signed in as a user carries a signed device cookie for that user name
  (:mod:`medverse.auth.devices`). Its attempts for that name skip the address and name scores
  and count on the device's own score instead, so a stranger who hammers ``ines`` slows every
  unknown client trying ``ines`` but not Ines on her own browser, from any address.
- A success forgives the failures of the same address for the same name (the user's own typos);
  failures on other names stay, so an attacker's own account does not wash his address clean.
- Every table holds at most ``max_keys`` keys: expired keys go first, then the lowest scores, so
  flooding with random names or addresses neither grows memory nor evicts a key under attack.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from medverse.errors import RateLimited


class Throttled(RateLimited):
    """Too many failed sign-ins; ``retry_after_s`` says when the next attempt will be checked."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class ThrottlePolicy:
    free_per_name: int = 10
    free_per_address: int = 20
    base_delay_s: float = 1.0
    max_delay_s: float = 300.0
    forget_s: float = 60.0
    max_keys: int = 10_000

    def __post_init__(self) -> None:
        if min(self.free_per_name, self.free_per_address, self.max_keys) < 1:
            raise ValueError(f"free failures and max_keys must be >= 1 (got {self})")
        if not 0 < self.base_delay_s <= self.max_delay_s or self.forget_s <= 0:
            raise ValueError(f"delays must satisfy 0 < base <= max and forget_s > 0 (got {self})")


class _Entry:
    __slots__ = ("last_failure", "score", "updated")

    def __init__(self, now: float) -> None:
        self.score = 0
        self.updated = now
        self.last_failure = now


class Backoff:
    """Failure scores by key with exponential backoff, bounded to ``max_keys`` keys."""

    def __init__(self, free: int, base_delay_s: float, max_delay_s: float, forget_s: float, max_keys: int) -> None:
        self.free = free
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.forget_s = forget_s
        self.max_keys = max_keys
        self._entries: dict[Hashable, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def score(self, key: Hashable, now: float) -> int:
        entry = self._current(key, now)
        return entry.score if entry else 0

    def retry_after(self, key: Hashable, now: float) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        entry = self._current(key, now)
        if entry is None or entry.score < self.free:
            return 0.0
        return max(0.0, entry.last_failure + self._delay(entry.score) - now)

    def fail(self, key: Hashable, now: float) -> None:
        entry = self._current(key, now)
        if entry is None:
            if len(self._entries) >= self.max_keys:
                self._make_room(now)
            entry = self._entries[key] = _Entry(now)
        entry.score += 1
        entry.last_failure = now

    def forgive(self, key: Hashable, failures: int, now: float) -> None:
        entry = self._current(key, now)
        if entry is not None:
            entry.score -= min(entry.score, failures)
            if entry.score == 0:
                del self._entries[key]

    def clear(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def _delay(self, score: int) -> float:
        exponent = min(score - self.free, 40)
        return float(min(self.max_delay_s, self.base_delay_s * 2.0**exponent))

    def _current(self, key: Hashable, now: float) -> _Entry | None:
        """The entry with the failures older than ``forget_s`` each taken off (None when none is left)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._decay(entry, now) == 0:
            del self._entries[key]
            return None
        return entry

    def _decay(self, entry: _Entry, now: float) -> int:
        forgotten = int((now - entry.updated) / self.forget_s)
        if forgotten > 0:
            entry.score = max(0, entry.score - forgotten)
            entry.updated += forgotten * self.forget_s
        return entry.score

    def _make_room(self, now: float) -> None:
        """Drop the keys with nothing left, else the weakest tenth (lowest scores, oldest failures
        first), so the O(n log n) sweep is paid once per n/10 new keys."""
        for key in [k for k, e in self._entries.items() if self._decay(e, now) == 0]:
            del self._entries[key]
        if len(self._entries) >= self.max_keys:
            ranked = sorted(self._entries, key=lambda k: (self._entries[k].score, self._entries[k].last_failure))
            for key in ranked[: max(1, self.max_keys // 10)]:
                del self._entries[key]


def address_key(address: str | None) -> str:
    """The throttling key of a client address: IPv4 as is, IPv6 by its /64 (one host holds a whole /64)."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def name_key(username: str) -> str:
    return username.strip().lower()


class SignInThrottle:
    """The throttle tables of one server process (see the module docstring)."""

    def __init__(self, policy: ThrottlePolicy | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = p = policy or ThrottlePolicy()
        self._clock = clock
        self.by_address = Backoff(p.free_per_address, p.base_delay_s, p.max_delay_s, p.forget_s, p.max_keys)
        self.by_name = Backoff(p.free_per_name, p.base_delay_s, p.max_delay_s, p.forget_s, p.max_keys)
        self.by_pair = Backoff(p.free_per_name, p.base_delay_s, p.max_delay_s, p.forget_s, p.max_keys)
        self.by_device = Backoff(p.free_per_name, p.base_delay_s, p.max_delay_s, p.forget_s, p.max_keys)

    def __repr__(self) -> str:
        return f"SignInThrottle(addresses={len(self.by_address)}, names={len(self.by_name)}, devices={len(self.by_device)})"

    def trusts(self, device: str | None) -> bool:
        """Whether a device token (from a valid device cookie for the name) is still honoured."""
        return device is not None and self.by_device.score(device, self._clock()) < self.policy.free_per_name

    def check(self, address: str | None, username: str, device: str | None = None) -> None:
        """Raise :class:`Throttled` when this attempt must wait; cheap, touches no password hash."""
        now = self._clock()
        if self.trusts(device):
            return
        wait_address = self.by_address.retry_after(address_key(address), now)
        wait_name = self.by_name.retry_after(name_key(username), now)
        wait = max(wait_address, wait_name)
        if wait > 0:
            which = "from this address" if wait_address >= wait_name else "for this user name"
            raise Throttled(f"too many failed sign-ins {which}; try again in {math.ceil(wait)} s", wait)

    def failed(self, address: str | None, username: str, device: str | None = None) -> None:
        now = self._clock()
        if self.trusts(device):
            assert device is not None
            self.by_device.fail(device, now)
            return
        addr, name = address_key(address), name_key(username)
        self.by_address.fail(addr, now)
        self.by_name.fail(name, now)
        self.by_pair.fail((addr, name), now)

    def succeeded(self, address: str | None, username: str, device: str | None = None) -> None:
        now = self._clock()
        if device is not None:
            self.by_device.clear(device)
        addr, name = address_key(address), name_key(username)
        own = self.by_pair.score((addr, name), now)
        if own:
            self.by_pair.clear((addr, name))
            self.by_address.forgive(addr, own, now)
            self.by_name.forgive(name, own, now)
