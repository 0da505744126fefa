"""Campaign results (service): the funnel of the treated group and the hold-out against the goals,
the incremental lift with confidence intervals, ROI, budget burn, A/B tests of the arms, and the
leads and referrals attributed to the campaign. Reads only; the rules are in ``results_rules``, the
SQL in ``repository_results`` (which states the attribution rule)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from loanpilot.campaigns import repository_results as repo
from loanpilot.campaigns import results_rules as rules
from loanpilot.campaigns.models import Campaign
from loanpilot.kit.errors import NotFoundError
from loanpilot.products.offer_rules import risk_adjusted_value

#: PD assumed for a disbursed loan whose decision carries none (a documented default).
DEFAULT_PD12 = 0.02
#: Application statuses that mean risk approved it.
APPROVED_STATUSES = {"approved", "offer_accepted", "contract_signed", "disbursed"}
#: The measures the A/B tests compare (each a share of the arm's targets).
AB_MEASURES = ("responded", "applied")
#: Where the net revenue per loan comes from: next-best-offer's value (helper E's
#: ``products.offer_rules.risk_adjusted_value``: net interest and fee income over the expected
#: life − expected loss); ``results_rules.net_revenue_per_loan`` is the same form without fees.
NET_REVENUE_METHOD = (
    "products.offer_rules.risk_adjusted_value: net interest and fee income over the expected "
    "life − expected loss (PD from the decision, LGD by product type, funding 2 %)"
)


@dataclass(frozen=True)
class CampaignSummary:
    id: int
    code: str
    name: str
    theme: str
    status: str
    channel: str
    starts_on: date
    ends_on: date
    control_share: float
    contact_cost_fen: int


@dataclass(frozen=True)
class BudgetBurn:
    budget_fen: int
    spent_fen: int
    share: float | None  # spent / budget
    alert: str | None  # "80" or "100" once crossed
    lines: list[dict[str, Any]]


@dataclass(frozen=True)
class ArmRow:
    arm: str  # an arm code, or "hold-out"
    headline: str | None
    targeted: int
    contacted: int
    responded: int
    applied: int
    disbursed: int


@dataclass(frozen=True)
class AbTest:
    measure: str
    result: rules.AbTestResult


@dataclass(frozen=True)
class Attribution:
    leads: int
    applied: int
    disbursed: int
    referral_credit_fen: int
    referrals_credited: int
    by: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class CampaignResults:
    campaign: CampaignSummary
    treatment: rules.GroupCounts
    control: rules.GroupCounts
    lifts: list[rules.StageLift]
    goals: list[rules.GoalProgress]
    roi: rules.RoiResult
    budget: BudgetBurn
    arms: list[ArmRow]
    ab_tests: list[AbTest]
    attribution: Attribution
    confidence: float
    net_revenue_method: str = NET_REVENUE_METHOD
    # the screens word the rule below as results.attribution_rule_text with these days
    attribution_days: int = repo.ATTRIBUTION_DAYS
    attribution_rule: str = (
        "target's application_id; else the customer's earliest application with this campaign_id;"
        f" else the earliest submitted from the first day to {repo.ATTRIBUTION_DAYS} days after"
        " the last (both groups alike)"
    )

    def as_dict(self) -> dict[str, Any]:
        plain: dict[str, Any] = _jsonable(dataclasses.asdict(self))
        return plain


def as_plain(obj: Any) -> Any:
    """A results dataclass as JSON-safe dicts, lists and numbers."""
    return _jsonable(dataclasses.asdict(obj))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def get_campaign(session: Session, ref: str | int) -> Campaign:
    found = repo.campaign(session, ref)
    if found is None:
        raise NotFoundError(
            "campaign.not_found", f"no campaign with id or code {ref!r}; see `campaign` pages"
        )
    return found


def _resolve(targets: pd.DataFrame, apps: pd.DataFrame, campaign_id: int) -> pd.Series:
    """Each target's attributed application id (NaN when none), by the repository's rule."""
    apps = apps.sort_values(["submitted_at", "application_id"], na_position="last")
    tagged = apps[apps["campaign_id"] == campaign_id].drop_duplicates("customer_id")
    window = apps.drop_duplicates("customer_id")
    by_tag = targets["customer_id"].map(tagged.set_index("customer_id")["application_id"])
    by_window = targets["customer_id"].map(window.set_index("customer_id")["application_id"])
    own = pd.to_numeric(targets["application_id"], errors="coerce")
    return own.fillna(by_tag).fillna(by_window)


def _outcomes(session: Session, c: Campaign) -> pd.DataFrame:
    """One row per target: group, arm, and the stages reached (booleans) with the amount."""
    t = repo.targets(session, c.id)
    apps = repo.target_applications(session, c)
    t["app"] = _resolve(t, apps, c.id) if len(t) else pd.Series(dtype=float)
    ids = [int(x) for x in t["app"].dropna().unique()]
    dec = repo.decisions(session, ids).set_index("application_id")
    lns = repo.loans(session, ids).set_index("application_id")
    a = apps.drop_duplicates("application_id").set_index("application_id")
    status = t["app"].map(a["status"]).astype(object).fillna("")
    outcome = t["app"].map(dec["outcome"]).astype(object).fillna("")
    has_loan = t["app"].isin(lns.index)
    t["applied"] = t["app"].notna()
    t["approved"] = (outcome == "approve") | status.isin(APPROVED_STATUSES) | has_loan
    t["disbursed"] = (status == "disbursed") | has_loan
    principal = t["app"].map(lns["principal_fen"]).fillna(t["app"].map(a["amount_fen"]))
    t["disbursed_fen"] = np.where(t["disbursed"], principal.fillna(0), 0).astype(np.int64)
    t["pd"] = t["app"].map(dec["pd"]).astype(float)
    t["rate"] = t["app"].map(lns["annual_rate"]).astype(float)
    t["fee_rate"] = t["app"].map(lns["fee_rate"]).astype(float)
    t["term"] = t["app"].map(lns["term_months"]).fillna(t["app"].map(a["term_months"]))
    t["product_type"] = t["app"].map(a["product_type"]).astype(object)
    t["contacted"] = t["contacted"].astype(bool)
    t["responded"] = t["responded"].astype(bool)
    return t


def _counts(frame: pd.DataFrame, new_customers: set[int]) -> rules.GroupCounts:
    disbursed = frame[frame["disbursed"]]
    return rules.GroupCounts(
        targeted=len(frame),
        contacted=int(frame["contacted"].sum()),
        responded=int(frame["responded"].sum()),
        applied=int(frame["applied"].sum()),
        approved=int(frame["approved"].sum()),
        disbursed=len(disbursed),
        disbursed_fen=int(disbursed["disbursed_fen"].sum()),
        new_customers=int(disbursed["customer_id"].isin(new_customers).sum()),
    )


def _net_revenue(loans: pd.DataFrame) -> float:
    """Mean net revenue per disbursed loan (fen) over the loans given (0 when none)."""
    loans = loans[loans["rate"].notna() & loans["term"].notna()]
    if loans.empty:
        return 0.0
    lgd = loans["product_type"].map(lambda p: rules.DEFAULT_LGD.get(str(p), 0.45))
    values = risk_adjusted_value(
        loans["disbursed_fen"].to_numpy(float),
        loans["rate"].to_numpy(float),
        loans["term"].to_numpy(float),
        loans["pd"].fillna(DEFAULT_PD12).to_numpy(float),
        lgd.to_numpy(float),
        rules.DEFAULT_FUNDING_RATE,
        monthly_fee_rate=loans["fee_rate"].fillna(0.0).to_numpy(float),
    )
    return float(values.mean())


def _budget(c: Campaign, lines: pd.DataFrame) -> BudgetBurn:
    planned = int(lines["planned_fen"].sum())
    spent = int(lines["spent_fen"].sum())
    total = int(c.budget_fen or planned)
    share = spent / total if total else None
    alert = None if share is None else "100" if share >= 1 else "80" if share >= 0.8 else None
    rows: list[dict[str, Any]] = [
        {
            "category": str(cat),
            "planned_fen": int(p),
            "spent_fen": int(s),
            "share": (int(s) / int(p)) if int(p) else None,
        }
        for cat, p, s in zip(
            lines["category"], lines["planned_fen"], lines["spent_fen"], strict=True
        )
    ]
    return BudgetBurn(total, spent, share, alert, rows)


def _arms(session: Session, c: Campaign, t: pd.DataFrame) -> list[ArmRow]:
    headlines = {o.arm: o.headline_zh for o in repo.arms(session, c.id)}
    treated = t[t["group"] == "treatment"]
    rows = []
    for arm in sorted({str(a) for a in treated["arm"].dropna()} | set(headlines)):
        part = treated[treated["arm"] == arm]
        rows.append(_arm_row(arm, headlines.get(arm), part))
    rows.append(_arm_row("hold-out", None, t[t["group"] == "control"]))
    return rows


def _arm_row(arm: str, headline: str | None, part: pd.DataFrame) -> ArmRow:
    return ArmRow(
        arm=arm,
        headline=headline,
        targeted=len(part),
        contacted=int(part["contacted"].sum()),
        responded=int(part["responded"].sum()),
        applied=int(part["applied"].sum()),
        disbursed=int(part["disbursed"].sum()),
    )


def ab_tests(arms: list[ArmRow], alpha: float = 0.05) -> list[AbTest]:
    """Each further arm against the first, on every A/B measure (needs two treated arms)."""
    treated = [a for a in arms if a.arm != "hold-out" and a.targeted > 0]
    if len(treated) < 2:
        return []
    base = treated[0]
    out = []
    for other in treated[1:]:
        for measure in AB_MEASURES:
            out.append(
                AbTest(
                    measure,
                    rules.ab_test(
                        base.arm,
                        getattr(base, measure),
                        base.targeted,
                        other.arm,
                        getattr(other, measure),
                        other.targeted,
                        alpha=alpha,
                    ),
                )
            )
    return out


def summarise_leads(leads: pd.DataFrame) -> Attribution:
    """Totals and breakdowns (channel, partner, referrer, UTM source/medium) with conversion."""
    by: dict[str, list[dict[str, Any]]] = {}
    frame = leads.copy()
    frame["utm"] = frame["utm_source"].fillna("—") + " / " + frame["utm_medium"].fillna("—")
    for key, column in (
        ("campaign", "campaign_code"),
        ("source_channel", "source_channel"),
        ("partner", "partner"),
        ("referrer", "referrer_kind"),
        ("utm", "utm"),
    ):
        part = frame[frame[column].notna()]
        if key == "utm":
            part = part[part["utm_source"].notna() | part["utm_medium"].notna()]
        grouped = part.groupby(column, sort=True).agg(
            leads=("lead_id", "size"), applied=("applied", "sum"), disbursed=("disbursed", "sum")
        )
        by[key] = [
            {
                "key": str(k),
                "leads": int(r.leads),
                "applied": int(r.applied),
                "disbursed": int(r.disbursed),
                "conversion": float(r.applied / r.leads) if r.leads else None,
            }
            for k, r in grouped.iterrows()
        ]
    credit = pd.to_numeric(frame["referrer_credit_fen"], errors="coerce")
    return Attribution(
        leads=len(frame),
        applied=int(frame["applied"].sum()),
        disbursed=int(frame["disbursed"].sum()),
        referral_credit_fen=int(credit.fillna(0).sum()),
        referrals_credited=int(credit.notna().sum()),
        by=by,
    )


def campaign_results(
    session: Session, ref: str | int, *, confidence: float = 0.95
) -> CampaignResults:
    """Everything the results page, the API and the report show for one campaign."""
    c = get_campaign(session, ref)
    t = _outcomes(session, c)
    disbursed_customers = [int(x) for x in t.loc[t["disbursed"], "customer_id"].unique()]
    earlier = repo.borrowers_before(session, disbursed_customers, c.starts_on)
    new = set(disbursed_customers) - earlier
    treated, held = t[t["group"] == "treatment"], t[t["group"] == "control"]
    treatment, control = _counts(treated, new), _counts(held, new)
    lifts = rules.lift_by_stage(treatment, control, confidence)
    goal_targets = {g.metric: g.target for g in repo.goals(session, c.id)}
    goals = rules.goal_progress(goal_targets, rules.goal_actuals(treatment))
    burn = _budget(c, repo.budget(session, c.id))
    cost = burn.spent_fen or treatment.contacted * int(c.contact_cost_fen or 0)
    loans = treated[treated["disbursed"]]
    per_loan = _net_revenue(loans if len(loans) else t[t["disbursed"]])
    disbursed_lift = next(s for s in lifts if s.stage == "disbursed")
    arms = _arms(session, c, t)
    return CampaignResults(
        campaign=CampaignSummary(
            id=c.id,
            code=c.code,
            name=c.name,
            theme=c.theme,
            status=str(c.status),
            channel=str(c.channel),
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            control_share=float(c.control_share),
            contact_cost_fen=int(c.contact_cost_fen or 0),
        ),
        treatment=treatment,
        control=control,
        lifts=lifts,
        goals=goals,
        roi=rules.roi(disbursed_lift, per_loan, cost),
        budget=burn,
        arms=arms,
        ab_tests=ab_tests(arms, 1 - confidence),
        attribution=summarise_leads(repo.attributed_leads(session, c.id)),
        confidence=confidence,
    )


def ab_test_results(session: Session, ref: str | int, *, alpha: float = 0.05) -> list[AbTest]:
    c = get_campaign(session, ref)
    return ab_tests(_arms(session, c, _outcomes(session, c)), alpha)


def campaign_attribution(session: Session, ref: str | int) -> Attribution:
    c = get_campaign(session, ref)
    return summarise_leads(repo.attributed_leads(session, c.id))


def leads_attribution(session: Session) -> Attribution:
    """Leads attributed to any campaign (or tagged with an unknown code), across campaigns."""
    return summarise_leads(repo.attributed_leads(session))
