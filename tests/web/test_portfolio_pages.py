"""The portfolio pages on the demo bank over HTTP: each renders in Chinese and English with the
bank's real figures (compared with SQL over the same database), the API returns the same figures,
and a role without risk:read is refused."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanpilot.lending.models import Loan, LoanStatus
from loanpilot.risk.models import DelinquencySnapshot, FiveClass

if TYPE_CHECKING:
    from tests.conftest import DemoSite

PAGES = {
    "/console/portfolio": ("贷款余额", "Balance"),
    "/console/portfolio/roll-rates": ("迁徙率矩阵", "Roll-rate matrix"),
    "/console/portfolio/vintages": ("账龄曲线", "Vintage curves"),
    "/console/portfolio/concentration": ("各维度集中度", "Concentration by dimension"),
    "/console/portfolio/applicants": ("审批通过率与转化率", "Approval and pass-through rates"),
}
_SESSIONS: dict[tuple[str, str], httpx.Client] = {}


def login(site: DemoSite, username: str) -> httpx.Client:
    key = (site.url, username)
    if key not in _SESSIONS:
        _SESSIONS[key] = site.login(username)
    client = _SESSIONS[key]
    client.cookies.delete("lp_lang")
    return client


def _book(site: DemoSite) -> dict[str, int]:
    with Session(site.bank.engine) as s:
        repaying = Loan.status == LoanStatus.REPAYING
        balance = s.scalar(select(func.sum(Loan.outstanding_principal_fen)).where(repaying))
        npl = s.scalar(
            select(func.sum(Loan.outstanding_principal_fen)).where(
                repaying,
                Loan.five_class.in_([FiveClass.SUBSTANDARD, FiveClass.DOUBTFUL, FiveClass.LOSS]),
            )
        )
        loans = s.scalar(select(func.count()).where(repaying))
        ever30 = s.scalar(select(func.count()).where(Loan.first_dpd30_on.is_not(None)))
        last_end = s.scalar(select(func.max(DelinquencySnapshot.as_of)))
        at_end = s.scalar(select(func.count()).where(DelinquencySnapshot.as_of == last_end))
    return {
        "balance": int(balance or 0),
        "npl": int(npl or 0),
        "loans": int(loans or 0),
        "ever30": int(ever30 or 0),
        "last_end": last_end,  # type: ignore[dict-item]
        "at_end": int(at_end or 0),
    }


@pytest.mark.parametrize("username", ["risk", "branch"])
def test_every_portfolio_page_renders_in_both_languages(demo_site: DemoSite, username: str) -> None:
    client = login(demo_site, username)
    for path, (zh_text, en_text) in PAGES.items():
        zh = client.get(path, params={"lang": "zh"})
        en = client.get(path, params={"lang": "en"})
        assert zh.status_code == en.status_code == 200, path
        assert zh_text in zh.text, path
        assert en_text in en.text, path
        assert 'id="portfolio-data"' in zh.text, path
        assert re.search(r'<a href="/console/portfolio" aria-current="page">', zh.text), path
        for tag in re.findall(r"<script\b[^>]*>", zh.text):
            assert "src=" in tag or 'type="application/json"' in tag, tag


def test_the_headline_shows_the_demo_banks_real_figures(demo_site: DemoSite) -> None:
    book = _book(demo_site)
    assert book["balance"] > 0
    assert book["npl"] > 0
    client = login(demo_site, "risk")
    api = client.get("/api/v1/portfolio/overview").json()
    assert api["balance_fen"] == book["balance"]
    assert api["npl_fen"] == book["npl"]
    assert api["loans"] == book["loans"]
    assert api["npl_ratio"] == pytest.approx(book["npl"] / book["balance"])
    assert sum(b["balance_fen"] for b in api["by_bucket"]) == book["balance"]
    assert sum(c["balance_fen"] for c in api["by_class"]) == book["balance"]
    assert api["trend"], "month-end trend from the snapshots"
    page = client.get("/console/portfolio").text
    ratio = f"{book['npl'] / book['balance'] * 100:.2f}%"
    card = re.search(r'data-figure="npl-ratio".*?card-value">([^<]+)<', page, re.S)
    assert card is not None
    assert card.group(1) == ratio
    # a slice narrows the book
    online = client.get("/api/v1/portfolio/overview", params={"channel": "online"}).json()
    assert 0 < online["balance_fen"] < book["balance"]
    refused = client.get("/api/v1/portfolio/overview", params={"channel": "pigeon"})
    assert refused.status_code == 422


def test_roll_rates_and_vintages_read_the_demo_history(demo_site: DemoSite) -> None:
    book = _book(demo_site)
    client = login(demo_site, "risk")
    roll = client.get("/api/v1/portfolio/roll-rates", params={"months": 6}).json()
    assert roll["end"] == book["last_end"].isoformat()
    # every loan at the first month end went somewhere at the second; M0 rows sum to one
    m0 = roll["balance_share"][0]
    assert sum(v for v in m0 if v is not None) == pytest.approx(1.0)
    assert len(roll["trend"]["months"]) >= 2
    page = client.get("/console/portfolio/roll-rates").text
    assert 'data-from="M0"' in page
    assert 'data-to="settled"' in page

    vint = client.get("/api/v1/portfolio/vintages").json()
    assert vint["groups"], "vintage curves by origination month"
    assert book["ever30"] > 0  # the demo generator fills first_dpd30_on
    assert any(max(g["m1_share"]) > 0 for g in vint["groups"])
    for g in vint["groups"]:
        assert g["m1_share"] == sorted(g["m1_share"])  # cumulative curves never fall
        assert all(a >= b for a, b in zip(g["m1_share"], g["m3_share"], strict=True))
    assert vint["fpd"]
    pooled = client.get("/api/v1/portfolio/vintages", params={"by": "segment"}).json()
    assert {g["key"] for g in pooled["groups"]} <= {"young", "middle", "senior"}
    page = client.get(
        "/console/portfolio/vintages", params={"by": "product", "metric": "m3_share"}
    ).text
    assert 'data-chart="vintage-curves"' in page
    assert 'data-chart="fpd"' in page


def test_concentration_and_applicants(demo_site: DemoSite) -> None:
    client = login(demo_site, "risk")
    conc = client.get("/api/v1/portfolio/concentration", params={"dimension": "branch"}).json()
    shares = [r["share"] for r in conc["rows"]]
    assert sum(shares) == pytest.approx(1.0)
    assert conc["hhi"] == pytest.approx(sum(s * s for s in shares))
    assert conc["rows"][0]["label"]
    assert not conc["rows"][0]["label"].startswith("#")
    page = client.get("/console/portfolio/concentration", params={"dimension": "manager"}).text
    assert 'data-dimension="segment"' in page
    apps = client.get("/api/v1/portfolio/applicants").json()
    assert len(apps["funnel"]) == 12
    assert sum(r["applications"] for r in apps["funnel"]) > 0
    assert apps["score_psi"] is not None
    assert apps["score_psi"]["value"] >= 0
    assert {f["variable"] for f in apps["features"]} >= {"age", "amount_yuan"}
    page = client.get("/console/portfolio/applicants", params={"lang": "en"}).text
    assert "data-psi=" in page


@pytest.mark.parametrize("username", ["marketing", "collector"])
def test_a_role_without_risk_read_is_refused(demo_site: DemoSite, username: str) -> None:
    client = login(demo_site, username)
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    api = client.get("/api/v1/portfolio/overview", headers=demo_site.bearer(username))
    assert api.status_code == 403
