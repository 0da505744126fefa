"""Next-best-offer on the demo site's bank: fit the take-up model and build the offers once per
backend (the site's bank has no offers of its own until ``demo build`` adds the step)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.config import Settings
from loanpilot.db.session import make_session_factory, transaction
from loanpilot.products import offers, offers_takeup

AS_OF = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)

_BUILT: dict[str, int] = {}


@dataclass(frozen=True)
class Built:
    factory: sessionmaker[Session]
    run_id: int


def build_once(engine: Engine, settings: Settings) -> Built:
    """Fit take-up (3-fold CV to stay fast) and build the offers of ``AS_OF``, once per database."""
    factory = make_session_factory(engine)
    key = str(engine.url)
    if key not in _BUILT:
        with transaction(factory) as session:
            if offers_takeup.active_take_up(session) is None:
                offers_takeup.fit_take_up(session, AS_OF, NOW, cv=3)
        run = offers.run_offers(factory, AS_OF, NOW, settings, chunk=400)
        assert run.status.value == "done", run.error
        _BUILT[key] = run.id
    return Built(factory, _BUILT[key])
