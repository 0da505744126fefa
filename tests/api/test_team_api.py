"""The team API over real HTTP on the demo bank: portfolios (names masked) and hand-overs with
their history; refusals with the problem's code (a risk officer as target, a branch head reaching
outside their branch); who may read and change; courses, the attendance import with rejected rows,
hours per period, certificates with their reminders and renewal, mentor pairs and rotations.
Other tests write to the same bank: every assertion is about rows these tests pick or create."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from tests.conftest import DemoSite

API = "/api/v1/team"


def _get(site: DemoSite, user: str, path: str, **params: Any) -> Any:
    with site.client() as c:
        r = c.get(path, headers=site.bearer(user), params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _send(site: DemoSite, user: str, method: str, path: str, **kw: Any) -> httpx.Response:
    with site.client() as c:
        return c.request(method, path, headers=site.bearer(user), **kw)


def _active(site: DemoSite, user: str, role: str) -> list[dict[str, Any]]:
    return _get(site, user, "/api/v1/staff", role=role, status="active", size=200)["items"]


def test_handover_keeps_history_and_refusals_name_the_problem(demo_site: DemoSite) -> None:
    rows = _get(demo_site, "marketing", f"{API}/portfolios")
    holder = next(r for r in rows if r["customers"] >= 2 and r["status"] == "active")
    detail = _get(demo_site, "marketing", f"{API}/portfolios/{holder['staff_id']}")
    assert len(detail["items"]) == holder["customers"]
    assert all("*" in c["name"] for c in detail["items"])  # masked
    customer = detail["items"][0]
    target = next(s for s in _active(demo_site, "marketing", "customer_manager")
                  if s["id"] != holder["staff_id"])  # fmt: skip
    body = {"to_staff": target["employee_no"], "from_staff": holder["employee_no"],
            "customers": [customer["customer_no"]], "reason": "API 测试移交"}  # fmt: skip
    r = _send(demo_site, "marketing", "POST", f"{API}/reassignments", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["customer_ids"] == [customer["id"]]
    history = _get(demo_site, "marketing", f"{API}/customers/{customer['id']}/managers")
    assert history["current_manager_id"] == target["id"]
    assert (history["history"][0]["staff_id"], history["history"][0]["end_on"],
            history["history"][0]["reason"]) == (target["id"], None, "API 测试移交")  # fmt: skip
    assert history["history"][1]["staff_id"] == holder["staff_id"]
    assert history["history"][1]["end_on"] == history["history"][0]["start_on"]
    # the same request again: the customer is no longer in the holder's portfolio
    again = _send(demo_site, "marketing", "POST", f"{API}/reassignments", json=body)
    assert again.status_code == 422
    assert [f["code"] for f in again.json()["fields"]] == ["not_in_portfolio"]
    risk = _active(demo_site, "admin", "risk_officer")[0]
    refused = _send(demo_site, "marketing", "POST", f"{API}/reassignments", json={
        "to_staff": risk["employee_no"], "customers": [customer["customer_no"]], "reason": "x"})  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["fields"][0]["code"] == "target_not_customer_facing"
    for user in ("auditor", "manager"):
        assert _send(demo_site, user, "POST", f"{API}/reassignments", json=body).status_code == 403


def test_branch_heads_see_and_change_only_their_branches(demo_site: DemoSite) -> None:
    mine = {s["id"] for s in _get(demo_site, "branch", "/api/v1/staff", size=200)["items"]}
    seen = _get(demo_site, "branch", f"{API}/portfolios")
    assert seen
    assert {r["staff_id"] for r in seen} <= mine
    everyone = _get(demo_site, "marketing", f"{API}/portfolios")
    outside = next(r for r in everyone if r["staff_id"] not in mine and r["status"] == "active"
                   and r["role"] == "customer_manager")  # fmt: skip
    inside = next(r for r in seen if r["customers"] > 0)
    assert (
        _send(demo_site, "branch", "GET", f"{API}/portfolios/{outside['staff_id']}").status_code
        == 404
    )
    r = _send(demo_site, "branch", "POST", f"{API}/reassignments", json={
        "to_staff": outside["employee_no"], "from_staff": inside["employee_no"], "reason": "x"})  # fmt: skip
    assert r.status_code == 422
    assert "target_out_of_scope" in [f["code"] for f in r.json()["fields"]]
    assert _send(demo_site, "manager", "GET", f"{API}/portfolios").status_code == 403
    assert _send(demo_site, "manager", "GET", f"{API}/me/reminders").status_code == 200


def test_courses_attendance_import_and_hours(demo_site: DemoSite) -> None:
    code = f"TR-T{uuid.uuid4().hex[:8]}"
    course = {"code": code, "title": "测试课程", "topic": "product", "hours": "3",
              "mandatory_for": []}  # fmt: skip
    made = _send(demo_site, "marketing", "POST", f"{API}/courses", json=course)
    assert made.status_code == 201, made.text
    bad = _send(demo_site, "marketing", "POST", f"{API}/courses",
                json={**course, "code": code + "x", "hours": "0", "topic": "cooking"})  # fmt: skip
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["fields"]} == {"hours", "topic"}
    staff = _active(demo_site, "marketing", "customer_manager")[0]["employee_no"]
    today = date.fromisoformat(_get(demo_site, "marketing", f"{API}/reminders")["today"])
    day = (today - timedelta(days=2)).isoformat()
    text = ("employee_no,course_code,session_date,hours_attended,exam_score,passed\n"
            f"{staff},{code},{day},3,75,\n{staff},{code},{day},2,,\nNOBODY,{code},{day},9,,\n")  # fmt: skip
    r = _send(demo_site, "marketing", "POST", f"{API}/attendance/import",
              files={"file": ("att.csv", text.encode(), "text/csv")})  # fmt: skip
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows"], report["imported"], report["rejected_rows"]) == (3, 1, [3, 4])
    assert ("att.csv", 4, "employee_no") in {(p["source"], p["row"], p["field"])
                                             for p in report["problems"]}  # fmt: skip
    period = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    hours = _get(demo_site, "marketing", f"{API}/hours", period=period)
    assert hours["period"] == period
    assert float(next(i for i in hours["items"] if i["employee_no"] == staff)["hours"]) >= 3
    assert (
        _send(demo_site, "marketing", "DELETE", f"{API}/courses/{made.json()['id']}").status_code
        == 409
    )
    assert _send(demo_site, "auditor", "POST", f"{API}/courses", json=course).status_code == 403


def test_certificates_reminders_mentors_and_rotations(demo_site: DemoSite) -> None:
    today = date.fromisoformat(_get(demo_site, "admin", f"{API}/reminders")["today"])
    agents = _active(demo_site, "admin", "service_agent")
    holder = agents[0]["employee_no"]
    name = f"测试证书{uuid.uuid4().hex[:6]}"
    cert = _send(demo_site, "admin", "POST", f"{API}/certifications", json={
        "staff": holder, "name": name, "issuer": "中国银行业协会",
        "issued_on": (today - timedelta(days=700)).isoformat(),
        "expires_on": (today + timedelta(days=10)).isoformat()})  # fmt: skip
    assert cert.status_code == 201, cert.text
    due = _get(demo_site, "admin", f"{API}/reminders")["items"]
    assert [d["days_left"] for d in due if d["certification"]["name"] == name] == [10]
    renewed = _send(demo_site, "admin", "POST", f"{API}/certifications/{cert.json()['id']}/renew",
                    json={"issued_on": today.isoformat(),
                          "expires_on": (today + timedelta(days=730)).isoformat()})  # fmt: skip
    assert renewed.status_code == 201, renewed.text
    due = _get(demo_site, "admin", f"{API}/reminders")["items"]
    assert not [d for d in due if d["certification"]["name"] == name]
    mentor, mentee = agents[1]["employee_no"], agents[-1]["employee_no"]
    start = (today + timedelta(days=3000)).isoformat()  # clear of any other pair of the mentee
    pair = _send(demo_site, "admin", "POST", f"{API}/mentor-pairs",
                 json={"mentor": mentor, "mentee": mentee, "start_on": start})  # fmt: skip
    assert pair.status_code == 201, pair.text
    twice = _send(demo_site, "admin", "POST", f"{API}/mentor-pairs",
                  json={"mentor": mentor, "mentee": mentee, "start_on": start})  # fmt: skip
    assert [f["code"] for f in twice.json()["fields"]] == ["mentee_paired"]
    ended = _send(demo_site, "admin", "POST", f"{API}/mentor-pairs/{pair.json()['id']}/end",
                  json={"end_on": start})  # fmt: skip
    assert ended.status_code == 200
    assert ended.json()["end_on"] == start
    units = [u["id"] for b in _get(demo_site, "admin", "/api/v1/org-units") for u in b["org_units"]]
    if len(units) < 2:  # the head office holds the departments
        units += [u["id"] for b in _get(demo_site, "admin", "/api/v1/org-units")
                  for c in b["children"] for u in c["org_units"]]  # fmt: skip
    same = _send(demo_site, "admin", "POST", f"{API}/rotations", json={
        "staff": holder, "from_org_unit_id": units[0], "to_org_unit_id": units[0],
        "start_on": today.isoformat()})  # fmt: skip
    assert [f["code"] for f in same.json()["fields"]] == ["same_unit"]
    moved = _send(demo_site, "admin", "POST", f"{API}/rotations", json={
        "staff": holder, "from_org_unit_id": units[0], "to_org_unit_id": units[1],
        "start_on": today.isoformat()})  # fmt: skip
    assert moved.status_code == 201, moved.text
    back = _send(demo_site, "admin", "POST", f"{API}/rotations/{moved.json()['id']}/end",
                 json={"end_on": (today - timedelta(days=1)).isoformat()})  # fmt: skip
    assert back.status_code == 422
    assert back.json()["fields"][0]["code"] == "ends_before_start"
