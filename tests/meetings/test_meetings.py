"""Meetings: creation, agenda from escalated and red problems, proposals, states."""
from datetime import timedelta

from sqlalchemy import select

from crm.core.models import AuditLog
from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.meetings.models import AgendaItem, Briefing, Meeting
from tests import factories


def _create(client, **data):
    payload = {"kind": "joint", "month": "2026-11", "place": "市政府3号会议室"} | data
    return client.post_form("/meetings/new", payload)


def test_coordinator_creates_a_joint_meeting_with_customary_title_and_number(client, login_as):
    login_as("coordinator")
    r = _create(client)
    assert r.status_code == 302
    meeting = db.session.scalar(select(Meeting))
    assert meeting.title == "2026年11月企业帮扶联席会议" and meeting.number == "2026年第1次"
    assert (meeting.period_start.isoformat(), meeting.period_end.isoformat()) == (
        "2026-11-01", "2026-11-30")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "2026年11月企业帮扶联席会议" in html and "筹备中" in html
    _create(client, month="2026-12")
    assert db.session.scalars(select(Meeting.number).order_by(Meeting.id)).all() == [
        "2026年第1次", "2026年第2次"]
    assert db.session.scalar(select(AuditLog).where(AuditLog.object_type == "meetings"))


def test_review_meeting_covers_the_quarter(client, login_as):
    login_as("coordinator")
    _create(client, kind="review", month="", quarter="2026-q3")
    meeting = db.session.scalar(select(Meeting))
    assert meeting.title == "2026年第3季度企业帮扶工作点评会"
    assert (meeting.period_start.isoformat(), meeting.period_end.isoformat()) == (
        "2026-07-01", "2026-09-30")


def test_bad_meeting_form_explains_and_keeps_typing(client, login_as):
    login_as("coordinator")
    r = _create(client, month="2026/13", place="二楼会议室")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "YYYY-MM" in html and "2026/13" in html
    assert 'value="二楼会议室"' in html
    r = _create(client, kind="special", month="", title="", period_start="2026-11-10",
                period_end="2026-11-01")
    html = r.get_data(as_text=True)
    assert "结束日期不能早于开始日期" in html and "专题会议须填写标题" in html
    assert db.session.scalar(select(db.func.count()).select_from(Meeting)) == 0


def test_agenda_takes_escalated_and_repeatedly_supervised_red_problems(client, login_as):
    login_as("coordinator")
    _create(client)
    meeting = db.session.scalar(select(Meeting))
    ent = factories.enterprise(name="兴发制管有限公司")
    past = utcnow() - timedelta(days=3)
    escalated = factories.issue(ent, state="in_progress", title="用地指标", is_escalated=True,
                                due_at=utcnow() + timedelta(days=5), warn_at=utcnow() + timedelta(days=4))
    red = factories.issue(ent, state="in_progress", title="电力增容", supervise_count=2,
                          due_at=past, warn_at=past - timedelta(days=1))
    factories.issue(ent, state="in_progress", title="只超期一次督办", supervise_count=1,
                    due_at=past, warn_at=past - timedelta(days=1))
    factories.issue(ent, state="closed", title="已销号", is_escalated=True)
    db.session.commit()
    client.post_form(f"/meetings/{meeting.id}/agenda/build")
    client.post_form(f"/meetings/{meeting.id}/agenda/build")  # twice: no duplicates
    items = db.session.scalars(select(AgendaItem).order_by(AgendaItem.position)).all()
    assert [(i.issue_id, i.source, i.position) for i in items] == [
        (escalated.id, "escalated", 1), (red.id, "red", 2)]
    # reorder and set the question
    client.post_form(f"/meetings/{meeting.id}/agenda/{items[1].id}", {"action": "up"})
    client.post_form(f"/meetings/{meeting.id}/agenda/{items[1].id}",
                     {"action": "question", "question": "请供电公司明确增容时间"})
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert html.index("电力增容") < html.index("用地指标")
    assert "请供电公司明确增容时间" in html


def test_leader_proposes_an_item_but_cannot_reorder(client, login_as, app):
    coordinator = factories.user(roles=["coordinator"])
    db.session.commit()
    coord_client = app.test_client()
    coord_client.post_form("/login", {"username": coordinator.username,
                                      "password": factories.PASSWORD})
    _create(coord_client)
    meeting = db.session.scalar(select(Meeting))
    login_as("leader")
    r = client.post_form(f"/meetings/{meeting.id}/agenda", {"title": "园区道路改造",
                                                            "question": "请住建局牵头"})
    assert r.status_code == 302
    item = db.session.scalar(select(AgendaItem))
    assert item.title == "园区道路改造" and item.source == "proposal"
    assert client.post_form(f"/meetings/{meeting.id}/agenda/{item.id}",
                            {"action": "remove"}).status_code == 403
    bad = client.post_form(f"/meetings/{meeting.id}/agenda", {"issue_number": "2099-9999"},
                           follow_redirects=True)
    assert "没有编号为 2099-9999 的问题" in bad.get_data(as_text=True)


def test_meeting_states_need_a_final_packet_and_minutes(client, login_as):
    login_as("coordinator")
    _create(client)
    meeting = db.session.scalar(select(Meeting))
    r = client.post_form(f"/meetings/{meeting.id}/advance", follow_redirects=True)
    assert "请先将一版材料定稿" in r.get_data(as_text=True)
    client.post_form(f"/briefings/meeting/{meeting.id}")
    briefing = db.session.scalar(select(Briefing))
    assert briefing.state == "success"
    client.post_form(f"/meetings/{meeting.id}/analysis", {
        "problems_text": "一是部分诉求办理超期。", "next_steps_text": "一是逐件督办超期诉求。"})
    client.post_form(f"/briefings/{briefing.id}/final")
    client.post_form(f"/meetings/{meeting.id}/advance")
    client.post_form(f"/meetings/{meeting.id}/advance")
    r = client.post_form(f"/meetings/{meeting.id}/advance", follow_redirects=True)
    assert "请先填写会议纪要" in r.get_data(as_text=True)
    client.post_form(f"/meetings/{meeting.id}/minutes", {"minutes": "会议议定：……"})
    client.post_form(f"/meetings/{meeting.id}/advance")
    db.session.refresh(meeting)
    assert meeting.state == "minuted"


def test_commissioner_cannot_see_meetings(client, login_as):
    login_as("commissioner")
    assert client.get("/meetings/").status_code == 403
