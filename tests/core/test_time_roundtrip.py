"""Every date and time a person types goes through save → the page that shows it → the
edit form → save again, and reads the same everywhere: Asia/Shanghai on the screen and
in the forms, naive UTC in ``*_at`` columns, the local day in date columns.

The clock stands at 07:30 in Shanghai, which is still the previous day in UTC, and the
times typed sit near the day's ends (07:30, 23:30): a value read or shown as UTC, or a
"today" taken from the UTC clock, lands on the wrong day or hour and fails here.
"""
from __future__ import annotations

import io
import re
import uuid
from datetime import date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from crm.core.models import AuditLog
from crm.enterprises.models import Assignment, LeaderAbsence
from crm.extensions import db
from crm.issues.models import Issue
from crm.liaisons.models import Policy, Visit
from crm.meetings.models import Briefing, Decision, Meeting
from tests import factories

# 07:30 on Tuesday 1 December 2026 in Shanghai = 23:30 on 30 November in UTC.
EARLY = "2026-12-01 07:30"


def _html(response) -> str:
    return response.get_data(as_text=True)


def input_value(html: str, name: str) -> str:
    """The ``value`` attribute of the input called ``name`` (what the form shows)."""
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert tag, f"no input {name}"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def form_html(html: str, action: str) -> str:
    """The markup of the form that posts to ``action`` (a page can hold several forms
    with fields of the same name)."""
    found = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', html, re.S)
    assert found, f"no form posting to {action}"
    return found.group(0)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _login(app, user):
    """A client signed in as ``user`` (several people act in one test)."""
    c = app.test_client()
    r = c.post_form("/login", {"username": user.username, "password": factories.PASSWORD})
    assert r.status_code == 302
    return c


# ------------------------------------------------------------------ meetings: starts_at

@pytest.mark.now(EARLY)
@pytest.mark.parametrize("typed, shown, stored", [
    ("2026-12-01T07:30", "2026-12-01 07:30", datetime(2026, 11, 30, 23, 30)),
    ("2026-12-01T09:30", "2026-12-01 09:30", datetime(2026, 12, 1, 1, 30)),
    ("2026-12-01T23:30", "2026-12-01 23:30", datetime(2026, 12, 1, 15, 30)),
], ids=["07:30", "09:30", "23:30"])
def test_meeting_time_round_trip(client, login_as, typed, shown, stored):
    login_as("coordinator")
    r = client.post_form("/meetings/new", {"kind": "review", "quarter": "2026-Q4",
                                           "starts_at": typed, "place": "市政府五楼"})
    assert r.status_code == 302
    meeting = db.session.scalar(select(Meeting))
    assert meeting.starts_at == stored
    page = _html(client.get(f"/meetings/{meeting.id}"))
    assert f"{shown} · 市政府五楼" in page
    form = form_html(page, f"/meetings/{meeting.id}/edit")
    assert input_value(form, "starts_at") == typed
    assert shown in _html(client.get("/meetings/"))
    # The edit form sent back as shown changes nothing.
    r = client.post_form(f"/meetings/{meeting.id}/edit", {
        "title": input_value(form, "title"), "starts_at": input_value(form, "starts_at"),
        "place": input_value(form, "place"), "attendees": ""})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).starts_at == stored
    assert not db.session.scalar(select(AuditLog).where(AuditLog.action == "update"))


@pytest.mark.now(EARLY)
def test_meeting_edit_moves_the_time_by_what_was_typed_and_the_cover_shows_it(client,
                                                                             login_as):
    """The 15:00 → 07:00 → 23:00 drift of the report: the edit form shows the local
    time, saving it stores that local time, and the PDF cover prints it."""
    login_as("coordinator")
    client.post_form("/meetings/new", {"kind": "review", "quarter": "2026-Q4",
                                       "starts_at": "2026-12-01T15:00"})
    meeting = db.session.scalar(select(Meeting))
    assert meeting.starts_at == datetime(2026, 12, 1, 7, 0)
    page = _html(client.get(f"/meetings/{meeting.id}"))
    assert "2026-12-01 15:00" in page and input_value(page, "starts_at") == "2026-12-01T15:00"
    client.post_form(f"/meetings/{meeting.id}/edit", {
        "title": meeting.title, "starts_at": "2026-12-02T09:30", "place": "市政府五楼"})
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting.id)
    assert meeting.starts_at == datetime(2026, 12, 2, 1, 30)
    page = _html(client.get(f"/meetings/{meeting.id}"))
    assert "2026-12-02 09:30" in page and input_value(page, "starts_at") == "2026-12-02T09:30"
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "update"))
    assert log.after["starts_at"] == "2026-12-02T09:30:00+08:00"
    client.post_form(f"/briefings/meeting/{meeting.id}")
    briefing = db.session.scalar(select(Briefing))
    assert briefing.state == "success", briefing.error
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(briefing.pdf)).pages)
    assert "2026年12月2日 09:30 · 市政府五楼" in text
    assert "17:30" not in text


@pytest.mark.now(EARLY)
def test_unreadable_time_is_explained_and_kept(client, login_as):
    login_as("coordinator")
    r = client.post_form("/meetings/new", {"kind": "joint", "month": "2026-12",
                                           "starts_at": "12月1日上午"})
    html = _html(r)
    assert r.status_code == 200 and "请按“2026-12-01 09:30”的格式填写日期和时间" in html
    assert input_value(html, "starts_at") == "12月1日上午"
    assert _count(Meeting) == 0


@pytest.mark.now(EARLY)
def test_special_meeting_period_is_kept_as_typed(client, login_as):
    login_as("coordinator")
    client.post_form("/meetings/new", {"kind": "special", "title": "用电保障专题会",
                                       "period_start": "2026-12-01",
                                       "period_end": "2026-12-02"})
    meeting = db.session.scalar(select(Meeting))
    assert (meeting.period_start, meeting.period_end) == (date(2026, 12, 1), date(2026, 12, 2))
    assert "2026-12-01 — 2026-12-02" in _html(client.get(f"/meetings/{meeting.id}"))


# ------------------------------------------------------------------ decisions: deadline

@pytest.mark.now(EARLY)
def test_decision_deadline_is_the_local_day(client, login_as):
    login_as("coordinator")
    unit = factories.unit("市供电公司")
    db.session.commit()
    client.post_form("/meetings/new", {"kind": "joint", "month": "2026-12"})
    meeting = db.session.scalar(select(Meeting))
    # Today (1 December, local) is refused although it is still 30 November in UTC.
    r = client.post_form(f"/meetings/{meeting.id}/decisions", {
        "text": "专线增容", "unit_id": unit.id, "due_date": "2026-12-01"})
    assert r.status_code == 400 and "办结时限须晚于今天" in _html(r)
    assert input_value(_html(r), "due_date") == "2026-12-01"
    r = client.post_form(f"/meetings/{meeting.id}/decisions", {
        "text": "专线增容", "unit_id": unit.id, "due_date": "2026-12-10"})
    assert r.status_code == 302
    decision = db.session.scalar(select(Decision))
    assert decision.due_date == date(2026, 12, 10)
    issue = db.session.get(Issue, decision.issue_id)
    assert issue.due_at == datetime(2026, 12, 10, 10, 0)  # 18:00 local
    assert "2026-12-10" in _html(client.get(f"/meetings/{meeting.id}"))
    page = _html(client.get(f"/problems/{issue.id}"))
    assert re.search(r'data-testid="due-at">2026-12-10 18:00<', page)


# ------------------------------------------------------------------ visits: visit_date

@pytest.mark.now(EARLY)
def test_visit_date_round_trip(app, client, login_as):
    com = factories.user(["commissioner"], display_name="王小明")
    ent = factories.enterprise("兴发制管有限公司")
    factories.assignment(ent, com)
    db.session.commit()
    login_as(com)
    form = _html(client.get(f"/visits/new/{ent.id}"))
    assert input_value(form, "visit_date") == "2026-12-01"  # local today, not UTC's
    r = client.post_form(f"/visits/new/{ent.id}", {
        "client_uuid": str(uuid.uuid4()), "visit_date": "2026-12-01", "mode": "onsite",
        "status_seen": "normal", "summary": "走访了解生产经营情况"})
    assert r.status_code == 302, _html(r)[:500]
    visit = db.session.scalar(select(Visit))
    assert visit.visit_date == date(2026, 12, 1)
    page = _html(client.get(f"/visits/{visit.id}"))
    assert re.search(r'data-testid="visit-heading">[^<]*2026-12-01', page)
    form = _html(client.get(f"/visits/{visit.id}/edit"))
    assert input_value(form, "visit_date") == "2026-12-01"
    r = client.post_form(f"/visits/{visit.id}/edit", {
        "version_token": input_value(form, "version_token"),
        "client_uuid": visit.client_uuid, "visit_date": input_value(form, "visit_date"),
        "mode": "onsite", "status_seen": "normal", "summary": "走访了解生产经营情况"})
    assert r.status_code == 302, _html(r)[:500]
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).visit_date == date(2026, 12, 1)


# ------------------------------------------------- problems: dispatch due date, extension

def _problem_world():
    unit = factories.unit("市人力资源和社会保障局")
    ent = factories.enterprise("青石机械制造有限公司")
    coordinator = factories.user(["coordinator"], display_name="周协调")
    handler = factories.user(["handler"], display_name="韩经办", unit=unit)
    return unit, ent, coordinator, handler


def _version(html: str, action: str) -> str:
    return input_value(html, f"{action}-version")


@pytest.mark.now(EARLY)
def test_dispatch_due_date_and_extension_round_trip(app, login_as):
    unit, ent, coordinator, handler = _problem_world()
    issue = factories.issue(ent, state="new", title="招工难")
    db.session.commit()
    coord = _login(app, coordinator)
    html = _html(coord.get(f"/problems/{issue.id}"))
    r = coord.post_form(f"/problems/{issue.id}/do/dispatch", {
        "dispatch-version": _version(html, "dispatch"), "dispatch-unit_id": unit.id,
        "dispatch-level": "ordinary", "dispatch-due_date": "2026-12-04"})
    assert r.status_code == 302, _html(r)[:500]
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).due_at == datetime(2026, 12, 4, 10, 0)
    assert re.search(r'data-testid="due-at">2026-12-04 18:00<',
                     _html(coord.get(f"/problems/{issue.id}")))

    hand = _login(app, handler)
    html = _html(hand.get(f"/problems/{issue.id}"))
    hand.post_form(f"/problems/{issue.id}/do/sign", {"sign-version": _version(html, "sign")})
    html = _html(hand.get(f"/problems/{issue.id}"))
    r = hand.post_form(f"/problems/{issue.id}/do/request_extension", {
        "request_extension-version": _version(html, "request_extension"),
        "request_extension-until": "2026-12-11", "request_extension-text": "需协调用工指标"})
    assert r.status_code == 302, _html(r)[:500]
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).extension_requested_until == date(2026, 12, 11)
    html = _html(coord.get(f"/problems/{issue.id}"))
    assert "2026-12-11" in html
    assert input_value(html, "grant_extension-until") == "2026-12-11"
    r = coord.post_form(f"/problems/{issue.id}/do/grant_extension", {
        "grant_extension-version": _version(html, "grant_extension"),
        "grant_extension-until": input_value(html, "grant_extension-until")})
    assert r.status_code == 302, _html(r)[:500]
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).due_at == datetime(2026, 12, 11, 10, 0)
    assert re.search(r'data-testid="due-at">2026-12-11 18:00<',
                     _html(coord.get(f"/problems/{issue.id}")))


@pytest.mark.now(EARLY)
def test_problem_list_day_filter_takes_local_days(client, login_as):
    """A problem raised at 07:30 local on 1 December (30 November in UTC) is found by
    the 1 December filter, and the filter form shows the day typed."""
    ent = factories.enterprise("青石机械制造有限公司")
    factories.issue(ent, title="早上七点半登记", raised_at=datetime(2026, 11, 30, 23, 30))
    factories.issue(ent, title="前一天晚上登记", raised_at=datetime(2026, 11, 30, 15, 30))
    db.session.commit()
    login_as("coordinator")
    html = _html(client.get("/problems/?raised_from=2026-12-01&raised_to=2026-12-01"))
    assert "早上七点半登记" in html and "前一天晚上登记" not in html
    assert input_value(html, "raised_from") == "2026-12-01"


# ------------------------------------------------- registry: assignments, away periods

@pytest.mark.now(EARLY)
def test_assignment_start_date_is_today_in_shanghai(client, login_as):
    ent = factories.enterprise("绿源食品有限公司")
    com = factories.user(["commissioner"], display_name="陈特派")
    db.session.commit()
    login_as("coordinator")
    page = _html(client.get(f"/enterprises/{ent.id}"))
    assert input_value(page, "commissioner-start_date") == "2026-12-01"
    # 1 December is today, not "in the future" as it would be by the UTC date.
    r = client.post_form(f"/enterprises/{ent.id}/assign/commissioner", {
        "commissioner-user_id": com.id, "commissioner-start_date": "2026-12-01"},
        follow_redirects=True)
    assert "日期不能晚于今天" not in _html(r) and "自 2026-12-01 起" in _html(r)
    assert db.session.scalar(select(Assignment.start_date)) == date(2026, 12, 1)


@pytest.mark.now(EARLY)
def test_leader_away_period_round_trip(client, login_as):
    leader = login_as("leader", display_name="李市长")
    page = _html(client.get(f"/enterprises/leaders/{leader.id}/away"))
    assert input_value(page, "start_date") == "2026-12-01"
    # Yesterday (local) is over, although it is still that day in UTC.
    r = client.post_form(f"/enterprises/leaders/{leader.id}/away", {
        "start_date": "2026-11-30", "end_date": "2026-11-30"})
    assert r.status_code == 400 and _count(LeaderAbsence) == 0
    r = client.post_form(f"/enterprises/leaders/{leader.id}/away", {
        "start_date": "2026-12-01", "end_date": "2026-12-03", "note": "省城培训"})
    assert r.status_code == 302, _html(r)[:500]
    absence = db.session.scalar(select(LeaderAbsence))
    assert (absence.start_date, absence.end_date) == (date(2026, 12, 1), date(2026, 12, 3))
    assert "2026-12-01 – 2026-12-03" in _html(client.get(
        f"/enterprises/leaders/{leader.id}/away"))


# ------------------------------------------------------------------ policies: validity

@pytest.mark.now(EARLY)
def test_policy_validity_round_trip(client, login_as):
    login_as("coordinator")
    r = client.post_form("/visits/policies/new", {
        "title": "小微企业融资担保费补贴", "category": "subsidy",
        "valid_from": "2026-12-01", "valid_to": "2027-11-30", "is_active": "y"})
    assert r.status_code == 302, _html(r)[:500]
    policy = db.session.scalar(select(Policy))
    assert (policy.valid_from, policy.valid_to) == (date(2026, 12, 1), date(2027, 11, 30))
    assert "2026-12-01 – 2027-11-30" in _html(client.get(f"/visits/policies/{policy.id}"))
    form = _html(client.get(f"/visits/policies/{policy.id}/edit"))
    assert input_value(form, "valid_from") == "2026-12-01"
    assert input_value(form, "valid_to") == "2027-11-30"
    r = client.post_form(f"/visits/policies/{policy.id}/edit", {
        "title": input_value(form, "title"), "category": "subsidy",
        "valid_from": input_value(form, "valid_from"),
        "valid_to": input_value(form, "valid_to"), "is_active": "y"})
    assert r.status_code == 302, _html(r)[:500]
    db.session.expire_all()
    policy = db.session.get(Policy, policy.id)
    assert (policy.valid_from, policy.valid_to) == (date(2026, 12, 1), date(2027, 11, 30))
