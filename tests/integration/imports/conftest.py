"""Fixtures for the import tests: a migrated database on each backend with the branch, staff and
product rows the import files refer to, and helpers that write real CSV and Excel files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from loanpilot.config import Settings
from loanpilot.db.models import metadata
from loanpilot.imports.service import ImportReport, import_file
from loanpilot.kit.ids import make_resident_id
from loanpilot.products.models import LoanProduct
from loanpilot.team.models import Branch, Staff

TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)

CUSTOMER_HEADER = [
    "姓名",
    "证件号码",
    "手机号",
    "职业",
    "月收入",
    "城市",
    "省份",
    "学历",
    "婚姻状况",
    "所属网点",
    "客户经理工号",
    "营销授权",
    "是否缴存公积金",
    "是否有房",
    "来源渠道",
    "开户日期",
]


def person_id(seq: int, birth: date = date(1988, 5, 17), male: bool = True) -> str:
    """A valid ID, distinct for each ``seq`` below 500 (the order code's last digit is the sex)."""
    return make_resident_id("330106", birth, (2 * seq + 1) % 1000, male)


def customer_row(seq: int, **overrides: str) -> list[str]:
    values = {
        "姓名": f"张{'三四五六七八九'[seq % 7]}",
        "证件号码": person_id(seq),
        "手机号": f"138{seq:08d}",
        "职业": "企业员工",
        "月收入": "12000.50",
        "城市": "杭州",
        "省份": "浙江",
        "学历": "本科",
        "婚姻状况": "已婚",
        "所属网点": "BR0101",
        "客户经理工号": "E0001",
        "营销授权": "是",
        "是否缴存公积金": "Y",
        "是否有房": "0",
        "来源渠道": "网点",
        "开户日期": "2024/03/05",
    }
    values.update(overrides)
    return [values[h] for h in CUSTOMER_HEADER]


def write_csv(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[str]], encoding: str = "utf-8"
) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "客户"
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


@dataclass
class ImportEnv:
    """The database and a directory for files; the file helpers hang off it because test modules
    cannot import this conftest (pytest runs with ``--import-mode=importlib``)."""

    settings: Settings
    engine: Engine
    dir: Path
    header = CUSTOMER_HEADER
    today = TODAY
    person_id = staticmethod(person_id)
    customer_row = staticmethod(customer_row)

    def csv(
        self,
        name: str,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        encoding: str = "utf-8",
    ) -> Path:
        return write_csv(self.dir / name, header, rows, encoding)

    def xlsx(self, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
        return write_xlsx(self.dir / name, header, rows)

    def customers_csv(
        self, name: str, rows: Sequence[Sequence[str]], encoding: str = "utf-8"
    ) -> Path:
        return write_csv(self.dir / name, CUSTOMER_HEADER, rows, encoding)

    def run(self, kind: str, path: Path, **kwargs: Any) -> ImportReport:
        kwargs.setdefault("today", TODAY)
        kwargs.setdefault("now", NOW)
        return import_file(kind, path, self.settings, self.engine, **kwargs)

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(metadata.tables[table])).scalar_one()
            )

    def counts(self) -> dict[str, int]:
        names = ("customers", "consents", "loans", "repayment_schedules", "repayments")
        return {name: self.count(name) for name in names}

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())


@pytest.fixture
def env(settings: Settings, migrated_engine: Engine, tmp_path: Path) -> Iterator[ImportEnv]:
    seed_reference(migrated_engine)
    work = tmp_path / "files"
    work.mkdir()
    return ImportEnv(settings, migrated_engine, work)


def seed_reference(engine: Engine) -> None:
    """One branch, one customer manager and two products, inserted with the ORM."""
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        branch = Branch(
            code="BR0101",
            name="杭州上城支行",
            level="sub_branch",
            province="浙江",
            city="杭州",
            city_tier=1,
        )
        session.add(branch)
        session.flush()
        session.add(
            Staff(
                employee_no="E0001",
                name="李经理",
                gender="F",
                role="customer_manager",
                branch_id=branch.id,
                hired_on=date(2015, 7, 1),
            )
        )
        for code, basis, methods in (
            ("XF01", "fixed", ["equal_instalment", "equal_principal", "interest_only", "bullet"]),
            ("ZF01", "lpr_5y", ["equal_instalment", "equal_principal"]),
        ):
            session.add(
                LoanProduct(
                    code=code,
                    name_zh="消费贷" if code == "XF01" else "房贷",
                    name_en="Consumer" if code == "XF01" else "Mortgage",
                    product_type="consumer" if code == "XF01" else "housing",
                    subtype="general_consumer" if code == "XF01" else "commercial_mortgage",
                    min_amount_fen=1_000_000,
                    max_amount_fen=500_000_000,
                    min_term_months=6,
                    max_term_months=60 if code == "XF01" else 360,
                    rate_basis=basis,
                    min_spread=Decimal("0.03"),
                    max_spread=Decimal("0.18"),
                    monthly_fee_rate=Decimal(0),
                    upfront_fee_rate=Decimal(0),
                    repayment_methods=methods,
                    collateral_required="none",
                    eligibility={},
                    component_product_ids=[],
                    launched_on=date(2020, 1, 1),
                )
            )
