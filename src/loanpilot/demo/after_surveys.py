"""Demo step: surveys with their questions, invitations, responses and answers.

Survey answers follow the documented latent ``SATISFACTION`` (below).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from loanpilot.demo.after_common import NULL, Arr, null_if_zero
from loanpilot.demo.after_text_slots import manager_title
from loanpilot.demo.after_text_surveys import COMMENT_ASPECTS, QUESTIONS, SURVEYS, comment_texts
from loanpilot.demo.context import (
    NAT_US,
    DemoContext,
    by_key,
    local_to_utc,
    pick,
    utc_to_local_date,
)

DIGITAL_CHANNELS = ("online", "mobile", "wechat")


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
    ``after_common.DECISION_SLA`` (consumer 24, housing 120, business 72). For the complaint-closed
    survey

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
#: The best_step choices, in the order of the step utilities in ``add_surveys``.
BEST_STEPS = ("application", "approval_speed", "rate", "staff", "disbursement", "app")


def _tokens(rng: np.random.Generator, n: int) -> Arr:
    """n distinct 32-character hex tokens."""
    table = np.array([f"{i:02x}" for i in range(256)])
    tokens = np.ascontiguousarray(table[rng.integers(0, 256, (n, 16))]).view("U32").ravel()
    assert len(np.unique(tokens)) == n, "token collision"
    out: Arr = tokens.astype(object)
    return out


def add_surveys(
    ctx: DemoContext, rng: np.random.Generator, loans: dict[str, Arr], tickets: dict[str, Arr]
) -> None:
    """Surveys and questions; invitations after loans and closed complaints; responses and answers
    drawn from ``SATISFACTION``."""
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
            + by_key(loans["channel"][rows], model.channel)
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
    responded = (rng.random(n) < by_key(triggers, model.response)) & (responded_at <= now)
    inv_ids = ctx.next_ids("survey_invitations", n)
    ctx.add(
        "survey_invitations",
        {
            "id": inv_ids,
            "survey_id": survey_ids[inv["survey"]],
            "customer_id": inv["customer"],
            "loan_id": null_if_zero(inv["loan"]),
            "ticket_id": null_if_zero(inv["ticket"]),
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
            "branch_id": null_if_zero(resp["branch"]),
            "staff_id": null_if_zero(resp["staff"]),
            "product_id": null_if_zero(resp["product"]),
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
    aspect = np.array(COMMENT_ASPECTS, dtype=object)[np.argmax(aspect_util, axis=1)]
    aspect[resp["survey"] == 3] = "staff"
    with_comment = rng.random(m) < np.where(sentiment == "complaint", 0.7, 0.4)
    product_names = np.append(
        np.asarray(ctx.tables["loan_products"]["name_zh"], dtype=object), "贷款"
    )
    staff_names = np.append(np.asarray(ctx.tables["staff"]["name"], dtype=object), NULL)
    slots = {
        "product": product_names[resp["product"] - 1],
        "staff": manager_title(staff_names[resp["staff"] - 1]),
        "fast": pick(rng, ["当天", "第二天", "两天"], m).astype(object),
        "slow": pick(rng, ["一个多星期", "半个月", "十来天"], m).astype(object),
    }
    comments = comment_texts(rng, sentiment, aspect, slots)
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
