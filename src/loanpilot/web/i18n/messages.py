"""The zh/en message table of the web pages. Keys are stable; every key has both languages.

Placeholders use ``str.format`` names (``{date}``): ``translate(key, lang, date=...)`` fills them.
Each group of pages keeps its messages in its own module; they are merged here, and a key defined
twice is an error at import.
"""

from __future__ import annotations

from typing import Final

from loanpilot.web.i18n.messages_admin import ADMIN
from loanpilot.web.i18n.messages_alerts import ALERTS
from loanpilot.web.i18n.messages_appraisal import APPRAISAL
from loanpilot.web.i18n.messages_campaigns import CAMPAIGNS
from loanpilot.web.i18n.messages_close import CLOSE
from loanpilot.web.i18n.messages_collections import COLLECTIONS
from loanpilot.web.i18n.messages_console import CONSOLE
from loanpilot.web.i18n.messages_customers import CUSTOMERS
from loanpilot.web.i18n.messages_dashboard import DASHBOARD
from loanpilot.web.i18n.messages_feedback import FEEDBACK
from loanpilot.web.i18n.messages_kpis import KPIS
from loanpilot.web.i18n.messages_lending import LENDING
from loanpilot.web.i18n.messages_market import MARKET
from loanpilot.web.i18n.messages_models import MODELS
from loanpilot.web.i18n.messages_offers import OFFERS
from loanpilot.web.i18n.messages_plan import PLAN
from loanpilot.web.i18n.messages_planning import PLANNING
from loanpilot.web.i18n.messages_portal import PORTAL
from loanpilot.web.i18n.messages_portfolio import PORTFOLIO
from loanpilot.web.i18n.messages_products import PRODUCTS
from loanpilot.web.i18n.messages_results import RESULTS
from loanpilot.web.i18n.messages_risk import RISK
from loanpilot.web.i18n.messages_segments import SEGMENTS
from loanpilot.web.i18n.messages_service import SERVICE
from loanpilot.web.i18n.messages_servicing import SERVICING
from loanpilot.web.i18n.messages_team import TEAM
from loanpilot.web.i18n.messages_uplift import UPLIFT


def _merge(*tables: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for table in tables:
        twice = merged.keys() & table.keys()
        if twice:
            raise RuntimeError(f"message keys defined twice: {sorted(twice)}")
        merged.update(table)
    for key, entry in merged.items():
        if set(entry) != {"zh", "en"}:
            raise RuntimeError(f"message {key!r} must have exactly zh and en, has {sorted(entry)}")
    return merged


MESSAGES: Final[dict[str, dict[str, str]]] = _merge(
    CONSOLE,
    DASHBOARD,
    CUSTOMERS,
    PRODUCTS,
    PORTAL,
    ADMIN,
    RISK,
    LENDING,
    SERVICING,
    CLOSE,
    PORTFOLIO,
    ALERTS,
    COLLECTIONS,
    SEGMENTS,
    OFFERS,
    MODELS,
    CAMPAIGNS,
    PLANNING,
    RESULTS,
    UPLIFT,
    TEAM,
    APPRAISAL,
    SERVICE,
    FEEDBACK,
    KPIS,
    PLAN,
    MARKET,
)
