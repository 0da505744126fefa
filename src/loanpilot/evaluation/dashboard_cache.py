"""A short-lived, thread-safe cache of dashboard answers (see ``DashboardCache``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loanpilot.evaluation.dashboard import Dashboard

#: How long computed figures are reused for the same viewer and filters (seconds).
CACHE_SECONDS = 30.0


class DashboardCache:
    """Figures reused for ``seconds`` per (viewer's scope, filters, business date).

    A dashboard is read far more often than the book changes within half a minute; reusing the
    answer keeps the page fast under many concurrent readers. One request computes a missing or
    expired entry while the others for the same key wait for it (a missing entry) or keep getting
    the expired one (no stampede of identical queries). Thread-safe; bounded in size.
    """

    def __init__(
        self,
        seconds: float = CACHE_SECONDS,
        *,
        max_entries: int = 512,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, Dashboard]] = {}
        self._computing: dict[Hashable, threading.Lock] = {}

    def get_or_compute(self, key: Hashable, compute_: Callable[[], Dashboard]) -> Dashboard:
        if self.seconds <= 0:
            return compute_()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > self._clock():
                return hit[1]
            key_lock = self._computing.get(key)
            if key_lock is None:
                key_lock = self._computing[key] = threading.Lock()
            elif hit is not None:
                return hit[1]  # being refreshed by another request: the expired answer will do
        with key_lock:
            with self._lock:
                hit = self._entries.get(key)
                if hit is not None and hit[0] > self._clock():
                    return hit[1]
            try:
                value = compute_()
                with self._lock:
                    self._store(key, value)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            return value

    def _store(self, key: Hashable, value: Dashboard) -> None:
        now = self._clock()
        if key not in self._entries and len(self._entries) >= self.max_entries:
            expired = [k for k, (until, _) in self._entries.items() if until <= now]
            for k in expired or list(self._entries)[: self.max_entries // 2]:
                del self._entries[k]
        self._entries[key] = (now + self.seconds, value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
