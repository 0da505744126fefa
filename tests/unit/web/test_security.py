"""Transport guards: the token bucket, which requests count against which zone."""

from __future__ import annotations

import pytest

from loanpilot.web.security import TokenBuckets, Zone, zone_for

ZONES = {
    "login": Zone("login", 10, 10),
    "portal_write": Zone("portal_write", 6, 2),
    "portal_read": Zone("portal_read", 120, 120),
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_waits_for_the_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(now=clock)
    zone = ZONES["portal_write"]  # 6 a minute = one every 10 s, burst 2
    assert buckets.take("1.2.3.4", zone) == 0
    assert buckets.take("1.2.3.4", zone) == 0
    assert buckets.take("1.2.3.4", zone) == pytest.approx(10.0)
    assert buckets.take("5.6.7.8", zone) == 0  # another address has its own bucket
    clock.now += 10
    assert buckets.take("1.2.3.4", zone) == 0
    assert buckets.take("1.2.3.4", zone) > 0


def test_buckets_forget_the_least_recently_used_beyond_their_size() -> None:
    buckets = TokenBuckets(max_keys=2, now=FakeClock())
    zone = Zone("z", 1, 1)
    assert buckets.take("a", zone) == 0
    assert buckets.take("b", zone) == 0
    assert buckets.take("c", zone) == 0  # "a" is forgotten
    assert buckets.take("a", zone) == 0
    assert buckets.take("c", zone) > 0


@pytest.mark.parametrize(
    ("method", "path", "zone"),
    [
        ("POST", "/console/login", "login"),
        ("POST", "/api/v1/auth/token", "login"),
        ("GET", "/console/login", None),
        ("GET", "/console/customers", None),
        ("GET", "/api/v1/customers", None),
        ("GET", "/static/loanpilot.css", None),
        ("GET", "/", "portal_read"),
        ("GET", "/products/CL-GEN", "portal_read"),
        ("POST", "/apply/CL-GEN", "portal_write"),
        ("POST", "/api/v1/portal/applications", "portal_write"),
        ("GET", "/api/v1/portal/calculator", "portal_read"),
    ],
)
def test_zones(method: str, path: str, zone: str | None) -> None:
    found = zone_for(method, path, ZONES)
    assert (found.name if found else None) == zone
