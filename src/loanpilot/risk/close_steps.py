"""The steps the daily close runs after the loans are closed, in order. Each is
``fn(session, as_of, now) -> dict[str, int]`` (what it did, counted), runs in its own transaction,
must be idempotent for one ``as_of``, and is recorded in ``close_runs.steps_done`` when finished so
a rerun skips it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.orm import Session

from loanpilot.evaluation import feedback_close
from loanpilot.risk import collections_close, monitoring, warnings
from loanpilot.service import surveys_close

Step = Callable[[Session, date, datetime], dict[str, int]]

AFTER_CLOSE: tuple[tuple[str, Step], ...] = (
    ("collections", collections_close.after_close),
    ("monitoring", monitoring.after_close),
    ("warnings", warnings.after_close),
    ("surveys", surveys_close.after_close),
    ("feedback", feedback_close.after_close),
)
