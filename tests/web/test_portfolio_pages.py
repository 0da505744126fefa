"""The portfolio pages on the demo bank over HTTP: each renders in Chinese and English with the
bank's real figures (compared with SQL over the same database), the API returns the same figures,
and a role without risk:read is refused."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanpilot.lending.models import Loan, LoanStatus
from loanpilot.risk.models import DelinquencySnapshot, FiveClass
from loanpilot.web.i18n import MESSAGES
from loanpilot.web.render import format_wan

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


def _island(page: str) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="portfolio-data">(.*?)</script>', page, re.S
    )
    assert found
    return dict(json.loads(found.group(1)))


def test_the_overview_draws_the_small_classes_and_buckets_on_their_own_axis(
    demo_site: DemoSite,
) -> None:
    """The book's mix (shares) above bar charts of the classes other than normal and the
    buckets past M0, whose captions give their total; the tables keep every row."""
    client = login(demo_site, "risk")
    page = client.get("/console/portfolio", params={"lang": "zh"}).text
    for chart in ("by-class-mix", "by-class", "by-bucket-mix", "by-bucket"):
        assert f'data-chart="{chart}"' in page, chart
    data = _island(page)["data"]
    normal = sum(c["balance_fen"] for c in data["by_class"] if c["class"] == "normal")
    current = sum(b["balance_fen"] for b in data["by_bucket"] if b["bucket"] == "M0")
    assert 0 < normal < data["balance_fen"]
    assert f"合计 {format_wan(data['balance_fen'] - normal)}）" in page
    assert f"合计 {format_wan(data['balance_fen'] - current)}）" in page
    assert 'data-class="normal"' in page
    assert 'data-bucket="M0"' in page
    english = client.get("/console/portfolio", params={"lang": "en"}).text
    assert "Balance not classed normal" in english


def test_the_vintages_show_the_last_24_months_unless_asked_for_all(demo_site: DemoSite) -> None:
    client = login(demo_site, "risk")
    recent = client.get("/console/portfolio/vintages", params={"lang": "zh"}).text
    data = _island(recent)["data"]
    as_of = date.fromisoformat(data["as_of"])
    back = as_of.year * 12 + as_of.month - 1 - 23
    since = f"{back // 12:04d}-{back % 12 + 1:02d}"
    assert data["cohorts"]["since"] == since
    keys = [g["key"] for g in data["groups"]]
    assert keys
    assert len(keys) <= 24
    assert all(k >= since for k in keys)
    assert all(r["cohort"] >= since for r in data["fpd"])
    everything = client.get(
        "/console/portfolio/vintages", params={"lang": "zh", "months": "all"}
    ).text
    every = _island(everything)["data"]
    all_keys = [g["key"] for g in every["groups"]]
    assert set(keys) == {k for k in all_keys if k >= since}
    assert len(all_keys) == every["cohorts"]["total"] == every["cohorts"]["shown"]
    shown = re.search(r'data-cohorts-shown="(\d+)" data-cohorts-total="(\d+)"', recent)
    assert shown
    assert (int(shown.group(1)), int(shown.group(2))) == (len(keys), len(all_keys))
    if len(all_keys) > len(keys):  # the demo bank lends since 2020: a link to see them all
        assert 'data-months="all"' in recent
        assert "data-no-legend" in everything  # too many months for a legend
    assert 'data-months="recent"' in everything
    assert '<option value="all" selected>' in everything
    pooled = _island(client.get("/console/portfolio/vintages", params={"by": "product"}).text)
    assert all(r["cohort"] >= since for r in pooled["data"]["fpd"])


def test_chinese_headings_carry_no_english_gloss() -> None:
    """A Chinese text keeps established abbreviations (APR, MOB, FPD30, PSI, M1+) but no English
    word in brackets: "滚动率", not "滚动率（Flow rate）"."""
    gloss = re.compile(r"[（(][A-Z]?[a-z]+[A-Za-z ]*[）)]")
    for key, entry in MESSAGES.items():
        if key.split(".")[0] in ("portfolio", "alerts", "close", "coll", "lending", "servicing"):
            assert not gloss.search(entry["zh"]), (key, entry["zh"])


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
