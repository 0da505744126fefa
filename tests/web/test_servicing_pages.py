"""The servicing pages over real HTTP on the demo bank: the loans list (filters, masked names,
links), a loan's page in Chinese and English (schedule, penalty, stage, timeline), a risk officer
posting a repayment on a demo loan with something due and reversing it, a refusal shown in the
page's language by its code, the prepayment preview of a current loan with both options side by
side (and posting one), write-off refused to a customer manager, and a manager refused a loan of
another manager's customer. And, without a site: every code the servicing services raise has its
Chinese and English text, with no placeholder the raising call does not give."""

from __future__ import annotations

import ast
import re
import string
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from loanpilot.access.models import StaffAccount
from loanpilot.customers.models import Customer
from loanpilot.kit.clock import business_today
from loanpilot.lending.events import transition
from loanpilot.lending.models import Loan, LoanStatus, Repayment, ScheduleLine
from loanpilot.lending.pages_servicing import note_text
from loanpilot.lending.servicing import ledger_breaks
from loanpilot.lending.workflow import Action, Stage
from loanpilot.products.models import RepaymentMethod
from loanpilot.web.i18n.messages import MESSAGES

if TYPE_CHECKING:
    from tests.conftest import DemoSite

SRC = Path(__file__).resolve().parents[2] / "src" / "loanpilot"


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _ref() -> str:
    return f"PG{uuid.uuid4().hex[:12].upper()}"


def _fen(html: str, figure: str) -> int:
    found = re.search(rf'data-figure="{figure}" data-fen="(-?\d+)"', html)
    assert found, figure
    return int(found.group(1))


def _untouched(s: Session) -> object:
    """Loans whose payments are all the demo's own (nothing posted by another test)."""
    return ~exists().where(Repayment.loan_id == Loan.id, ~Repayment.txn_ref.startswith("RP"))


def overdue_loan(site: DemoSite, low: int, high: int) -> Loan:
    """A repaying demo loan ``low``–``high`` days past due that no test has touched."""
    with Session(site.bank.engine) as s:
        loan = s.scalars(
            select(Loan)
            .where(Loan.status == LoanStatus.REPAYING, Loan.dpd.between(low, high), _untouched(s))
            .order_by(Loan.id)
            .limit(1)
        ).first()
        assert loan is not None
        return loan


def current_loan(site: DemoSite, method: RepaymentMethod) -> Loan:
    """A repaying demo loan with nothing due on or before today and 6+ instalments ahead."""
    today = business_today()
    line = ScheduleLine
    current = and_(line.loan_id == Loan.id, line.version == Loan.schedule_version)
    with Session(site.bank.engine) as s:
        ahead = select(func.count(line.id)).where(current, line.due_on > today).scalar_subquery()
        loan = s.scalars(
            select(Loan)
            .where(
                Loan.status == LoanStatus.REPAYING, Loan.repayment_method == method,
                ~exists().where(current, line.due_on <= today, line.settled_on.is_(None)),
                ahead >= 6, _untouched(s),
            )
            .order_by(Loan.id.desc())
            .limit(1)
        ).first()  # fmt: skip
        assert loan is not None, method
        return loan


def test_the_list_filters_masks_and_links(demo_site: DemoSite) -> None:
    client = demo_site.login("risk")
    page = client.get("/console/loans")
    assert page.status_code == 200
    assert "贷款" in page.text
    with Session(demo_site.bank.engine) as s:
        total = s.scalar(select(func.count(Loan.id)))
        sample = s.execute(
            select(Loan.id, Loan.loan_no, Loan.branch_id, Loan.product_id, Customer.name)
            .join(Customer, Customer.id == Loan.customer_id)
            .where(Loan.status == LoanStatus.REPAYING)
            .order_by(Loan.id)
            .limit(1)
        ).one()
        same = s.scalar(
            select(func.count(Loan.id)).where(
                Loan.branch_id == sample.branch_id, Loan.product_id == sample.product_id,
                Loan.status == LoanStatus.REPAYING,
            )
        )  # fmt: skip
    assert f'data-total="{total}"' in page.text
    m1 = client.get("/console/loans", params={"bucket": "M1", "lang": "en"})
    assert "Loans" in m1.text
    dpds = [int(x) for x in re.findall(r'data-dpd="(\d+)"', m1.text)]
    assert dpds
    assert all(1 <= d <= 30 for d in dpds)
    settled = client.get("/console/loans", params={"status": "settled"})
    assert set(re.findall(r'data-status="(\w+)"', settled.text)) == {"settled"}
    sub = client.get("/console/loans", params={"five_class": "substandard"})
    assert set(re.findall(r'data-class="(\w+)"', sub.text)) == {"substandard"}
    chosen = client.get(
        "/console/loans",
        params={"branch_id": sample.branch_id, "product_id": sample.product_id,
                "status": "repaying"},
    )  # fmt: skip
    assert f'data-total="{same}"' in chosen.text
    one = client.get("/console/loans", params={"q": sample.loan_no.lower()})
    assert f'data-loan="{sample.loan_no}"' in one.text
    assert f'href="/console/loans/{sample.id}"' in one.text
    assert sample.name not in one.text  # masked
    assert "*" in re.search(r'data-masked="name">([^<]+)<', one.text).group(1)
    assert client.get("/console/loans", params={"bucket": "M9", "sort": "x"}).status_code == 200


def test_a_loan_page_in_chinese_and_english(demo_site: DemoSite) -> None:
    """An overdue loan transferred to collections: its stage and timeline say so, while its
    status column still says repaying."""
    loan = overdue_loan(demo_site, 61, 150)
    with Session(demo_site.bank.engine) as s, s.begin():
        transition(
            s, entity="loan", entity_id=loan.id, entity_label=loan.loan_no,
            stage=Stage.REPAYING, action=Action.TRANSFER_TO_COLLECTIONS,
            now=datetime.now(UTC), actor_label="test", note="61+ days past due",
        )  # fmt: skip
    client = demo_site.login("risk")
    zh = client.get(f"/console/loans/{loan.id}")
    assert zh.status_code == 200
    assert loan.loan_no in zh.text
    assert "还款计划" in zh.text
    assert "年化利率（APR）" in zh.text
    assert 'data-state="overdue"' in zh.text
    assert _fen(zh.text, "penalty") > 0  # accrued to today on the overdue lines
    assert 'data-stage="in_collections">催收中<' in zh.text
    assert 'data-status="repaying"' in zh.text
    # the badge beside the number says the stage, not the status column's 还款中
    head = zh.text.split('<div class="page-head">')[1].split("</h1>")[0]
    assert "status-in_collections" in head
    assert "催收中" in head
    assert "还款中" not in head
    listing = client.get("/console/loans", params={"q": loan.loan_no}).text
    row = listing.split(f'data-loan="{loan.loan_no}"')[1].split("</tr>")[0]
    assert 'data-stage="in_collections">催收中<' in row
    assert "还款中" not in row
    assert 'data-action="transfer_to_collections"' in zh.text
    assert f'href="/console/lending/applications/{loan.application_id}"' in zh.text
    en = client.get(f"/console/loans/{loan.id}?lang=en")
    assert "Repayment schedule" in en.text
    assert "Timeline" in en.text
    assert ">In collections<" in en.text
    assert 'data-form="repayment"' in en.text
    assert 'data-form="write-off"' in en.text


def test_the_closes_timeline_notes_read_in_the_page_language() -> None:
    assert note_text("22 days past due", "zh") == "逾期 22 天"
    assert note_text("22 days past due", "en") == "22 days past due"
    assert note_text("no longer past due", "zh") == "已不再逾期"
    assert note_text("61+ days past due", "zh") == "61+ days past due"  # a person's note
    assert note_text(None, "zh") == ""


def test_risk_posts_a_repayment_and_reverses_it(demo_site: DemoSite) -> None:
    loan = overdue_loan(demo_site, 1, 30)
    client = demo_site.login("risk")
    url = f"/console/loans/{loan.id}"
    before = client.get(url).text
    due = _fen(before, "due-today")
    overdue = re.findall(r'data-period="(\d+)" data-state="overdue"', before)
    assert due > 0
    assert overdue
    today = business_today().isoformat()
    form = {"amount": _yuan(due + 1), "paid_on": today, "txn_ref": _ref(), "channel": "branch"}
    over = client.post(f"{url}/repayments", data=form)
    assert over.status_code == 422
    assert 'data-error="repayment.overpaid"' in over.text
    assert f"超过 {today} 应还的" in over.text
    over_en = client.post(f"{url}/repayments?lang=en", data=form)
    assert "is more than the" in over_en.text
    assert "as a prepayment" in over_en.text
    ref = _ref()
    posted = client.post(f"{url}/repayments", data={**form, "amount": _yuan(due), "txn_ref": ref})
    assert posted.status_code == 303, posted.text
    after = client.get(posted.headers["location"]).text
    assert 'data-done="posted"' in after
    assert _fen(after, "due-today") == 0
    for period in overdue:
        assert f'data-period="{period}" data-state="paid"' in after
    again = client.post(f"{url}/repayments", data={**form, "amount": _yuan(due), "txn_ref": ref})
    assert "done=replayed" in again.headers["location"]
    with Session(demo_site.bank.engine) as s:
        rep = s.scalars(select(Repayment).where(Repayment.txn_ref == ref)).one()
        assert rep.amount_fen == due
        assert rep.penalty_fen > 0
    assert f"/repayments/{rep.id}/reverse" in after
    back = client.post(f"{url}/repayments/{rep.id}/reverse", data={"reason": "记错贷款"})
    assert back.status_code == 303
    reversed_page = client.get(back.headers["location"]).text
    assert 'data-done="reversed"' in reversed_page
    assert _fen(reversed_page, "due-today") == due
    assert f'data-ref="{ref}" data-kind="repayment" data-reversed="1"' in reversed_page
    assert f"/repayments/{rep.id}/reverse" not in reversed_page
    with Session(demo_site.bank.engine) as s:
        assert ledger_breaks(s) == []


def test_the_prepayment_preview_of_a_current_loan(demo_site: DemoSite) -> None:
    loan = current_loan(demo_site, RepaymentMethod.EQUAL_INSTALMENT)
    client = demo_site.login("risk")
    url = f"/console/loans/{loan.id}"
    today = business_today().isoformat()
    part = loan.outstanding_principal_fen // 3
    page = client.get(url, params={"prepay_amount": _yuan(part), "prepay_on": today})
    assert page.status_code == 200
    assert 'data-preview="1"' in page.text
    for key in ("payoff", "shorten_term", "lower_instalment"):
        assert f'data-option="{key}" data-available="1"' in page.text
    short = re.search(r'data-option="shorten_term".*?data-figure="periods" data-before="(\d+)" '
                      r'data-after="(\d+)"', page.text, re.S)  # fmt: skip
    lower = re.search(r'data-option="lower_instalment".*?data-figure="periods" data-before="(\d+)" '
                      r'data-after="(\d+)".*?data-figure="instalment" data-before="(\d+)" '
                      r'data-after="(\d+)"', page.text, re.S)  # fmt: skip
    assert short
    assert int(short[2]) < int(short[1])
    assert lower
    assert lower[1] == lower[2]
    assert int(lower[4]) < int(lower[3])
    ref = re.search(r'data-form="prepay-lower_instalment">.*?name="txn_ref" value="([^"]+)"',
                    page.text, re.S)[1]  # fmt: skip
    posted = client.post(f"{url}/prepayments", data={
        "principal_yuan": _yuan(part), "option": "lower_instalment", "paid_on": today,
        "txn_ref": ref,
    })  # fmt: skip
    assert posted.status_code == 303, posted.text
    after = client.get(posted.headers["location"]).text
    assert 'data-done="prepaid"' in after
    assert 'data-figure="version">2<' in after
    with Session(demo_site.bank.engine) as s:
        rep = s.scalars(select(Repayment).where(Repayment.txn_ref == ref)).one()
    back = client.post(
        f"{url}/repayments/{rep.id}/reverse", data={"reason": "customer changed mind"}
    )
    assert back.status_code == 303
    assert 'data-figure="version">1<' in client.get(url).text
    with Session(demo_site.bank.engine) as s:
        assert ledger_breaks(s) == []


def test_the_preview_says_why_an_option_is_not_offered(demo_site: DemoSite) -> None:
    loan = current_loan(demo_site, RepaymentMethod.INTEREST_ONLY)
    client = demo_site.login("risk")
    page = client.get(
        f"/console/loans/{loan.id}",
        params={"prepay_amount": _yuan(loan.outstanding_principal_fen // 4),
                "prepay_on": business_today().isoformat(), "lang": "en"},
    )  # fmt: skip
    assert 'data-option="shorten_term" data-available="0"' in page.text
    assert "the term cannot be shortened" in page.text
    assert 'data-option="lower_instalment" data-available="1"' in page.text
    bad = client.get(f"/console/loans/{loan.id}", params={"prepay_amount": "abc", "prepay_on": "x"})
    assert 'data-error="form.amount"' in bad.text


def test_write_off_is_refused_to_a_manager_and_scope_is_enforced(demo_site: DemoSite) -> None:
    with Session(demo_site.bank.engine) as s:
        me = s.scalar(select(StaffAccount.staff_id).where(StaffAccount.username == "manager"))
        mine = s.scalar(
            select(Loan.id).join(Customer, Customer.id == Loan.customer_id)
            .where(Customer.manager_id == me, Loan.status == LoanStatus.REPAYING).limit(1)
        )  # fmt: skip
        other = s.scalar(
            select(Loan.id).join(Customer, Customer.id == Loan.customer_id)
            .where(Customer.manager_id != me, Loan.status == LoanStatus.REPAYING).limit(1)
        )  # fmt: skip
    assert mine is not None
    assert other is not None
    client = demo_site.login("manager")
    page = client.get(f"/console/loans/{mine}")
    assert page.status_code == 200
    assert 'data-form="write-off"' not in page.text
    assert 'data-form="repayment"' in page.text
    refused = client.post(f"/console/loans/{mine}/write-off", data={"reason": "x"})
    assert refused.status_code == 403
    assert client.get(f"/console/loans/{other}").status_code == 403
    posted = client.post(f"/console/loans/{other}/repayments",
                         data={"amount": "1.00", "paid_on": business_today().isoformat(),
                               "txn_ref": _ref()})  # fmt: skip
    assert posted.status_code == 403
    assert f'href="/console/loans/{other}"' not in client.get("/console/loans").text
    with Session(demo_site.bank.engine) as s:
        assert s.get(Loan, mine).status is LoanStatus.REPAYING


# --- every refusal has its text ---------------------------------------------------------------

#: Functions that raise with the code they are given (argument position of the code).
CARRIERS = {"check_open": 1, "reason_text": 1}
FACTORIES = {"refused": 0, "invalid": 0, "missing": 0}
SCANNED = ("lending/ledger*.py", "lending/servicing*.py", "lending/pages_servicing.py",
           "lending/api_servicing.py")  # fmt: skip
#: Codes the services pass on from the workflow (``lending.workflow.next_stage``).
PASSED_ON = {("workflow.illegal", ""), ("workflow.unknown", "")}


def _raised() -> dict[tuple[str, str], set[str]]:
    """(code, variant) → the params given, for every refusal raised in the servicing modules."""
    found: dict[tuple[str, str], set[str]] = {}
    carried: dict[str, tuple[str, set[str]]] = {}  # carrier → (variant, params)
    calls: list[tuple[str, ast.Call, str | None]] = []
    for pattern in SCANNED:
        for path in sorted(SRC.glob(pattern)):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for fn in ast.walk(tree):
                if isinstance(fn, ast.FunctionDef):
                    for node in ast.walk(fn):
                        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                            calls.append((node.func.id, node, fn.name))
    for name, call, inside in calls:
        if name not in FACTORIES:
            continue
        params = {k.arg for k in call.keywords if k.arg and k.arg != "variant"}
        variant = next((k.value.value for k in call.keywords if k.arg == "variant"), "")
        code = call.args[FACTORIES[name]]
        if isinstance(code, ast.Constant):
            found.setdefault((code.value, variant), set()).update(params)
        else:
            assert inside in CARRIERS, f"a refusal in {inside} has no literal code"
            carried[inside] = (variant, params)
    for name, call, _ in calls:
        if name in CARRIERS:
            code = call.args[CARRIERS[name]]
            assert isinstance(code, ast.Constant), f"{name} called without a literal code"
            variant, params = carried[name]
            found.setdefault((code.value, variant), set()).update(params)
    return found


def test_every_refusal_has_chinese_and_english_text() -> None:
    raised = _raised()
    assert len(raised) >= 30  # the scan found the calls
    assert ("reversal.refused", "not_latest") in raised
    assert ("repayment.loan_closed", "") in raised
    assert ("write_off.reason", "") in raised
    for (code, variant), params in {**raised, **{k: set() for k in PASSED_ON}}.items():
        key = f"servicing.error.{code}" + (f".{variant}" if variant else "")
        assert key in MESSAGES, key
        for lang in ("zh", "en"):
            text = MESSAGES[key].get(lang)
            assert text, (key, lang)
            wanted = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            assert wanted <= params, (key, lang, wanted - params)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_servicing_messages_are_complete(lang: str) -> None:
    keys = [k for k in MESSAGES if k.startswith("servicing.")]
    assert len(keys) > 150
    assert all(MESSAGES[k].get(lang) for k in keys)
