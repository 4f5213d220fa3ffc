"""The permission matrix's task force records: an "own" task force (the signed-in user
is a member; a leader also leads it), its project, a late milestone of the user's unit,
a rhythm meeting and an inspection group of which the user is a member; and the same
for "other", where the user is nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.taskforces import inspections, services
from crm.taskforces.models import RhythmMeeting


def _one(me, leader, unit, name: str) -> dict:
    today = local_today()
    tf = services.save_task_force(None, {
        "name": name, "kind": "project", "leader_id": leader.id, "deputy_id": None,
        "lead_unit_id": unit.id, "unit_ids": [unit.id], "member_ids": [me.id] if me else [],
        "enterprise_ids": [], "start_date": today - timedelta(days=60), "end_date": None,
        "state": "active", "weekly_on": True, "weekly_day": 0, "fortnightly_on": False,
        "fortnightly_day": 0, "monthly_on": False, "monthly_day": 0}, None)
    project = services.save_project(tf, None, {"name": name + "项目"}, None)
    milestone = services.save_milestone(project, None, {
        "name": "用地", "unit_id": unit.id, "due_date": today - timedelta(days=3),
        "count_mode": "working"}, None)
    rm = db.session.scalar(select(RhythmMeeting).where(RhythmMeeting.task_force_id == tf.id)
                           .order_by(RhythmMeeting.day).limit(1))
    group = inspections.save_group(None, {"name": name + "督查组",
                                          "member_ids": [me.id] if me else []}, None)
    return {"tf_id": tf.id, "project_id": project.id, "milestone_id": milestone.id,
            "rm_id": rm.id, "group_id": group.id}


def taskforce_world(me, mine_l, other_l, dept, dept2) -> tuple[dict, dict]:
    """(own ids, other ids) for the URL arguments of the task force routes."""
    leader = me if me is not None and me.has_role("leader") else mine_l
    own = _one(me, leader, dept, "本方专班")
    other = _one(None, other_l, dept2, "他方专班")
    return own, other
