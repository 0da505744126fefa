"""The marketing manager's journey of issue 6 in a real browser, every step through the pages.

User ``marketing`` looks at the segments (building them with the page's button when the bank has
none) and the next-best offers (building them with the page's button and following the progress
until it finishes), plans a 青春梦想贷 campaign through the form (a goal, a university, an arm on
the best-earning product × channel of the offers, a budget with one line, the largest segment as
the audience), first with its dates reversed (the error sits beside the end date and everything
typed is kept), then right; solves the plan with a budget and applies it with a hold-out;
downloads the call-centre list (phones masked ``138****5678``); books spend past 80 % of the
budget and sees the alert; and finds the funnel drawn on the results page, then the results and
the campaign in English. Every page is watched for script errors, console errors, answers of 500
and message keys shown raw.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.web.browser.marketing_helpers import Watch, figure, read_csv

from loanpilot.campaigns.models import BudgetAlert, Campaign, CampaignTarget
from loanpilot.customers.models import Customer

#: An offer build fits the take-up model first; on the 1,500-customer demo bank it takes seconds.
BUILD_MS = 90_000
THEME = "青春梦想贷"
BUDGET_YUAN = 20_000
PROMOTION_YUAN = 15_000
SPEND_YUAN = 16_500  # 82.5 % of the budget: past the 80 % alert, short of 100 %
PHONE_MASKED = re.compile(r"^1\d{2}\*{4}\d{4}$")


def see_segments(page: Page, base_url: str, watch: Watch) -> None:
    """The segments page shows segment cards; built with the rebuild button if there are none."""
    page.goto(f"{base_url}/console/segments")
    expect(page.locator("h1")).to_have_text("客群细分")
    if page.locator(".segment-card").count() == 0:
        page.select_option("#b-kind", "all")
        with page.expect_navigation():
            page.click(".rebuild-form button[type=submit]")
        expect(page).to_have_url(re.compile(r"/console/segments/runs/\d+$"))
    watch.check_page()
    cards = page.locator(".segment-card")
    assert cards.count() >= 2, "fewer than two segment cards"
    first = cards.first
    assert first.locator("h4").inner_text().strip(), "a segment card without a name"
    assert first.locator(".seg-desc").inner_text().strip(), "a segment card without a description"
    expect(first.locator('[data-figure="response"]')).to_have_text(re.compile(r"^(\d+\.\d%|—)$"))
    size = int(first.locator(".seg-code").inner_text().split("·")[1].strip().replace(",", ""))
    assert size > 0
    expect(page.locator('.chart[data-chart="size"]')).to_have_attribute("data-rendered", "1")


def see_offers(page: Page, base_url: str, watch: Watch) -> tuple[str, str]:
    """The offers page with a finished run (built with its button if none); the product id and
    channel of the best-earning product × channel reached remotely."""
    page.goto(f"{base_url}/console/offers")
    expect(page.locator("h1")).to_have_text("产品推荐")
    if page.locator("section[data-run]").count() == 0:
        with page.expect_navigation():
            page.click('button[data-action="build-offers"]')
        progress = page.locator("#offers-progress")
        expect(progress).to_have_attribute("data-running", "no", timeout=BUILD_MS)
        expect(progress.locator(".badge")).to_have_attribute("data-status", "done")
        done = int(figure(page, "#offers-progress progress", "data-done"))
        assert done == int(figure(page, "#offers-progress progress", "data-total")) > 0
        page.reload()
    watch.check_page()
    expect(page.locator("section[data-run]")).to_have_count(1)
    offered = int(page.locator('[data-figure="offers"]').inner_text().replace(",", ""))
    assert offered > 0
    rows = page.locator("table.by-product tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.productId, r.dataset.channel])"
    )
    remote = [(p, c) for p, c in rows if c != "branch"]
    assert remote, f"no product × channel reached remotely among {rows}"
    return remote[0]


def fill_plan(
    page: Page, *, code: str, starts: date, ends: date, product: str, channel: str
) -> str:
    """Type the whole plan into the form; the segment ticked (the largest) as ``run:code``."""
    page.fill("#f-code", code)
    page.fill("#f-name", f"{THEME}·开学季")
    page.fill("#f-theme", THEME)
    page.fill("#f-description", "面向在校大学生的开学季助学消费贷推广")
    page.select_option("#f-channel", channel)
    page.select_option("#f-product_id", product)
    page.fill("#f-starts_on", starts.isoformat())
    page.fill("#f-ends_on", ends.isoformat())
    page.fill("#f-control_share", "10")
    page.fill("#f-budget_fen", str(BUDGET_YUAN))
    page.select_option('select[name="goals[0].metric"]', "applications")
    page.fill('input[name="goals[0].target"]', "120")
    page.select_option('select[name="places[0].kind"]', "university")
    page.fill('input[name="places[0].name"]', "浙江大学紫金港校区")
    page.fill('input[name="places[0].city"]', "杭州")
    page.fill('input[name="places[0].starts_at"]', f"{starts.isoformat()}T10:00")
    page.fill(
        'input[name="places[0].ends_at"]', f"{(starts + timedelta(days=2)).isoformat()}T17:00"
    )
    page.fill('input[name="arms[0].arm"]', "A")
    page.select_option('select[name="arms[0].product_id"]', product)
    page.select_option('select[name="arms[0].channel"]', channel)
    page.fill('input[name="arms[0].headline_zh"]', "青春梦想贷 开学季专享利率")
    page.fill('input[name="arms[0].headline_en"]', "Dream loan for students")
    page.fill("#f-budget\\.promotion", str(PROMOTION_YUAN))
    boxes = page.locator('#segments input[name="segments"]')
    assert boxes.count() > 0, "the form offers no segment to target"
    sizes = page.locator("#segments li small").evaluate_all(
        "els => els.map(e => parseInt(e.textContent.replace(/,/g, ''), 10))"
    )
    largest = boxes.nth(max(range(len(sizes)), key=lambda i: sizes[i]))
    largest.check()
    value = largest.get_attribute("value")
    assert value is not None
    return value


def plan_campaign(
    page: Page, base_url: str, watch: Watch, product: str, channel: str
) -> tuple[int, str, str]:
    """The form refuses reversed dates (kept what was typed), then saves; id, code, segment."""
    page.goto(f"{base_url}/console/campaigns")
    with page.expect_navigation():
        page.click('a[href$="/console/campaigns/new"]')
    starts = date.fromisoformat(page.input_value("#f-starts_on"))  # the form proposes today
    code = f"QC{uuid.uuid4().hex[:8].upper()}"
    segment = fill_plan(page, code=code, starts=starts, ends=starts - timedelta(days=1),
                        product=product, channel=channel)  # fmt: skip
    with page.expect_navigation():
        page.click('.plan-form button.primary[value="save"]')
    expect(page).to_have_url(re.compile(r"/console/campaigns/new$"))
    expect(page.locator("[data-problems]")).to_be_visible()
    expect(page.locator('.field-error[data-field="ends_on"]')).to_have_count(1)
    expect(page.locator("#f-ends_on")).to_have_attribute("aria-invalid", "true")
    watch.check_page()
    # what was typed is still there
    expect(page.locator("#f-theme")).to_have_value(THEME)
    expect(page.locator("#f-code")).to_have_value(code)
    expect(page.locator("#f-budget_fen")).to_have_value(str(BUDGET_YUAN))
    expect(page.locator("#f-budget\\.promotion")).to_have_value(str(PROMOTION_YUAN))
    expect(page.locator('input[name="goals[0].target"]')).to_have_value("120")
    expect(page.locator('select[name="places[0].kind"]')).to_have_value("university")
    expect(page.locator('input[name="places[0].name"]')).to_have_value("浙江大学紫金港校区")
    expect(page.locator('input[name="arms[0].arm"]')).to_have_value("A")
    expect(page.locator('select[name="arms[0].product_id"]')).to_have_value(product)
    expect(page.locator(f'#segments input[value="{segment}"]')).to_be_checked()

    page.fill("#f-ends_on", (starts + timedelta(days=45)).isoformat())
    with page.expect_navigation():
        page.click('.plan-form button.primary[value="save"]')
    expect(page).to_have_url(re.compile(r"/console/campaigns/\d+$"))
    campaign_id = int(page.url.rsplit("/", 1)[1])
    watch.check_page()
    expect(page.locator("h1 code")).to_have_text(code)
    expect(page.locator('.goals li[data-metric="applications"]')).to_contain_text("120")
    expect(page.locator('#places li[data-place="university"]')).to_contain_text(
        "浙江大学紫金港校区"
    )
    expect(page.locator('#audience tr[data-arm="A"]')).to_contain_text("青春梦想贷 开学季专享利率")
    expect(page.locator(f'#audience li[data-segment="{segment.split(":", 1)[1]}"]')).to_have_count(
        1
    )
    expect(page.locator('#budget tr[data-line="promotion"]')).to_contain_text("15,000.00")
    return campaign_id, code, segment


def solve(page: Page, budget_yuan: str) -> dict[str, int | float]:
    """Solve with ``budget_yuan``: the solved plan's figures (selected, candidates, cost, ...)."""
    page.fill("#f-budget_yuan", budget_yuan)
    with page.expect_navigation():
        page.click('button[data-action="solve"]')
    expect(page).to_have_url(re.compile(r"/plan\?plan=\d+$"))
    expect(page.locator(".plan-result")).to_have_attribute("data-status", "solved")
    figures: dict[str, int | float] = {
        name: int(figure(page, f".plan-figures [data-{name}]", f"data-{name}"))
        for name in ("selected", "cost", "objective", "bound")
    }
    figures["gap"] = float(figure(page, ".plan-figures [data-gap]", "data-gap"))
    shown = page.locator(".plan-figures [data-selected]").inner_text()
    figures["candidates"] = int(re.sub(r"\D", "", shown.split("/", 1)[1]))
    expect(page.locator(".plan-figures [data-gap]")).to_have_text(re.compile(r"^\d+\.\d{4}%$"))
    by_channel = page.locator('[data-breakdown="channel"] tbody tr').evaluate_all(
        "rs => rs.map(r => parseInt(r.dataset.selected, 10))"
    )
    assert sum(by_channel) == figures["selected"]
    return figures


def solve_and_apply(page: Page, campaign_id: int, watch: Watch) -> tuple[int, int]:
    """Solve with the campaign's budget (room for every candidate), then with half of what that
    plan cost: the budget binds and the optimiser picks. Apply the second plan with a 20 %
    hold-out; the list's (treatment, control)."""
    with page.expect_navigation():
        page.click('a[data-link="plan"]')
    expect(page).to_have_url(re.compile(rf"/console/campaigns/{campaign_id}/plan$"))
    expect(page.locator("#f-budget_yuan")).to_have_value(str(BUDGET_YUAN))  # the campaign's
    watch.check_page()
    full = solve(page, str(BUDGET_YUAN))
    assert 0 < full["selected"] <= full["candidates"]
    assert 0 < full["cost"] < BUDGET_YUAN * 100
    half_fen = int(full["cost"]) // 2
    half = solve(page, f"{half_fen // 100}.{half_fen % 100:02d}")
    watch.check_page()
    assert half["candidates"] == full["candidates"]
    assert 0 < half["selected"] < full["selected"]
    assert 0 < half["cost"] <= half_fen
    assert 0 < half["objective"] <= half["bound"]
    assert half["objective"] < full["objective"]
    # the gap is to the LP bound (as the issue asks): on a list this small one whole customer
    # more or less is a few per cent, so the page's figure is checked, not its size
    assert half["gap"] == pytest.approx(
        (half["bound"] - half["objective"]) / half["bound"], abs=2e-4
    )
    expect(page.locator('.plan-figures [data-binding="budget"]')).to_have_count(1)
    expect(page.locator("table.plans tr[data-plan-row]")).to_have_count(2)

    page.fill("#f-holdout", "0.2")
    with page.expect_navigation():
        page.click('button[data-action="apply"]')
    expect(page).to_have_url(re.compile(r"&applied=1$"))
    watch.check_page()
    expect(page.locator("[data-applied]")).to_be_visible()
    expect(page.locator("[data-applied-plan]")).to_contain_text("20%")
    treatment = int(figure(page, "[data-treatment]", "data-treatment"))
    control = int(figure(page, "[data-control]", "data-control"))
    assert treatment > 0
    assert control > 0
    assert treatment + control <= half["selected"]
    if treatment + control >= 20:  # a share means something only on a list of some size
        assert abs(control / (treatment + control) - 0.2) < 0.15
    return treatment, control


def export_list(page: Page, treatment: int) -> set[str]:
    """The masked call-centre list: treated targets, each once, phones and names masked; their
    customer numbers."""
    link = page.locator('li[data-export="call_center"] a[href$="/export.csv?for=call_center"]')
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    path = download.path()
    assert path is not None
    rows = read_csv(path.read_bytes())
    assert 0 < len(rows) <= treatment
    assert set(rows[0]) >= {"客户号", "姓名", "手机号", "产品", "渠道", "推荐话术", "联系时段"}
    phones = [r["手机号"] for r in rows]
    assert all(PHONE_MASKED.match(p) for p in phones), phones[:5]
    assert all(re.fullmatch(r".\*+.?", r["姓名"]) for r in rows), [r["姓名"] for r in rows[:5]]
    assert {r["推荐话术"] for r in rows} == {"青春梦想贷 开学季专享利率"}
    assert len({r["渠道"] for r in rows}) == 1  # the campaign's one arm: one channel
    numbers = {r["客户号"] for r in rows}
    assert len(numbers) == len(rows)
    return numbers


def record_spend(page: Page, base_url: str, campaign_id: int, watch: Watch) -> None:
    """Book spend past 80 % of the budget on the promotion line: the 80 % alert shows."""
    page.goto(f"{base_url}/console/campaigns/{campaign_id}")
    expect(page.locator("#alerts [data-alert]")).to_have_count(0)
    line = page.locator("#e-line option", has_text="推广").get_attribute("value")
    assert line
    page.select_option("#e-line", line)
    page.fill("#e-amount", str(SPEND_YUAN))
    page.fill("#e-vendor", "校园广告公司")
    page.fill("#e-note", "开学季海报与地推")
    with page.expect_navigation():
        page.click(".expense-form button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/console/campaigns/{campaign_id}#budget$"))
    watch.check_page()
    expect(page.locator("[data-error]")).to_have_count(0)
    expect(page.locator("table.expenses tr[data-expense]")).to_have_count(1)
    expect(page.locator("table.expenses")).to_contain_text("16,500.00")
    alert = page.locator('#alerts li[data-alert="80"]')
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("80%")
    expect(page.locator('#alerts li[data-alert="100"]')).to_have_count(0)
    expect(page.locator('#budget tr[data-line="promotion"]')).to_contain_text("16,500.00")


def see_results(page: Page, campaign_id: int, treatment: int, watch: Watch) -> None:
    """The funnel is drawn (ECharts canvas or svg); the table agrees with the list applied."""
    with page.expect_navigation():
        page.click('a[data-link="results"]')
    expect(page).to_have_url(re.compile(rf"/console/campaigns/{campaign_id}/results$"))
    watch.check_page()
    funnel = page.locator('.chart[data-chart="funnel"]')
    expect(funnel).to_have_attribute("data-rendered", "1")
    assert funnel.locator("canvas, svg").count() >= 1, "the funnel chart has no canvas or svg"
    box = funnel.bounding_box()
    assert box is not None
    assert box["width"] > 200, box
    assert box["height"] > 100, box
    targeted = page.locator('#funnel-table tr[data-stage="targeted"] td').first
    expect(targeted).to_have_text(str(treatment))
    expect(page.locator('[data-figure="budget-burn"]')).to_have_attribute("data-alert", "80")
    expect(page.locator('[data-figure="budget-burn"] .card-value')).to_have_text("82.5%")
    expect(
        page.locator('table[data-table="goals"] tr[data-metric="applications"]')
    ).to_contain_text("120")


def see_english(page: Page, base_url: str, campaign_id: int, watch: Watch) -> None:
    """``?lang=en`` once: the results and (remembered) the campaign page in English."""
    page.goto(f"{base_url}/console/campaigns/{campaign_id}/results?lang=en")
    expect(page.locator("h1")).to_contain_text("Campaign results")
    expect(page.locator("#funnel-title")).to_have_text("Funnel against the goals")
    expect(page.locator('#funnel-table tr[data-stage="targeted"] th')).not_to_have_text(
        re.compile(r"[\u4e00-\u9fff]")
    )
    expect(page.locator('.chart[data-chart="funnel"]')).to_have_attribute("data-rendered", "1")
    watch.check_page()
    page.goto(f"{base_url}/console/campaigns/{campaign_id}")
    expect(page.locator("html")).to_have_attribute("lang", re.compile("^en"))
    expect(page.locator('#alerts li[data-alert="80"]')).to_contain_text("reached 80% of the budget")
    expect(page.locator('#audience tr[data-arm="A"]')).to_contain_text("Dream loan for students")
    watch.check_page()


def test_the_marketing_manager_plans_targets_and_tracks_a_campaign(
    page: Page, site, login: Callable[..., None]
) -> None:
    watch = Watch(page)
    login(page, site.url, "marketing")
    see_segments(page, site.url, watch)
    product, channel = see_offers(page, site.url, watch)
    campaign_id, code, segment = plan_campaign(page, site.url, watch, product, channel)
    treatment, control = solve_and_apply(page, campaign_id, watch)
    listed = export_list(page, treatment)
    record_spend(page, site.url, campaign_id, watch)
    see_results(page, campaign_id, treatment, watch)
    see_english(page, site.url, campaign_id, watch)
    assert watch.problems == []

    with Session(site.bank.engine) as s:
        campaign = s.scalars(select(Campaign).where(Campaign.code == code)).one()
        assert campaign.id == campaign_id
        assert campaign.theme == THEME
        assert campaign.budget_fen == BUDGET_YUAN * 100
        assert campaign.control_share == Decimal("0.1")
        groups = dict(
            s.execute(
                select(CampaignTarget.group, func.count())
                .where(CampaignTarget.campaign_id == campaign_id)
                .group_by(CampaignTarget.group)
            ).all()
        )
        assert {str(getattr(k, "value", k)): v for k, v in groups.items()} == {
            "treatment": treatment,
            "control": control,
        }
        on_list = s.execute(
            select(Customer.customer_no, CampaignTarget.group)
            .join(CampaignTarget, CampaignTarget.customer_id == Customer.id)
            .where(CampaignTarget.campaign_id == campaign_id, Customer.customer_no.in_(listed))
        ).all()
        assert len(on_list) == len(listed)  # every row a target of this campaign ...
        assert {str(getattr(g, "value", g)) for _, g in on_list} == {"treatment"}  # ... treated
        alerts = s.scalars(select(BudgetAlert).where(BudgetAlert.campaign_id == campaign_id)).all()
        assert [(a.threshold_pct, a.spent_fen) for a in alerts] == [(80, SPEND_YUAN * 100)]
        assert segment.split(":", 1)[0] == str(campaign.segment_run_id)
