"""Benchmark: importing customers from CSV against a bare ``pandas.read_csv`` of the same file.

    .venv/bin/python bench/import.py              # 1,000,000 rows
    .venv/bin/python bench/import.py --rows 100000

Generates a customer CSV (UTF-8, Chinese headers, valid resident IDs and mobile numbers, seeded),
then, each in a fresh child process so that peak memory is measured separately:

* the peer: ``pandas.read_csv(path, dtype=str)``;
* ours: ``loanpilot.imports.service.import_file("customers", path, ...)`` into a new SQLite file
  (migrated with ``db.migrate.upgrade``): read, validate, encrypt, write customers and consents
  in one transaction, with the audit record.

Prints rows/s of both, the ratio (ours / read_csv), the time of each import phase and the peak
RSS of each process. Everything lives in a temporary directory that is removed afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SEED = 20261129
TODAY = date(2026, 11, 29)
HEADER = [
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
CITIES = [("杭州", "浙江"), ("宁波", "浙江"), ("温州", "浙江"), ("上海", "上海"), ("南京", "江苏")]
REGIONS = ["330102", "330106", "330203", "330302", "310101", "320102", "420106", "510107"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂")
OCCUPATIONS = ["企业员工", "公务员", "自由职业者", "个体工商户", "学生", "退休人员"]
EDUCATIONS = ["本科", "大专", "高中", "研究生", "初中及以下"]
MARITAL = ["已婚", "未婚", "离异", "丧偶"]
CHANNELS = ["网点", "手机银行", "网上银行", "微信", "合作机构"]
BRANCHES = [f"BR01{i:02d}" for i in range(1, 11)]
MANAGERS = [f"E{i:04d}" for i in range(1, 51)]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def generate(path: Path, n: int, seed: int) -> None:
    from loanpilot.kit.ids import make_resident_ids

    rng = np.random.default_rng(seed)
    male = rng.random(n) < 0.5
    birth = np.datetime64("1950-01-01") + rng.integers(0, 365 * 55, n).astype("m8[D]")
    region = np.array(REGIONS)[rng.integers(0, len(REGIONS), n)]
    seq = rng.integers(0, 1000, n)
    ids = make_resident_ids(region, birth, seq, male)
    for _ in range(50):  # redraw the order code of the few clashes until every ID is unique
        _, first = np.unique(ids, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        seq[dup] = rng.integers(0, 1000, int(dup.sum()))
        ids[dup] = make_resident_ids(region[dup], birth[dup], seq[dup], male[dup])
    prefixes = np.array(["138", "139", "186", "151", "177", "199"])[rng.integers(0, 6, n)]
    tails = rng.choice(100_000_000, size=n, replace=False).astype("U8")
    phones = np.char.add(prefixes, np.char.zfill(tails, 8))
    names = np.char.add(
        np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)],
        np.array(GIVEN)[rng.integers(0, len(GIVEN), n)],
    )
    city = rng.integers(0, len(CITIES), n)
    income = np.round(rng.lognormal(9.2, 0.5, n), 2)
    since = np.datetime64("2015-01-01") + rng.integers(0, 365 * 11, n).astype("m8[D]")
    frame = pd.DataFrame(
        {
            "姓名": names,
            "证件号码": ids,
            "手机号": phones,
            "职业": np.array(OCCUPATIONS)[rng.integers(0, len(OCCUPATIONS), n)],
            "月收入": np.char.mod("%.2f", income),
            "城市": np.array([c for c, _ in CITIES])[city],
            "省份": np.array([p for _, p in CITIES])[city],
            "学历": np.array(EDUCATIONS)[rng.integers(0, len(EDUCATIONS), n)],
            "婚姻状况": np.array(MARITAL)[rng.integers(0, len(MARITAL), n)],
            "所属网点": np.array(BRANCHES)[rng.integers(0, len(BRANCHES), n)],
            "客户经理工号": np.array(MANAGERS)[rng.integers(0, len(MANAGERS), n)],
            "营销授权": np.where(rng.random(n) < 0.7, "是", "否"),
            "是否缴存公积金": np.where(rng.random(n) < 0.6, "Y", "N"),
            "是否有房": np.where(rng.random(n) < 0.5, "1", "0"),
            "来源渠道": np.array(CHANNELS)[rng.integers(0, len(CHANNELS), n)],
            "开户日期": since.astype(str),
        },
        columns=HEADER,
    )
    frame.to_csv(path, index=False, encoding="utf-8")


def prepare_database(url: str) -> None:
    from sqlalchemy.orm import Session

    from loanpilot.db.migrate import upgrade
    from loanpilot.db.session import make_engine
    from loanpilot.team.models import Branch, Staff

    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        branches = [
            Branch(code=code, name=f"支行{code}", level="sub_branch", province="浙江", city="杭州")
            for code in BRANCHES
        ]
        session.add_all(branches)
        session.flush()
        session.add_all(
            Staff(
                employee_no=no,
                name=f"经理{no}",
                gender="F",
                role="customer_manager",
                branch_id=branches[i % len(branches)].id,
                hired_on=date(2015, 1, 1),
            )
            for i, no in enumerate(MANAGERS)
        )
    engine.dispose()


@contextlib.contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A fresh database on the server for one run, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    base = make_url(server_url)
    if base.get_driver_name() in ("", "psycopg2"):
        base = base.set(drivername="postgresql+psycopg")
    name = f"bench_import_{os.getpid()}"
    admin = create_engine(
        base.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def child_peer(path: Path) -> dict[str, Any]:
    started = time.perf_counter()
    frame = pd.read_csv(path, dtype=str)
    seconds = time.perf_counter() - started
    return {"rows": len(frame), "seconds": seconds, "peak_rss_mib": peak_rss_mib()}


def child_ours(path: Path, url: str, var_dir: Path) -> dict[str, Any]:
    from loanpilot.config import get_settings
    from loanpilot.db.session import make_engine
    from loanpilot.imports.service import import_file

    settings = get_settings(environment="test", var_dir=var_dir, database_url=url)
    engine = make_engine(url)
    inside = _time_bulk_insert()
    spent: dict[str, float] = {}
    current = ["read", time.perf_counter()]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        previous, since = current
        spent[str(previous)] = spent.get(str(previous), 0.0) + now - float(since)
        current[:] = [phase, now]

    started = time.perf_counter()
    current[1] = started
    report = import_file("customers", path, settings, engine, progress=progress, today=TODAY)
    seconds = time.perf_counter() - started
    progress("done", 0, 0)
    engine.dispose()
    phases = {k: spent[k] for k in ("read", "validate", "encrypt", "write", "commit") if k in spent}
    return {
        "rows": report.rows_read,
        "inserted": report.inserted,
        "rejected": report.rejected,
        "written": report.written,
        "seconds": seconds,
        "phases": phases,
        "bulk_insert": inside,
        "peak_rss_mib": peak_rss_mib(),
    }


def _time_bulk_insert() -> dict[str, float]:
    """Time spent in ``db.bulk.bulk_insert`` (and its ``prepare_rows``) during the import."""
    from loanpilot.db import bulk
    from loanpilot.imports import customers_write

    spent = {"bulk_insert": 0.0, "prepare_rows": 0.0}
    insert, prepare = bulk.bulk_insert, bulk.prepare_rows

    def timed_insert(*args: Any, **kwargs: Any) -> int:
        started = time.perf_counter()
        try:
            return insert(*args, **kwargs)
        finally:
            spent["bulk_insert"] += time.perf_counter() - started

    def timed_prepare(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return prepare(*args, **kwargs)
        finally:
            spent["prepare_rows"] += time.perf_counter() - started

    customers_write.bulk_insert = timed_insert  # type: ignore[assignment]
    bulk.prepare_rows = timed_prepare  # type: ignore[assignment]
    return spent


def run_child(*args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")}
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to generate")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--postgres",
        metavar="SERVER_URL",
        help="also import into a fresh database on this PostgreSQL server (created and dropped)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "peer":
            result = child_peer(Path(rest[0]))
        else:
            result = child_ours(Path(rest[0]), rest[1], Path(rest[2]))
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="loanpilot-bench-import-") as tmp:
        work = Path(tmp)
        path = work / "customers.csv"
        started = time.perf_counter()
        generate(path, args.rows, args.seed)
        size_mib = path.stat().st_size / 2**20
        print(
            f"generated {args.rows:,} customer rows, {size_mib:.0f} MiB, "
            f"in {time.perf_counter() - started:.1f}s"
        )
        url = f"sqlite:///{(work / 'bench.db').as_posix()}"
        prepare_database(url)
        peer = run_child("peer", str(path))
        results = {"sqlite": run_child("ours", str(path), url, str(work / "var"))}
        if args.postgres:
            with postgres_database(args.postgres) as pg_url:
                prepare_database(pg_url)
                results["postgresql"] = run_child("ours", str(path), pg_url, str(work / "var"))

    peer_rate = peer["rows"] / peer["seconds"]
    print(
        f"pandas.read_csv(dtype=str):           {peer['seconds']:7.2f}s {peer_rate:11,.0f} rows/s"
        f"  peak RSS {peer['peak_rss_mib']:,.0f} MiB"
    )
    for backend, ours in results.items():
        rate = ours["rows"] / ours["seconds"]
        print(
            f"loanpilot import customers ({backend:<10}) {ours['seconds']:7.2f}s {rate:11,.0f} "
            f"rows/s  peak RSS {ours['peak_rss_mib']:,.0f} MiB  ratio {rate / peer_rate:.3f}"
        )
        phases = ", ".join(f"{k} {v:.2f}s" for k, v in ours["phases"].items())
        print(f"  phases: {phases}")
        inside = ours["bulk_insert"]
        print(
            f"  of which db.bulk.bulk_insert {inside['bulk_insert']:.2f}s "
            f"(its prepare_rows {inside['prepare_rows']:.2f}s); everything else "
            f"{ours['seconds'] - inside['bulk_insert']:.2f}s"
        )
        print(
            f"  {ours['inserted']:,} inserted, {ours['rejected']:,} rejected; rows written: "
            + ", ".join(f"{k} {v:,}" for k, v in ours["written"].items())
        )
    print("ratio = our rows/s over read_csv's rows/s (target >= 0.333)")


if __name__ == "__main__":
    main()
