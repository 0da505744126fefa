"""Template filling for the Chinese text of the demo bank's after-sales data: ``fill`` puts slot
values (product names, amounts, branch names, dates, …) into ``{slot}`` templates, ``make_slots`` draws
those values for every row.

Everything here is vectorised: ``fill`` loops over the (few) templates, never over rows.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence

import numpy as np

from loanpilot.demo.after_common import Arr

_OCCUPATION_ZH = {
    "civil_servant": "公务员",
    "company_employee": "公司职员",
    "freelancer": "自由职业者",
    "self_employed": "个体户",
    "student": "学生",
    "retired": "退休人员",
}
_PURPOSE_ZH = {
    "education": ["孩子学费", "在职进修"],
    "medical": ["家人手术", "看病"],
    "travel": ["出国旅游", "蜜月旅行"],
    "auto": ["买车", "换车"],
    "renovation": ["装修", "买家具家电"],
    "general_consumer": ["日常消费", "买家电"],
    "operating": ["店铺进货", "资金周转"],
    "credit": ["资金周转", "付货款"],
    "secured": ["扩大经营", "租新店面"],
    "private_banking": ["资产配置", "资金周转"],
}
_HOUSING_PURPOSE = ["付首付", "买房"]
_PICKS: dict[str, tuple[str, ...]] = {
    "days": ("三天", "五天", "一周", "十多天", "半个月", "两周"),
    "times": ("5", "8", "十几", "二十多"),
    "late": ("晚上10点", "早上7点", "晚上9点多", "中午午休时"),
    "who": ("家人", "同事", "单位领导", "朋友"),
    "penalty": ("1%", "2%", "3个月利息"),
    "months": ("一年", "两年", "6个月", "半年"),
    "device": ("安卓手机", "苹果手机", "华为手机", "平板"),
    "feature": ("上传身份证", "人脸识别", "填写工作信息", "电子合同签署", "额度查询", "还款计划"),
    "fast": ("当天", "第二天", "两天"),
    "slow": ("一个多星期", "半个月", "十来天"),
}
_FORMATTER = string.Formatter()


def _parse(template: str) -> list[tuple[str, str | None]]:
    return [(literal, field) for literal, field, _, _ in _FORMATTER.parse(template)]


def slot_names(template: str) -> set[str]:
    return {field for _, field in _parse(template) if field}


def fill(templates: Sequence[str], choice: Arr, slots: Mapping[str, Arr]) -> Arr:
    """Row i gets ``templates[choice[i]]`` with ``{slot}`` replaced by ``slots[slot][i]``."""
    out = np.full(len(choice), "", dtype=object)
    for t, template in enumerate(templates):
        rows = np.flatnonzero(choice == t)
        if rows.size == 0:
            continue
        text = np.full(rows.size, "", dtype=object)
        for literal, field in _parse(template):
            if literal:
                text = text + literal
            if field:
                text = text + slots[field][rows]
        out[rows] = text
    return out


def replace(texts: Arr, old: str, new: str, count: int = -1) -> Arr:
    """``str.replace`` on every element (an object array back); empty input is fine."""
    if len(texts) == 0:
        return np.asarray(texts, dtype=object)
    out: Arr = np.char.replace(np.asarray(texts).astype(str), old, new, count=count).astype(object)
    return out


def choose(rng: np.random.Generator, options: Sequence[str], n: int) -> Arr:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


def _amount_text(fen: Arr) -> Arr:
    yuan = np.asarray(fen, dtype=float) / 100
    wan = replace(np.char.mod("%.1f万元", yuan / 10_000), ".0万", "万")
    return np.where(yuan >= 10_000, wan, np.char.mod("%d元", np.round(yuan))).astype(object)


def _date_text(day: Arr) -> Arr:
    month = (day.astype("M8[M]") - day.astype("M8[Y]")).astype(int) + 1
    dom = (day - day.astype("M8[M]")).astype(int) + 1
    return np.char.add(np.char.mod("%d月", month), np.char.mod("%d日", dom)).astype(object)


def manager_title(names: Arr) -> Arr:
    """王芳 → 王经理, 欧阳明 → 欧阳经理; a missing name (None or "") → 客户经理."""
    raw = np.asarray(names, dtype=object)
    text = np.where(np.equal(raw, np.array(None, dtype=object)), "", raw).astype(str)
    compound = np.char.startswith(text, "欧阳") | np.char.startswith(text, "诸葛")
    surname = np.where(compound, text.astype("U2"), text.astype("U1"))
    return np.where(surname == "", "客户经理", np.char.add(surname, "经理")).astype(object)


def _month_text(day: Arr) -> Arr:
    year = day.astype("M8[Y]").astype(int) + 1970
    month = (day.astype("M8[M]") - day.astype("M8[Y]")).astype(int) + 1
    return np.char.add(np.char.mod("%d年", year), np.char.mod("%d月", month)).astype(object)


def make_slots(
    rng: np.random.Generator,
    *,
    product: Arr,
    product2: Arr,
    subtype: Arr,
    branch: Arr,
    staff: Arr,
    amount_fen: Arr,
    term_months: Arr,
    rate: Arr,
    apr: Arr,
    day: Arr,
    occupation: Arr,
    income_fen: Arr,
) -> dict[str, Arr]:
    """Slot values for every row (all slots are filled, whether a template uses them or not).

    ``day`` is the reference date (e.g. the ticket's receipt date); ``staff`` a name, of which the
    surname is used (王经理); rates are fractions.
    """
    n = len(product)
    day = np.asarray(day, dtype="M8[D]")
    purpose = np.asarray(choose(rng, _HOUSING_PURPOSE, n))
    for sub, options in _PURPOSE_ZH.items():
        mask = np.asarray(subtype) == sub
        purpose[mask] = choose(rng, options, int(mask.sum()))
    occ = np.asarray(occupation, dtype=object)
    occ_zh = np.full(n, "上班族", dtype=object)
    for code, label in _OCCUPATION_ZH.items():
        occ_zh[occ == code] = label
    fee_fen = np.maximum(np.asarray(amount_fen, dtype=float) * rng.uniform(0.001, 0.01, n), 5_000)
    slots = {
        "product": np.asarray(product, dtype=object),
        "product2": np.asarray(product2, dtype=object),
        "branch": np.asarray(branch, dtype=object),
        "staff": manager_title(staff),
        "amount": _amount_text(amount_fen),
        "period": np.char.mod("%d", np.asarray(term_months, dtype=np.int64)).astype(object),
        "rate": np.char.mod("%.2f%%", np.asarray(rate, dtype=float) * 100).astype(object),
        "apr": np.char.mod("%.2f%%", np.asarray(apr, dtype=float) * 100).astype(object),
        # the lower rate a customer says was advertised or promised
        "quoted": np.char.mod(
            "%.2f%%",
            np.maximum(np.asarray(rate, dtype=float) - rng.uniform(0.005, 0.02, n), 0.018) * 100,
        ).astype(object),
        "fee": np.char.mod("%d元", np.round(fee_fen / 100)).astype(object),
        "date": _date_text(day - rng.integers(1, 40, n).astype("m8[D]")),
        "month": _month_text(day - rng.integers(30, 400, n).astype("m8[D]")),
        "dom": np.char.mod("%d", rng.integers(5, 26, n)).astype(object),
        "income": np.char.mod(
            "%d元", np.round(np.asarray(income_fen, dtype=float) / 100_000) * 1000
        ).astype(object),
        "occupation": occ_zh,
        "purpose": purpose.astype(object),
    }
    for key, values in _PICKS.items():
        slots[key] = choose(rng, values, n)
    return slots


def pick_index(rng: np.random.Generator, count: int, n: int) -> Arr:
    return rng.integers(0, count, n)
