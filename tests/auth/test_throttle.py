"""The throttle tables on their own, with a clock the test moves: backoff, forgetting, bounded memory."""

from __future__ import annotations

import secrets

import pytest

from medverse.auth.throttle import SignInThrottle, Throttled, ThrottlePolicy, address_key


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


def throttle(clock: Clock, **policy: float) -> SignInThrottle:
    defaults = {"free_per_name": 3, "free_per_address": 5, "max_delay_s": 16.0, "forget_s": 60.0}
    return SignInThrottle(ThrottlePolicy(**{**defaults, **policy}), clock=clock)  # type: ignore[arg-type]


def wait_of(t: SignInThrottle, address: str, name: str) -> float:
    try:
        t.check(address, name)
    except Throttled as exc:
        return exc.retry_after_s
    return 0.0


def test_the_delay_doubles_up_to_the_cap(clock: Clock) -> None:
    t = throttle(clock)
    waits = []
    for i in range(10):
        t.failed(f"10.0.0.{i}", "ines")
        waits.append(wait_of(t, "10.0.1.1", "ines"))
        clock.t += waits[-1]
    assert waits == [0, 0, 1, 2, 4, 8, 16, 16, 16, 16]


def test_one_failure_is_forgotten_per_forget_period(clock: Clock) -> None:
    t = throttle(clock)
    for _ in range(3):
        t.failed("10.0.0.1", "ines")
    assert t.by_name.score("ines", clock()) == 3
    clock.t += 61
    assert t.by_name.score("ines", clock()) == 2
    clock.t += 120
    assert t.by_name.score("ines", clock()) == 0 and len(t.by_name) == 0


def test_names_are_compared_without_case_and_ipv6_by_its_64(clock: Clock) -> None:
    t = throttle(clock)
    for i in range(3):
        t.failed(f"2001:db8:1:2::{i + 1}", "Ines")
    assert wait_of(t, "192.0.2.1", " ines ") > 0
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2::9") == "2001:db8:1:2::/64"
    assert address_key("::ffff:192.0.2.7") == "192.0.2.7"


def test_random_names_and_addresses_cannot_grow_the_tables(clock: Clock) -> None:
    t = throttle(clock, max_keys=500)
    for _ in range(5):
        t.failed("198.51.100.7", "ines")  # a name under attack
    for i in range(5_000):
        t.failed(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", secrets.token_hex(6))
        clock.t += 0.001
    assert max(len(t.by_address), len(t.by_name), len(t.by_pair)) <= 500
    # the flood evicted the one-failure keys, not the name under attack
    assert t.by_name.score("ines", clock()) == 5


def test_a_device_token_skips_the_name_and_address_until_it_fails_too_often(clock: Clock) -> None:
    t = throttle(clock)
    for _ in range(6):
        t.failed("198.51.100.7", "ines")
    with pytest.raises(Throttled):
        t.check("198.51.100.7", "ines")
    t.check("198.51.100.7", "ines", device="tok")  # no exception: the device is trusted
    for _ in range(3):
        t.failed("198.51.100.7", "ines", device="tok")
    assert not t.trusts("tok")
    with pytest.raises(Throttled):
        t.check("198.51.100.7", "ines", device="tok")


def test_policy_values_are_checked() -> None:
    with pytest.raises(ValueError, match="free failures"):
        ThrottlePolicy(free_per_name=0)
    with pytest.raises(ValueError, match="delays"):
        ThrottlePolicy(base_delay_s=10, max_delay_s=5)
