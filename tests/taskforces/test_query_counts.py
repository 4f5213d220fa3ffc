"""Each task force page costs the same number of SQL statements at two data sizes, within
the budget of the main pages (12)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.meetings.decisions import add_decision
from crm.meetings.models import Meeting
from crm.taskforces import inspections, services
from crm.taskforces.models import RhythmMeeting
from tests.conftest import _clean, count_queries
from tests.taskforces.conftest import make_world

BUDGET = 12


def _populate(size: int):
    world = make_world(n_projects=size)
    today = local_today()
    for k in range(size - 1):   # more task forces the coordinator sees
        tf = services.save_task_force(None, {
            "name": f"其他专班{k}", "kind": "work", "leader_id": world.outsider.id,
            "lead_unit_id": world.unit.id, "unit_ids": [world.unit.id],
            "member_ids": [world.member.id], "start_date": today - timedelta(days=90),
            "state": "active", "weekly_on": True, "weekly_day": 1}, world.coordinator)
        for j in range(size):
            p = services.save_project(tf, None, {"name": f"项目{k}-{j}"}, world.coordinator,
                                      first_due=today - timedelta(days=100))
    rm = db.session.scalar(select(RhythmMeeting).where(
        RhythmMeeting.task_force_id == world.tf.id).order_by(RhythmMeeting.day).limit(1))
    meeting = db.session.get(Meeting, rm.meeting_id)
    for j in range(size):
        add_decision(meeting, f"议定事项{j}", world.unit, dl.add_working_days(today, 5 + j),
                     world.coordinator)
    group = inspections.save_group(None, {"name": "第一督查组", "member_ids": [world.member.id]},
                                   world.coordinator)
    for j in range(size):
        inspections.record_inspection(group, today, {"task_force_id": world.tf.id}, None,
                                      [inspections.FindingInput(f"发现{j}", unit_id=world.unit.id)],
                                      world.coordinator)
    db.session.commit()
    return world, rm, group


def _costs(client, world, rm, group) -> dict:
    pages = [
        (world.leader, f"/taskforces/"), (world.leader, f"/taskforces/{world.tf.id}"),
        (world.leader, f"/taskforces/projects/{world.project.id}"),
        (world.leader, f"/taskforces/meetings/{rm.id}"),
        (world.coordinator, "/taskforces/"), (world.coordinator, f"/taskforces/{world.tf.id}"),
        (world.coordinator, "/taskforces/projects"), (world.coordinator, "/taskforces/milestones"),
        (world.coordinator, "/taskforces/groups"), (world.coordinator, f"/taskforces/groups/{group.id}"),
        (world.coordinator, f"/taskforces/meetings/{rm.id}"),
        (world.handler, "/taskforces/milestones"),
        (world.handler, f"/taskforces/projects/{world.project.id}"),
    ]
    costs, signed_in = {}, None
    for user, url in pages:
        if user is not signed_in:
            client.post("/logout", data={"csrf_token": client.csrf_token()})
            assert client.post_form("/login", {"username": user.username,
                                               "password": "test-pass-123"}).status_code == 302
            signed_in = user
        client.get(url)
        with count_queries() as q:
            response = client.get(url)
        assert response.status_code == 200, url
        costs[f"{user.display_name} {url.split('/')[2] or 'index'}"] = q.count
    return costs


def test_task_force_pages_cost_the_same_at_two_sizes(app, client):
    small = _costs(client, *_populate(1))
    _clean(app)
    large = _costs(client, *_populate(4))
    assert small == large, (small, large)
    assert max(large.values()) <= BUDGET, large
