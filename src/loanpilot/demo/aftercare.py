"""Demo steps: after-sales service and feedback (feedback tickets, surveys and their answers, stage
SLAs, service-quality reviews, improvement actions), then the team and the market (training,
certificates, mentoring, job rotation, appraisal, competitors, market sizes) and the build's audit row.

Survey answers follow the documented latent ``SATISFACTION`` (below); ticket topics are the fixed list
``aftercare_text.TICKET_TOPICS``. Appraisal actuals are computed from the generated loans,
applications, customers and survey answers, exactly as the appraisal engine would.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from loanpilot.demo import aftercare_text as txt
from loanpilot.demo.context import DemoContext, local_to_utc, pick, utc_to_local_date

Arr = np.ndarray[Any, Any]
NAT_US = np.datetime64("NaT", "us")
NAT_D = np.datetime64("NaT", "D")
NULL = np.array(None, dtype=object)  # a 0-d None for np.where / np.equal
HOUR = np.timedelta64(3_600_000_000, "us")
SALES_ROLES = ("customer_manager", "senior_customer_manager", "sales_consultant")
MANAGER_ROLES = ("customer_manager", "senior_customer_manager")
APPROVED_STATUSES = ("approved", "offer_accepted", "contract_signed", "disbursed")
DIGITAL_CHANNELS = ("online", "mobile", "wechat")

#: Stage targets (service_slas), hours by product type; None applies to every product type.
SLA_HOURS: tuple[tuple[str, str | None, int], ...] = (
    ("application_to_decision", "consumer", 24),
    ("application_to_decision", "housing", 120),
    ("application_to_decision", "business", 72),
    ("application_to_decision", None, 72),
    ("decision_to_disbursement", "consumer", 48),
    ("decision_to_disbursement", "housing", 360),
    ("decision_to_disbursement", "business", 120),
    ("decision_to_disbursement", None, 120),
    ("inquiry_response", None, 24),
    ("complaint_first_response", None, 24),
    ("complaint_resolution", None, 72),
)
DECISION_SLA = {"consumer": 24.0, "housing": 120.0, "business": 72.0}


@dataclass(frozen=True)
class SatisfactionModel:
    """The documented latent behind every survey answer of the demo bank.

    For a survey about a loan (triggers ``disbursed``, ``disbursed_30d``, ``settled``) the
    respondent's latent satisfaction is

        s = base[trigger]
          + staff   · q(loan manager)            staff_quality ~ N(0, 1); 0 when the loan has none
          + speed   · decay[trigger] · clip(ln(decision hours ÷ SLA hours of the product type), −2, 2)
          + channel[loan channel]
          + ε_loan ~ N(0, loan_sigma)            shared by all surveys about the same loan
          + ε      ~ N(0, sigma)

    where decision hours = applications.decided_at − submitted_at and the SLA hours are
    ``DECISION_SLA`` (consumer 24, housing 120, business 72). For the complaint-closed survey

        s = base["complaint_closed"] + in_sla · [resolved within the ticket's SLA]
          + confirmed · [customer confirmed the resolution] + agent · q(assigned service agent) + ε.

    Answers: NPS = clip(round(nps_center + nps_slope · s), 0, 10); CSAT = clip(round(csat_center +
    csat_slope · s), 1, 5). A comment's sentiment is praise for s > praise_above, complaint for
    s < complaint_below, neutral otherwise. A customer responds with probability response[trigger].
    The per-response latent is written to ``demo-truth-satisfaction.csv``.
    """

    base: dict[str, float] = field(
        default_factory=lambda: {
            "disbursed": 0.25,
            "disbursed_30d": 0.1,
            "settled": 0.35,
            "complaint_closed": -1.2,
        }
    )
    staff: float = 0.45
    speed: float = -0.55
    decay: dict[str, float] = field(
        default_factory=lambda: {
            "disbursed": 1.0,
            "disbursed_30d": 0.6,
            "settled": 0.3,
            "complaint_closed": 0.0,
        }
    )
    channel: dict[str, float] = field(
        default_factory=lambda: {
            "online": 0.05,
            "mobile": 0.15,
            "wechat": 0.05,
            "branch": 0.1,
            "partner": -0.25,
            "call_center": -0.05,
            "sms": -0.15,
            "referral": 0.2,
        }
    )
    in_sla: float = 0.6
    confirmed: float = 1.0
    agent: float = 0.3
    loan_sigma: float = 0.6
    sigma: float = 0.7
    nps_center: float = 8.0
    nps_slope: float = 1.6
    csat_center: float = 4.0
    csat_slope: float = 0.85
    praise_above: float = 0.9
    complaint_below: float = -0.7
    response: dict[str, float] = field(
        default_factory=lambda: {
            "disbursed": 0.35,
            "disbursed_30d": 0.25,
            "settled": 0.30,
            "complaint_closed": 0.40,
        }
    )


SATISFACTION = SatisfactionModel()

#: (code, title, kind, trigger, channel, question keys) of the four surveys.
SURVEYS: tuple[tuple[str, str, str, str, str, tuple[str, ...]], ...] = (
    (
        "CSAT-DISB",
        "放款后满意度调查",
        "csat",
        "disbursed",
        "sms",
        ("csat", "nps", "best_step", "comment"),
    ),
    ("NPS-30D", "放款30天推荐意愿调查", "nps", "disbursed_30d", "app", ("nps", "comment")),
    ("CSAT-SETTLE", "贷款结清回访调查", "csat", "settled", "sms", ("csat", "nps", "comment")),
    (
        "CSAT-COMPLAINT",
        "投诉办结满意度回访",
        "csat",
        "complaint_closed",
        "phone",
        ("csat", "resolved", "comment"),
    ),
)
BEST_STEPS = ("application", "approval_speed", "rate", "staff", "disbursement", "app")


def _choices(pairs: tuple[tuple[str, str, str], ...]) -> list[dict[str, str]]:
    return [{"value": v, "label_zh": zh, "label_en": en} for v, zh, en in pairs]


#: key → (kind, text_zh, text_en, required, choices)
QUESTIONS: dict[str, tuple[str, str, str, bool, list[dict[str, str]]]] = {
    "csat": (
        "csat_1_5",
        "您对本次服务的整体满意度如何？（1分非常不满意，5分非常满意）",
        "Overall, how satisfied are you with our service? (1 = very dissatisfied, 5 = very satisfied)",
        True,
        [],
    ),
    "nps": (
        "nps_0_10",
        "您向亲友推荐我行贷款的可能性有多大？",
        "How likely are you to recommend our loans to friends or family?",
        True,
        [],
    ),
    "best_step": (
        "single_choice",
        "您最满意的环节",
        "Which step were you most satisfied with?",
        False,
        _choices(
            (
                ("application", "申请便捷", "Easy application"),
                ("approval_speed", "审批速度", "Approval speed"),
                ("rate", "利率价格", "Rate and price"),
                ("staff", "客户经理服务", "Customer manager"),
                ("disbursement", "放款速度", "Disbursement speed"),
                ("app", "手机银行体验", "Mobile banking"),
            )
        ),
    ),
    "resolved": (
        "single_choice",
        "您反映的问题是否已经解决？",
        "Has your issue been resolved?",
        True,
        _choices(
            (
                ("yes", "已解决", "Resolved"),
                ("partly", "部分解决", "Partly resolved"),
                ("no", "未解决", "Not resolved"),
            )
        ),
    ),
    "comment": (
        "free_text",
        "您还有什么意见或建议？",
        "Any other comments or suggestions?",
        False,
        [],
    ),
}


# --------------------------------------------------------------------------- helpers


def _ids(values: Any) -> Arr:
    """Foreign-key column → int64 with 0 for NULL."""
    a = np.asarray(values)
    if a.dtype == object:
        return np.where(np.equal(a, NULL), 0, a).astype(np.int64)
    if a.dtype.kind == "f":
        out: Arr = np.nan_to_num(a, nan=0.0).astype(np.int64)
        return out
    return a.astype(np.int64)


def _nullable(ids: Arr) -> Arr:
    out = ids.astype(object)
    out[ids == 0] = None
    return out


def _by_key(keys: Arr, table: dict[str, float], default: float = 0.0) -> Arr:
    out = np.full(len(keys), default, dtype=float)
    for key, value in table.items():
        out[keys == key] = value
    return out


def _group_pick(
    rng: np.random.Generator, pool_key: Arr, pool_value: Arr, query: Arr
) -> tuple[Arr, Arr]:
    """For each query key a random pool value with the same key; (values, found)."""
    order = np.argsort(pool_key, kind="stable")
    keys, values = pool_key[order], pool_value[order]
    lo = np.searchsorted(keys, query, "left")
    count = np.searchsorted(keys, query, "right") - lo
    found = count > 0
    pos = lo + np.floor(rng.random(len(query)) * np.maximum(count, 1)).astype(np.int64)
    out = (
        values[np.clip(pos, 0, max(len(values) - 1, 0))]
        if len(values)
        else np.zeros(len(query), dtype=np.int64)
    )
    return np.where(found, out, 0), found


def _tokens(rng: np.random.Generator, n: int) -> Arr:
    """n distinct 32-character hex tokens."""
    table = np.array([f"{i:02x}" for i in range(256)])
    tokens = np.ascontiguousarray(table[rng.integers(0, 256, (n, 16))]).view("U32").ravel()
    assert len(np.unique(tokens)) == n, "token collision"
    out: Arr = tokens.astype(object)
    return out


def _days_between(rng: np.random.Generator, lo: Arr, hi: Arr) -> Arr:
    span = np.maximum((hi - lo).astype(np.int64) + 1, 1)
    out: Arr = lo + np.floor(rng.random(len(lo)) * span).astype(np.int64).astype("m8[D]")
    return out


def _quarters(ctx: DemoContext) -> list[tuple[str, np.datetime64, np.datetime64]]:
    """(period like 2026Q3, first day, last day) of every quarter overlapping the window."""
    first = int(ctx.start64.astype("M8[M]").astype(np.int64)) // 3
    last = int(ctx.as_of64.astype("M8[M]").astype(np.int64)) // 3
    out = []
    for q in range(first, last + 1):
        start = (np.datetime64("1970-01", "M") + np.timedelta64(3 * q, "M")).astype("M8[D]")
        end = (np.datetime64("1970-01", "M") + np.timedelta64(3 * q + 3, "M")).astype(
            "M8[D]"
        ) - np.timedelta64(1, "D")
        out.append((f"{1970 + q // 4}Q{q % 4 + 1}", start, end))
    return out


def _quarter_of(days: Arr, ctx: DemoContext) -> Arr:
    first = int(ctx.start64.astype("M8[M]").astype(np.int64)) // 3
    return np.asarray(days, dtype="M8[D]").astype("M8[M]").astype(np.int64) // 3 - first


def _loan_view(ctx: DemoContext, *, top_only: bool = True) -> dict[str, Arr]:
    """Loans with the columns these steps use; ``top_only`` leaves out the provident-fund part of a
    combination loan (one survey, one ticket per loan), otherwise every loan (amounts, balances)."""
    loans = ctx.tables["loans"]
    parent = _ids(loans["parent_loan_id"])
    rows = np.flatnonzero(parent == 0) if top_only else np.arange(len(parent))

    def col(name: str) -> Arr:
        return np.asarray(loans[name])[rows]

    products = ctx.tables["loan_products"]
    pidx = _ids(col("product_id")) - 1
    view = {
        "id": _ids(col("id")),
        "customer": _ids(col("customer_id")),
        "product": pidx + 1,
        "branch": _ids(col("branch_id")),
        "manager": _ids(col("manager_id")),
        "channel": col("channel").astype(object),
        "principal": np.asarray(col("principal_fen"), dtype=np.int64),
        "disbursed": np.asarray(col("disbursed_on"), dtype="M8[D]"),
        "status": col("status").astype(object),
        "settled": np.asarray(col("settled_on"), dtype="M8[D]"),
        "dpd": np.asarray(col("dpd"), dtype=np.int64),
        "rate": np.asarray(col("annual_rate"), dtype=float),
        "apr": np.asarray(col("apr"), dtype=float),
        "term": np.asarray(col("term_months"), dtype=np.int64),
        "ptype": np.asarray(products["product_type"], dtype=object)[pidx],
        "subtype": np.asarray(products["subtype"], dtype=object)[pidx],
    }
    sla = _by_key(view["ptype"], DECISION_SLA, 72.0)
    hours = sla.copy()
    app = _ids(col("application_id"))
    apps = ctx.tables.get("applications")
    if apps is not None and (app > 0).any():
        has = np.flatnonzero(app > 0)
        sub = np.asarray(apps["submitted_at"], dtype="M8[us]")[app[has] - 1]
        dec = np.asarray(apps["decided_at"], dtype="M8[us]")[app[has] - 1]
        ok = ~np.isnat(sub) & ~np.isnat(dec)
        hours[has[ok]] = (dec[ok] - sub[ok]) / HOUR
    view["hours"] = hours
    view["log_ratio"] = np.clip(np.log(np.maximum(hours, 0.5) / sla), -2.0, 2.0)
    return view


def _staff_ids(ctx: DemoContext, *roles: str) -> Arr:
    staff = ctx.tables["staff"]
    return np.asarray(staff["id"], dtype=np.int64)[np.isin(staff["role"], roles)]


# --------------------------------------------------------------------------- service


def service(ctx: DemoContext) -> None:
    """Feedback tickets, surveys with invitations, responses and answers, SLAs, quality reviews,
    improvement actions."""
    rng = ctx.rng("service")
    loans = _loan_view(ctx)
    tickets = _tickets(ctx, rng, loans)
    _surveys(ctx, rng, loans, tickets)
    _slas(ctx)
    _quality_reviews(ctx, rng)
    _improvements(ctx, rng, tickets)


def _tickets(ctx: DemoContext, rng: np.random.Generator, loans: dict[str, Arr]) -> dict[str, Arr]:
    n = max(30, round(ctx.n_customers / 15))
    ttype = pick(rng, txt.TICKET_TYPES, n, (0.45, 0.40, 0.15)).astype(object)
    topics = np.array(list(txt.TICKET_TOPICS), dtype=object)
    topic = np.empty(n, dtype=object)
    for t in txt.TICKET_TYPES:
        mask = ttype == t
        topic[mask] = pick(rng, topics, int(mask.sum()), txt.TOPIC_MIX[t])
    nl = len(loans["id"])
    # share of each topic's tickets about one of the customer's loans (else any customer, or none)
    p_loan = {
        "repayment": 1.0,
        "prepayment": 1.0,
        "collection": 1.0,
        "credit_report": 0.8,
        "approval_speed": 0.7,
        "product_info": 0.3,
        "privacy": 0.1,
    }
    bound = (rng.random(n) < _by_key(topic, p_loan, 0.5)) & (nl > 0)
    li = rng.integers(0, max(nl, 1), n)
    # slow decisions draw approval-speed tickets, weak managers draw staff-attitude tickets
    quality = np.asarray(ctx.latent["staff_quality"], dtype=float)
    manager_q = np.where(loans["manager"] > 0, quality[np.maximum(loans["manager"], 1) - 1], 0.0)
    for code, pull in (("approval_speed", loans["log_ratio"]), ("staff_attitude", -manager_q)):
        rows = np.flatnonzero(bound & (topic == code))
        weight = np.exp(1.2 * pull)
        li[rows] = rng.choice(nl, size=rows.size, p=weight / weight.sum()) if nl else 0

    def at(key: str) -> Arr:
        return loans[key][li] if nl else np.zeros(n, dtype=loans[key].dtype)

    # tickets follow the disbursement, except approval-speed ones, raised while the customer waited
    waiting = bound & (topic == "approval_speed")
    lo = np.where(bound, at("disbursed") + np.timedelta64(5, "D"), ctx.start64)
    lo = np.where(waiting, at("disbursed") - np.timedelta64(12, "D"), lo)
    hi = np.where(waiting, at("disbursed") - np.timedelta64(1, "D"), ctx.as_of64)
    cases = ctx.tables.get("collection_cases")
    coll = np.flatnonzero(bound & (topic == "collection"))
    if cases is not None and ctx.count("collection_cases") and coll.size:
        case_loan = _ids(cases["loan_id"])
        pos_of = np.full(int(max(loans["id"].max(), case_loan.max())) + 1, -1)
        pos_of[loans["id"]] = np.arange(nl)
        ci = rng.integers(0, len(case_loan), coll.size)
        pos = pos_of[case_loan[ci]]
        ok = pos >= 0
        li[coll[ok]] = pos[ok]
        lo[coll[ok]] = np.asarray(cases["opened_on"], dtype="M8[D]")[ci[ok]]
    lo = np.minimum(np.maximum(lo, ctx.start64), ctx.as_of64)
    day = _days_between(rng, lo, np.clip(hi, lo, ctx.as_of64))
    received = local_to_utc(day, rng.uniform(7.5, 23.0, n))
    order = np.argsort(received, kind="stable")
    ttype, topic, bound, li, day, received = (
        ttype[order],
        topic[order],
        bound[order],
        li[order],
        day[order],
        received[order],
    )
    waiting = waiting[order]

    customers = ctx.tables["customers"]
    anonymous = ~bound & (rng.random(n) < 0.08)
    cust = np.where(bound, at("customer"), rng.integers(1, ctx.n_customers + 1, n))
    cust = np.where(anonymous, 0, cust)
    cidx = np.maximum(cust, 1) - 1
    home = _ids(customers["home_branch_id"])[cidx]
    sub_ids = ctx.latent.get("sub_branch_ids", np.asarray(ctx.tables["branches"]["id"]))
    branch = np.where(bound, at("branch"), np.where(anonymous, 0, home))
    text_branch = np.where(branch > 0, branch, pick(rng, sub_ids, n))
    cms = _staff_ids(ctx, *MANAGER_ROLES)
    manager = np.where(bound, at("manager"), _ids(customers["manager_id"])[cidx])
    manager = np.where(manager > 0, manager, pick(rng, cms, n))
    products = ctx.tables["loan_products"]
    n_prod = ctx.count("loan_products")
    rand_prod = pick(
        rng,
        np.arange(1, n_prod + 1),
        n,
        np.where(np.asarray(products["product_type"]) == "consumer", 3.0, 1.0),
    )
    product = np.where(bound, at("product"), rand_prod)
    pidx = product - 1
    lo_amt = np.asarray(products["min_amount_fen"], dtype=float)[pidx]
    hi_amt = np.minimum(np.asarray(products["max_amount_fen"], dtype=float)[pidx], lo_amt * 40)
    rand_amt = np.round(np.exp(rng.uniform(np.log(lo_amt), np.log(hi_amt))) / 100_000) * 100_000
    spread = np.asarray(products["min_spread"], dtype=float)[pidx] + rng.random(n) * 0.02
    rand_rate = np.where(
        np.asarray(products["rate_basis"])[pidx] == "fixed", spread, 0.032 + spread
    )
    fee_apr = np.asarray(products["monthly_fee_rate"], dtype=float)[pidx] * 12 * 1.85
    staff_names = np.asarray(ctx.tables["staff"]["name"], dtype=object)
    slots = txt.make_slots(
        rng,
        product=np.asarray(products["name_zh"], dtype=object)[pidx],
        product2=np.asarray(products["name_zh"], dtype=object)[
            (pidx + rng.integers(1, n_prod, n)) % n_prod
        ],
        subtype=np.asarray(products["subtype"], dtype=object)[pidx],
        branch=np.asarray(ctx.tables["branches"]["name"], dtype=object)[text_branch - 1],
        staff=staff_names[manager - 1],
        amount_fen=np.where(bound, at("principal"), rand_amt),
        term_months=np.where(bound, at("term"), pick(rng, [12, 24, 36], n)),
        rate=np.where(bound, at("rate"), rand_rate),
        apr=np.where(bound, at("apr"), rand_rate + fee_apr),
        day=day,
        occupation=np.where(
            cust > 0, np.asarray(customers["occupation"], dtype=object)[cidx], "company_employee"
        ),
        income_fen=np.asarray(customers["monthly_income_fen"], dtype=float)[cidx],
    )
    channel = np.empty(n, dtype=object)
    mixes = {
        "complaint": (0.34, 0.06, 0.22, 0.10, 0.14, 0.14),
        "inquiry": (0.40, 0.07, 0.35, 0.03, 0.15, 0.0),
        "suggestion": (0.13, 0.12, 0.35, 0.05, 0.10, 0.25),
    }
    for t, mix in mixes.items():
        mask = ttype == t
        channel[mask] = pick(
            rng,
            ["phone", "email", "online", "social_media", "branch", "survey"],
            int(mask.sum()),
            mix,
        )
    subject, body = txt.ticket_texts(rng, topic, ttype, channel, slots)

    complaint, inquiry = ttype == "complaint", ttype == "inquiry"
    u = rng.random(n)
    urgent_p = np.where(np.isin(topic, ["collection", "privacy", "credit_report"]), 0.12, 0.04)
    priority = np.where(
        complaint,
        np.where(u < urgent_p, "urgent", np.where(u < urgent_p + 0.25, "high", "normal")),
        np.where(u < np.where(inquiry, 0.45, 0.75), "low", "normal"),
    ).astype(object)
    sla_h = np.where(complaint, 72.0, np.where(inquiry, 24.0, np.nan))
    sla_due = np.where(
        np.isnan(sla_h), NAT_US, received + (np.nan_to_num(sla_h) * 3600e6).astype("m8[us]")
    )
    agents = _staff_ids(ctx, "service_agent")
    assigned = pick(rng, agents, n)
    median = np.where(complaint, 36.0, np.where(inquiry, 8.0, 120.0)) * np.where(
        np.isin(topic, ["collection", "privacy"]), 1.3, 1.0
    )
    duration = median * np.exp(rng.normal(0, np.where(inquiry, 0.9, 0.7), n))
    resolved_at = received + (duration * 3600e6).astype("m8[us]")
    now = local_to_utc(np.array([ctx.as_of64]), np.array([24.0]))[0]
    done = resolved_at <= now
    v = rng.random(n)
    status = np.where(
        done,
        np.where(v < 0.78, "closed", np.where(complaint & (v > 0.96), "reopened", "resolved")),
        np.where((now - received) < 24 * HOUR, "open", "in_progress"),
    ).astype(object)
    assigned_col = _nullable(np.where((status == "open") & (rng.random(n) < 0.4), 0, assigned))
    confirmed_at = resolved_at + (rng.exponential(30.0, n) * 3600e6).astype("m8[us]")
    late_confirm = (status == "closed") & (confirmed_at > now)
    status[late_confirm] = "resolved"
    confirmed = np.full(n, None, dtype=object)
    closed = status == "closed"
    confirmed[closed] = rng.random(int(closed.sum())) < 0.88
    confirmed[status == "reopened"] = False
    has_confirm = ~np.equal(confirmed, NULL)
    resolution = txt.resolution_texts(rng, topic, slots)
    resolution[~done] = None
    ids = ctx.next_ids("feedback_tickets", n)
    ymd = txt.replace(np.datetime_as_string(day, unit="D"), "-", "").astype(str)
    has_loan = bound & ~waiting  # a customer still waiting for the decision has no loan yet
    ctx.add(
        "feedback_tickets",
        {
            "id": ids,
            "ticket_no": np.char.add(
                np.char.add("FB", ymd), np.char.zfill(ids.astype(str), 6)
            ).astype(object),
            "customer_id": _nullable(cust),
            "channel": channel,
            "type": ttype,
            "topic": topic,
            "topic_source": np.full(n, "staff", dtype=object),
            "topic_model_version": np.full(n, None, dtype=object),
            "priority": priority,
            "subject": subject,
            "body": body,
            "received_at": received,
            "sla_due_at": sla_due,
            "assigned_to_id": assigned_col,
            "branch_id": _nullable(branch),
            "status": status,
            "resolution": resolution,
            "resolved_at": np.where(done, resolved_at, NAT_US),
            "customer_confirmed": confirmed,
            "confirmed_at": np.where(has_confirm, confirmed_at, NAT_US),
            "product_id": _nullable(np.where(bound, product, 0)),
            "loan_id": _nullable(np.where(has_loan, at("id"), 0)),
        },
    )
    in_sla = done & (resolved_at <= sla_due)
    return {
        "id": ids,
        "type": ttype,
        "topic": topic,
        "status": status,
        "customer": cust,
        "branch": branch,
        "product": np.where(bound, product, 0),
        "received": received,
        "day": day,
        "closed_at": np.where(has_confirm, confirmed_at, resolved_at),
        "in_sla": in_sla,
        "confirmed": np.equal(confirmed, True),
        "agent": assigned,
        "manager": _ids(customers["manager_id"])[cidx] * (cust > 0),
    }


def _surveys(
    ctx: DemoContext, rng: np.random.Generator, loans: dict[str, Arr], tickets: dict[str, Arr]
) -> None:
    model = SATISFACTION
    survey_ids = ctx.next_ids("surveys", len(SURVEYS))
    q_rows = [
        (int(sid), pos, key)
        for sid, spec in zip(survey_ids, SURVEYS, strict=True)
        for pos, key in enumerate(spec[5], 1)
    ]
    q_ids = ctx.next_ids("survey_questions", len(q_rows))
    ctx.add(
        "surveys",
        {
            "id": survey_ids,
            "code": np.array([s[0] for s in SURVEYS], dtype=object),
            "title": np.array([s[1] for s in SURVEYS], dtype=object),
            "kind": np.array([s[2] for s in SURVEYS], dtype=object),
            "trigger": np.array([s[3] for s in SURVEYS], dtype=object),
            "status": np.full(len(SURVEYS), "active", dtype=object),
            "channel": np.array([s[4] for s in SURVEYS], dtype=object),
        },
    )
    ctx.add(
        "survey_questions",
        {
            "id": q_ids,
            "survey_id": np.array([r[0] for r in q_rows]),
            "position": np.array([r[1] for r in q_rows]),
            "kind": np.array([QUESTIONS[r[2]][0] for r in q_rows], dtype=object),
            "text_zh": np.array([QUESTIONS[r[2]][1] for r in q_rows], dtype=object),
            "text_en": np.array([QUESTIONS[r[2]][2] for r in q_rows], dtype=object),
            "choices": [list(QUESTIONS[r[2]][4]) for r in q_rows],
            "required": np.array([QUESTIONS[r[2]][3] for r in q_rows]),
        },
    )
    question_id = {(r[0], r[2]): int(q) for r, q in zip(q_rows, q_ids, strict=True)}

    quality = np.asarray(ctx.latent["staff_quality"], dtype=float)

    def q_of(ids: Arr) -> Arr:
        return np.where(ids > 0, quality[np.maximum(ids, 1) - 1], 0.0)

    nl = len(loans["id"])
    loan_noise = rng.normal(0, model.loan_sigma, nl)
    digital = np.isin(loans["channel"], DIGITAL_CHANNELS)
    settled = (loans["status"] == "settled") & ~np.isnat(loans["settled"])
    parts: list[dict[str, Arr]] = []
    loan_specs = (
        (loans["disbursed"] + np.timedelta64(1, "D"), np.ones(nl, dtype=bool), ("portal", "sms")),
        (loans["disbursed"] + np.timedelta64(30, "D"), np.ones(nl, dtype=bool), ("app", "sms")),
        (loans["settled"] + np.timedelta64(1, "D"), settled, ("sms", "phone")),
    )
    for si, (sent_day, eligible, chans) in enumerate(loan_specs):
        trigger = SURVEYS[si][3]
        rows = np.flatnonzero(eligible & (sent_day <= ctx.as_of64))
        m = rows.size
        q = q_of(loans["manager"][rows])
        latent = (
            model.base[trigger]
            + model.staff * q
            + model.speed * model.decay[trigger] * loans["log_ratio"][rows]
            + _by_key(loans["channel"][rows], model.channel)
            + loan_noise[rows]
            + rng.normal(0, model.sigma, m)
        )
        parts.append(
            {
                "survey": np.full(m, si),
                "customer": loans["customer"][rows],
                "loan": loans["id"][rows],
                "ticket": np.zeros(m, dtype=np.int64),
                "sent": local_to_utc(sent_day[rows], rng.uniform(9.5, 11.5, m)),
                "channel": np.where(
                    digital[rows] ^ (rng.random(m) < 0.2), chans[0], chans[1]
                ).astype(object),
                "latent": latent,
                "staff": loans["manager"][rows],
                "branch": loans["branch"][rows],
                "product": loans["product"][rows],
                "log_ratio": loans["log_ratio"][rows],
                "q": q,
                "digital": digital[rows],
                "confirmed": np.zeros(m, dtype=bool),
            }
        )
    sent_day = utc_to_local_date(tickets["closed_at"]) + np.timedelta64(1, "D")
    rows = np.flatnonzero(
        (tickets["type"] == "complaint")
        & (tickets["status"] == "closed")
        & (tickets["customer"] > 0)
        & (sent_day <= ctx.as_of64)
    )
    m = rows.size
    agent_q = q_of(tickets["agent"][rows])
    confirmed = tickets["confirmed"][rows]
    latent = (
        model.base["complaint_closed"]
        + model.in_sla * tickets["in_sla"][rows]
        + model.confirmed * confirmed
        + model.agent * agent_q
        + rng.normal(0, model.sigma, m)
    )
    parts.append(
        {
            "survey": np.full(m, 3),
            "customer": tickets["customer"][rows],
            "loan": np.zeros(m, dtype=np.int64),
            "ticket": tickets["id"][rows],
            "sent": local_to_utc(sent_day[rows], rng.uniform(9.5, 17.0, m)),
            "channel": np.where(rng.random(m) < 0.6, "phone", "sms").astype(object),
            "latent": latent,
            "staff": tickets["manager"][rows],
            "branch": tickets["branch"][rows],
            "product": tickets["product"][rows],
            "log_ratio": np.zeros(m),
            "q": agent_q,
            "digital": np.zeros(m, dtype=bool),
            "confirmed": confirmed,
        }
    )
    inv = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(inv["sent"], kind="stable")
    inv = {k: v[order] for k, v in inv.items()}
    n = len(order)
    triggers = np.array([s[3] for s in SURVEYS], dtype=object)[inv["survey"]]
    now = local_to_utc(np.array([ctx.as_of64]), np.array([24.0]))[0]
    responded_at = inv["sent"] + ((rng.exponential(20.0, n) + 0.05) * 3600e6).astype("m8[us]")
    responded = (rng.random(n) < _by_key(triggers, model.response)) & (responded_at <= now)
    inv_ids = ctx.next_ids("survey_invitations", n)
    ctx.add(
        "survey_invitations",
        {
            "id": inv_ids,
            "survey_id": survey_ids[inv["survey"]],
            "customer_id": inv["customer"],
            "loan_id": _nullable(inv["loan"]),
            "ticket_id": _nullable(inv["ticket"]),
            "sent_at": inv["sent"],
            "channel": inv["channel"],
            "token": _tokens(rng, n),
            "responded_at": np.where(responded, responded_at, NAT_US),
        },
    )
    r = np.flatnonzero(responded)
    resp = {k: v[r] for k, v in inv.items()}
    m = r.size
    resp_ids = ctx.next_ids("survey_responses", m)
    ctx.add(
        "survey_responses",
        {
            "id": resp_ids,
            "invitation_id": inv_ids[r],
            "survey_id": survey_ids[resp["survey"]],
            "customer_id": resp["customer"],
            "submitted_at": responded_at[r],
            "channel": resp["channel"],
            "branch_id": _nullable(resp["branch"]),
            "staff_id": _nullable(resp["staff"]),
            "product_id": _nullable(resp["product"]),
        },
    )
    s = resp["latent"]
    nps = np.clip(np.round(model.nps_center + model.nps_slope * s), 0, 10).astype(np.int64)
    csat = np.clip(np.round(model.csat_center + model.csat_slope * s), 1, 5).astype(np.int64)
    sentiment = np.where(
        s > model.praise_above,
        "praise",
        np.where(s < model.complaint_below, "complaint", "neutral"),
    )
    gumbel = rng.gumbel(size=(m, 6))
    lr, q, dig = resp["log_ratio"], resp["q"], resp["digital"]
    step_util = (
        np.column_stack([np.full(m, 0.3), -0.8 * lr, np.zeros(m), 0.6 * q, -0.5 * lr, 0.7 * dig])
        + gumbel
    )
    best = np.array(BEST_STEPS, dtype=object)[np.argmax(step_util, axis=1)]
    resolved = np.where(resp["confirmed"], "yes", np.where(s > -0.3, "partly", "no"))
    sign = np.where(sentiment == "praise", 1.0, np.where(sentiment == "complaint", -1.0, 0.0))
    aspect_util = (
        np.column_stack([0.3 * (sign < 0), -0.8 * sign * lr, 0.8 * sign * q, 0.5 * dig])
        + gumbel[:, :4]
    )
    aspect = np.array(txt.COMMENT_ASPECTS, dtype=object)[np.argmax(aspect_util, axis=1)]
    aspect[resp["survey"] == 3] = "staff"
    with_comment = rng.random(m) < np.where(sentiment == "complaint", 0.7, 0.4)
    product_names = np.append(
        np.asarray(ctx.tables["loan_products"]["name_zh"], dtype=object), "贷款"
    )
    staff_names = np.append(np.asarray(ctx.tables["staff"]["name"], dtype=object), NULL)
    slots = {
        "product": product_names[resp["product"] - 1],
        "staff": txt.manager_title(staff_names[resp["staff"] - 1]),
        "fast": pick(rng, ["当天", "第二天", "两天"], m).astype(object),
        "slow": pick(rng, ["一个多星期", "半个月", "十来天"], m).astype(object),
    }
    comments = txt.comment_texts(rng, sentiment, aspect, slots)
    a_resp: list[Arr] = []
    a_q: list[Arr] = []
    a_score: list[Arr] = []
    a_text: list[Arr] = []
    a_choice: list[Any] = []
    for si, spec in enumerate(SURVEYS):
        rows = np.flatnonzero(resp["survey"] == si)
        for key in spec[5]:
            sel = rows[with_comment[rows]] if key == "comment" else rows
            if key == "best_step":
                sel = rows[rng.random(rows.size) < 0.85]
            k = sel.size
            a_resp.append(resp_ids[sel])
            a_q.append(np.full(k, question_id[(int(survey_ids[si]), key)]))
            score = np.full(k, None, dtype=object)
            if key in ("csat", "nps"):
                score[:] = (csat if key == "csat" else nps)[sel].astype(object)
            a_score.append(score)
            a_text.append(comments[sel] if key == "comment" else np.full(k, None, dtype=object))
            chosen = (
                best[sel] if key == "best_step" else resolved[sel] if key == "resolved" else None
            )
            a_choice += [None] * k if chosen is None else [[str(c)] for c in chosen]
    n_ans = sum(len(a) for a in a_resp)
    ctx.add(
        "survey_answers",
        {
            "id": ctx.next_ids("survey_answers", n_ans),
            "response_id": np.concatenate(a_resp),
            "question_id": np.concatenate(a_q),
            "score": np.concatenate(a_score),
            "choice": a_choice,
            "text": np.concatenate(a_text),
        },
    )
    ctx.latent["satisfaction_model"] = asdict(model)
    ctx.latent.setdefault("truth_tables", {})["satisfaction"] = {
        "response_id": resp_ids,
        "trigger": triggers[r],
        "latent": np.round(s, 4),
        "nps": nps,
        "csat": csat,
    }


def _slas(ctx: DemoContext) -> None:
    n = len(SLA_HOURS)
    ctx.add(
        "service_slas",
        {
            "id": ctx.next_ids("service_slas", n),
            "stage": np.array([s[0] for s in SLA_HOURS], dtype=object),
            "product_type": np.array([s[1] for s in SLA_HOURS], dtype=object),
            "target_hours": np.array([float(s[2]) for s in SLA_HOURS]),
            "valid_from": np.full(n, ctx.start64),
        },
    )


#: Checklist of a quality review: (code, label, max points, base logit of full marks).
REVIEW_ITEMS: tuple[tuple[str, str, int, float, str], ...] = (
    ("greeting", "迎宾与礼仪", 20, 2.4, "未使用规范问候语"),
    ("product_knowledge", "产品知识", 30, 1.9, "对期限、还款方式介绍不准确"),
    ("apr_disclosure", "年化利率（APR）明示", 30, 1.4, "未主动明示年化利率"),
    ("privacy", "个人信息保护", 20, 2.1, "未遮挡客户信息或未核验身份"),
)


def _quality_reviews(ctx: DemoContext, rng: np.random.Generator) -> None:
    staff = ctx.tables["staff"]
    rows = np.flatnonzero(np.isin(staff["role"], SALES_ROLES))
    quarters = _quarters(ctx)
    nq = len(quarters)
    who = np.repeat(rows, nq)
    qi = np.tile(np.arange(nq), rows.size)
    q_start = np.maximum(np.array([q[1] for q in quarters])[qi], ctx.start64)
    q_end = np.minimum(np.array([q[2] for q in quarters])[qi], ctx.as_of64)
    day = _days_between(rng, q_start, q_end)
    hired = np.asarray(staff["hired_on"], dtype="M8[D]")[who]
    keep = day >= hired + np.timedelta64(30, "D")
    who, day = who[keep], day[keep]
    n = who.size
    quality = np.asarray(ctx.latent["staff_quality"], dtype=float)[who]
    points = []
    for _, _, max_points, base, _ in REVIEW_ITEMS:
        p = 1.0 / (1.0 + np.exp(-(base + 0.8 * quality + rng.normal(0, 0.7, n))))
        points.append(np.round(max_points * p).astype(np.int64))
    score = np.sum(points, axis=0).astype(float)
    items = [
        [
            {
                "code": code,
                "label": label,
                "max_points": mx,
                "points": int(pt),
                "note": note if pt < 0.6 * mx else "",
            }
            for (code, label, mx, _, note), pt in zip(REVIEW_ITEMS, row, strict=True)
        ]
        for row in zip(*points, strict=True)
    ]
    reviewers = _staff_ids(ctx, "service_agent", "marketing_manager")
    comment = np.select(
        [score >= 90, score >= 75],
        ["服务规范，表现优秀。", "整体良好，个别环节需改进。"],
        "存在明显不足，需限期整改并复查。",
    ).astype(object)
    ctx.add(
        "quality_reviews",
        {
            "id": ctx.next_ids("quality_reviews", n),
            "kind": pick(
                rng, ["mystery_shopper", "call_review", "audit"], n, [0.5, 0.4, 0.1]
            ).astype(object),
            "staff_id": np.asarray(staff["id"], dtype=np.int64)[who],
            "branch_id": _ids(staff["branch_id"])[who],
            "reviewer_id": pick(rng, reviewers, n),
            "reviewed_on": day,
            "score": score,
            "items": items,
            "comment": comment,
        },
    )


def _metric_series(ctx: DemoContext, tickets: dict[str, Arr]) -> dict[str, tuple[Arr, Arr]]:
    """(local date, value) observations behind the improvement metrics."""
    out: dict[str, tuple[Arr, Arr]] = {}
    complaint = tickets["type"] == "complaint"
    for topic in txt.TICKET_TOPICS:
        sel = complaint & (tickets["topic"] == topic)
        out[f"complaints_{topic}"] = (tickets["day"][sel], np.ones(int(sel.sum())))
    apps = ctx.tables.get("applications")
    if apps is not None:
        sub = np.asarray(apps["submitted_at"], dtype="M8[us]")
        dec = np.asarray(apps["decided_at"], dtype="M8[us]")
        ok = ~np.isnat(sub) & ~np.isnat(dec)
        out["avg_decision_hours"] = (utc_to_local_date(dec[ok]), (dec[ok] - sub[ok]) / HOUR)
    answers, questions = ctx.tables["survey_answers"], ctx.tables["survey_questions"]
    responses = ctx.tables["survey_responses"]
    kind = np.asarray(questions["kind"])[np.asarray(answers["question_id"]) - 1]
    when = utc_to_local_date(np.asarray(responses["submitted_at"], dtype="M8[us]"))[
        np.asarray(answers["response_id"]) - 1
    ]
    score = (
        np.array([np.nan if v is None else float(v) for v in answers["score"]])
        if len(kind)
        else np.zeros(0)
    )
    out["csat_avg"] = (when[kind == "csat_1_5"], score[kind == "csat_1_5"])
    nps = score[kind == "nps_0_10"]
    out["nps"] = (
        when[kind == "nps_0_10"],
        np.where(nps >= 9, 100.0, np.where(nps <= 6, -100.0, 0.0)),
    )
    return out


def _measure(series: tuple[Arr, Arr], code: str, lo: np.datetime64, hi: np.datetime64) -> float:
    """The metric over [lo, hi): complaints per 30 days, else the mean of the observations."""
    days, values = series
    sel = (days >= lo) & (days < hi)
    if code.startswith("complaints_"):
        return round(float(values[sel].sum()) * 30.0 / max(int((hi - lo).astype(int)), 1), 4)
    return round(float(values[sel].mean()), 4) if sel.any() else 0.0


def _improvements(ctx: DemoContext, rng: np.random.Generator, tickets: dict[str, Arr]) -> None:
    series = _metric_series(ctx, tickets)
    complaint = tickets["type"] == "complaint"
    topics, counts = np.unique(tickets["topic"][complaint].astype(str), return_counts=True)
    alerts = ctx.tables.get("risk_alerts")
    n_alerts = min(6, ctx.count("risk_alerts"))
    n_topics = max(5, -(-(14 - n_alerts) // 2))
    rows: list[dict[str, Any]] = []
    window = np.timedelta64(90, "D")
    marketing = _staff_ids(ctx, "marketing_manager")
    risk = _staff_ids(ctx, "risk_officer")
    for topic in topics[np.argsort(-counts, kind="stable")][:n_topics]:
        cand = np.flatnonzero(
            complaint
            & (tickets["topic"] == topic)
            & (tickets["day"] <= ctx.as_of64 - np.timedelta64(30, "D"))
        )
        for k, (title, description, metric) in enumerate(txt.ACTIONS[str(topic)]):
            if cand.size == 0:
                break
            t = int(cand[rng.integers(0, cand.size)])
            cand = cand[cand != t]  # each action cites a different ticket
            raised = tickets["day"][t] + np.timedelta64(int(rng.integers(3, 15)) + 20 * k, "D")
            rows.append(
                {
                    "title": title,
                    "description": description,
                    "kind": "ticket",
                    "ticket": int(tickets["id"][t]),
                    "alert": None,
                    "owner": int(pick(rng, marketing, 1)[0]),
                    "raised": raised,
                    "metric": metric,
                    "baseline": _measure(series[metric], metric, raised - window, raised)
                    if metric in series
                    else 0.0,
                }
            )
    if alerts is not None and n_alerts:
        severity = np.asarray(alerts["severity"])
        rank = np.argsort(~np.isin(severity, ["high", "critical"]), kind="stable")[:n_alerts]
        owners = _ids(alerts["owner_id"])
        for a in rank:
            raised = np.datetime64(np.asarray(alerts["raised_on"], dtype="M8[D]")[a])
            rows.append(
                {
                    "title": f"处置风险预警{alerts['alert_no'][a]}：{alerts['metric'][a]}超阈值",
                    "description": f"规则 {alerts['rule_code'][a]}（{alerts['dimension'][a]}={alerts['dimension_value'][a]}）触发预警，排查原因并采取压降措施。",
                    "kind": "alert",
                    "ticket": None,
                    "alert": int(alerts["id"][a]),
                    "owner": int(owners[a]) if owners[a] in risk else int(pick(rng, risk, 1)[0]),
                    "raised": raised,
                    "metric": str(alerts["metric"][a])[:32],
                    "baseline": float(alerts["value"][a]),
                    "threshold": float(alerts["threshold"][a]),
                }
            )
    n = len(rows)
    status, target, after, verified, deadline = [], [], [], [], []
    for row in rows:
        due = row["raised"] + np.timedelta64(int(rng.integers(45, 120)), "D")
        base, metric = row["baseline"], row["metric"]
        if row["kind"] == "alert":
            goal = round(row["threshold"] * 0.9, 6)
        elif metric.startswith("complaints_") or metric == "avg_decision_hours":
            goal = round(base * (0.6 if metric.startswith("complaints_") else 0.7), 4)
        else:
            goal = round(
                min(
                    base + (0.2 if metric == "csat_avg" else 8.0),
                    5.0 if metric == "csat_avg" else 100.0,
                ),
                4,
            )
        measured = due + window <= ctx.as_of64
        if measured and rng.random() < 0.8:
            st = "verified"
            if row["kind"] == "alert" or metric not in series:
                value = round(base + (goal - base) * float(rng.uniform(0.8, 1.3)), 6)
            else:
                value = _measure(series[metric], metric, due, due + window)
            after.append(value)
            verified.append(
                min(due + window + np.timedelta64(int(rng.integers(1, 10)), "D"), ctx.as_of64)
            )
        else:
            st = "done" if due <= ctx.as_of64 and rng.random() < 0.7 else "in_progress"
            after.append(None)
            verified.append(NAT_D)
        status.append(st)
        target.append(goal)
        deadline.append(due)
    ctx.add(
        "improvement_actions",
        {
            "id": ctx.next_ids("improvement_actions", n),
            "title": np.array([r["title"] for r in rows], dtype=object),
            "description": np.array([r["description"] for r in rows], dtype=object),
            "source_kind": np.array([r["kind"] for r in rows], dtype=object),
            "source_ticket_id": np.array([r["ticket"] for r in rows], dtype=object),
            "source_alert_id": np.array([r["alert"] for r in rows], dtype=object),
            "owner_id": np.array([r["owner"] for r in rows], dtype=np.int64),
            "deadline": np.array(deadline, dtype="M8[D]"),
            "status": np.array(status, dtype=object),
            "metric_code": np.array([r["metric"] for r in rows], dtype=object),
            "baseline_value": np.array([r["baseline"] for r in rows], dtype=float),
            "target_value": np.array(target, dtype=float),
            "after_value": np.array(after, dtype=object),
            "verified_on": np.array(verified, dtype="M8[D]"),
        },
    )


# --------------------------------------------------------------------------- team and market


def team_and_market(ctx: DemoContext) -> None:
    """Training, certificates, mentoring, rotation, appraisal; competitors and market sizes; audit."""
    rng = ctx.rng("team_and_market")
    _training(ctx, rng)
    _people_development(ctx, rng)
    _appraisal(ctx, rng)
    _market(ctx, rng)
    ctx.add(
        "audit_logs",
        {
            "id": ctx.next_ids("audit_logs", 1),
            "at": local_to_utc(np.array([ctx.as_of64]), np.array([6.0])),
            "actor_staff_id": np.array([None], dtype=object),
            "actor_label": np.array(["cli"], dtype=object),
            "action": np.array(["demo.build"], dtype=object),
            "entity": np.array(["demo"], dtype=object),
            "entity_id": np.array([None], dtype=object),
            "client_address": np.array([None], dtype=object),
            "detail": [
                {"customers": ctx.n_customers, "seed": ctx.seed, "as_of": ctx.as_of.isoformat()}
            ],
            "outcome": np.array(["ok"], dtype=object),
        },
    )


def _training(ctx: DemoContext, rng: np.random.Generator) -> None:
    courses = txt.COURSES
    nc = len(courses)
    ctx.add(
        "training_courses",
        {
            "id": ctx.next_ids("training_courses", nc),
            "code": np.array([c[0] for c in courses], dtype=object),
            "title": np.array([c[1] for c in courses], dtype=object),
            "topic": np.array([c[2] for c in courses], dtype=object),
            "hours": np.array([c[3] for c in courses]),
            "mandatory_for": [list(c[4]) for c in courses],
        },
    )
    staff = ctx.tables["staff"]
    role = np.asarray(staff["role"], dtype=object)
    trainees = np.flatnonzero(np.isin(role, txt._ALL))
    per = rng.integers(3, 9, trainees.size)
    who = np.repeat(trainees, per)
    course = np.zeros(who.size, dtype=np.int64)
    for r in np.unique(role[trainees]):
        sel = role[who] == r
        weights = [4.0 if r in c[4] else 1.0 if not c[4] else 0.3 for c in courses]
        course[sel] = pick(rng, np.arange(nc), int(sel.sum()), weights)
    # each course runs a session every 45 days, staggered; a trainee attends one after being hired
    offsets = (np.arange(nc) * 7) % 45
    n_sessions = (int((ctx.as_of64 - ctx.start64).astype(int)) - offsets) // 45 + 1
    hired = np.asarray(staff["hired_on"], dtype="M8[D]")[who]
    first = np.maximum(-(-((hired - ctx.start64).astype(int) - offsets[course]) // 45), 0)
    ok = first < n_sessions[course]
    k = first + np.floor(rng.random(who.size) * np.maximum(n_sessions[course] - first, 1)).astype(
        np.int64
    )
    session = ctx.start64 + (offsets[course] + 45 * k).astype("m8[D]")
    key = (course * 100_000 + who) * 100 + k
    _, unique = np.unique(key, return_index=True)
    keep = np.zeros(who.size, dtype=bool)
    keep[unique] = True
    keep &= ok
    who, course, session = who[keep], course[keep], session[keep]
    n = who.size
    quality = np.asarray(ctx.latent["staff_quality"], dtype=float)[who]
    has_exam = np.array([c[5] for c in courses])[course]
    exam = np.clip(np.round(80 + 6 * quality + rng.normal(0, 7, n)), 35, 100).astype(np.int64)
    hours = np.array([c[3] for c in courses])[course]
    ctx.add(
        "training_records",
        {
            "id": ctx.next_ids("training_records", n),
            "course_id": course + 1,
            "staff_id": np.asarray(staff["id"], dtype=np.int64)[who],
            "session_date": session,
            "hours_attended": np.where(rng.random(n) < 0.05, hours * 0.75, hours),
            "exam_score": np.where(has_exam, exam.astype(object), NULL),
            "passed": ~has_exam | (exam >= 60),
        },
    )


def _people_development(ctx: DemoContext, rng: np.random.Generator) -> None:
    """Certificates of customer managers, mentor pairs for new ones, job rotations."""
    staff = ctx.tables["staff"]
    ids = np.asarray(staff["id"], dtype=np.int64)
    role = np.asarray(staff["role"], dtype=object)
    branch = _ids(staff["branch_id"])
    hired = np.asarray(staff["hired_on"], dtype="M8[D]")
    cms = np.flatnonzero(np.isin(role, MANAGER_ROLES))
    second = rng.random(cms.size) < np.where(role[cms] == "senior_customer_manager", 0.9, 0.6)
    certs = txt.CERTIFICATES
    who = np.concatenate([cms, cms[second]])
    kind = np.concatenate(
        [
            np.zeros(cms.size, dtype=np.int64),
            pick(rng, np.arange(len(certs)), int(second.sum()), [c[3] for c in certs]),
        ]
    )
    validity = np.array([c[2] for c in certs])[kind]
    n = who.size
    earliest = hired[who] + np.timedelta64(30, "D")
    issued = _days_between(rng, np.minimum(earliest, ctx.as_of64), np.full(n, ctx.as_of64))
    # certificates with a validity are renewed: the current one was issued within one validity span
    renew = validity > 0
    span = validity * 365
    back = np.floor(rng.random(n) * (span + 60)).astype(np.int64) - 30
    issued = np.where(renew, np.maximum(ctx.as_of64 - back.astype("m8[D]"), earliest), issued)
    issued = np.minimum(issued, ctx.as_of64)
    ctx.add(
        "certifications",
        {
            "id": ctx.next_ids("certifications", n),
            "staff_id": ids[who],
            "name": np.array([c[0] for c in certs], dtype=object)[kind],
            "issuer": np.array([c[1] for c in certs], dtype=object)[kind],
            "issued_on": issued,
            "expires_on": np.where(renew, issued + span.astype("m8[D]"), NAT_D),
        },
    )
    # mentor pairs (传帮带): customer managers hired in the last year, with a senior CM of their branch
    seniors = np.flatnonzero(role == "senior_customer_manager")
    new = np.flatnonzero(
        (role == "customer_manager") & (hired > ctx.as_of64 - np.timedelta64(365, "D"))
    )
    mentor, found = _group_pick(rng, branch[seniors], ids[seniors], branch[new])
    new, mentor = new[found], mentor[found]
    start = np.minimum(hired[new] + rng.integers(7, 31, new.size).astype("m8[D]"), ctx.as_of64)
    end = start + np.timedelta64(180, "D")
    ctx.add(
        "mentor_pairs",
        {
            "id": ctx.next_ids("mentor_pairs", new.size),
            "mentor_id": mentor,
            "mentee_id": ids[new],
            "start_on": start,
            "end_on": np.where(end <= ctx.as_of64, end, NAT_D),
        },
    )
    # job rotations (轮岗): ~5 % of staff; most moved into their current unit, some were seconded and back
    units = ctx.tables["org_units"]
    unit_ids = np.asarray(units["id"], dtype=np.int64)
    unit_kind = np.asarray(units["kind"], dtype=object)
    current = _ids(staff["org_unit_id"])
    eligible = np.flatnonzero((current > 0) & (role != "administrator"))
    movers = rng.choice(eligible, size=max(1, round(0.05 * len(ids))), replace=False)
    m = movers.size
    group = np.where(unit_kind == "sales_team", "sales_team", "hq")
    other = np.zeros(m, dtype=np.int64)
    for g in ("sales_team", "hq"):
        pool = unit_ids[group == g] if (group == g).sum() > 1 else unit_ids
        rows = np.flatnonzero(group[current[movers] - 1] == g)
        pos = np.searchsorted(pool, current[movers][rows])
        other[rows] = pool[(pos + rng.integers(1, len(pool), rows.size)) % len(pool)]
    temporary = rng.random(m) < 0.3
    lo = np.maximum(hired[movers] + np.timedelta64(90, "D"), ctx.start64)
    start = _days_between(
        rng,
        np.minimum(lo, ctx.as_of64 - np.timedelta64(200, "D")),
        np.full(m, ctx.as_of64 - np.where(temporary, 200, 0).astype("m8[D]")),
    )
    ctx.add(
        "job_rotations",
        {
            "id": ctx.next_ids("job_rotations", m),
            "staff_id": ids[movers],
            "from_org_unit_id": np.where(temporary, current[movers], other),
            "to_org_unit_id": np.where(temporary, other, current[movers]),
            "start_on": start,
            "end_on": np.where(temporary, start + rng.integers(90, 181, m).astype("m8[D]"), NAT_D),
        },
    )


LINEAR = {"type": "linear", "floor": 0, "cap": 120}
#: Appraisal indicators: (code, name, kind, weight, higher is better, curve); weights sum to 1.
INDICATORS: tuple[tuple[str, str, str, float, bool, dict[str, Any]], ...] = (
    ("disbursed_amount", "放款金额（万元）", "quantitative", 0.30, True, LINEAR),
    ("new_customers", "新增客户数", "quantitative", 0.15, True, LINEAR),
    ("approval_rate", "审批通过率（%）", "quantitative", 0.10, True, LINEAR),
    ("customer_satisfaction", "客户满意度（CSAT 1–5）", "quantitative", 0.15, True, LINEAR),
    ("territory_market_share", "辖区份额（本支行放款占比，%）", "quantitative", 0.05, True, LINEAR),
    (
        "portfolio_overdue_rate",
        "管户贷款逾期率（%）",
        "quantitative",
        0.10,
        False,
        {"type": "linear_inverse", "floor": 0, "cap": 120},
    ),
    (
        "service_attitude",
        "服务态度",
        "qualitative",
        0.05,
        True,
        {"type": "rating", "floor": 0, "cap": 100},
    ),
    ("teamwork", "团队协作", "qualitative", 0.05, True, {"type": "rating", "floor": 0, "cap": 100}),
    (
        "innovation",
        "创新能力",
        "qualitative",
        0.05,
        True,
        {"type": "rating", "floor": 0, "cap": 100},
    ),
)
FIXED_TARGETS = {"approval_rate": 60.0, "customer_satisfaction": 4.5, "portfolio_overdue_rate": 2.0}
MISSING_SCORE = 80.0


def _actuals(ctx: DemoContext, rng: np.random.Generator, nq: int) -> dict[str, Arr]:
    """Per staff member (row = staff id − 1) and quarter, the actual of every indicator (NaN: none).

    Customer managers are measured on their own loans, customers, applications and respondents.
    Sales consultants hold no portfolio: they get their branch's per-head amount and customers
    (scaled by their quality) and their branch's rates.
    """
    staff = ctx.tables["staff"]
    ns, nb = ctx.count("staff"), ctx.count("branches")
    branch = _ids(staff["branch_id"])
    quality = np.asarray(ctx.latent["staff_quality"], dtype=float)

    def grid(key: Arr, q: Arr, weights: Arr | None, size: int) -> Arr:
        ok = (key > 0) & (q >= 0) & (q < nq)
        flat = (key[ok] - 1) * nq + q[ok]
        w = None if weights is None else weights[ok]
        return np.bincount(flat, weights=w, minlength=size * nq).reshape(size, nq)

    def both(
        staff_key: Arr, branch_key: Arr, q: Arr, weights: Arr | None = None
    ) -> tuple[Arr, Arr]:
        return grid(staff_key, q, weights, ns), grid(branch_key, q, weights, nb)

    loans = _loan_view(ctx, top_only=False)  # row = loan id − 1
    lq = _quarter_of(loans["disbursed"], ctx)
    amount, b_amount = both(loans["manager"], loans["branch"], lq, loans["principal"] / 1e6)
    # overdue rate: share of the portfolio past due in the snapshot of the quarter's last month end
    snaps = ctx.tables["delinquency_snapshots"]
    s_day = np.asarray(snaps["as_of"], dtype="M8[D]")
    quarter_end = (s_day + np.timedelta64(1, "D")).astype("M8[M]").astype(np.int64) % 3 == 0
    sq = np.where(quarter_end, _quarter_of(s_day, ctx), -1)
    sl = _ids(snaps["loan_id"]) - 1
    count, b_count = both(loans["manager"][sl], loans["branch"][sl], sq)
    late = (np.asarray(snaps["dpd"]) > 0).astype(float)
    bad, b_bad = both(loans["manager"][sl], loans["branch"][sl], sq, late)
    customers = ctx.tables["customers"]
    cq = _quarter_of(customers["since"], ctx)
    new, b_new = both(_ids(customers["manager_id"]), _ids(customers["home_branch_id"]), cq)
    apps = ctx.tables["applications"]
    decided = np.asarray(apps["decided_at"], dtype="M8[us]")
    aq = np.where(np.isnat(decided), -1, _quarter_of(utc_to_local_date(decided), ctx))
    a_mgr, a_branch = _ids(apps["manager_id"]), _ids(apps["branch_id"])
    dec, b_dec = both(a_mgr, a_branch, aq)
    ok, b_ok = both(a_mgr, a_branch, aq, np.isin(apps["status"], APPROVED_STATUSES).astype(float))
    answers, responses = ctx.tables["survey_answers"], ctx.tables["survey_responses"]
    is_csat = (
        np.asarray(ctx.tables["survey_questions"]["kind"])[np.asarray(answers["question_id"]) - 1]
        == "csat_1_5"
    )
    ri = np.asarray(answers["response_id"])[is_csat] - 1
    score = np.asarray(answers["score"])[is_csat].astype(float)
    rq = _quarter_of(
        utc_to_local_date(np.asarray(responses["submitted_at"], dtype="M8[us]")[ri]), ctx
    )
    r_staff, r_branch = _ids(responses["staff_id"])[ri], _ids(responses["branch_id"])[ri]
    sat, b_sat = both(r_staff, r_branch, rq, score)
    sat_n, b_sat_n = both(r_staff, r_branch, rq)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = {
            "disbursed_amount": amount,
            "new_customers": new,
            "approval_rate": 100 * ok / dec,
            "customer_satisfaction": sat / sat_n,
            "territory_market_share": 100 * amount / b_amount[np.maximum(branch, 1) - 1],
            "portfolio_overdue_rate": 100 * bad / count,
        }
        consultant = np.flatnonzero(np.asarray(staff["role"]) == "sales_consultant")
        heads = np.bincount(branch[np.isin(staff["role"], SALES_ROLES)], minlength=nb + 1)[1:]
        bi = branch[consultant] - 1
        factor = np.exp(
            0.15 * quality[consultant, None] + rng.normal(0, 0.15, (consultant.size, nq))
        )
        proxy = {
            "disbursed_amount": b_amount[bi] / np.maximum(heads[bi, None], 1) * factor,
            "new_customers": np.round(b_new[bi] / np.maximum(heads[bi, None], 1) * factor),
            "approval_rate": 100 * b_ok[bi] / b_dec[bi],
            "customer_satisfaction": b_sat[bi] / b_sat_n[bi],
            "territory_market_share": 100 / np.maximum(heads[bi, None], 1) * factor,
            "portfolio_overdue_rate": 100 * b_bad[bi] / b_count[bi],
        }
    for code, values in proxy.items():
        own[code][consultant] = values
    for code in ("service_attitude", "teamwork", "innovation"):
        own[code] = np.clip(
            np.round(75 + 8 * quality[:, None] + rng.normal(0, 6, (ns, nq))), 40, 100
        )
    return own


def _score(actual: Arr, target: float | None, curve: dict[str, Any]) -> Arr:
    lo, hi = curve["floor"], curve["cap"]
    if curve["type"] == "rating" or not target:
        raw = actual
    elif curve["type"] == "linear_inverse":
        raw = (2.0 - actual / target) * 100
    else:
        raw = actual / target * 100
    return np.where(np.isnan(actual), MISSING_SCORE, np.round(np.clip(raw, lo, hi), 2))


def _appraisal(ctx: DemoContext, rng: np.random.Generator) -> None:
    quarters = _quarters(ctx)
    nq = len(quarters)
    actual = _actuals(ctx, rng, nq)
    staff = ctx.tables["staff"]
    ids = np.asarray(staff["id"], dtype=np.int64)
    role = np.asarray(staff["role"], dtype=object)
    hired = np.asarray(staff["hired_on"], dtype="M8[D]")
    branch = _ids(staff["branch_id"])
    heads = np.flatnonzero(role == "branch_head")
    rater, _ = _group_pick(rng, branch[heads], ids[heads], branch)
    days_in = np.array(
        [(q[2] - max(q[1], ctx.start64)).astype(int) + 1 for q in quarters], dtype=float
    )
    now = local_to_utc(np.array([ctx.as_of64]), np.array([24.0]))[0]
    sales = np.isin(role, SALES_ROLES)
    # a fair share of the branch's disbursement: 100 % ÷ sales staff per branch
    share_target = round(100.0 * len(np.unique(branch[sales])) / max(int(sales.sum()), 1), 1)
    plans: list[tuple[str, str, str, str]] = []
    ind: dict[str, list[Any]] = {
        k: [] for k in ("plan", "code", "name", "kind", "weight", "target", "hib", "curve")
    }
    runs: list[tuple[int, np.datetime64]] = []
    sc: dict[str, list[Arr]] = {k: [] for k in ("run", "staff", "total", "rank", "size")}
    ln: dict[str, list[Arr]] = {
        k: [] for k in ("indicator", "actual", "score", "weighted", "rater", "comment")
    }
    n_ind = len(INDICATORS)
    for r in SALES_ROLES:
        members = np.flatnonzero(role == r)
        for qi, (period, _, q_end) in enumerate(quarters):
            plan_id = len(plans) + 1
            ended = q_end < ctx.as_of64
            plans.append(
                (
                    f"{period} {txt.ROLE_ZH[r]}绩效考核方案",
                    r,
                    period,
                    "closed" if ended else "active",
                )
            )
            ref_q = max(qi - 1, 0)
            first_ind = len(ind["plan"]) + 1
            targets: list[float | None] = []
            for code, name, kind, weight, hib, curve in INDICATORS:
                if code in FIXED_TARGETS:
                    target: float | None = FIXED_TARGETS[code]
                elif kind == "qualitative":
                    target = None
                elif code == "territory_market_share":
                    target = share_target
                else:
                    per_day = (
                        np.nanmean(actual[code][members, ref_q]) / days_in[ref_q]
                        if members.size
                        else 0.0
                    )
                    digits = 1 if code == "disbursed_amount" else 0
                    target = max(round(float(per_day * days_in[qi] * 1.1), digits), 10.0**-digits)
                targets.append(target)
                for key, value in zip(
                    ind, (plan_id, code, name, kind, weight, target, hib, curve), strict=True
                ):
                    ind[key].append(value)
            run_day = q_end + np.timedelta64(int(rng.integers(3, 9)), "D")
            run_at = local_to_utc(np.array([run_day]), np.array([10.0]))[0]
            who = members[hired[members] <= q_end]
            if not ended or run_at > now or who.size == 0:
                continue
            runs.append((plan_id, run_at))
            m = who.size
            scores = np.column_stack(
                [
                    _score(actual[c[0]][who, qi], t, c[5])
                    for c, t in zip(INDICATORS, targets, strict=True)
                ]
            )
            weights = np.array([c[3] for c in INDICATORS])
            weighted = np.round(scores * weights, 2)
            total = np.round(weighted.sum(axis=1), 2)
            rank = np.empty(m, dtype=np.int64)
            rank[np.argsort(-total, kind="stable")] = np.arange(1, m + 1)
            sc["run"].append(np.full(m, len(runs)))
            sc["staff"].append(ids[who])
            sc["total"].append(total)
            sc["rank"].append(rank)
            sc["size"].append(np.full(m, m))
            values = np.column_stack([actual[c[0]][who, qi] for c in INDICATORS])
            missing = np.isnan(values)
            qualitative = np.array([c[2] == "qualitative" for c in INDICATORS])
            ln["indicator"].append(np.tile(np.arange(first_ind, first_ind + n_ind), m))
            ln["actual"].append(np.where(missing, NULL, np.round(values, 4).astype(object)).ravel())
            ln["score"].append(scores.ravel())
            ln["weighted"].append(weighted.ravel())
            ln["rater"].append(
                np.where(qualitative[None, :] & (rater[who, None] > 0), rater[who, None], 0).ravel()
            )
            ln["comment"].append(
                np.where(missing, "本季度无有效样本，按基准分计", NULL).astype(object).ravel()
            )
    ctx.add(
        "appraisal_plans",
        {
            "id": ctx.next_ids("appraisal_plans", len(plans)),
            "name": np.array([p[0] for p in plans], dtype=object),
            "role": np.array([p[1] for p in plans], dtype=object),
            "period": np.array([p[2] for p in plans], dtype=object),
            "version": np.ones(len(plans), dtype=np.int64),
            "status": np.array([p[3] for p in plans], dtype=object),
        },
    )
    ctx.add(
        "appraisal_indicators",
        {
            "id": ctx.next_ids("appraisal_indicators", len(ind["plan"])),
            "plan_id": np.array(ind["plan"]),
            "code": np.array(ind["code"], dtype=object),
            "name": np.array(ind["name"], dtype=object),
            "kind": np.array(ind["kind"], dtype=object),
            "weight": np.array(ind["weight"]),
            "target": np.array(ind["target"], dtype=object),
            "higher_is_better": np.array(ind["hib"]),
            "curve": [dict(c) for c in ind["curve"]],
        },
    )
    ctx.add(
        "appraisal_runs",
        {
            "id": ctx.next_ids("appraisal_runs", len(runs)),
            "plan_id": np.array([r[0] for r in runs], dtype=np.int64),
            "run_at": np.array([r[1] for r in runs], dtype="M8[us]"),
            "status": np.full(len(runs), "done", dtype=object),
        },
    )
    score_ids = ctx.next_ids("appraisal_scores", sum(len(a) for a in sc["staff"]))
    ctx.add(
        "appraisal_scores",
        {
            "id": score_ids,
            "run_id": np.concatenate(sc["run"]),
            "staff_id": np.concatenate(sc["staff"]),
            "total": np.concatenate(sc["total"]),
            "rank_in_group": np.concatenate(sc["rank"]),
            "group_size": np.concatenate(sc["size"]),
        },
    )
    ctx.add(
        "appraisal_score_lines",
        {
            "id": ctx.next_ids("appraisal_score_lines", score_ids.size * n_ind),
            "score_id": np.repeat(score_ids, n_ind),
            "indicator_id": np.concatenate(ln["indicator"]),
            "actual": np.concatenate(ln["actual"]),
            "score": np.concatenate(ln["score"]),
            "weighted": np.concatenate(ln["weighted"]),
            "rated_by_id": _nullable(np.concatenate(ln["rater"])),
            "comment": np.concatenate(ln["comment"]),
        },
    )


MARKET_SOURCE = "示例数据（演示用）"
#: Market growth per quarter by product line (used only where the bank has no balance to scale by).
MARKET_GROWTH = {"housing": 0.004, "consumer": 0.02, "business": 0.015, "private_banking": 0.01}
#: New lending in a quarter as a share of the balance, by product line.
TURNOVER = {"housing": 0.035, "consumer": 0.28, "business": 0.20, "private_banking": 0.12}


def _market(ctx: DemoContext, rng: np.random.Generator) -> None:
    from loanpilot.demo import reference as ref

    quarters = _quarters(ctx)
    len(quarters)
    comps = txt.COMPETITORS
    ctx.add(
        "competitors",
        {
            "id": ctx.next_ids("competitors", len(comps)),
            "name": np.array([c[0] for c in comps], dtype=object),
            "short_name": np.array([c[1] for c in comps], dtype=object),
            "kind": np.array([c[2] for c in comps], dtype=object),
        },
    )
    # competitor products, observed mid-quarter; fixed rates drift down 4 bp a quarter (competition)
    specs = txt.COMPETITOR_PRODUCTS
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "comp",
            "name",
            "line",
            "sub",
            "lo",
            "hi",
            "apr",
            "amount",
            "term",
            "features",
            "day",
            "source",
        )
    }
    sources = ("官网公示", "网点调研", "手机App查询")
    for k, (_, start, _) in enumerate(quarters):
        day = start + np.timedelta64(45, "D")
        if day > ctx.as_of64:
            continue
        lpr1, lpr5 = (float(x) for x in ref.lpr_on(day.astype(object)))
        fund = float(ref.fund_rate_on(day.astype(object), over_five_years=True))
        for comp, name, line, sub, basis, lo, hi, fee, amount, term in specs:
            base = {"lpr_5y": lpr5, "lpr_1y": lpr1, "provident_fund": fund}.get(basis, 0.0)
            drift = -0.0004 * k if basis == "fixed" else 0.0
            noise = round(float(rng.normal(0, 0.0005)) / 0.0005) * 0.0005
            low = round(max(base + lo / 100 + drift + noise, 0.015), 6)
            high = round(max(base + hi / 100 + drift + noise, low), 6)
            cols["comp"].append(comp + 1)
            cols["name"].append(name)
            cols["line"].append(line)
            cols["sub"].append(sub)
            cols["lo"].append(low)
            cols["hi"].append(high)
            cols["apr"].append(round(low + fee / 100 * 12 * 1.85, 6))
            cols["amount"].append(amount * 100)
            cols["term"].append(term)
            cols["features"].append(
                list(txt.FEATURES.get(sub, []))
                + (["全线上申请"] if comps[comp][2] in ("internet", "consumer_finance") else [])
            )
            cols["day"].append(day)
            cols["source"].append(f"{MARKET_SOURCE}：{sources[(comp + k) % len(sources)]}")
    ctx.add(
        "competitor_products",
        {
            "id": ctx.next_ids("competitor_products", len(cols["name"])),
            "competitor_id": np.array(cols["comp"], dtype=np.int64),
            "name": np.array(cols["name"], dtype=object),
            "product_line": np.array(cols["line"], dtype=object),
            "subtype": np.array(cols["sub"], dtype=object),
            "min_annual_rate": np.array(cols["lo"]),
            "max_annual_rate": np.array(cols["hi"]),
            "apr": np.array(cols["apr"]),
            "max_amount_fen": np.array(cols["amount"], dtype=np.int64),
            "max_term_months": np.array(cols["term"], dtype=np.int64),
            "features": cols["features"],
            "observed_on": np.array(cols["day"], dtype="M8[D]"),
            "source": np.array(cols["source"], dtype=object),
        },
    )
    _market_sizes(ctx, rng, quarters)


def _market_sizes(
    ctx: DemoContext,
    rng: np.random.Generator,
    quarters: list[tuple[str, np.datetime64, np.datetime64]],
) -> None:
    """Market balance and new lending per product line × province × quarter.

    The bank's balance at a quarter end is the outstanding principal of its loans in the quarter's
    last month-end delinquency snapshot. The market grows smoothly at the line's rate
    (``MARKET_GROWTH``), at a level that puts the bank's balance of the last two quarter ends at
    s_end ~ U(3.5 %, 6 %) of it; new lending is the balance times the line's ``TURNOVER``. A line
    and province where the bank has no balance takes ``MARKET_SHAPE`` at the median fen per 亿元.
    The demo book holds only loans disbursed in the window, so the bank's share climbs towards
    s_end over the window instead of starting there.
    """
    loans = _loan_view(ctx, top_only=False)  # row = loan id − 1
    nq = len(quarters)
    lines, provinces = list(txt.MARKET_SHAPE), ("浙江", "上海", "江苏")
    branch_province = np.asarray(ctx.tables["branches"]["province"], dtype=object)
    line_idx, prov_of = np.full(len(loans["id"]), -1), np.full(len(loans["id"]), -1)
    for k, line in enumerate(lines):
        line_idx[loans["ptype"] == line] = k
    for k, prov in enumerate(provinces):
        prov_of[branch_province[loans["branch"] - 1] == prov] = k

    def by_combo(rows: Arr, q: Arr, weights: Arr) -> Arr:
        ok = (prov_of[rows] >= 0) & (line_idx[rows] >= 0) & (q >= 0) & (q < nq)
        key = (line_idx[rows][ok] * len(provinces) + prov_of[rows][ok]) * nq + q[ok]
        return np.bincount(
            key, weights=weights[ok], minlength=len(lines) * len(provinces) * nq
        ).reshape(len(lines), len(provinces), nq)

    snaps = ctx.tables["delinquency_snapshots"]
    s_day = np.asarray(snaps["as_of"], dtype="M8[D]")
    sq = _quarter_of(s_day, ctx)
    last = np.array([s_day[sq == k].max() if (sq == k).any() else NAT_D for k in range(nq)])
    sq = np.where((sq >= 0) & (sq < nq) & (s_day == last[np.clip(sq, 0, nq - 1)]), sq, -1)
    ours = by_combo(
        _ids(snaps["loan_id"]) - 1, sq, np.asarray(snaps["outstanding_principal_fen"], dtype=float)
    )
    # a smoothly growing market whose level puts the bank's recent balance at s_end of it
    growth = np.array([1 + MARKET_GROWTH[line] for line in lines])[:, None, None]
    path = growth ** np.arange(-(nq - 1), 1)[None, None, :]
    anchor = ours[:, :, -2:].mean(axis=2) / rng.uniform(0.035, 0.06, ours.shape[:2])
    shape = np.array([[txt.MARKET_SHAPE[line][p] for p in provinces] for line in lines])
    seen = anchor > 0
    fen_per_yi = float(np.median(anchor[seen] / shape[seen])) if seen.any() else 1e7
    anchor = np.where(seen, anchor, shape * fen_per_yi)
    totals = anchor[:, :, None] * path * np.exp(rng.normal(0, 0.004, ours.shape))
    turnover = np.array([TURNOVER[line] for line in lines])[:, None, None]
    new_total = totals * turnover * rng.uniform(0.92, 1.08, ours.shape)
    n = totals.size
    ctx.add(
        "market_sizes",
        {
            "id": ctx.next_ids("market_sizes", n),
            "product_line": np.repeat(np.array(lines, dtype=object), len(provinces) * nq),
            "region": np.tile(np.repeat(np.array(provinces, dtype=object), nq), len(lines)),
            "period": np.tile(
                np.array([q[0] for q in quarters], dtype=object), len(lines) * len(provinces)
            ),
            "total_balance_fen": np.round(totals).astype(np.int64).ravel(),
            "new_lending_fen": np.round(new_total).astype(np.int64).ravel(),
            "source": np.full(n, MARKET_SOURCE, dtype=object),
            "note": np.full(n, "演示用虚构市场规模：按本行余额与假设份额推算", dtype=object),
        },
    )
