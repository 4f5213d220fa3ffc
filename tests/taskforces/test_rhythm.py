"""The rhythm calendar: occurrences on working days only, moved past holidays (国庆 2026,
春节 2027), never two on one day; the meetings planned for them, their agenda and
decisions tracked like the joint meeting's."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.models import Issue
from crm.meetings.decisions import add_decision, decisions_of
from crm.meetings.models import Decision, Meeting
from crm.taskforces import rhythm
from crm.taskforces.models import RhythmMeeting, TaskForce
from tests import factories


def _tf(**kw) -> TaskForce:
    base = dict(id=1, name="x", start_date=date(2026, 1, 5), end_date=None, weekly_on=False,
                weekly_day=0, fortnightly_on=False, fortnightly_day=0, monthly_on=False,
                monthly_day=0)
    base.update(kw)
    return TaskForce(**base)


def _check_rules(occs):
    days = [o.day for o in occs]
    assert len(days) == len(set(days)), "two meetings on one day"
    assert all(dl.calendar_workday(d) for d in days), "a meeting on a day off"
    assert all(o.day >= o.nominal for o in occs)


def test_national_day_2026_moves_to_working_days_and_never_collides(app):
    # 国庆 2026: 10-01 … 10-07 off, 10-10 (Saturday) a make-up working day.
    tf = _tf(weekly_on=True, weekly_day=0, fortnightly_on=True, fortnightly_day=3,
             monthly_on=True, monthly_day=3, start_date=date(2026, 9, 14))
    occs = rhythm.occurrences(tf, date(2026, 9, 28), date(2026, 10, 18))
    _check_rules(occs)
    got = {(o.rhythm, o.nominal): o.day for o in occs}
    # The first Thursday of October (10-01) is in the holiday: the monthly 推进 takes the
    # first working day after it, 10-08.
    assert got[("monthly", date(2026, 10, 1))] == date(2026, 10, 8)
    # The fortnightly 调度 of Thursday 10-01 also rolls to 10-08, finds it taken and
    # goes on to 10-09; Monday 10-05's weekly 碰头 then finds 10-08 and 10-09 taken and
    # lands on the make-up Saturday 10-10.
    assert got[("fortnightly", date(2026, 10, 1))] == date(2026, 10, 9)
    assert got[("weekly", date(2026, 10, 5))] == date(2026, 10, 10)
    # Outside the holiday nothing moves.
    assert got[("weekly", date(2026, 10, 12))] == date(2026, 10, 12)
    assert got[("fortnightly", date(2026, 10, 15))] == date(2026, 10, 15)


def test_spring_festival_2027(app):
    # 春节 2027: 02-05 (除夕, Friday) … 02-08 (Monday) off.
    tf = _tf(weekly_on=True, weekly_day=0, fortnightly_on=True, fortnightly_day=4,
             monthly_on=True, monthly_day=1, start_date=date(2027, 1, 4))
    occs = rhythm.occurrences(tf, date(2027, 1, 25), date(2027, 2, 28))
    _check_rules(occs)
    got = {(o.rhythm, o.nominal): o.day for o in occs}
    assert got[("fortnightly", date(2027, 2, 5))] == date(2027, 2, 9)  # Friday 除夕 → Tuesday
    assert got[("weekly", date(2027, 2, 8))] == date(2027, 2, 10)      # 02-09 is taken
    assert got[("monthly", date(2027, 2, 2))] == date(2027, 2, 2)
    assert got[("weekly", date(2027, 2, 15))] == date(2027, 2, 15)


@pytest.mark.parametrize("weekday", range(7))
def test_a_year_of_every_rhythm_keeps_the_rules(app, weekday):
    tf = _tf(weekly_on=True, weekly_day=weekday, fortnightly_on=True,
             fortnightly_day=(weekday + 1) % 7, monthly_on=True, monthly_day=weekday,
             start_date=date(2026, 6, 1))
    occs = rhythm.occurrences(tf, date(2026, 6, 1), date(2027, 6, 30))
    _check_rules(occs)
    counts = {r: sum(o.rhythm == r for o in occs) for r in rhythm.PRIORITY}
    # Nothing is lost: 13 months, 28–29 fortnights, 56–57 weeks in these 395 days.
    assert counts["monthly"] == 13 and 28 <= counts["fortnightly"] <= 29
    assert 56 <= counts["weekly"] <= 57


def test_off_rhythms_and_the_end_date(app):
    tf = _tf(weekly_on=True, start_date=date(2026, 11, 2), end_date=date(2026, 11, 20))
    occs = rhythm.occurrences(tf, date(2026, 10, 1), date(2026, 12, 31))
    assert [o.day for o in occs] == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    assert {o.rhythm for o in occs} == {"weekly"}


def test_planning_creates_one_meeting_per_occurrence_once(app, world):
    today = dl.local_date(factories.utcnow())
    made_before = db.session.query(RhythmMeeting).count()
    assert made_before > 0  # saving the task force planned the coming weeks
    assert rhythm.plan(world.tf, today, today + timedelta(days=28)) == 0
    rows = db.session.query(RhythmMeeting).filter_by(task_force_id=world.tf.id).all()
    meetings = {m.id: m for m in db.session.query(Meeting).filter_by(kind="taskforce")}
    assert len({r.day for r in rows}) == len(rows)
    for r in rows:
        m = meetings[r.meeting_id]
        assert m.period_start == r.day and m.title.startswith(world.tf.name)


def test_agenda_red_milestones_open_problems_and_last_open_decisions(app, world):
    today = dl.local_date(factories.utcnow())
    first = rhythm.plan(world.tf, today - timedelta(days=21), today)
    rms = (db.session.query(RhythmMeeting).filter_by(task_force_id=world.tf.id)
           .order_by(RhythmMeeting.day).all())
    past = [r for r in rms if r.day < today]
    assert first and len(past) >= 2
    before, last = past[-2], past[-1]
    meeting = db.session.get(Meeting, before.meeting_id)
    decision = add_decision(meeting, "三日内完成用地报批材料", world.other_unit,
                            dl.add_working_days(today, 8), world.coordinator)
    db.session.commit()
    agenda = rhythm.agenda(last, today)
    assert [m.name for m, _p in agenda.red_milestones] == ["用地"]
    assert [d.id for d, _i in agenda.open_decisions] == [decision.id]
    # The decision is tracked like the joint meeting's: a problem of source decision,
    # dispatched to the unit through the workflow.
    issue = db.session.get(Issue, decision.issue_id)
    assert issue.source == "decision" and issue.state == "dispatched"
    assert issue.lead_unit_id == world.other_unit.id
    assert decisions_of(meeting)[0].text == "三日内完成用地报批材料"


def test_meeting_page_shows_agenda_and_coordinator_records_a_decision(app, client, login_as,
                                                                      world):
    today = dl.local_date(factories.utcnow())
    rm = (db.session.query(RhythmMeeting).filter_by(task_force_id=world.tf.id)
          .order_by(RhythmMeeting.day).first())
    login_as(world.coordinator)
    page = client.get(f"/taskforces/meetings/{rm.id}").get_data(as_text=True)
    assert "用地" in page and world.tf.name in page
    due = dl.add_working_days(today, 5)
    r = client.post_form(f"/taskforces/meetings/{rm.id}/decisions",
                         {"text": "协调电力接入", "unit_id": world.unit.id,
                          "due_date": due.isoformat()})
    assert r.status_code == 302
    d = db.session.query(Decision).filter_by(meeting_id=rm.meeting_id).one()
    assert d.text == "协调电力接入" and d.issue_id
    # A bad date is refused next to the field, nothing written.
    r = client.post_form(f"/taskforces/meetings/{rm.id}/decisions",
                         {"text": "再一条", "unit_id": world.unit.id, "due_date": "99999-1-1"})
    assert r.status_code == 400
    assert db.session.query(Decision).filter_by(meeting_id=rm.meeting_id).count() == 1


def test_missed_rhythm_meetings(app, world):
    today = dl.local_date(factories.utcnow())
    rhythm.plan(world.tf, today - timedelta(days=35), today)
    db.session.commit()
    assert [tf.id for tf, _o in rhythm.missed(today)] == [world.tf.id]
    last = rhythm.missed(today)[0][1]
    rm = db.session.query(RhythmMeeting).filter_by(task_force_id=world.tf.id, day=last.day).one()
    db.session.get(Meeting, rm.meeting_id).state = "held"
    db.session.commit()
    assert rhythm.missed(today) == []
