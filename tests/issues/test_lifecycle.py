"""The lifecycle through the workflow service: clocks, events, notices, refusals."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from crm.core.models import Notification
from crm.extensions import db
from crm.issues.errors import InvalidInput, NotAllowed
from crm.issues.models import IssueEvent, IssueUnit
from crm.issues.services import raise_issue
from crm.issues.workflow import transition
from tests.issues.conftest import utc


def _notices(user):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def test_whole_lifecycle_with_a_reopen(world):
    w = world
    issue = raise_issue(w.enterprise, {"title": "招工缺口 50 人", "category_id": w.category.id},
                        w.commissioner)
    # Monday 2026-03-02 10:00 local = 02:00 UTC.
    transition(issue, "dispatch", w.coordinator, expected_version=issue.version,
               now=utc(2026, 3, 2, 2, 0), unit_id=w.unit.id, level="ordinary",
               category_id=w.category.id, coop_unit_ids=[w.other_unit.id])
    assert issue.state == "dispatched" and issue.lead_unit_id == w.unit.id
    # Sign by Tuesday 18:00 local (10:00 UTC), progress by Thursday, resolve by 7 working
    # days later: Wednesday 2026-03-11 18:00 local.
    assert issue.sign_due_at == utc(2026, 3, 3, 10, 0)
    assert issue.progress_due_at == utc(2026, 3, 5, 10, 0)
    assert issue.due_at == utc(2026, 3, 11, 10, 0)
    assert issue.warn_at == utc(2026, 3, 10, 10, 0)  # max(1, floor(1.4)) = 1 working day
    assert db.session.get(IssueUnit, (issue.id, w.other_unit.id)) is not None
    assert "请在 2026-03-03 18:00 前签收" in _notices(w.handler)[-1].text
    assert _notices(w.other_handler), "the cooperating unit hears of it too"

    transition(issue, "sign", w.handler, now=utc(2026, 3, 2, 3, 0))
    transition(issue, "progress", w.handler, now=utc(2026, 3, 3, 3, 0), text="已对接招聘会")
    transition(issue, "resolve", w.handler, now=utc(2026, 3, 6, 3, 0), text="已推荐 52 人上岗")
    assert issue.state == "resolved" and issue.resolved_on_time is True
    assert "请回访企业" in _notices(w.commissioner)[-1].text

    transition(issue, "rate", w.commissioner, now=utc(2026, 3, 7, 3, 0), rating=2,
               contact="赵经理", text="只到岗 20 人")
    assert issue.state == "reopened" and issue.reopen_count == 1
    assert issue.rating == 2 and issue.rating_channel == "recorded"
    assert issue.resolved_at is None
    # A new resolve stage from the reopen day (Saturday 03-07 → 7 working days).
    assert issue.due_at == utc(2026, 3, 17, 10, 0)
    for person in (w.handler, w.coordinator, w.leader):
        assert "不满意" in _notices(person)[-1].text
    assert not any("不满意" in n.text for n in _notices(w.leader_b)), "A is not away"

    transition(issue, "sign", w.handler, now=utc(2026, 3, 9, 2, 0))
    transition(issue, "resolve", w.handler, now=utc(2026, 3, 10, 2, 0), text="又推荐 30 人")
    transition(issue, "rate", w.coordinator, now=utc(2026, 3, 11, 2, 0), rating=4,
               contact="赵经理")
    db.session.commit()
    assert issue.state == "closed" and issue.closed_at == utc(2026, 3, 11, 2, 0)
    events = db.session.scalars(select(IssueEvent).where(IssueEvent.issue_id == issue.id)
                                .order_by(IssueEvent.id)).all()
    assert [(e.action, e.to_state) for e in events] == [
        ("raise", "new"), ("dispatch", "dispatched"), ("sign", "in_progress"),
        ("progress", None), ("resolve", "resolved"), ("rate", "reopened"),
        ("sign", "in_progress"), ("resolve", "resolved"), ("rate", "closed")]
    assert events[1].data["unit"] == "市人力资源和社会保障局"
    assert events[5].data == {"rating": 2, "channel": "recorded", "contact": "赵经理"}


def test_return_goes_back_to_the_coordinator_without_resetting_the_clock(world):
    w = world
    issue = w.issue()
    transition(issue, "dispatch", w.coordinator, now=utc(2026, 3, 2, 2, 0),
               unit_id=w.other_unit.id, level="ordinary")
    due, dispatched = issue.due_at, issue.dispatched_at
    with pytest.raises(InvalidInput) as exc:
        transition(issue, "return", w.other_handler, now=utc(2026, 3, 2, 5, 0), text="  ")
    assert exc.value.field == "text" and "理由" in exc.value.message
    transition(issue, "return", w.other_handler, now=utc(2026, 3, 2, 5, 0),
               text="属人社部门职责")
    assert issue.state == "returned" and issue.due_at == due
    assert "属人社部门职责" in _notices(w.coordinator)[-1].text
    transition(issue, "redispatch", w.coordinator, now=utc(2026, 3, 3, 2, 0),
               unit_id=w.unit.id)
    assert issue.state == "dispatched" and issue.is_redispatched
    assert issue.due_at == due and issue.dispatched_at == dispatched, "the clock runs on"
    assert issue.sign_due_at == utc(2026, 3, 4, 10, 0), "the new unit has a day to sign"
    with pytest.raises(NotAllowed) as exc:
        transition(issue, "return", w.handler, now=utc(2026, 3, 3, 3, 0), text="也不是我们")
    assert "不能再退回" in exc.value.message


def test_handler_of_another_unit_and_other_leaders_are_refused(world):
    w = world
    issue = w.issue("dispatched")
    with pytest.raises(NotAllowed):
        transition(issue, "sign", w.other_handler)
    stranger = w.other_enterprise
    from tests import factories

    other_leader = factories.user(["leader"])
    factories.assignment(stranger, other_leader, "leader_a")
    with pytest.raises(NotAllowed):
        transition(issue, "instruct", other_leader, text="抓紧办理")
    transition(issue, "instruct", w.leader, text="请市人社局三日内对接")
    assert "李市长" in _notices(w.handler)[-1].text


def test_leader_b_receives_notices_while_leader_a_is_away(world):
    from crm.core.timeutil import local_today
    from crm.enterprises.models import LeaderAbsence

    w = world
    today = local_today()
    db.session.add(LeaderAbsence(user_id=w.leader.id, start_date=today - timedelta(days=1),
                                 end_date=today + timedelta(days=3), note="出差"))
    issue = w.issue("resolved", resolved_at=utc(2026, 3, 6, 3, 0), resolution="已办")
    transition(issue, "reopen", w.coordinator, text="企业反映仍未解决")
    assert any("重办" in n.text or "仍未解决" in n.text for n in _notices(w.leader_b))
    # A keeps the notice too, to read on return.
    assert any("重办" in n.text or "仍未解决" in n.text for n in _notices(w.leader))


def test_pause_stops_the_clock_and_resume_moves_the_deadline(world):
    w = world
    issue = w.issue()
    transition(issue, "dispatch", w.coordinator, now=utc(2026, 3, 2, 2, 0),
               unit_id=w.unit.id, level="ordinary")
    transition(issue, "sign", w.handler, now=utc(2026, 3, 2, 3, 0))
    with pytest.raises(InvalidInput):
        transition(issue, "pause", w.handler, now=utc(2026, 3, 3, 3, 0))
    transition(issue, "pause", w.handler, now=utc(2026, 3, 3, 3, 0), text="等待企业补充材料")
    assert issue.state == "paused" and issue.light(utc(2026, 3, 30)) is None
    # Paused Tuesday 03-03 → resumed Thursday 03-05: two working days.
    transition(issue, "resume", w.handler, now=utc(2026, 3, 5, 3, 0))
    assert issue.paused_at is None and issue.state == "in_progress"
    assert issue.due_at == utc(2026, 3, 13, 10, 0)
    assert issue.warn_at == utc(2026, 3, 12, 10, 0)


def test_extension_is_asked_before_the_due_time_and_decided_by_the_coordinator(world):
    w = world
    issue = w.issue()
    transition(issue, "dispatch", w.coordinator, now=utc(2026, 3, 2, 2, 0),
               unit_id=w.unit.id, level="ordinary")
    transition(issue, "sign", w.handler, now=utc(2026, 3, 2, 3, 0))
    with pytest.raises(InvalidInput) as exc:
        transition(issue, "request_extension", w.handler, now=utc(2026, 3, 4, 3, 0),
                   until=date(2026, 3, 10), text="需协调用地")
    assert exc.value.field == "until"
    transition(issue, "request_extension", w.handler, now=utc(2026, 3, 4, 3, 0),
               until=date(2026, 3, 20), text="需协调用地指标")
    assert "2026-03-20" in _notices(w.coordinator)[-1].text
    with pytest.raises(NotAllowed):  # one request at a time
        transition(issue, "request_extension", w.handler, now=utc(2026, 3, 4, 4, 0),
                   until=date(2026, 3, 25), text="再延")
    transition(issue, "grant_extension", w.coordinator, now=utc(2026, 3, 5, 3, 0))
    assert issue.due_at == utc(2026, 3, 20, 10, 0)
    assert issue.extension_requested_until is None
    assert "同意" in _notices(w.handler)[-1].text or "批准" in _notices(w.handler)[-1].text
    # After the due time no extension can be asked.
    with pytest.raises(NotAllowed) as exc:
        transition(issue, "request_extension", w.handler, now=utc(2026, 3, 21, 3, 0),
                   until=date(2026, 3, 30), text="再延")
    assert "到期前" in exc.value.message


def test_close_needs_a_reason_and_works_from_any_open_state(world):
    w = world
    issue = w.issue("paused")
    with pytest.raises(InvalidInput):
        transition(issue, "close", w.coordinator)
    transition(issue, "close", w.coordinator, text="企业已注销")
    assert issue.state == "closed" and issue.paused_at is None
    assert issue.close_reason == "企业已注销"
    db.session.commit()  # the CHECK constraints hold
