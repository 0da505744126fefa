"""Target lists of a campaign for the people who make the contacts (issue 6): the call centre's
(every treated target reached remotely: call centre, SMS, WeChat, app, online, partner) and the
branches' (the treated targets of the branch channel, grouped by the customer's home branch), as
CSV (UTF-8 with BOM, for Excel) or Excel (the branch list: one sheet per branch).

Each row: customer no, name, phone, product, channel, the suggested headline (the arm's), the
contact window suited to the customer's segment, the segment. The hold-out is never on a list.
Only customers who may be contacted now are listed (PIPL: a customer who withdrew consent, opted
out or was blacklisted after the list was drawn is left out, and counted as ``excluded``), and
only those in the caller's customer scope. Names and phone numbers are masked
(``planning_rules.mask_row``) unless the caller holds ``lists:unmask`` and asks for the clear list;
every export is audited (``pii.export`` for a clear one, ``campaign.targets.export`` for a masked
one), the detail naming the campaign and the row counts, never a person. Nothing here logs
personal data.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote

import pandas as pd
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from loanpilot.audit.service import record, safe_cell
from loanpilot.campaigns import planning_rules as rules
from loanpilot.campaigns import repository_planning as repo
from loanpilot.campaigns.models import Campaign, CampaignPlan, CampaignWindow
from loanpilot.campaigns.planning import CHANNELS, get_campaign
from loanpilot.customers.service import Crypto
from loanpilot.kit.errors import FieldProblem, PermissionDeniedError, ValidationError

Audience = Literal["call_center", "branch"]
Format = Literal["csv", "xlsx"]
AUDIENCES: tuple[str, ...] = ("call_center", "branch")
FORMATS: tuple[str, ...] = ("csv", "xlsx")
#: The channels each list covers.
LIST_CHANNELS: dict[str, tuple[str, ...]] = {
    "branch": ("branch",),
    "call_center": tuple(c for c in CHANNELS if c != "branch"),
}
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HEADERS: dict[str, tuple[str, str]] = {
    "branch_code": ("网点代码", "Branch code"),
    "branch": ("网点", "Branch"),
    "customer_no": ("客户号", "Customer no"),
    "name": ("姓名", "Name"),
    "phone": ("手机号", "Phone"),
    "product": ("产品", "Product"),
    "channel": ("渠道", "Channel"),
    "headline": ("推荐话术", "Suggested headline"),
    "window": ("联系时段", "Contact window"),
    "segment": ("客群", "Segment"),
}
CHANNEL_NAMES: dict[str, tuple[str, str]] = {
    "online": ("网上银行", "Online"),
    "mobile": ("手机银行", "Mobile app"),
    "branch": ("网点", "Branch"),
    "partner": ("合作机构", "Partner"),
    "call_center": ("电话中心", "Call centre"),
    "sms": ("短信", "SMS"),
    "wechat": ("微信", "WeChat"),
    "referral": ("转介绍", "Referral"),
}
_WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    content: bytes
    rows: int
    masked: bool


def content_disposition(filename: str) -> str:
    """An attachment header any browser reads: an ASCII fallback (anything but letters, digits,
    ``.``, ``_`` and ``-`` becomes ``_``, so no quote or line break can end the value) and the
    name itself as RFC 5987 ``filename*`` (UTF-8, percent-encoded)."""
    fallback = _NOT_TOKEN.sub("_", filename).strip("._") or "list"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def parse_request(audience: str, fmt: str) -> tuple[Audience, Format]:
    """The list and format asked for; a ValidationError naming both when either is unknown."""
    problems = []
    if audience not in AUDIENCES:
        problems.append(
            FieldProblem("for", f"must be call_center or branch; got {audience[:20]!r}")
        )
    if fmt not in FORMATS:
        problems.append(FieldProblem("format", f"must be csv or xlsx; got {fmt[:20]!r}"))
    if problems:
        raise ValidationError("export.invalid", "The export request is not valid", problems)
    return audience, fmt  # type: ignore[return-value]


def _weekdays(text: str, lang: str) -> str:
    days = [int(ch) for ch in text if ch.isdigit() and 1 <= int(ch) <= 7]
    if sorted(days) == list(range(1, 8)):
        return "每天" if lang == "zh" else "daily"
    if lang == "zh":
        return "周" + "、".join(_WEEKDAYS["zh"][d - 1] for d in days)
    return "/".join(_WEEKDAYS["en"][d - 1] for d in days)


def window_text(window: CampaignWindow, lang: str) -> str:
    """``周末（上班族） 2026-12-05–2026-12-27 周六、日 10:00–18:00``."""
    return (
        f"{window.label} {window.starts_on.isoformat()}–{window.ends_on.isoformat()} "
        f"{_weekdays(window.weekdays, lang)} {window.start_hour:02d}:00–{window.end_hour:02d}:00"
    )


def _windows_by_segment(
    campaign: Campaign, windows: Sequence[CampaignWindow], segments: set[str | None], lang: str
) -> dict[str | None, str]:
    general = [w for w in windows if w.segment_code is None]
    fallback = (
        "；".join(window_text(w, lang) for w in general)
        if general
        else f"{campaign.starts_on.isoformat()}–{campaign.ends_on.isoformat()}"
    )
    result: dict[str | None, str] = {None: fallback}
    for code in segments:
        own = [w for w in windows if code is not None and w.segment_code == code]
        result[code] = "；".join(window_text(w, lang) for w in own) if own else fallback
    return result


def list_frame(
    session: Session,
    campaign: Campaign,
    audience: Audience,
    crypto: Crypto,
    lang: str,
    scope: ColumnElement[bool] | None = None,
) -> tuple[pd.DataFrame, int]:
    """The rows of a list, unmasked (the callers mask), with the headline and window, and how
    many treated targets were left out because they may not be contacted now."""
    found = repo.export_rows(session, campaign.id, LIST_CHANNELS[audience], scope)
    rows = found.rows
    blobs = rows["phone_enc"].tolist()
    present = [b for b in blobs if b is not None]
    clear = iter(crypto.cipher.decrypt_many(present, field="phone")) if present else iter(())
    rows["phone"] = [next(clear) if b is not None else None for b in blobs]
    arms = {a.arm: a for a in repo.arms(session, campaign.id)}
    segment_codes = set(rows["segment_code"].dropna())
    windows = _windows_by_segment(campaign, repo.windows(session, campaign.id), segment_codes, lang)
    zh = lang == "zh"

    def headline(arm: object, product: object) -> str:
        found = arms.get(arm) if isinstance(arm, str) else None
        if found is not None:
            return found.headline_zh if zh or not found.headline_en else found.headline_en
        return f"{campaign.theme} · {product}" if product else campaign.theme

    product = rows["product_name_zh" if zh else "product_name_en"]
    frame = pd.DataFrame(
        {
            "branch_code": rows["branch_code"],
            "branch": rows["branch_name"],
            "customer_no": rows["customer_no"],
            "name": rows["name"],
            "phone": rows["phone"],
            "product": product,
            "channel": rows["channel"].map(lambda c: CHANNEL_NAMES.get(c, (c, c))[0 if zh else 1]),
            "headline": [headline(a, p) for a, p in zip(rows["arm"], product, strict=True)],
            "window": rows["segment_code"].map(
                lambda s: windows.get(s if isinstance(s, str) else None, windows[None])
            ),
            "segment": rows["segment_code"],
        }
    )
    return frame, found.excluded


def _sheet_name(code: object, name: object, used: set[str]) -> str:
    base = _SHEET_BAD.sub(" ", f"{code or '-'} {name or ''}".strip())[:28] or "list"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base[:26]}~{n}", n + 1
    used.add(candidate)
    return candidate


def _cell(value: object) -> str:
    """A cell as text: missing values blank, formula-looking text defused (CSV injection)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return safe_cell(value)


def _table(frame: pd.DataFrame, columns: Sequence[str], lang: str) -> pd.DataFrame:
    table = frame[list(columns)].map(_cell)
    table.columns = [HEADERS[c][0 if lang == "zh" else 1] for c in columns]
    return table


def render_file(frame: pd.DataFrame, audience: Audience, fmt: Format, lang: str) -> bytes:
    """The list as CSV (UTF-8 with BOM) or Excel; the branch list grouped by home branch."""
    columns = [c for c in HEADERS if audience == "branch" or c not in ("branch_code", "branch")]
    if fmt == "csv":
        table = _table(frame, columns, lang)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(table.columns)
        writer.writerows(table.itertuples(index=False))
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as book:
        if audience == "branch" and not frame.empty:
            used: set[str] = set()
            for (code, name), part in frame.groupby(["branch_code", "branch"], dropna=False):
                sheet = _sheet_name(code, name, used)
                _table(part, columns, lang).to_excel(book, sheet_name=sheet, index=False)
        else:
            _table(frame, columns, lang).to_excel(book, sheet_name="list", index=False)
    return out.getvalue()


def export_targets(
    session: Session,
    campaign_id: int,
    *,
    audience: Audience,
    fmt: Format,
    crypto: Crypto,
    lang: str,
    now: datetime,
    scope: ColumnElement[bool] | None,
    unmasked: bool = False,
    may_unmask: bool = False,
    staff_id: int | None = None,
    actor_label: str = "system",
    client_address: str | None = None,
) -> ExportFile:
    """One target list of a campaign as a file, only the customers in ``scope`` (the caller's:
    ``customers.repository.scope_clause``; None: the whole bank); masked unless ``unmasked`` and
    ``may_unmask`` (the caller holds ``lists:unmask``: PermissionDeniedError otherwise).
    Audited; flushes."""
    if unmasked and not may_unmask:
        raise PermissionDeniedError(
            "auth.forbidden", "An unmasked target list needs the lists:unmask permission"
        )
    found = get_campaign(session, campaign_id)
    frame, excluded = list_frame(session, found, audience, crypto, lang, scope)
    if not unmasked:
        masking = crypto.masking
        rule = rules.MaskRule(
            masking.phone_head, masking.phone_tail, masking.id_head, masking.id_tail
        )
        frame = rules.mask_frame(frame, rule)
    content = render_file(frame, audience, fmt, lang)
    record(
        session,
        action="pii.export" if unmasked else "campaign.targets.export",
        actor_staff_id=staff_id,
        actor_label=actor_label,
        entity="campaign",
        entity_id=str(campaign_id),
        detail={
            "list": audience,
            "format": fmt,
            "rows": len(frame),
            "excluded": excluded,
            "masked": not unmasked,
        },
        client_address=client_address,
        at=now,
    )
    suffix = "" if not unmasked else "-unmasked"
    return ExportFile(
        filename=f"{found.code}-{audience}{suffix}.{fmt}",
        media_type=MEDIA_TYPES[fmt],
        content=content,
        rows=len(frame),
        masked=not unmasked,
    )


# --- the optimised list of a plan (the CLI's --out) -------------------------------------------------

PLAN_HEADERS: dict[str, tuple[str, str]] = {
    **{k: v for k, v in HEADERS.items() if k not in ("headline", "window")},
    "group": ("分组", "Group"),
    "expected_profit_yuan": ("预期增量利润（元）", "Expected incremental profit (yuan)"),
    "expected_uplift": ("预期提升", "Expected uplift"),
}


def plan_file(
    session: Session,
    plan: CampaignPlan,
    *,
    crypto: Crypto,
    lang: str,
    fmt: Format,
    now: datetime,
    unmasked: bool = False,
    actor_label: str = "cli",
) -> tuple[bytes, int]:
    """A solved plan's list as CSV or Excel, masked unless ``unmasked``; audited like a
    campaign's export. Flushes. Only customers who may be contacted now are listed; once the plan
    is applied, only its treated targets (neither the hold-out nor those dropped at apply time).
    The CLI runs as an operator, so the whole bank is in scope."""
    selection = (plan.summary or {}).get("selection") or {}
    ids = [int(i) for i in selection.get("offer_ids", [])]
    segments = dict(zip(ids, selection.get("segments", []), strict=False))
    found = repo.plan_rows(session, ids)
    groups = repo.groups_of(session, plan.campaign_id, plan.id) if plan.campaign_id else {}
    rows, held_out, not_on_list = found.rows, 0, 0
    if groups:  # applied: the list is its treated targets
        group = rows["customer_id"].map(groups)
        held_out = int((group == "control").sum())
        not_on_list = int(group.isna().sum())
        rows = rows[group == "treatment"].reset_index(drop=True)
    present = [b for b in rows["phone_enc"].tolist() if b is not None]
    clear = iter(crypto.cipher.decrypt_many(present, field="phone")) if present else iter(())
    rows["phone"] = [next(clear) if b is not None else None for b in rows["phone_enc"]]
    zh = lang == "zh"
    seg_by_customer = _segments_by_customer(session, ids, segments)
    frame = pd.DataFrame(
        {
            "branch_code": rows["branch_code"],
            "branch": rows["branch_name"],
            "customer_no": rows["customer_no"],
            "name": rows["name"],
            "phone": rows["phone"],
            "product": rows["product_name_zh" if zh else "product_name_en"],
            "channel": rows["channel"].map(lambda c: CHANNEL_NAMES.get(c, (c, c))[0 if zh else 1]),
            "segment": rows["customer_id"].map(seg_by_customer),
            "group": rows["customer_id"].map(groups),
            "expected_profit_yuan": (rows["expected_profit_fen"] / 100).round(2),
            "expected_uplift": rows["uplift"].astype("float64").round(4),
        }
    )
    if not unmasked:
        masking = crypto.masking
        rule = rules.MaskRule(
            masking.phone_head, masking.phone_tail, masking.id_head, masking.id_tail
        )
        frame = rules.mask_frame(frame, rule)
    table = frame.map(_cell)
    table.columns = [PLAN_HEADERS[c][0 if zh else 1] for c in frame.columns]
    if fmt == "csv":
        buffer = io.StringIO()
        table.to_csv(buffer, index=False, lineterminator="\r\n")
        content = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    else:
        out = io.BytesIO()
        with pd.ExcelWriter(out, engine="openpyxl") as book:
            table.to_excel(book, sheet_name="plan", index=False)
        content = out.getvalue()
    record(
        session,
        action="pii.export" if unmasked else "campaign.plan.export",
        actor_label=actor_label,
        entity="campaign_plan",
        entity_id=str(plan.id),
        detail={
            "format": fmt,
            "rows": len(frame),
            "excluded": found.excluded,
            "held_out": held_out,
            "not_on_list": not_on_list,
            "masked": not unmasked,
        },
        at=now,
    )
    return content, len(frame)


def _segments_by_customer(
    session: Session, offer_ids: list[int], segments: dict[int, object]
) -> dict[int, object]:
    offers = repo.offers_by_ids(session, offer_ids)
    return {
        int(cid): segments.get(int(oid))
        for oid, cid in zip(offers["offer_id"], offers["customer_id"], strict=True)
    }
