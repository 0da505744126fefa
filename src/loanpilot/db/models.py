"""Imports every area's models so that ``Base.metadata`` holds the whole schema (Alembic, tests)."""

from __future__ import annotations

from loanpilot.audit import models as audit_models
from loanpilot.campaigns import models as campaign_models
from loanpilot.channels import models as channel_models
from loanpilot.customers import models as customer_models
from loanpilot.db.base import Base
from loanpilot.evaluation import models as evaluation_models
from loanpilot.lending import models as lending_models
from loanpilot.market import models as market_models
from loanpilot.products import models as product_models
from loanpilot.risk import models as risk_models
from loanpilot.service import models as service_models
from loanpilot.team import models as team_models

AREA_MODULES = (
    market_models,
    customer_models,
    product_models,
    channel_models,
    team_models,
    campaign_models,
    risk_models,
    service_models,
    evaluation_models,
    lending_models,
    audit_models,
)

metadata = Base.metadata

__all__ = ["AREA_MODULES", "Base", "metadata"]
