"""Milestone countdowns across holidays, lights, the due-soon and overdue notices (once),
a late milestone turned into a problem linked both ways, CRUD with its audit trail."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from crm.core.models import AuditLog, Notification
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.models import Issue
from crm.taskforces import milestones, services
from crm.taskforces.models import Milestone, MilestoneNote, Project, TaskForce
from crm.taskforces.sweep import sweep
from tests import factories


def _m(due, mode="working", state="open"):
    return Milestone(id=1, name="用地", due_date=due, count_mode=mode, state=state,
                     done_on=None if state == "open" else due)


@pytest.mark.now("2026-09-29 10:00")
def test_countdown_across_national_day_counts_working_days(app):
    today = date(2026, 9, 29)  # Tuesday; 10-01 … 10-07 off
    m = _m(date(2026, 10, 9))
    cd = milestones.countdown(m, today)
    # Working days after today up to 10-09: 09-30, 10-08, 10-09.
    assert (cd.kind, cd.days) == ("left", 3)
    assert milestones.light(m, milestones.Cutoffs.on(today)) == "yellow"
    cal = _m(date(2026, 10, 9), mode="calendar")
    assert milestones.countdown(cal, today).days == 10
    assert milestones.light(cal, milestones.Cutoffs.on(today)) == "green"
    # The same milestone seen on 10-12, overdue: 10-10 (make-up Saturday) and 10-12.
    late = milestones.countdown(m, date(2026, 10, 12))
    assert (late.kind, late.days) == ("overdue", 2)
    assert milestones.light(m, milestones.Cutoffs.on(date(2026, 10, 12))) == "red"


@pytest.mark.now("2027-02-04 10:00")
def test_countdown_across_spring_festival_2027(app):
    today = date(2027, 2, 4)
    m = _m(date(2027, 2, 10))
    # 02-05 … 02-08 are days off: 02-09 and 02-10 are left.
    assert milestones.countdown(m, today).days == 2
    assert milestones.light(m, milestones.Cutoffs.on(today)) == "yellow"
    assert milestones.light(_m(date(2027, 2, 12)), milestones.Cutoffs.on(today)) == "green"


def test_sql_light_agrees_with_python(app, world):
    today = dl.local_date(factories.utcnow())
    cut = milestones.Cutoffs.on(today)
    rows = db.session.execute(db.select(Milestone, milestones.light_expr(cut))).all()
    assert rows and all(milestones.light(m, cut) == lt for m, lt in rows)
    assert {lt for _m, lt in rows} == {"red", "yellow", "green", None}


def test_sweep_sends_due_soon_and_overdue_once(app, world):
    counts = sweep()
    db.session.commit()
    assert counts["milestone_overdue"] >= 1 and counts["milestone_due_soon"] >= 1
    overdue = db.session.query(Notification).filter_by(kind="milestone_overdue").all()
    # The red milestone's unit handler, the coordinator and the task force's leaders.
    assert {n.user_id for n in overdue} >= {world.other_handler.id, world.coordinator.id,
                                            world.leader.id, world.deputy.id}
    soon = db.session.query(Notification).filter_by(kind="milestone_due_soon").all()
    assert {n.user_id for n in soon} == {world.handler.id}
    again = sweep()
    assert again.get("milestone_overdue", 0) == 0 and again.get("milestone_due_soon", 0) == 0


def test_late_milestone_becomes_a_problem_linked_both_ways(app, client, login_as, world):
    login_as(world.coordinator)
    r = client.post_form(f"/taskforces/milestones/{world.red.id}/problem", {"note": "请加快"})
    assert r.status_code == 302
    db.session.expire_all()
    red = db.session.get(Milestone, world.red.id)
    issue = db.session.get(Issue, red.issue_id)
    assert issue.state == "dispatched" and issue.lead_unit_id == world.other_unit.id
    assert "用地" in issue.title and "请加快" in issue.description
    page = client.get(f"/problems/{issue.id}").get_data(as_text=True)
    assert 'data-testid="milestone-link"' in page and "储能电池项目1 · 用地" in page
    project_page = client.get(f"/taskforces/projects/{world.project.id}").get_data(as_text=True)
    assert issue.number in project_page
    # Twice: refused, nothing new.
    client.post_form(f"/taskforces/milestones/{world.red.id}/problem", {})
    assert db.session.query(Issue).count() == 1
    # A milestone that is not late: refused.
    client.post_form(f"/taskforces/milestones/{world.yellow.id}/problem", {})
    assert db.session.query(Issue).count() == 1
    assert db.session.get(Milestone, world.yellow.id).issue_id is None


def test_coordinator_creates_a_task_force_and_project_with_template(app, client, login_as,
                                                                   world):
    login_as(world.coordinator)
    today = dl.local_date(factories.utcnow())
    r = client.post_form("/taskforces/new", {
        "name": "营商环境专班", "kind": "work", "leader_id": world.leader.id,
        "deputy_id": 0, "lead_unit_id": world.unit.id, "unit_ids": [world.unit.id],
        "member_ids": [world.member.id], "start_date": today.isoformat(), "state": "active",
        "weekly_on": "y", "weekly_day": 1, "fortnightly_day": 2, "monthly_day": 3})
    assert r.status_code == 302, r.get_data(as_text=True)
    tf = db.session.query(TaskForce).filter_by(name="营商环境专班").one()
    assert tf.deputy_id is None and tf.weekly_day == 1
    r = client.post_form(f"/taskforces/{tf.id}/projects/new", {
        "name": "智慧园区项目", "enterprise_id": 0, "investment": "3.20", "location": "城东",
        "first_due": (today + timedelta(days=30)).isoformat()})
    assert r.status_code == 302
    project = db.session.query(Project).filter_by(name="智慧园区项目").one()
    names = [m.name for m in db.session.query(Milestone).filter_by(project_id=project.id)
             .order_by(Milestone.position)]
    assert names == ["立项", "用地", "环评", "施工许可", "开工", "竣工", "投产"]
    assert db.session.query(AuditLog).filter_by(object_type="task_forces",
                                                object_id=tf.id).count() == 1
    # Edit: the change is audited with before and after.
    r = client.post_form(f"/taskforces/{tf.id}/edit", {
        "name": "营商环境专班", "kind": "work", "leader_id": world.leader.id,
        "deputy_id": world.deputy.id, "lead_unit_id": world.unit.id,
        "start_date": today.isoformat(), "state": "active", "weekly_day": 1,
        "fortnightly_day": 2, "monthly_day": 3})
    assert r.status_code == 302
    log = db.session.query(AuditLog).filter_by(object_type="task_forces", object_id=tf.id,
                                               action="update").one()
    assert log.after["deputy_id"] == world.deputy.id and log.after["weekly_on"] is False


def test_bad_input_is_refused_next_to_the_field(app, client, login_as, world):
    login_as(world.coordinator)
    before = db.session.query(TaskForce).count()
    r = client.post_form("/taskforces/new", {
        "name": "", "kind": "work", "leader_id": "x", "lead_unit_id": 0,
        "start_date": "2026-02-30", "end_date": "1999-01-01", "weekly_day": 9})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "invalid-feedback" in page
    assert db.session.query(TaskForce).count() == before
    r = client.post_form(f"/taskforces/projects/{world.project.id}/milestones",
                         {"name": "𬌗" * 100, "unit_id": 999999999999, "due_date": "x"})
    assert r.status_code == 400


def test_leader_instructs_and_the_unit_is_told(app, client, login_as, world):
    login_as(world.leader)
    r = client.post_form(f"/taskforces/milestones/{world.red.id}/instruct",
                         {"text": "本周内解决用地指标"})
    assert r.status_code == 302 and f"#m-{world.red.id}" in r.headers["Location"]
    note = db.session.query(MilestoneNote).one()
    assert note.author_id == world.leader.id and note.text == "本周内解决用地指标"
    told = {n.user_id for n in db.session.query(Notification)
            .filter_by(kind="milestone_instruction")}
    assert {world.other_handler.id, world.coordinator.id} <= told
    page = client.get(f"/taskforces/projects/{world.project.id}").get_data(as_text=True)
    assert "本周内解决用地指标" in page


def test_handler_marks_own_unit_milestone_done_not_others(app, client, login_as, world):
    login_as(world.handler)
    today = dl.local_date(factories.utcnow())
    r = client.post_form(f"/taskforces/milestones/{world.yellow.id}/done",
                         {"done_on": today.isoformat()})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Milestone, world.yellow.id).state == "done"
    # The red one is the other unit's: not even visible to this handler.
    r = client.post_form(f"/taskforces/milestones/{world.red.id}/done",
                         {"done_on": today.isoformat()})
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(Milestone, world.red.id).state == "open"


def test_admin_edits_the_template(app, client, login_as):
    login_as("admin")
    r = client.post_form("/taskforces/template", {"names": "立项\n用地\n能评\n开工\n"})
    assert r.status_code == 302
    assert [k.name for k in services.template() if k.is_active] == ["立项", "用地", "能评", "开工"]
