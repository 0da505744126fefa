"""Messages of the work-plan pages and the generated work plan (zh/en)."""

from __future__ import annotations

from loanpilot.web.i18n.labels import labels

PLAN: dict[str, dict[str, str]] = labels(
    "plan",
    {
        "title": ("营销工作方案", "Marketing work plans"),
        "subtitle": (
            "由本行数据自动生成的个人贷款营销工作方案：九章内容、图表与数据来源，可在线查看或下载 HTML / PDF。",
            "The personal-loan marketing work plan generated from the bank's own data: nine "
            "chapters, charts and the source of every number; view it online or download it as "
            "HTML or PDF.",
        ),
        "generate": ("生成方案", "Generate a plan"),
        "generating": ("正在生成，约需数秒…", "Generating; this takes a few seconds…"),
        "period": ("期间", "Period"),
        "period_hint": (
            "如 2026Q4、2026-10、2026H2 或 2026",
            "e.g. 2026Q4, 2026-10, 2026H2 or 2026",
        ),
        "lang": ("语言", "Language"),
        "lang_zh": ("中文", "Chinese"),
        "lang_en": ("英文", "English"),
        "list": ("已生成的方案", "Generated plans"),
        "none": ("尚未生成任何方案。", "No plan has been generated yet."),
        "col_id": ("编号", "No."),
        "col_period": ("期间", "Period"),
        "col_lang": ("语言", "Language"),
        "col_as_of": ("数据截至", "Data as of"),
        "col_generated": ("生成时间", "Generated"),
        "col_missing": ("暂缺章节", "Chapters missing"),
        "col_actions": ("操作", "Actions"),
        "view": ("查看", "View"),
        "download_html": ("下载 HTML", "Download HTML"),
        "download_pdf": ("下载 PDF", "Download PDF"),
        "made": ("方案 #{id} 已生成。", "Plan #{id} has been generated."),
        "read_only": (
            "你可以查看和下载方案；生成方案需要“生成营销工作方案”权限。",
            "You may view and download plans; generating one needs the plan:write permission.",
        ),
        "problems": ("请修正以下问题：", "Please correct the following:"),
    },
)
