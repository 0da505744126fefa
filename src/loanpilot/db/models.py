"""Imports every area's models so that ``Base.metadata`` holds the whole schema (Alembic, tests)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint
from sqlalchemy import Enum as SAEnum

from loanpilot.access import models as access_models
from loanpilot.audit import models as audit_models
from loanpilot.campaigns import models as campaign_models
from loanpilot.channels import models as channel_models
from loanpilot.customers import models as customer_models
from loanpilot.customers import models_segments as segment_models
from loanpilot.db.base import Base
from loanpilot.evaluation import models as evaluation_models
from loanpilot.evaluation import models_kpi as kpi_models
from loanpilot.evaluation import models_report as report_models
from loanpilot.lending import models as lending_models
from loanpilot.market import models as market_models
from loanpilot.products import models as product_models
from loanpilot.products import models_offers as offer_models
from loanpilot.risk import models as risk_models
from loanpilot.risk import models_post as risk_post_models
from loanpilot.service import models as service_models
from loanpilot.team import models as team_models
from loanpilot.team import models_appraisal as appraisal_models

AREA_MODULES = (
    market_models,
    customer_models,
    segment_models,
    product_models,
    offer_models,
    channel_models,
    team_models,
    appraisal_models,
    campaign_models,
    risk_models,
    risk_post_models,
    service_models,
    evaluation_models,
    kpi_models,
    report_models,
    lending_models,
    audit_models,
    access_models,
)

metadata = Base.metadata


def _add_enum_checks() -> None:
    """A CHECK constraint per enum column (stored as VARCHAR): the database refuses unknown values.

    Added here, once every model is imported, rather than by each ``Enum`` type, so that two columns
    of the same enum in one table get distinct constraint names (``ck_<table>_<column>_allowed``).
    """
    for table in metadata.tables.values():
        names = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        for column in table.columns:
            if not isinstance(column.type, SAEnum) or f"{column.name}_allowed" in names:
                continue
            # an OR chain, not IN (...): SQLite builds an ephemeral index for an IN list on every
            # execution, which made bulk inserts several times slower
            allowed = " OR ".join(f"\"{column.name}\" = '{value}'" for value in column.type.enums)
            table.append_constraint(CheckConstraint(allowed, name=f"{column.name}_allowed"))


_add_enum_checks()

__all__ = ["AREA_MODULES", "Base", "metadata"]
