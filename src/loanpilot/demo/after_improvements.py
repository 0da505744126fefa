"""Demo step: improvement actions raised from complaint tickets and risk alerts, with the metric's
baseline before, the target, and the value measured after."""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo.after_common import Arr, fk_ids, staff_ids
from loanpilot.demo.after_text_topics import TICKET_TOPICS
from loanpilot.demo.context import HOUR, NAT_D, DemoContext, pick, utc_to_local_date

#: Improvement actions per complaint topic: (title, description, metric code). Metric codes are
#: ``complaints_<topic>`` (complaints per month), ``avg_decision_hours``, ``csat_avg`` or ``nps``.
ACTIONS: dict[str, list[tuple[str, str, str]]] = {
    "rate_fee": [
        (
            "统一营销材料年化利率展示口径",
            "排查全部营销物料，按人民银行公告〔2021〕第3号以年化利率为主展示，下架只写日利率、月利率的物料。",
            "complaints_rate_fee",
        ),
        (
            "签约前费用逐项告知并由客户确认",
            "手机银行和网点签约环节增加费用明细确认页。",
            "csat_avg",
        ),
    ],
    "approval_speed": [
        (
            "审批材料一次性告知，减少反复补件",
            "梳理补件原因，制定一次性告知清单并嵌入受理系统。",
            "avg_decision_hours",
        ),
        (
            "上线审批进度短信通知",
            "审批各环节完成后自动短信通知申请人，并在手机银行展示进度。",
            "complaints_approval_speed",
        ),
    ],
    "repayment": [
        (
            "修复批量扣款异常并建立当日重扣机制",
            "排查批量扣款失败原因，扣款失败当日18:00再扣一次，确认后不计逾期。",
            "complaints_repayment",
        ),
        (
            "还款日前三天余额不足提醒",
            "还款日前三天检查还款账户余额，不足时短信提醒。",
            "complaints_repayment",
        ),
    ],
    "prepayment": [
        (
            "开放手机银行提前还款预约",
            "客户可在手机银行预约部分或全部提前还款，并自选缩短期限或减少月供。",
            "complaints_prepayment",
        ),
        (
            "合同首页明示提前还款违约金规则",
            "修订合同模板，在首页以醒目方式列明违约金规则。",
            "complaints_prepayment",
        ),
    ],
    "collection": [
        (
            "规范催收外呼时段与频次",
            "外呼限定在8:00–21:00，同一客户每日不超过3次，禁止联系无关第三人。",
            "complaints_collection",
        ),
        (
            "催收人员合规培训与录音抽检",
            "催收岗全员参加文明催收培训，录音按5%比例抽检。",
            "complaints_collection",
        ),
    ],
    "staff_attitude": [
        ("网点服务礼仪专项培训与暗访", "开展服务礼仪培训，每季度神秘客户暗访全覆盖。", "csat_avg"),
        (
            "客户经理变更主动告知与交接制度",
            "客户经理变更后三个工作日内短信告知客户并完成交接。",
            "complaints_staff_attitude",
        ),
    ],
    "app_experience": [
        (
            "修复手机银行贷款申请闪退及人脸识别问题",
            "联合科技部门定位闪退和人脸识别失败原因，发布修复版本。",
            "complaints_app_experience",
        ),
        ("手机银行贷款页面适老化改造", "推出大字版贷款页面，简化申请步骤。", "nps"),
    ],
    "product_info": [
        (
            "更新产品说明页：条件、额度、期限一目了然",
            "统一产品说明模板，列明申请条件、额度、期限和年化利率区间。",
            "complaints_product_info",
        ),
        ("客户经理产品知识考试", "客户经理每季度参加产品知识考试，不合格者重新培训。", "nps"),
    ],
    "privacy": [
        (
            "营销短信一键退订并实时生效",
            "营销短信附退订方式，退订后实时停止发送并记录。",
            "complaints_privacy",
        ),
        (
            "个人信息授权页面通俗化改版",
            "用通俗语言说明信息用途，单独取得营销授权。",
            "complaints_privacy",
        ),
    ],
    "credit_report": [
        (
            "结清后自动发送结清证明并次日报送征信",
            "贷款结清后自动发送电子结清证明，次日报送征信系统。",
            "complaints_credit_report",
        ),
        (
            "建立征信异议快速处理通道",
            "征信异议20日内办结，系统原因造成的记录及时更正。",
            "complaints_credit_report",
        ),
    ],
}


def _metric_series(ctx: DemoContext, tickets: dict[str, Arr]) -> dict[str, tuple[Arr, Arr]]:
    """(local date, value) observations behind the improvement metrics."""
    out: dict[str, tuple[Arr, Arr]] = {}
    complaint = tickets["type"] == "complaint"
    for topic in TICKET_TOPICS:
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


def add_improvement_actions(
    ctx: DemoContext, rng: np.random.Generator, tickets: dict[str, Arr]
) -> None:
    """Two actions per frequent complaint topic, one per top risk alert; measured where due."""
    series = _metric_series(ctx, tickets)
    complaint = tickets["type"] == "complaint"
    topics, counts = np.unique(tickets["topic"][complaint].astype(str), return_counts=True)
    alerts = ctx.tables.get("risk_alerts")
    n_alerts = min(6, ctx.count("risk_alerts"))
    n_topics = max(5, -(-(14 - n_alerts) // 2))
    rows: list[dict[str, Any]] = []
    window = np.timedelta64(90, "D")
    marketing = staff_ids(ctx, "marketing_manager")
    risk = staff_ids(ctx, "risk_officer")
    for topic in topics[np.argsort(-counts, kind="stable")][:n_topics]:
        cand = np.flatnonzero(
            complaint
            & (tickets["topic"] == topic)
            & (tickets["day"] <= ctx.as_of64 - np.timedelta64(30, "D"))
        )
        for k, (title, description, metric) in enumerate(ACTIONS[str(topic)]):
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
        owners = fk_ids(alerts["owner_id"])
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
