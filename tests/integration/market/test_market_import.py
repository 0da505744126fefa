"""Importing market sizes and competitors' products into a fresh database: bad rows each reported
with file, row and column while the good rows are kept; overlapping periods refused in the file and
against stored figures; the same row again updates it; GBK and Excel files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.audit.models import AuditLog
from loanpilot.kit.errors import ConflictError, ImportFileError, ValidationError
from loanpilot.market import importing, service
from loanpilot.market.models import Competitor, CompetitorProduct, MarketSize

TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 8, tzinfo=UTC)
ACTOR = service.Actor(None, "test")
HEADER = "product_line,region,period,total_balance_yuan,new_lending_yuan,source,note\n"


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _import_sizes(factory: sessionmaker[Session], path: Path) -> importing.ImportReport:
    with factory.begin() as s:
        return importing.import_sizes_file(s, path, actor=ACTOR, today=TODAY, now=NOW)


def _stored(factory: sessionmaker[Session]) -> dict[tuple[str, str, str], int]:
    with factory() as s:
        rows = s.scalars(select(MarketSize)).all()
        return {(r.product_line.value, r.region, r.period): r.total_balance_fen for r in rows}


def test_bad_rows_are_reported_and_good_rows_kept(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    path = _write(tmp_path, "sizes.csv", HEADER + "\n".join([
        "housing,浙江,2026Q3,1000000.00,35000,人行,",          # row 2: good
        "mortgage,浙江,2026Q3,1000000,,人行,",                 # row 3: unknown line
        "consumer,上海,2026Q5,12.345,,人行,",                  # row 4: period and amount
        "消费贷款,上海,2026Q3,\"2,500,000.50\",,人行,季报",     # row 5: good (Chinese line, commas)
        "business,江苏,2026Q3,100,,,",                         # row 6: no source
        "business,江苏,2026Q3,100,,人行",                      # row 7: a field short
    ]) + "\n")  # fmt: skip
    report = _import_sizes(session_factory, path)
    assert (report.rows_read, report.created, report.updated) == (6, 2, 0)
    assert report.rejected_rows == 4
    where = {(p.row, p.field) for p in report.rejected}
    assert {(3, "product_line"), (4, "period"), (4, "total_balance_yuan"), (6, "source")} <= where
    assert any(p.row == 7 for p in report.rejected)
    assert all(p.source == "sizes.csv" for p in report.rejected)
    assert _stored(session_factory) == {
        ("housing", "浙江", "2026Q3"): 100_000_000,
        ("consumer", "上海", "2026Q3"): 250_000_050,
    }
    with session_factory() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "market.sizes.import")).one()
        assert audit.detail["created"] == 2
        assert audit.detail["rejected_rows"] == 4


def test_overlapping_periods_refused_in_the_file_and_against_the_database(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    first = _write(tmp_path, "q.csv", HEADER + "\n".join([
        "housing,浙江,2026-10,100,,人行,",   # row 2: good
        "housing,浙江,2026Q4,300,,人行,",    # row 3: overlaps row 2 (2026-10 is in 2026Q4)
        "housing,浙江,2026,1200,,人行,",     # row 4: overlaps row 2
        "housing,浙江,2026-10,101,,人行,",   # row 5: repeats row 2
        "housing,上海,2026Q4,300,,人行,",    # row 6: another region
    ]) + "\n")  # fmt: skip
    report = _import_sizes(session_factory, first)
    assert report.created == 2
    codes = {p.row: getattr(p, "code", "") for p in report.rejected}
    assert codes == {3: "overlap_file", 4: "overlap_file", 5: "duplicate"}
    second = _write(tmp_path, "q2.csv", HEADER + "\n".join([
        "housing,浙江,2026Q4,300,,人行,",    # row 2: overlaps the stored 2026-10
        "housing,浙江,2026-10,150,,人行,更正",  # row 3: the stored period: updated
        "housing,上海,2026-11,90,,人行,",    # row 4: inside the stored 2026Q4 of 上海
    ]) + "\n")  # fmt: skip
    report = _import_sizes(session_factory, second)
    assert (report.created, report.updated) == (0, 1)
    refused = {p.row: p for p in report.rejected}
    assert set(refused) == {2, 4}
    assert "overlaps 2026-10, already stored for housing 浙江" in refused[2].message
    assert _stored(session_factory)[("housing", "浙江", "2026-10")] == 15_000
    # the same rule for one figure entered by hand
    with session_factory() as s, pytest.raises(ConflictError) as refused_one:
        service.save_size(s, {"product_line": "housing", "region": "浙江", "period": "2026",
                              "total_balance_yuan": "1", "source": "x"},
                          actor=ACTOR, today=TODAY, now=NOW)  # fmt: skip
    assert refused_one.value.code == "market.overlap"
    assert refused_one.value.problems[0].field == "period"
    with session_factory.begin() as s:
        saved = service.save_size(s, {"product_line": "housing", "region": "浙江",
                                      "period": "2026-10", "total_balance_yuan": "2",
                                      "source": "x"}, actor=ACTOR, today=TODAY, now=NOW)  # fmt: skip
        assert not saved.created
    with session_factory() as s, pytest.raises(ValidationError) as invalid:
        service.save_size(s, {"product_line": "", "period": "x"}, actor=ACTOR, today=TODAY, now=NOW)
    assert {p.field for p in invalid.value.problems} >= {"product_line", "region", "period"}


def test_gbk_excel_and_unreadable_files(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    text = "产品线,地区,期间,余额(元),新发放(元),来源,备注,多余列\n住房贷款,江苏,2026Q2,5000,200,统计局,说明,x\n"
    report = _import_sizes(session_factory, _write(tmp_path, "gbk.csv", text, "gbk"))
    assert report.encoding == "gb18030"
    assert (report.created, report.rejected_rows) == (1, 0)
    assert report.ignored_columns == ["多余列"]
    with session_factory() as s:
        row = s.scalars(select(MarketSize)).one()
        assert (row.region, row.note, row.new_lending_fen) == ("江苏", "说明", 20_000)
    # a file without a required column is refused whole
    path = _write(tmp_path, "x.csv", "product_line,region,period\nhousing,浙江,2026Q1\n")
    with pytest.raises(ImportFileError) as refused:
        _import_sizes(session_factory, path)
    assert "total_balance_yuan" in refused.value.message
    assert len(_stored(session_factory)) == 1
    # Excel
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["consumer", "浙江", "2026Q1", "800000", "", "人行", ""])
    sheet.append(["consumer", "浙江", "2026-02", "1", "", "人行", ""])
    book.save(tmp_path / "sizes.xlsx")
    report = _import_sizes(session_factory, tmp_path / "sizes.xlsx")
    assert (report.created, report.rejected_rows) == (1, 1)
    assert report.rejected[0].row == 3


COMP_HEADER = ("competitor,competitor_kind,product,product_line,subtype,min_annual_rate,"
               "max_annual_rate,apr,max_amount_yuan,max_term_months,features,observed_on,source\n")  # fmt: skip


def test_competitor_import_creates_competitors_updates_and_rejects(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    path = _write(tmp_path, "comp.csv", COMP_HEADER + "\n".join([
        "甲银行,joint_stock,甲闪电贷,consumer,general_consumer,3.4%,9%,3.6%,300000,36,线上秒批；随借随还,2026-11-15,官网",
        "乙银行,,乙房贷,housing,commercial_mortgage,3.1%,,3.1%,5000000,360,,2026-11-15,网点",
        "甲银行,,甲装修贷,consumer,renovation,3.2%,7%,2%,1000000,60,,2026-11-15,官网",
        "甲银行,,甲闪电贷,consumer,general_consumer,3.4%,9%,3.6%,300000,36,,2026-11-15,官网",
        "甲银行,,甲车贷,consumer,auto,3.3%,6%,,800000,60,4S店直办,2026-11-15,官网",
    ]) + "\n")  # fmt: skip
    with session_factory.begin() as s:
        report = importing.import_competitors_file(s, path, actor=ACTOR, today=TODAY, now=NOW)
    assert (report.created, report.competitors_added) == (2, 1), [str(p) for p in report.rejected]
    refused = {(p.row, p.field) for p in report.rejected}
    assert refused == {(3, "competitor_kind"), (4, "apr"), (5, "product")}
    again = _write(tmp_path, "comp2.csv", COMP_HEADER +
                   "甲,,甲车贷,consumer,auto,3.2%,6%,3.2%,800000,60,,2026-11-15,官网\n")  # fmt: skip
    with session_factory.begin() as s:
        s.execute(Competitor.__table__.update().values(short_name="甲"))
    with session_factory.begin() as s:
        report = importing.import_competitors_file(s, again, actor=ACTOR, today=TODAY, now=NOW)
    assert (report.created, report.updated, report.rejected_rows) == (0, 1, 0)
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(CompetitorProduct)) == 2
        car = s.scalars(select(CompetitorProduct).where(CompetitorProduct.name == "甲车贷")).one()
        assert str(car.apr).startswith("0.032")
        assert car.features == []
