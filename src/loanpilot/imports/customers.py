"""Importing customers: validate every row at once, encrypt the personal data, insert the new ones.

A customer is identified by the blind index of their resident ID number. A row whose ID is
already in the database is the same customer and is left as it is ("unchanged": an import
never overwrites), so importing the same file twice changes nothing. The same ID twice in one
file rejects the second row. Birth date and gender come from the ID; a ``性别`` or ``出生日期``
column, when present, must agree with it. New customers get the consents the file states:
personal-data processing always, marketing when ``营销授权`` says yes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.dtypes import StringDType

from loanpilot.imports import repository as repo
from loanpilot.imports.context import ImportContext, Outcome
from loanpilot.imports.customers_write import DEFAULT_CHANNEL, CustomerRows, write
from loanpilot.imports.labels import (
    CHANNELS,
    EDUCATIONS,
    GENDERS,
    MARITAL_STATUSES,
    OCCUPATIONS,
)
from loanpilot.imports.mapping import FieldSpec
from loanpilot.imports.parsing import (
    Mask,
    Text,
    day64,
    empty,
    first_of_duplicates,
    lookup,
    parse_amounts,
    parse_bools,
    parse_choices,
    parse_dates,
)
from loanpilot.kit.ids import codepoints, validate_mobiles, validate_resident_ids

KIND = "customers"
FIELDS = (
    FieldSpec("customer_no", ("客户号", "客户编号", "客户代码", "客户号码")),
    FieldSpec("name", ("姓名", "客户姓名", "客户名称", "名字"), required=True, personal="name"),
    FieldSpec(
        "id_number",
        ("证件号码", "身份证号", "身份证号码", "身份证", "证件号", "身份证件号码", "id no"),
        required=True,
        personal="id",
    ),
    FieldSpec(
        "phone",
        ("手机号", "手机号码", "手机", "移动电话", "联系电话", "联系手机"),
        personal="phone",
    ),
    FieldSpec("occupation", ("职业", "职业类别", "职业类型"), required=True),
    FieldSpec("monthly_income", ("月收入", "月均收入", "个人月收入", "收入"), required=True),
    FieldSpec("province", ("省份", "省", "所在省份")),
    FieldSpec("city", ("城市", "所在城市", "市")),
    FieldSpec("education", ("学历", "文化程度", "最高学历")),
    FieldSpec("marital_status", ("婚姻状况", "婚姻状态", "婚姻")),
    FieldSpec("employer_kind", ("单位性质", "工作单位性质")),
    FieldSpec("has_provident_fund", ("是否缴存公积金", "缴存公积金", "公积金")),
    FieldSpec("provident_fund_monthly", ("公积金月缴存额", "公积金月缴额", "公积金缴存额")),
    FieldSpec("owns_home", ("是否有房", "有房", "是否有房产")),
    FieldSpec("branch_code", ("所属网点", "网点代码", "网点号", "网点编号", "机构号", "所属机构")),
    FieldSpec("manager_employee_no", ("客户经理工号", "客户经理", "管户经理工号", "管户客户经理")),
    FieldSpec("source_channel", ("来源渠道", "获客渠道", "渠道", "客户来源")),
    FieldSpec("preferred_channel", ("偏好渠道", "首选渠道")),
    FieldSpec("marketing_consent", ("营销授权", "是否同意营销", "营销同意")),
    FieldSpec("since", ("开户日期", "建档日期", "入行日期", "成为客户日期")),
    FieldSpec("gender", ("性别",)),
    FieldSpec("birth_date", ("出生日期", "生日"), personal="date"),
)
_OCCUPATION_HINT = (
    "is not an occupation: use 公务员, 企业员工, 自由职业者, 个体工商户, 学生 or 退休人员 "
    "(or civil_servant, company_employee, freelancer, self_employed, student, retired)"
)


def run(ctx: ImportContext) -> Outcome:
    """Validate, look up, encrypt and insert; the caller owns the transaction."""
    ctx.report("validate", 0, 1)
    rows = _validate(ctx)
    ctx.report("validate", 1, 1)
    return write(ctx, rows)


# --- validation ---------------------------------------------------------------------------------


def _validate(ctx: ImportContext) -> CustomerRows:
    log, n = ctx.log, ctx.n
    rows = CustomerRows(n)
    cols = rows.columns

    name = ctx.text("name")
    check = log.check("name", name)
    check.fail(empty(name), "is required")
    check.fail(np.strings.str_len(name) > 50, "is longer than 50 characters")
    cols["name"] = name.astype(object)

    _validate_id(ctx, rows)
    _validate_phone(ctx, rows)

    choice = ctx.parse_unique("occupation", lambda v: parse_choices(v, OCCUPATIONS))
    check = log.check("occupation", ctx.raw("occupation"))
    check.fail(ctx.empty("occupation"), "is required")
    check.fail(choice.bad, _OCCUPATION_HINT)
    cols["occupation"] = choice.values

    income = ctx.text("monthly_income")
    parsed = parse_amounts(income, ctx.unit("monthly_income"))
    check = log.check("monthly_income", income)
    check.fail(empty(income), "is required")
    check.fail(parsed.bad, parsed.reasons)
    check.fail(parsed.values < 0, "must not be negative")
    cols["monthly_income_fen"] = parsed.values

    unit = ctx.unit("provident_fund_monthly")
    parsed = ctx.parse_unique("provident_fund_monthly", lambda v: parse_amounts(v, unit))
    given = ~ctx.empty("provident_fund_monthly")
    check = log.check("provident_fund_monthly", ctx.raw("provident_fund_monthly"))
    check.fail(given & parsed.bad, parsed.reasons)
    check.fail(given & (parsed.values < 0), "must not be negative")
    fund_fen = parsed.values.astype(object)
    fund_fen[~given] = None
    cols["provident_fund_monthly_fen"] = fund_fen

    for field, table, default in (
        ("education", EDUCATIONS, None),
        ("marital_status", MARITAL_STATUSES, None),
        ("source_channel", CHANNELS, DEFAULT_CHANNEL),
        ("preferred_channel", CHANNELS, None),
    ):
        cols[field] = _optional_choice(ctx, field, table, default)
    for field in ("has_provident_fund", "owns_home", "marketing_consent"):
        cols[field] = _optional_bool(ctx, field)
    rows.consent = cols["marketing_consent"]

    codes, employer = ctx.unique("employer_kind")
    log.check("employer_kind", ctx.raw("employer_kind")).fail(
        (np.strings.str_len(employer) > 32)[codes], "is longer than 32 characters"
    )
    cols["employer_kind"] = _none_if_empty(employer)[codes]

    _validate_places(ctx, rows)
    _validate_since(ctx, rows)
    _validate_customer_no(ctx, rows)
    return rows


def _validate_id(ctx: ImportContext, rows: CustomerRows) -> None:
    raw = ctx.text("id_number")
    lower_x = np.asarray(np.strings.endswith(raw, "x"))
    ids = raw.copy()
    if lower_x.any():
        ids[lower_x] = np.strings.upper(raw[lower_x])
    check = ctx.log.check("id_number", raw)
    missing = empty(ids)
    check.fail(missing, "is required")
    ok, reasons = validate_resident_ids(ids, ctx.today)
    check.fail(~ok, reasons)
    first = first_of_duplicates(ids, ok)
    duplicate = first >= 0
    shown = np.full(ctx.n, None, dtype=object)
    shown[duplicate] = [
        f"duplicate of row {r}: the same ID number appears twice in the file"
        for r in ctx.table.rows[first[duplicate]].tolist()
    ]
    check.fail(duplicate, shown)
    rows.ids, rows.id_ok = ids, ok & ~duplicate

    good = np.flatnonzero(ok)
    codes = codepoints(ids[good], 18).astype(np.int64) - ord("0")
    birth = np.full(ctx.n, np.datetime64("NaT"), dtype="datetime64[D]")
    year = codes[:, 6:10] @ np.array([1000, 100, 10, 1])
    month = codes[:, 10:12] @ np.array([10, 1])
    day = codes[:, 12:14] @ np.array([10, 1])
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    birth[good] = months.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
    gender = np.full(ctx.n, None, dtype=object)
    gender[good] = np.where(codes[:, 16] % 2 == 1, "M", "F")
    rows.columns["birth_date"] = birth
    rows.columns["gender"] = gender

    if ctx.has("gender"):
        stated = ctx.text("gender")
        parsed = parse_choices(stated, GENDERS)
        check = ctx.log.check("gender", stated)
        check.fail(~empty(stated) & parsed.bad, "is not a gender (use 男/女 or M/F)")
        check.fail(~empty(stated) & ok & (parsed.values != gender), "does not match the ID number")
    if ctx.has("birth_date"):
        stated = ctx.text("birth_date")
        parsed_date = parse_dates(stated)
        check = ctx.log.check("birth_date", stated)
        check.fail(~empty(stated) & parsed_date.bad, parsed_date.reasons)
        check.fail(
            ~empty(stated) & ok & (parsed_date.values != birth), "does not match the ID number"
        )


def _validate_phone(ctx: ImportContext, rows: CustomerRows) -> None:
    raw = ctx.text("phone")
    given = ~empty(raw)
    positions = np.flatnonzero(given)
    if positions.size == 0:
        return
    normalised, ok, reasons = validate_mobiles(raw[positions])
    full_reasons = np.full(ctx.n, None, dtype=object)
    full_reasons[positions] = reasons
    failed = np.zeros(ctx.n, dtype=bool)
    failed[positions[~ok]] = True
    ctx.log.check("phone", raw).fail(failed, full_reasons)
    rows.phones[positions[ok]] = normalised[ok]


def _optional_choice(
    ctx: ImportContext, field: str, table: dict[str, str], default: str | None
) -> npt.NDArray[np.object_]:
    given = ~ctx.empty(field)
    parsed = ctx.parse_unique(field, lambda v: parse_choices(v, table))
    allowed = ", ".join(sorted(set(table.values())))
    ctx.log.check(field, ctx.raw(field)).fail(given & parsed.bad, f"is not one of: {allowed}")
    out = np.asarray(parsed.values, dtype=object)
    out[~given] = default
    return out


def _optional_bool(ctx: ImportContext, field: str) -> Mask:
    given = ~ctx.empty(field)
    parsed = ctx.parse_unique(field, parse_bools)
    ctx.log.check(field, ctx.raw(field)).fail(given & parsed.bad, parsed.reasons)
    return np.asarray(parsed.values & given)


def _none_if_empty(values: Text) -> npt.NDArray[np.object_]:
    out = values.astype(object)
    out[empty(values)] = None
    return np.asarray(out)


def _validate_places(ctx: ImportContext, rows: CustomerRows) -> None:
    """Branch and manager must exist; province and city default to the branch's."""
    cols, log = rows.columns, ctx.log
    branches = repo.branches(ctx.conn) if ctx.has("branch_code") else {}
    codes, branch_codes = ctx.unique("branch_code")
    ids, known = lookup(branch_codes, {k: v.id for k, v in branches.items()})
    given = ~ctx.empty("branch_code")
    found = known[codes]
    log.check("branch_code", ctx.raw("branch_code")).fail(
        given & ~found, "is not a branch code in the database"
    )
    home = ids[codes].astype(object)
    home[~(given & found)] = None
    cols["home_branch_id"] = home

    staff = repo.staff(ctx.conn) if ctx.has("manager_employee_no") else {}
    m_codes, numbers = ctx.unique("manager_employee_no")
    m_ids, m_known = lookup(numbers, staff)
    given_m = ~ctx.empty("manager_employee_no")
    log.check("manager_employee_no", ctx.raw("manager_employee_no")).fail(
        given_m & ~m_known[m_codes], "is not an employee number in the database"
    )
    manager_col = m_ids[m_codes].astype(object)
    manager_col[~(given_m & m_known[m_codes])] = None
    cols["manager_id"] = manager_col

    for field in ("province", "city"):
        f_codes, f_values = ctx.unique(field)
        values = f_values.astype(object)[f_codes]
        missing = np.flatnonzero(ctx.empty(field))
        if missing.size and branches:
            by_code = {k: getattr(v, field) for k, v in branches.items()}
            branch_of = branch_codes.astype(object)[codes[missing]]
            values[missing] = [by_code.get(str(c), "") for c in branch_of.tolist()]
        check = log.check(field, ctx.raw(field))
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        check.fail(lengths == 0, "is required (or give branch_code to take the branch's)")
        check.fail(lengths > 32, "is longer than 32 characters")
        cols[field] = values


def _validate_since(ctx: ImportContext, rows: CustomerRows) -> None:
    given = ~ctx.empty("since")
    parsed = ctx.parse_unique("since", parse_dates)
    check = ctx.log.check("since", ctx.raw("since"))
    check.fail(given & parsed.bad, parsed.reasons)
    check.fail(given & (parsed.values > day64(ctx.today)), "is in the future")
    values = parsed.values.copy()
    values[~given] = day64(ctx.today)
    rows.columns["since"] = values


def _validate_customer_no(ctx: ImportContext, rows: CustomerRows) -> None:
    if not ctx.has("customer_no"):
        rows.customer_no = np.full(ctx.n, "", dtype=StringDType())
        return
    numbers = ctx.text("customer_no")
    given = ~empty(numbers)
    check = ctx.log.check("customer_no", numbers)
    check.fail(np.strings.str_len(numbers) > 20, "is longer than 20 characters")
    first = first_of_duplicates(numbers, given)
    duplicate = first >= 0
    shown = np.full(ctx.n, None, dtype=object)
    shown[duplicate] = [f"duplicate of row {r}" for r in ctx.table.rows[first[duplicate]].tolist()]
    check.fail(duplicate, shown)
    rows.customer_no = numbers
