"""The KPI API: values by period and dimension (scoped to the caller), definitions, targets.

``GET /api/v1/kpis?period=2026Q4&by=branch&code=approval_rate`` computes the KPIs now, limited
to what the caller may see (a customer manager their own customers' figures, a branch head their
branch subtree, others the bank). Money is integer fen; ratios are fractions with their numerator
and denominator as strings (exact decimals). Targets are written as people write them: rates in
percent (``85``), money in yuan, counts, scores; 422 lists every problem.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import ErrorRead, SessionDep, today_for
from loanpilot.evaluation import kpi_rules, kpis_service
from loanpilot.evaluation.filters import Viewer
from loanpilot.evaluation.kpis_service import Actor
from loanpilot.evaluation.models_kpi import KpiTarget
from loanpilot.kit.periods import parse_period
from loanpilot.web.auth import client_address, clock, require

router = APIRouter(
    prefix="/api/v1",
    tags=["kpis"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
Reader = Annotated[Principal, require(Permission.KPI_READ)]
Writer = Annotated[Principal, require(Permission.KPI_WRITE)]


def _s(value: object) -> str | None:
    return None if value is None else str(value)


class KpiValueRead(BaseModel):
    code: str
    period: str
    dimension: str
    key: str
    label: str
    value: str | None = Field(description="exact decimal; a fraction for rates, fen for money")
    numerator: str | None
    denominator: str | None
    shown: str = Field(description="the value formatted (percent, ¥, count, score)")
    target: str | None
    attainment: str | None
    previous: str | None
    change: str | None
    source: str


class KpiListRead(BaseModel):
    period: str
    dimension: str
    scope: str
    values: list[KpiValueRead]


class KpiDefinitionRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    formula_zh: str
    formula_en: str
    unit: str
    higher_is_better: bool
    ratio: bool
    dimensions: list[str]


class KpiTargetWrite(BaseModel):
    code: str = Field(max_length=32)
    period: str = Field(max_length=16)
    dimension: str = Field("all", max_length=32)
    key: str = Field("all", max_length=64)
    value: str = Field(
        max_length=32, description="rates in percent (85 or 85%), money in yuan, counts, scores"
    )


class KpiTargetRead(BaseModel):
    id: int
    code: str
    period: str
    dimension: str
    key: str
    target: str
    shown: str
    set_by: str
    set_at: str

    @classmethod
    def of(cls, t: KpiTarget) -> KpiTargetRead:
        return cls(
            id=t.id,
            code=t.code,
            period=t.period,
            dimension=t.dimension,
            key=t.key,
            target=str(kpis_service.plain(t.target)),
            shown=kpi_rules.show(t.code, t.target),
            set_by=t.set_by,
            set_at=t.set_at.isoformat(),
        )


@router.get("/kpis", response_model=KpiListRead)
def read_kpis(
    request: Request,
    session: SessionDep,
    principal: Reader,
    period: Annotated[str, Query(max_length=16, description="2026-10, 2026Q4, 2026H2, 2026")],
    by: Annotated[str, Query(max_length=32, description="a dimension")] = "all",
    code: Annotated[str | None, Query(max_length=400, description="codes, comma-separated")] = None,
) -> KpiListRead:
    """Every KPI (or those of ``code``) for ``period`` by ``by``, with target, attainment and
    the previous period; within the caller's scope."""
    p = parse_period(period)
    dim = kpi_rules.check_dimension(by)
    codes = kpi_rules.check_codes(code.split(",")) if code else None
    viewer = Viewer.of(principal)
    rows = kpis_service.table(
        session,
        p,
        dim,
        kpis_service.viewer_slice(viewer),
        today=today_for(request),
        codes=codes,
        tz=request.app.state.settings.tz,
    )
    return KpiListRead(
        period=p.label,
        dimension=dim,
        scope=str(principal.scope.value),
        values=[
            KpiValueRead(
                code=r.value.code,
                period=r.value.period,
                dimension=r.value.dimension,
                key=r.value.key,
                label=r.value.label,
                value=_s(r.value.value),
                numerator=_s(r.value.numerator),
                denominator=_s(r.value.denominator),
                shown=kpi_rules.show(r.value.code, r.value.value),
                target=_s(r.target),
                attainment=_s(r.attainment),
                previous=_s(r.previous),
                change=_s(r.change),
                source=r.source,
            )
            for r in rows
        ],
    )


@router.get("/kpis/definitions", response_model=list[KpiDefinitionRead])
def read_definitions(principal: Reader) -> list[KpiDefinitionRead]:
    """Every KPI's definition: names, formula, unit, direction, the dimensions it is cut by."""
    return [
        KpiDefinitionRead(
            code=d.code,
            name_zh=d.name_zh,
            name_en=d.name_en,
            formula_zh=d.formula_zh,
            formula_en=d.formula_en,
            unit=d.unit,
            higher_is_better=d.higher_is_better,
            ratio=d.ratio,
            dimensions=list(d.dimensions),
        )
        for d in kpi_rules.DEFINITIONS.values()
    ]


@router.get("/kpi-targets", response_model=list[KpiTargetRead])
def read_targets(
    session: SessionDep,
    principal: Reader,
    period: Annotated[str | None, Query(max_length=16)] = None,
    code: Annotated[str | None, Query(max_length=32)] = None,
) -> list[KpiTargetRead]:
    """The KPI targets, of a period and/or a KPI."""
    return [
        KpiTargetRead.of(t) for t in kpis_service.list_targets(session, period=period, code=code)
    ]


@router.put("/kpi-targets", response_model=KpiTargetRead)
def put_target(
    body: KpiTargetWrite, request: Request, session: SessionDep, principal: Writer
) -> KpiTargetRead:
    """Set (create or replace) a target; audited. 422 lists every problem (an unknown code,
    period or dimension, a rate outside 0–100 %...)."""
    row = kpis_service.set_target(
        session,
        code=body.code,
        period=body.period,
        value=body.value,
        dimension=body.dimension,
        key=body.key,
        actor=Actor(principal.staff_id, f"user:{principal.username}", client_address(request)),
        now=clock(request),
    )
    return KpiTargetRead.of(row)
