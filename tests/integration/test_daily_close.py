"""The daily close on a small book with known answers, on SQLite and PostgreSQL: what it writes,
that a rerun changes nothing, the overrides (worse only, expiring, revoked), a failing after-close
step and the resume, and a close killed midway (a real process, SIGKILL) then rerun."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from tests import post_loan_site as site

from loanpilot.batch.scheduler import CloseScheduler, due_date, next_fire, parse_close_at
from loanpilot.config import Settings
from loanpilot.db.session import transaction
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.errors import ConfigurationError, ConflictError, ValidationError
from loanpilot.lending.models import Loan, LoanStatus, ScheduleLine
from loanpilot.risk import close
from loanpilot.risk.models import ClassificationOverride, DelinquencySnapshot, FiveClass
from loanpilot.risk.models_post import CloseRun, CloseStatus
from loanpilot.team.models import Role, Staff

AS_OF = date(2026, 11, 29)
NOW = datetime.combine(AS_OF + timedelta(days=1), time(1, 30), tzinfo=SHANGHAI).astimezone(UTC)
NO_STEPS: tuple[Any, ...] = ()

#: loan no -> (DPD at AS_OF, bucket, class by rule). Every boundary of the rules is here.
EXPECTED: dict[str, tuple[int, str, str]] = {
    "K00": (0, "M0", "normal"),
    "K07": (7, "M1", "special_mention"),
    "K08": (8, "M1", "special_mention"),
    "K30": (30, "M1", "special_mention"),
    "K31": (31, "M2", "special_mention"),
    "K90": (90, "M3", "special_mention"),
    "K91": (91, "M4", "substandard"),
    "K270": (270, "M7+", "substandard"),
    "K271": (271, "M7+", "doubtful"),
    "K360": (360, "M7+", "doubtful"),
    "K361": (361, "M7+", "loss"),
    "KDUE": (0, "M0", "normal"),  # its instalment falls due on AS_OF itself: not overdue yet
    "KV2": (0, "M0", "normal"),  # unpaid lines of an old schedule version only
}
UNPAID_P, UNPAID_I = 100_000, 5_000  # per overdue instalment (a month apart)


def build_book(factory: sessionmaker[Session]) -> None:
    """A branch, a product, a customer, a risk officer, the loans of ``EXPECTED`` with their
    unpaid instalments, and a settled and a written-off loan (which the close leaves alone)."""
    with transaction(factory) as s:
        branch = site.branch("B001", "测试分行")
        product = site.consumer_product("P-C")
        s.add_all([branch, product])
        s.flush()
        s.add(
            Staff(
                employee_no="R001",
                name="风险官",
                gender="F",
                role=Role.RISK_OFFICER,
                branch_id=branch.id,
                hired_on=date(2020, 1, 1),
            )
        )
        customer = site.customer("C00001", b"h" * 16, home_branch_id=branch.id)
        s.add(customer)
        s.flush()

        def loan(no: str, status: LoanStatus = LoanStatus.REPAYING, version: int = 1) -> Loan:
            row = site.loan(
                no,
                principal_fen=10_000_000,
                term_months=36,
                customer_id=customer.id,
                product_id=product.id,
                branch_id=branch.id,
                disbursed_on=date(2024, 1, 1),
                first_due_on=date(2024, 2, 1),
                maturity_on=date(2027, 1, 1),
                status=status,
                outstanding_principal_fen=0 if status is LoanStatus.SETTLED else 5_000_000,
                written_off_fen=5_000_000 if status is LoanStatus.WRITTEN_OFF else 0,
                schedule_version=version,
            )
            s.add(row)
            s.flush()
            return row

        def line(
            row: Loan, period: int, due: date, *, version: int = 1, paid: bool = False
        ) -> None:
            s.add(
                ScheduleLine(
                    loan_id=row.id,
                    version=version,
                    period_no=period,
                    due_on=due,
                    opening_principal_fen=5_000_000,
                    principal_fen=UNPAID_P + 20_000,
                    interest_fen=UNPAID_I + 1_000,
                    paid_principal_fen=UNPAID_P + 20_000 if paid else 20_000,
                    paid_interest_fen=UNPAID_I + 1_000 if paid else 1_000,
                    settled_on=due if paid else None,
                )
            )

        for no, (dpd, _, _) in EXPECTED.items():
            if no in ("KDUE", "KV2"):
                continue
            row = loan(no)
            line(row, 1, AS_OF - timedelta(days=400), paid=True)
            if dpd:  # overdue instalments a month apart from the oldest on, up to AS_OF
                oldest = AS_OF - timedelta(days=dpd)
                for k in range(dpd // 30 + 1):
                    line(row, 2 + k, oldest + timedelta(days=30 * k))
            line(row, 50, AS_OF + timedelta(days=20))  # a future instalment: not overdue
        due_today = loan("KDUE")
        line(due_today, 1, AS_OF)
        v2 = loan("KV2", version=2)
        line(v2, 1, AS_OF - timedelta(days=100), version=1)  # replaced by version 2
        line(v2, 1, AS_OF + timedelta(days=5), version=2)
        settled = loan("KSET", LoanStatus.SETTLED)
        line(settled, 1, AS_OF - timedelta(days=10), paid=True)
        gone = loan("KWO", LoanStatus.WRITTEN_OFF)
        line(gone, 1, AS_OF - timedelta(days=500))


def officer_id(factory: sessionmaker[Session]) -> int:
    with transaction(factory) as s:
        return s.scalars(select(Staff.id).where(Staff.employee_no == "R001")).one()


def snapshots(factory: sessionmaker[Session], as_of: date = AS_OF) -> dict[str, tuple[Any, ...]]:
    with transaction(factory) as s:
        rows = s.execute(
            select(
                Loan.loan_no,
                DelinquencySnapshot.dpd,
                DelinquencySnapshot.bucket,
                DelinquencySnapshot.five_class,
                DelinquencySnapshot.class_source,
                DelinquencySnapshot.outstanding_principal_fen,
                DelinquencySnapshot.overdue_principal_fen,
                DelinquencySnapshot.overdue_interest_fen,
            )
            .join(Loan, Loan.id == DelinquencySnapshot.loan_id)
            .where(DelinquencySnapshot.as_of == as_of)
        ).all()
        return {r[0]: tuple(str(getattr(v, "value", v)) for v in r[1:]) for r in rows}


def loan_states(factory: sessionmaker[Session]) -> dict[str, tuple[Any, ...]]:
    with transaction(factory) as s:
        rows = s.execute(
            select(
                Loan.loan_no,
                Loan.dpd,
                Loan.five_class,
                Loan.max_dpd,
                Loan.first_dpd30_on,
                Loan.first_dpd90_on,
            )
        ).all()
        return {r[0]: tuple(str(getattr(v, "value", v)) for v in r[1:]) for r in rows}


def run(factory: sessionmaker[Session], as_of: date = AS_OF, **kwargs: Any) -> CloseRun:
    kwargs.setdefault("steps", NO_STEPS)
    return close.run_close(factory, as_of, NOW, **kwargs)


def test_close_a_small_book_with_known_answers(session_factory: sessionmaker[Session]) -> None:
    build_book(session_factory)
    seen: list[tuple[int, int]] = []
    result = run(session_factory, chunk=4, progress=lambda d, t: seen.append((d, t)))
    assert result.status is CloseStatus.DONE, result.error
    assert result.loans_total == result.loans_done == len(EXPECTED)
    assert seen[-1] == (len(EXPECTED), len(EXPECTED))
    assert len(seen) == 4
    assert result.steps_done == ["summary"]

    snaps = snapshots(session_factory)
    assert set(snaps) == set(EXPECTED)  # settled and written-off loans are not snapshotted
    for no, (dpd, bucket, cls) in EXPECTED.items():
        overdue = (dpd + 29) // 30  # instalments a month apart, the newest due before AS_OF
        assert snaps[no] == (
            str(dpd), bucket, cls, "rule", "5000000",
            str(UNPAID_P * overdue), str(UNPAID_I * overdue),
        ), no  # fmt: skip
    states = loan_states(session_factory)
    # more than 30 / 90 days past due (DPD 31 / 91): reached 60 days ago / today
    assert states["K91"] == ("91", "substandard", "91", str(AS_OF - timedelta(days=60)),
                             str(AS_OF))  # fmt: skip
    assert states["K30"] == ("30", "special_mention", "30", "None", "None")
    assert states["K08"] == ("8", "special_mention", "8", "None", "None")
    assert states["KWO"][1] == "normal"
    assert states["KSET"][0] == "0"

    summary = result.summary
    by_bucket = {b["bucket"]: (b["loans"], b["balance_fen"]) for b in summary["buckets"]}
    assert by_bucket["M0"] == (3, 15_000_000)
    assert by_bucket["M1"] == (3, 15_000_000)
    assert by_bucket["M7+"] == (4, 20_000_000)
    by_class = {c["five_class"]: c for c in summary["classes"]}
    assert by_class["normal"]["loans"] == 3
    assert by_class["special_mention"]["loans"] == 5
    assert by_class["loss"]["provision_fen"] == 5_000_000
    assert by_class["special_mention"]["provision_fen"] == 500_000  # 2 % of 25,000,000
    assert summary["balance_fen"] == 65_000_000
    assert summary["npl_balance_fen"] == 25_000_000
    assert summary["npl_ratio"] == "0.384615"
    assert "breaks" in summary["ledger"]


def test_rerun_changes_nothing_and_next_day_moves_on(
    session_factory: sessionmaker[Session],
) -> None:
    build_book(session_factory)
    first = run(session_factory, chunk=5)
    before = snapshots(session_factory), loan_states(session_factory)
    again = run(session_factory, chunk=3)
    assert again.id == first.id
    assert again.status is CloseStatus.DONE
    assert again.attempts == first.attempts
    assert again.finished_at == first.finished_at
    assert (snapshots(session_factory), loan_states(session_factory)) == before
    forced = run(session_factory, chunk=3, force=True)  # redone from scratch: the same result
    assert forced.attempts == first.attempts + 1
    assert (snapshots(session_factory), loan_states(session_factory)) == before

    nxt = run(session_factory, AS_OF + timedelta(days=1))
    assert nxt.status is CloseStatus.DONE
    assert snapshots(session_factory, AS_OF + timedelta(days=1))["K90"][:3] == (
        "91",
        "M4",
        "substandard",
    )
    assert snapshots(session_factory) == before[0]  # the history of the day before is kept
    with pytest.raises(ConflictError) as err:
        run(session_factory, AS_OF - timedelta(days=1))
    assert err.value.code == "close.backdated"


def test_overrides_worse_only_expiring_and_revoked(session_factory: sessionmaker[Session]) -> None:
    build_book(session_factory)
    run(session_factory)
    officer = officer_id(session_factory)
    today = AS_OF + timedelta(days=1)

    def set_(no: str, cls: str, expires: date | None = None) -> int:
        with transaction(session_factory) as s:
            row = close.set_override(
                s, loan_no=no, five_class=cls, reason="借款人经营恶化", expires_on=expires,
                officer_id=officer, actor_label="user:risk", now=NOW, today=today,
            )  # fmt: skip
            return row.id

    with pytest.raises(ValidationError) as err:
        set_("K91", "special_mention")  # better than the rule (次级)
    problem = err.value.problems[0]
    assert problem.field == "five_class"
    assert "worse than the rule" in problem.message
    assert "次级" in problem.message
    with pytest.raises(ValidationError):
        set_("K91", "substandard")  # the same as the rule: not worse either
    with pytest.raises(ValidationError) as err:
        set_("KSET", "loss")
    assert "settled" in err.value.problems[0].message
    with pytest.raises(ValidationError) as err:
        set_("K08", "loss", today - timedelta(days=1))
    assert err.value.problems[0].field == "expires_on"

    lasting = set_("K08", "doubtful")
    set_("K31", "substandard", expires=today)  # applies through its last day only
    assert loan_states(session_factory)["K08"][1] == "doubtful"  # at once

    run(session_factory, today)
    snaps = snapshots(session_factory, today)
    assert snaps["K08"][2:4] == ("doubtful", "override")
    assert snaps["K31"][2:4] == ("substandard", "override")
    nxt = today + timedelta(days=1)
    run(session_factory, nxt)
    snaps = snapshots(session_factory, nxt)
    assert snaps["K31"][2:4] == ("special_mention", "rule")  # expired
    assert snaps["K08"][2:4] == ("doubtful", "override")

    with transaction(session_factory) as s:
        close.revoke_override(
            s, lasting, by_id=officer, actor_label="user:risk", now=NOW + timedelta(days=2),
            today=nxt + timedelta(days=1),
        )  # fmt: skip
    assert loan_states(session_factory)["K08"][1] == "special_mention"
    with transaction(session_factory) as s, pytest.raises(ConflictError):
        close.revoke_override(s, lasting, by_id=officer, actor_label="t", now=NOW, today=nxt)
    run(session_factory, nxt + timedelta(days=1))
    assert snapshots(session_factory, nxt + timedelta(days=1))["K08"][2:4] == (
        "special_mention",
        "rule",
    )
    with transaction(session_factory) as s:
        rows = s.scalars(select(ClassificationOverride)).all()
        assert {r.five_class for r in rows} == {FiveClass.DOUBTFUL, FiveClass.SUBSTANDARD}


def test_failing_step_marks_the_run_failed_and_a_rerun_resumes_there(
    session_factory: sessionmaker[Session],
) -> None:
    build_book(session_factory)
    calls: list[str] = []

    def first(session: Session, as_of: date, now: datetime) -> dict[str, int]:
        calls.append("first")
        return {"done": 1}

    def flaky(session: Session, as_of: date, now: datetime) -> dict[str, int]:
        calls.append("flaky")
        if calls.count("flaky") == 1:
            raise RuntimeError("the SMS gateway is down")
        return {"sent": 2}

    steps = (("first", first), ("flaky", flaky))
    failed = run(session_factory, steps=steps)
    assert failed.status is CloseStatus.FAILED
    assert failed.error == "flaky: RuntimeError: the SMS gateway is down"
    assert failed.steps_done == ["summary", "first"]
    done = run(session_factory, steps=steps)
    assert done.status is CloseStatus.DONE
    assert done.error is None
    assert calls == ["first", "flaky", "flaky"]  # "first" is not run again
    assert done.steps_done == ["summary", "first", "flaky"]
    assert done.summary["steps"] == {"first": {"done": 1}, "flaky": {"sent": 2}}


_KILLED_RUN = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import date, datetime
    import loanpilot.db.models  # every mapper, as an entry point does
    from loanpilot.db.session import make_engine, make_session_factory
    from loanpilot.risk.close import run_close

    factory = make_session_factory(make_engine(sys.argv[1]))
    def die(last_id):
        os.kill(os.getpid(), signal.SIGKILL)
    run_close(factory, date.fromisoformat(sys.argv[2]), datetime.fromisoformat(sys.argv[3]),
              on_chunk=die, chunk=4, steps=())
    print("not killed")
    """
)


def _reset(factory: sessionmaker[Session]) -> None:
    """The book as built again (the uninterrupted close's copy is kept in memory)."""
    with transaction(factory) as s:
        s.execute(delete(DelinquencySnapshot))
        s.execute(delete(CloseRun))
        s.execute(
            update(Loan).values(
                dpd=0, five_class=FiveClass.NORMAL, max_dpd=0, first_dpd30_on=None,
                first_dpd90_on=None,
            )
        )  # fmt: skip


def test_a_close_killed_midway_then_rerun_ends_as_an_uninterrupted_one(
    session_factory: sessionmaker[Session],
) -> None:
    build_book(session_factory)
    uninterrupted = run(session_factory, chunk=4)
    expected = snapshots(session_factory), loan_states(session_factory)
    _reset(session_factory)
    assert snapshots(session_factory) == {}

    url = session_factory.kw["bind"].url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_RUN, url, AS_OF.isoformat(), NOW.isoformat()],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=120,
        check=False,
    )
    assert done.returncode == -9, done.stdout + done.stderr  # killed by SIGKILL
    with transaction(session_factory) as s:
        half = s.scalars(select(CloseRun)).one()
        assert half.status is CloseStatus.RUNNING
        assert half.loans_done == 4
        assert half.cursor_loan_id > 0
        assert half.steps_done == []
    assert len(snapshots(session_factory)) == 4  # the first chunk was committed, no more

    resumed = run(session_factory, chunk=4)
    assert resumed.status is CloseStatus.DONE
    assert resumed.attempts == 2
    assert resumed.loans_done == uninterrupted.loans_done
    assert (snapshots(session_factory), loan_states(session_factory)) == expected
    assert resumed.summary["classes"] == uninterrupted.summary["classes"]


def test_two_closes_at_once_in_one_process_are_refused(
    session_factory: sessionmaker[Session],
) -> None:
    build_book(session_factory)
    refused: list[str] = []

    def try_again(_: int) -> None:
        try:
            run(session_factory)
        except ConflictError as exc:
            refused.append(exc.code)

    assert run(session_factory, chunk=5, on_chunk=try_again).status is CloseStatus.DONE
    assert refused == ["close.running"] * 3


# --- the scheduled close ---------------------------------------------------------------------------


def test_which_day_the_schedule_closes_and_when_it_fires_next() -> None:
    at = time(1, 30)
    before = datetime(2026, 11, 30, 1, 0, tzinfo=SHANGHAI)
    after = datetime(2026, 11, 30, 1, 30, tzinfo=SHANGHAI)
    assert due_date(before, at, SHANGHAI) == date(2026, 11, 28)
    assert due_date(after, at, SHANGHAI) == date(2026, 11, 29)
    assert due_date(after.astimezone(UTC), at, SHANGHAI) == date(2026, 11, 29)  # 17:30 UTC
    assert next_fire(before, at, SHANGHAI) == after
    assert next_fire(after, at, SHANGHAI) == after + timedelta(days=1)
    assert parse_close_at(" 01:30 ") == at
    with pytest.raises(ConfigurationError, match="HH:MM"):
        parse_close_at("half past one")


def test_the_scheduler_catches_up_at_start_and_closes_once(
    session_factory: sessionmaker[Session],
) -> None:
    build_book(session_factory)
    now = datetime.combine(AS_OF + timedelta(days=1), time(9), tzinfo=SHANGHAI)
    scheduler = CloseScheduler(session_factory, time(1, 30), SHANGHAI, clock=lambda: now)
    thread = scheduler.start()  # catches up the close of AS_OF at once, then sleeps
    deadline = datetime.now(UTC) + timedelta(seconds=60)
    while not scheduler.closed and datetime.now(UTC) < deadline:
        thread.join(0.1)
    scheduler.stop(timeout=10)
    assert not thread.is_alive()
    assert scheduler.closed == [AS_OF]
    assert scheduler.close_due() is True  # already closed: nothing run again
    assert scheduler.closed == [AS_OF]
    with transaction(session_factory) as s:
        runs = s.scalars(select(CloseRun)).all()
        assert [(r.as_of, r.status, r.attempts) for r in runs] == [(AS_OF, CloseStatus.DONE, 1)]


# --- the command line ------------------------------------------------------------------------------


def test_close_run_and_status_from_the_command_line(
    settings: Settings,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from loanpilot.cli import app

    build_book(session_factory)
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LOANPILOT_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("COLUMNS", "200")
    cli = CliRunner()
    empty = cli.invoke(app, ["close", "status"])
    assert empty.exit_code == 0, empty.output
    assert "No close has run yet" in empty.output
    done = cli.invoke(app, ["close", "run", "--date", AS_OF.isoformat(), "--chunk", "100"])
    assert done.exit_code == 0, done.output
    assert f"Close of {AS_OF.isoformat()}: done, 13 loans" in done.output
    assert "38.46%" in done.output  # the NPL ratio of the small book
    assert "次级 substandard" in done.output
    assert "ledger check" in done.output
    status = cli.invoke(app, ["close", "status"])
    assert AS_OF.isoformat() in status.output
    assert "done" in status.output
    assert "13/13" in status.output
    bad = cli.invoke(app, ["close", "run", "--date", "29/11/2026"])
    assert bad.exit_code == 2
    assert "YYYY-MM-DD" in bad.output
    earlier = cli.invoke(app, ["close", "run", "--date", (AS_OF - timedelta(days=3)).isoformat()])
    assert earlier.exit_code == 1
    assert "closes go forward" in earlier.output
