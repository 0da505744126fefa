"""Demo step: feedback tickets (complaints, inquiries, suggestions) with their texts, SLA dates,
assignment, resolution and the customer's confirmation.

Ticket topics are the fixed list ``after_text_topics.TICKET_TOPICS``.
"""

from __future__ import annotations

import numpy as np

from loanpilot.demo.after_common import (
    MANAGER_ROLES,
    NULL,
    Arr,
    days_between,
    fk_ids,
    null_if_zero,
    staff_ids,
)
from loanpilot.demo.after_text_slots import make_slots, replace
from loanpilot.demo.after_text_tickets import resolution_texts, ticket_texts
from loanpilot.demo.after_text_topics import TICKET_TOPICS, TICKET_TYPES, TOPIC_MIX
from loanpilot.demo.context import HOUR, NAT_US, DemoContext, by_key, local_to_utc, pick, zfill


def add_tickets(
    ctx: DemoContext, rng: np.random.Generator, loans: dict[str, Arr]
) -> dict[str, Arr]:
    """The feedback tickets; returns the columns the later service steps need."""
    n = max(30, round(ctx.n_customers / 15))
    ttype = pick(rng, TICKET_TYPES, n, (0.45, 0.40, 0.15)).astype(object)
    topics = np.array(list(TICKET_TOPICS), dtype=object)
    topic = np.empty(n, dtype=object)
    for t in TICKET_TYPES:
        mask = ttype == t
        topic[mask] = pick(rng, topics, int(mask.sum()), TOPIC_MIX[t])
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
    bound = (rng.random(n) < by_key(topic, p_loan, 0.5)) & (nl > 0)
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
        case_loan = fk_ids(cases["loan_id"])
        pos_of = np.full(int(max(loans["id"].max(), case_loan.max())) + 1, -1)
        pos_of[loans["id"]] = np.arange(nl)
        ci = rng.integers(0, len(case_loan), coll.size)
        pos = pos_of[case_loan[ci]]
        ok = pos >= 0
        li[coll[ok]] = pos[ok]
        lo[coll[ok]] = np.asarray(cases["opened_on"], dtype="M8[D]")[ci[ok]]
    lo = np.minimum(np.maximum(lo, ctx.start64), ctx.as_of64)
    day = days_between(rng, lo, np.clip(hi, lo, ctx.as_of64))
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
    home = fk_ids(customers["home_branch_id"])[cidx]
    sub_ids = ctx.latent.get("sub_branch_ids", np.asarray(ctx.tables["branches"]["id"]))
    branch = np.where(bound, at("branch"), np.where(anonymous, 0, home))
    text_branch = np.where(branch > 0, branch, pick(rng, sub_ids, n))
    cms = staff_ids(ctx, *MANAGER_ROLES)
    manager = np.where(bound, at("manager"), fk_ids(customers["manager_id"])[cidx])
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
    slots = make_slots(
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
    subject, body = ticket_texts(rng, topic, ttype, channel, slots)

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
    agents = staff_ids(ctx, "service_agent")
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
    assigned_col = null_if_zero(np.where((status == "open") & (rng.random(n) < 0.4), 0, assigned))
    confirmed_at = resolved_at + (rng.exponential(30.0, n) * 3600e6).astype("m8[us]")
    late_confirm = (status == "closed") & (confirmed_at > now)
    status[late_confirm] = "resolved"
    confirmed = np.full(n, None, dtype=object)
    closed = status == "closed"
    confirmed[closed] = rng.random(int(closed.sum())) < 0.88
    confirmed[status == "reopened"] = False
    has_confirm = ~np.equal(confirmed, NULL)
    resolution = resolution_texts(rng, topic, slots)
    resolution[~done] = None
    ids = ctx.next_ids("feedback_tickets", n)
    ymd = replace(np.datetime_as_string(day, unit="D"), "-", "").astype(str)
    has_loan = bound & ~waiting  # a customer still waiting for the decision has no loan yet
    ctx.add(
        "feedback_tickets",
        {
            "id": ids,
            "ticket_no": np.char.add(np.char.add("FB", ymd), zfill(ids.astype(str), 6)).astype(
                object
            ),
            "customer_id": null_if_zero(cust),
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
            "branch_id": null_if_zero(branch),
            "status": status,
            "resolution": resolution,
            "resolved_at": np.where(done, resolved_at, NAT_US),
            "customer_confirmed": confirmed,
            "confirmed_at": np.where(has_confirm, confirmed_at, NAT_US),
            "product_id": null_if_zero(np.where(bound, product, 0)),
            "loan_id": null_if_zero(np.where(has_loan, at("id"), 0)),
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
        "manager": fk_ids(customers["manager_id"])[cidx] * (cust > 0),
    }
