"""The scheduled daily close in the server: a daemon thread that ``loanpilot serve`` starts when
``Settings.close_at`` is set (``"HH:MM"``, the bank's local time).

At that time each day it closes the previous calendar day (DPD counts calendar days, so every day
is closed, weekends too). When it starts it first catches up: if the latest day that should have
been closed by now is not closed (the server was down at the time, or a close failed or was
killed), it closes (or resumes) it at once. Only that day: closes go forward, and a day's DPD is
computed from the due dates, not from the day before, so nothing is lost by skipping.

Never two at once: ``risk.close.run_close`` refuses a second run in the same process (the
console's button and this thread share that lock) and serialises runners of other processes on
the run's row. A refused or failed close is tried again after ``retry`` until it is done or the
next day's close is due. Not part of ``create_app``: only the server process runs it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from loanpilot.config import Settings
from loanpilot.kit.clock import now_utc
from loanpilot.kit.errors import ConfigurationError, DomainError

logger = logging.getLogger(__name__)


def parse_close_at(value: str) -> time:
    """``"01:30"`` → 01:30; anything else raises ``ConfigurationError`` naming the setting."""
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ConfigurationError(
            "config.close_at", f"LOANPILOT_CLOSE_AT must be HH:MM (e.g. 01:30); got {value!r}"
        ) from None


def due_date(now: datetime, at: time, tz: ZoneInfo) -> date:
    """The latest business date whose close is due at ``now``: yesterday once today's close time
    has passed, else the day before yesterday."""
    local = now.astimezone(tz)
    days_back = 1 if local.time() >= at else 2
    return local.date() - timedelta(days=days_back)


def next_fire(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The next instant strictly after ``now`` at local time ``at``."""
    local = now.astimezone(tz)
    fire = datetime.combine(local.date(), at, tzinfo=tz)
    if fire <= local:
        fire = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=tz)
    return fire


class CloseScheduler:
    """Runs the daily close of the previous day at ``at`` local time (see the module)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        at: time,
        tz: ZoneInfo,
        *,
        clock: Callable[[], datetime] = now_utc,
        retry: timedelta = timedelta(minutes=5),
    ) -> None:
        self.session_factory = session_factory
        self.at = at
        self.tz = tz
        self.clock = clock
        self.retry = retry
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.closed: list[date] = []  # dates this scheduler closed (done), in order

    def close_due(self) -> bool:
        """Close the day due now unless it is closed already; True when it is closed."""
        from loanpilot.db.session import transaction
        from loanpilot.risk import repository_close as repo
        from loanpilot.risk.close import run_close
        from loanpilot.risk.models_post import CloseStatus

        now = self.clock()
        day = due_date(now, self.at, self.tz)
        with transaction(self.session_factory) as session:
            latest = repo.latest_closed_date(session)
            run = repo.run_of(session, day)
            if run is not None and run.status is CloseStatus.DONE:
                return True
            if latest is not None and latest > day:
                return True  # a later day was closed by hand: nothing to catch up
        try:
            result = run_close(self.session_factory, day, now, tz=self.tz, actor_label="scheduler")
        except DomainError as exc:  # another close is running: try again later
            logger.warning("scheduled close of %s not started: %s", day, exc.message)
            return False
        if result.status is CloseStatus.DONE:
            self.closed.append(day)
            logger.info("scheduled close of %s done: %s loans", day, result.loans_done)
            return True
        logger.error("scheduled close of %s failed: %s", day, result.error)
        return False

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                done = self.close_due()
            except Exception:  # logged with its traceback; the thread lives on and retries
                logger.exception("scheduled close raised")
                done = False
            now = self.clock()
            wake = next_fire(now, self.at, self.tz)
            if not done:
                wake = min(wake, now + self.retry)
            self._stop.wait(max(1.0, (wake - now).total_seconds()))

    def start(self) -> threading.Thread:
        """Start the daemon thread (catching up first); returns it."""
        if self._thread is not None and self._thread.is_alive():
            return self._thread
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="daily-close", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


def start_for(settings: Settings) -> CloseScheduler | None:
    """The scheduler of ``settings`` started on an engine of its own, or None when ``close_at``
    is empty."""
    from loanpilot.db.session import make_engine, make_session_factory

    if not settings.close_at or not settings.close_at.strip():
        return None
    import loanpilot.db.models  # noqa: F401  (every mapper, before any flush)

    scheduler = CloseScheduler(
        make_session_factory(make_engine(settings.database_url)),
        parse_close_at(settings.close_at),
        settings.tz,
    )
    scheduler.start()
    return scheduler
