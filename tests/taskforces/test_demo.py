"""The demo county's 专班 (crm/seed/county/taskforces.py): the ten 重点工作专班 and four
重点项目推进专班, projects in every stage, a year of rhythm meetings, two inspection
groups — all at or before the demo clock; and the weekly progress sheet it prints."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from crm.core.timeutil import local_midnight_utc, week_start
from crm.extensions import db
from crm.issues.models import Issue, IssueEvent
from crm.meetings.models import Decision, Meeting
from crm.meetings.packets.render import render_briefing
from crm.meetings.models import Briefing
from crm.seed.county import populate
from crm.taskforces.models import (
    Finding,
    Inspection,
    InspectionGroup,
    Milestone,
    Project,
    RhythmMeeting,
    TaskForce,
)
from crm.taskforces.packets import sheet_key, stage_of, summary
from tests.core.test_demo import _app

TODAY = date(2026, 11, 27)
NOW = local_midnight_utc(TODAY) + timedelta(hours=12)


@pytest.fixture(scope="module")
def county():
    app = _app()
    with app.app_context():
        db.create_all()
        populate(today=TODAY)
        db.session.commit()
        db.session.remove()
    return app


@pytest.fixture
def demo(county):
    with county.app_context():
        yield
        db.session.rollback()


@pytest.mark.real_clock
def test_task_forces_projects_and_stages(demo):
    tfs = db.session.scalars(select(TaskForce)).all()
    assert sum(tf.kind == "work" for tf in tfs) == 10
    assert sum(tf.kind == "project" for tf in tfs) == 4
    projects = db.session.scalars(select(Project)).all()
    stages = {stage_of(db.session.scalars(select(Milestone).where(
        Milestone.project_id == p.id)).all()) for p in projects}
    assert {"立项", "用地", "环评", "施工许可", "开工", "竣工", "投产"} <= stages
    assert len(stages) == 8   # and one project with every milestone done
    data = summary(TODAY)
    assert data["red"] and data["yellow"] and len(data["missed"]) == 2
    # Nothing was done after the demo's day.
    assert db.session.scalar(select(func.max(Milestone.done_on))) <= TODAY
    # A late milestone became a problem, dispatched through the workflow.
    linked = db.session.scalars(select(Milestone).where(Milestone.issue_id.is_not(None))).all()
    assert linked and all(db.session.get(Issue, m.issue_id).state == "dispatched"
                          for m in linked)


@pytest.mark.real_clock
def test_a_year_of_rhythm_meetings_held_up_to_today(demo):
    rows = db.session.execute(select(RhythmMeeting, Meeting).join(
        Meeting, Meeting.id == RhythmMeeting.meeting_id)).all()
    days = [rm.day for rm, _m in rows]
    assert min(days) <= TODAY - timedelta(days=350) and max(days) > TODAY
    assert all(m.kind == "taskforce" for _rm, m in rows)
    assert all(m.state == "planning" for rm, m in rows if rm.day >= TODAY)
    held = [m for rm, m in rows if m.state == "held"]
    assert len(held) > 500
    per_tf = {}
    for rm, _m in rows:
        per_tf.setdefault(rm.task_force_id, []).append(rm.day)
    assert all(len(v) == len(set(v)) for v in per_tf.values())   # never two on a day
    decisions = db.session.scalars(select(Decision).join(Meeting).where(
        Meeting.kind == "taskforce")).all()
    assert len(decisions) == 12
    # Every problem event of the 专班 lies at or before the demo clock.
    ids = [d.issue_id for d in decisions] + list(db.session.scalars(select(Finding.issue_id)))
    latest = db.session.scalar(select(func.max(IssueEvent.at)).where(IssueEvent.issue_id.in_(ids)))
    assert latest <= NOW


@pytest.mark.real_clock
def test_two_inspection_groups_with_findings(demo):
    groups = db.session.scalars(select(InspectionGroup)).all()
    assert len(groups) == 2
    assert db.session.scalar(select(func.count()).select_from(Inspection)) == 6
    kinds = set(db.session.scalars(select(Finding.kind)))
    assert kinds == {"problem", "supervise"}


@pytest.mark.real_clock
def test_demo_progress_sheet_is_one_page(demo):
    tf = db.session.scalar(select(TaskForce).where(TaskForce.name == "新能源电池产业园项目推进专班"))
    b = Briefing(kind="taskforce", subject_key=sheet_key(tf.id, week_start(TODAY)), version=1)
    rendered = render_briefing(b)
    assert rendered.pages == 1
    assert rendered.pdf.startswith(b"%PDF")
