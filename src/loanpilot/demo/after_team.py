"""Demo steps: training courses and records, certificates, mentor pairs and job rotations."""

from __future__ import annotations

import numpy as np

from loanpilot.demo.after_common import (
    MANAGER_ROLES,
    NULL,
    SALES_ROLES,
    days_between,
    fk_ids,
    group_pick,
)
from loanpilot.demo.context import NAT_D, DemoContext, pick

#: Roles that take training: the sales roles and the other front- and back-office roles.
TRAINED_ROLES = (
    *SALES_ROLES,
    "branch_head",
    "risk_officer",
    "approver",
    "collector",
    "service_agent",
)

#: Training courses: (code, title, topic, hours, mandatory for roles, has an exam).
COURSES: tuple[tuple[str, str, str, float, tuple[str, ...], bool], ...] = (
    ("TR-PRD-01", "个人住房贷款产品知识", "product", 4.0, SALES_ROLES, True),
    ("TR-PRD-02", "消费贷款与经营贷款产品知识", "product", 4.0, SALES_ROLES, True),
    ("TR-SAL-01", "顾问式销售技巧", "sales", 6.0, ("sales_consultant",), False),
    ("TR-SAL-02", "客户需求分析与综合金融服务", "sales", 6.0, (), False),
    ("TR-CMP-01", "合规经营与消费者权益保护", "compliance", 3.0, TRAINED_ROLES, True),
    ("TR-CMP-02", "反洗钱基础与可疑交易识别", "compliance", 2.0, TRAINED_ROLES, True),
    ("TR-CMP-03", "个人金融信息保护（JR/T 0171-2020）", "privacy", 2.0, TRAINED_ROLES, True),
    ("TR-CMP-04", "年化利率明示与营销宣传规范", "compliance", 2.0, SALES_ROLES, True),
    ("TR-RSK-01", "信用风险识别与反欺诈", "risk", 4.0, ("risk_officer", "approver"), True),
    (
        "TR-RSK-02",
        "贷后管理与风险预警处置",
        "risk",
        3.0,
        ("risk_officer", "customer_manager", "senior_customer_manager"),
        True,
    ),
    ("TR-RSK-03", "催收合规与文明催收", "collection", 3.0, ("collector",), True),
    (
        "TR-RSK-04",
        "金融资产风险分类与不良资产管理",
        "risk",
        3.0,
        ("risk_officer", "approver"),
        True,
    ),
    (
        "TR-SVC-01",
        "客户服务礼仪与投诉处理",
        "service",
        3.0,
        ("service_agent", "sales_consultant"),
        False,
    ),
    ("TR-SVC-02", "适老化服务与特殊群体关怀", "service", 2.0, (), False),
    ("TR-DIG-01", "手机银行与线上贷款流程", "digital", 2.0, (), False),
    (
        "TR-MGT-01",
        "团队管理与绩效辅导",
        "management",
        4.0,
        ("branch_head", "senior_customer_manager"),
        False,
    ),
)

#: Certificates: (name, issuer, validity in years or 0 for none, weight as a second certificate).
CERTIFICATES: tuple[tuple[str, str, int, float], ...] = (
    ("银行业专业人员职业资格（个人贷款）", "中国银行业协会", 0, 0.0),
    ("AFP金融理财师", "现代国际金融理财标准（上海）有限公司", 2, 0.45),
    ("基金从业资格", "中国证券投资基金业协会", 0, 0.25),
    ("证券从业资格", "中国证券业协会", 0, 0.15),
    ("CFP国际金融理财师", "现代国际金融理财标准（上海）有限公司", 2, 0.10),
    ("银行业专业人员职业资格（风险管理）", "中国银行业协会", 0, 0.05),
)


def add_training(ctx: DemoContext, rng: np.random.Generator) -> None:
    """The course catalogue and the staff's attendance of its sessions, with exam scores."""
    courses = COURSES
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
    trainees = np.flatnonzero(np.isin(role, TRAINED_ROLES))
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


def add_people_development(ctx: DemoContext, rng: np.random.Generator) -> None:
    """Certificates of customer managers, mentor pairs for new ones, job rotations."""
    staff = ctx.tables["staff"]
    ids = np.asarray(staff["id"], dtype=np.int64)
    role = np.asarray(staff["role"], dtype=object)
    branch = fk_ids(staff["branch_id"])
    hired = np.asarray(staff["hired_on"], dtype="M8[D]")
    cms = np.flatnonzero(np.isin(role, MANAGER_ROLES))
    second = rng.random(cms.size) < np.where(role[cms] == "senior_customer_manager", 0.9, 0.6)
    certs = CERTIFICATES
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
    issued = days_between(rng, np.minimum(earliest, ctx.as_of64), np.full(n, ctx.as_of64))
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
    mentor, found = group_pick(rng, branch[seniors], ids[seniors], branch[new])
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
    current = fk_ids(staff["org_unit_id"])
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
    start = days_between(
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
