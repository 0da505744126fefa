"""The team console over real HTTP on the demo bank: the tabs render in Chinese and English for
the roles that read staff (and refuse customer managers, who get their own page); the hand-over
form keeps what was typed and shows each problem beside its field, then hands over; a customer's
history; the attendance import lists its rejected rows; certificate reminders; read-only roles
cannot change anything."""

from __future__ import annotations

import re
import uuid
from contextlib import closing
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.conftest import DemoSite

PAGES = ("/console/team", "/console/team/training", "/console/team/training/hours",
         "/console/team/certificates", "/console/team/certificates?show=all",
         "/console/team/mentors", "/console/team/rotations", "/console/team/me")  # fmt: skip


def test_the_tabs_render_in_both_languages_for_readers(demo_site: DemoSite) -> None:
    with closing(demo_site.login("marketing")) as c:
        for path in PAGES:
            zh = c.get(path)
            assert zh.status_code == 200, (path, zh.text[:500])
            assert 'data-tab="portfolios"' in zh.text
        assert "营销团队" in c.get("/console/team").text
        en = c.get("/console/team?lang=en").text
        assert "Portfolios" in en
        assert "Certificate reminders" in en
        assert 'id="reassign"' not in en  # the form lives on a manager's page
    with closing(demo_site.login("auditor")) as c:  # reads, cannot change
        page = c.get("/console/team/training")
        assert page.status_code == 200
        assert 'id="course-form"' not in page.text
        refused = c.post("/console/team/training/courses", data={"code": "X"})
        assert refused.status_code == 403


def test_customer_managers_get_only_their_own_page(demo_site: DemoSite) -> None:
    with closing(demo_site.login("manager")) as c:
        assert c.get("/console/team").status_code == 403
        assert c.get("/console/team/training").status_code == 403
        mine = c.get("/console/team/me")
        assert mine.status_code == 200
        assert 'id="my-reminders"' in mine.text


def test_the_handover_form_shows_problems_keeps_input_then_hands_over(demo_site: DemoSite) -> None:
    with closing(demo_site.login("branch")) as c:
        page = c.get("/console/team").text
        ids = re.findall(r'data-staff-id="(\d+)" data-customers="(\d+)"', page)
        holder = next(i for i, n in ids if int(n) >= 2)
        portfolio = c.get(f"/console/team/portfolios/{holder}").text
        customers = re.findall(r'name="customer" value="([^"]+)"', portfolio)
        targets = re.findall(r'<option value="([^"]+)">', portfolio.split('name="to_staff"')[1])
        assert customers
        assert targets
        # no reason: 422, the ticked customer and the chosen target kept, the problem beside it
        bad = c.post(f"/console/team/portfolios/{holder}/reassign",
                     data={"customer": customers[0], "to_staff": targets[0], "reason": ""})  # fmt: skip
        assert bad.status_code == 422
        assert 'data-field="reason"' in bad.text
        assert f'value="{customers[0]}" aria-label="{customers[0]}" checked' in bad.text
        assert f'<option value="{targets[0]}" selected>' in bad.text
        done = c.post(f"/console/team/portfolios/{holder}/reassign",
                      data={"customer": customers[0], "to_staff": targets[0], "reason": "页面测试"})  # fmt: skip
        assert done.status_code == 303
        after = c.get(done.headers["location"]).text
        assert 'data-moved="1"' in after
        assert f'value="{customers[0]}"' not in after
        history = c.get("/console/team/customers", params={"customer_no": customers[0]},
                        follow_redirects=True)  # fmt: skip
        assert history.status_code == 200
        assert "页面测试" in history.text
        assert 'data-current="1"' in history.text


def test_the_import_lists_rejected_rows_and_certificates_highlight_reminders(
    demo_site: DemoSite,
) -> None:
    with closing(demo_site.login("marketing")) as c:
        code = f"TR-W{uuid.uuid4().hex[:8]}"
        made = c.post("/console/team/training/courses",
                      data={"code": code, "title": "页面课程", "topic": "sales", "hours": "2"})  # fmt: skip
        assert made.status_code == 303
        wrong = c.post("/console/team/training/courses",
                       data={"code": code, "title": "", "topic": "sales", "hours": "abc"})  # fmt: skip
        assert wrong.status_code == 422
        assert {"code", "title", "hours"} <= set(re.findall(r'data-field="(\w+)"', wrong.text))
        assert f'value="{code}"' in wrong.text  # what was typed is kept
        text = ("employee_no,course_code,session_date,hours_attended\n"
                f"NOBODY,{code},2026-11-02,1\n")  # fmt: skip
        report = c.post("/console/team/training/import",
                        files={"file": ("课程.csv", text.encode(), "text/csv")})  # fmt: skip
        assert report.status_code == 200
        assert 'data-rejected="1"' in report.text
        assert 'data-row="2" data-field="employee_no"' in report.text
        assert "没有工号为 NOBODY 的员工" in report.text
        certs = c.get("/console/team/certificates").text
        assert 'id="reminders"' in certs or "没有需要提醒的证书" in certs
        hours = c.get("/console/team/training/hours", params={"period": "2026Q5"})
        assert hours.status_code == 422
        assert "不是期间" in hours.text
