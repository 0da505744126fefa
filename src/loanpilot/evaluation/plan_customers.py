"""Chapter 2 of the work plan, target customers (目标客户定位): the segments of the segmentation the
campaign planner uses (the offer run's, else the current rule segments), their sizes, reach,
response and approval, and their needs (the product lines they apply for); the data-driven
clusters beside them; and which segments the next period should focus on.

Every number is read from a segment's stored profile (``customers.segments.run_segments``), so the
source of each is that run and segment. "Opportunity" ranks segments by the customers a wave of
contact can be expected to win: size × reachable share × historical response rate.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from loanpilot.campaigns import planning
from loanpilot.customers import segments as seg_service
from loanpilot.customers.models_segments import Segment, SegmentRun
from loanpilot.evaluation.plan_common import PRODUCT_TYPES, Figures, dec, pair
from loanpilot.evaluation.plan_types import Chart, Column, Section, Series, Table
from loanpilot.kit.periods import Period

TOP_SEGMENTS = 12
FOCUS = 3
#: A segment's response rate is trusted from this many campaign targets up.
MIN_TARGETS = 100


def _p(segment: Segment, *path: str) -> Any:
    value: Any = segment.profile or {}
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


def opportunity(segment: Segment) -> float:
    """Expected responders of one contact wave: size × reachable share × response rate."""
    rate = _p(segment, "response", "rate") or 0.0
    if (_p(segment, "response", "targets") or 0) < MIN_TARGETS:
        rate = 0.0
    return float(segment.size) * float(_p(segment, "reachable") or 0.0) * float(rate)


def top_need(segment: Segment) -> tuple[str, str]:
    types = _p(segment, "needs", "types") or []
    return pair(PRODUCT_TYPES, types[0]["code"]) if types else ("—", "—")


def run_label(run: SegmentRun) -> str:
    return f"customers.segments.run_segments run_id={run.id} ({run.kind.value} v{run.version}, as_of {run.as_of.isoformat()})"


def name(s: Segment, lang: str) -> str:
    return s.name_zh if lang == "zh" else s.name_en


def _segment_row(s: Segment, lang: str) -> tuple[Any, ...]:
    zh, en = top_need(s)
    return (name(s, lang), s.size, dec(_p(s, "share")), dec(_p(s, "income", "median_fen")),
            dec(_p(s, "reachable")), dec(_p(s, "holdings", "borrowers")),
            dec(_p(s, "response", "rate")), dec(_p(s, "approval", "rate")), zh if lang == "zh" else en)  # fmt: skip


COLUMNS = (
    Column("客群", "Segment"), Column("客户数", "Customers", "count"),
    Column("占比", "Share", "pct"), Column("月收入中位数", "Median monthly income", "fen"),
    Column("可营销占比", "Reachable", "pct"), Column("已有贷款占比", "Borrowers", "pct"),
    Column("历史响应率", "Response rate", "pct"), Column("审批通过率", "Approval rate", "pct"),
    Column("主要需求", "Main need"),
)  # fmt: skip


def plan_section(session: Session, period: Period, as_of: date, *, lang: str = "zh") -> Section:
    ctx = planning.context(session, None)
    run = ctx.segment_run
    title = ("目标客户定位", "Target customers")
    if run is None:
        return Section("customers", *title, paragraphs_zh=(
            "【现状】本行尚未进行客群细分。请先运行 `loanpilot segments build`，再生成本方案。",),
            paragraphs_en=("[Situation] No segmentation has been built yet: run `loanpilot "
                           "segments build`, then generate this plan again.",),
            notes=("尚无客群细分结果。" if lang == "zh" else "No segmentation yet.",))  # fmt: skip
    segs = sorted(seg_service.run_segments(session, run.id), key=lambda s: (-s.size, s.code))
    src = run_label(run)
    f = Figures()
    total = sum(s.size for s in segs)
    f.add("segments", "客群数", "Segments", len(segs), "count", src)
    f.add("customers", "覆盖客户数", "Customers covered", total, "count", src)
    largest = segs[0]
    seg_src = f"{src} segment={largest.code}"
    f.add("largest_name", "最大客群", "Largest segment", name(largest, lang), "text", seg_src)
    f.add(
        "largest_size",
        "最大客群客户数",
        "Largest segment: customers",
        largest.size,
        "count",
        seg_src,
    )
    f.add(
        "largest_share",
        "最大客群占比",
        "Largest segment: share",
        dec(_p(largest, "share")),
        "pct",
        seg_src,
    )
    trusted = [s for s in segs if (_p(s, "response", "targets") or 0) >= MIN_TARGETS]
    best = max(trusted, key=lambda s: _p(s, "response", "rate") or 0.0, default=None)
    if best is not None:
        b_src = f"{src} segment={best.code} field=profile.response"
        f.add(
            "best_name",
            "响应率最高客群",
            "Best-responding segment",
            name(best, lang),
            "text",
            b_src,
        )
        f.add(
            "best_rate",
            "其历史响应率",
            "Its response rate",
            dec(_p(best, "response", "rate")),
            "pct",
            b_src,
        )
    reach = sum(s.size * float(_p(s, "reachable") or 0.0) for s in segs)
    f.add("reachable", "可营销客户占比", "Reachable share", dec(round(reach / total, 6) if total else None), "pct",
          f"{src} field=profile.reachable (size-weighted)")  # fmt: skip
    focus = sorted(segs, key=opportunity, reverse=True)[:FOCUS]
    focus = [s for s in focus if opportunity(s) > 0]
    for i, s in enumerate(focus, 1):
        f.add(
            f"focus{i}",
            f"重点客群{i}",
            f"Focus segment {i}",
            name(s, lang),
            "text",
            f"{src} segment={s.code} rank=opportunity",
        )
        f.add(f"focus{i}_resp", f"重点客群{i}预期响应人数", f"Focus segment {i}: expected responders",
              round(opportunity(s), 1), "count", f"{src} segment={s.code} field=size*reachable*response.rate")  # fmt: skip
    need_zh, need_en = top_need(largest)
    f.add(
        "largest_need",
        "最大客群的主要需求",
        "Largest segment's main need",
        need_zh if lang == "zh" else need_en,
        "text",
        seg_src,
    )

    tables = [Table("客群规模与特征（按客户数前 12 个）", "Segments by size (top 12)", COLUMNS,
                    tuple(_segment_row(s, lang) for s in segs[:TOP_SEGMENTS]), src)]  # fmt: skip
    clusters = seg_service.current_run(session, "clusters")
    if clusters is not None and clusters.id != run.id:
        c_segs = sorted(seg_service.run_segments(session, clusters.id), key=lambda s: -s.size)
        tables.append(Table("数据驱动客群（聚类）画像", "Data-driven clusters", COLUMNS,
                            tuple(_segment_row(s, lang) for s in c_segs), run_label(clusters)))  # fmt: skip
    chart = Chart("各客群客户数与预期响应人数", "Customers and expected responders by segment", "bar",
                  tuple(name(s, lang) for s in segs[:8]),
                  (Series("客户数", "Customers", tuple(s.size for s in segs[:8])),
                   Series("预期响应人数", "Expected responders", tuple(round(opportunity(s), 1) for s in segs[:8]))),
                  "count", src)  # fmt: skip

    zh = [
        "【现状】本行现有客群细分共 {segments} 个，覆盖客户 {customers} 人，其中可依法营销"
        "（已授权、未退订、非黑名单）的客户占 {reachable}。规模最大的客群为“{largest_name}”，"
        "共 {largest_size} 人，占 {largest_share}，其主要需求为{largest_need}。",
    ]
    en = [
        "[Situation] The bank's customers fall into {segments} segments covering {customers} "
        "customers, of whom {reachable} may lawfully be marketed to (consent given, not opted "
        'out, not blacklisted). The largest segment is "{largest_name}" with {largest_size} '
        "customers ({largest_share}); its main need is {largest_need}.",
    ]
    if best is not None:
        zh.append(
            "【分析】从历史营销活动看，“{best_name}”客群的响应率最高，达 {best_rate}；"
            "客群之间响应率与审批通过率差异明显，营销资源应向高响应、高通过的客群倾斜。"
        )
        en.append(
            '[Analysis] In past campaigns "{best_name}" responded best, at {best_rate}; '
            "response and approval differ widely between segments, so marketing effort "
            "should go where both are high."
        )
    if focus:
        keys = "、".join(
            f"“{{focus{i}}}”（预期响应 {{focus{i}_resp}} 人）" for i in range(1, len(focus) + 1)
        )
        keys_en = ", ".join(
            f'"{{focus{i}}}" ({{focus{i}_resp}} expected responders)'
            for i in range(1, len(focus) + 1)
        )
        zh.append(
            f"【下期措施】按“客户数 × 可营销占比 × 历史响应率”测算，下期重点客群为 {keys}；"
            "第六章的活动建议即以这些客群为目标受众。"
        )
        en.append(
            f"[Next period] Ranked by customers × reachable share × response rate, the "
            f"focus segments are {keys_en}; the campaign proposals of chapter 6 target them."
        )
    return Section("customers", *title, paragraphs_zh=tuple(zh), paragraphs_en=tuple(en),
                   figures=f.tuple(), tables=tuple(tables), charts=(chart,))  # fmt: skip
