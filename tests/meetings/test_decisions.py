"""Decisions (议定事项) are dispatched and tracked like problems, and reported in the next
meeting's packet."""
import io
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.issues.deadlines import WorkCalendar, end_of_day
from crm.issues.models import Issue
from crm.meetings.models import Briefing, Decision, Meeting
from tests import factories


def _next_workday(after_days: int = 10):
    cal = WorkCalendar.around(local_today())
    return cal.add(local_today(), after_days)


def test_decision_is_dispatched_to_the_unit_with_its_deadline(client, login_as, app):
    login_as("coordinator")
    unit = factories.unit("市自然资源局")
    db.session.commit()
    client.post_form("/meetings/new", {"kind": "joint", "month": "2026-11"})
    meeting = db.session.scalar(select(Meeting))
    due = _next_workday()
    r = client.post_form(f"/meetings/{meeting.id}/decisions", {
        "text": "由市自然资源局牵头，年底前完成兴发制管扩建用地报批", "unit_id": unit.id,
        "due_date": due.isoformat()})
    assert r.status_code == 302
    decision = db.session.scalar(select(Decision))
    issue = db.session.get(Issue, decision.issue_id)
    assert issue.source == "decision" and issue.enterprise_id is None
    assert issue.state == "dispatched" and issue.lead_unit_id == unit.id
    assert issue.due_at == end_of_day(due) and issue.light() == "green"
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "年底前完成兴发制管扩建用地报批" in html and issue.number in html
    handler = factories.user(roles=["handler"], unit=unit)
    db.session.commit()
    other = app.test_client()
    other.post_form("/login", {"username": handler.username, "password": factories.PASSWORD})
    assert issue.number in other.get("/problems/inbox").get_data(as_text=True)


def test_bad_decision_input_is_explained_next_to_the_field(client, login_as):
    login_as("coordinator")
    unit = factories.unit("市商务局")
    db.session.commit()
    client.post_form("/meetings/new", {"kind": "joint", "month": "2026-11"})
    meeting = db.session.scalar(select(Meeting))
    r = client.post_form(f"/meetings/{meeting.id}/decisions", {
        "text": "协调物流园区通行证", "unit_id": unit.id,
        "due_date": (local_today() - timedelta(days=1)).isoformat()})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "办结时限须晚于今天" in html and "协调物流园区通行证" in html
    r = client.post_form(f"/meetings/{meeting.id}/decisions", {
        "text": "", "unit_id": 0, "due_date": "明天"})
    html = r.get_data(as_text=True)
    assert "请填写议定事项" in html and "请选择责任单位" in html
    assert "不是有效的日期值" in html
    assert db.session.scalar(select(db.func.count()).select_from(Decision)) == 0


def test_next_packet_reports_the_decisions_progress(client, login_as):
    login_as("coordinator")
    unit = factories.unit("市供电公司")
    db.session.commit()
    client.post_form("/meetings/new", {"kind": "joint", "month": "2026-10"})
    october = db.session.scalar(select(Meeting))
    client.post_form(f"/meetings/{october.id}/decisions", {
        "text": "供电公司两周内完成青山食品专线增容", "unit_id": unit.id,
        "due_date": _next_workday(5).isoformat()})
    client.post_form("/meetings/new", {"kind": "joint", "month": "2026-11"})
    november = db.session.scalars(select(Meeting).order_by(Meeting.id.desc())).first()
    client.post_form(f"/briefings/meeting/{november.id}")
    briefing = db.session.scalar(select(Briefing).where(Briefing.meeting_id == november.id))
    assert briefing.state == "success"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(briefing.pdf)).pages)
    assert "上次会议议定事项落实情况" in text
    assert "供电公司两周内完成青山食品专线增容" in text and "市供电公司" in text
