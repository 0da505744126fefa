"""The words a bank's file may use for our coded values, Chinese and English.

Keys are compared after :func:`label_key` (NFKC, trimmed, case-folded, spaces, dashes and
underscores removed), so ``Company Employee``, ``company_employee`` and ``企业员工`` all match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

_SEPARATORS = re.compile(r"[\s_\-/]+")


def label_key(text: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).casefold()


def _table(pairs: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """``{code: (labels...)}`` → ``{label_key(label): code}``, the code itself included."""
    out: dict[str, str] = {}
    for code, labels in pairs.items():
        for label in (code, *labels):
            out[label_key(label)] = code
    return out


OCCUPATIONS = _table(
    {
        "civil_servant": ("公务员", "事业单位", "公务员/事业单位", "事业单位人员", "civil servant"),
        "company_employee": ("企业员工", "公司职员", "职员", "企业职工", "employee"),
        "freelancer": ("自由职业者", "自由职业"),
        "self_employed": ("个体工商户", "个体户", "小微企业主", "个体经营", "self employed"),
        "student": ("学生", "在校学生"),
        "retired": ("退休人员", "退休", "离退休人员"),
    }
)
EDUCATIONS = _table(
    {
        "below_high_school": ("初中及以下", "初中", "小学", "初中以下"),
        "high_school": ("高中", "中专", "高中/中专", "技校", "职高"),
        "college": ("大专", "专科", "高职"),
        "bachelor": ("本科", "大学本科", "学士"),
        "postgraduate": ("研究生", "硕士", "博士", "研究生及以上", "硕士研究生", "博士研究生"),
    }
)
MARITAL_STATUSES = _table(
    {
        "single": ("未婚", "单身"),
        "married": ("已婚", "初婚", "再婚", "复婚"),
        "divorced": ("离异", "离婚"),
        "widowed": ("丧偶",),
    }
)
CHANNELS = _table(
    {
        "online": ("网上银行", "网银", "门户", "官网", "网站", "web"),
        "mobile": ("手机银行", "app", "移动端", "手机"),
        "branch": ("网点", "柜面", "柜台", "营业网点", "线下"),
        "partner": ("合作机构", "合作方", "渠道合作"),
        "call_center": ("电话中心", "电话银行", "客服电话", "电话", "call center"),
        "sms": ("短信",),
        "wechat": ("微信", "微信银行", "公众号"),
        "referral": ("转介绍", "推荐", "客户推荐"),
    }
)
REPAYMENT_METHODS = _table(
    {
        "equal_instalment": ("等额本息", "equal installment", "annuity"),
        "equal_principal": ("等额本金",),
        "interest_only": ("先息后本", "按月付息到期还本", "按月付息,到期还本", "interest first"),
        "bullet": ("一次性还本付息", "到期一次还本付息", "利随本清"),
    }
)
GENDERS = _table({"M": ("男", "male", "m"), "F": ("女", "female", "f")})
BOOLEANS: dict[str, bool] = {
    label_key(k): v
    for k, v in {
        "是": True,
        "否": False,
        "有": True,
        "无": False,
        "同意": True,
        "不同意": False,
        "y": True,
        "n": False,
        "yes": True,
        "no": False,
        "1": True,
        "0": False,
        "true": True,
        "false": False,
        "t": True,
        "f": False,
        "√": True,
        "×": False,
    }.items()
}
