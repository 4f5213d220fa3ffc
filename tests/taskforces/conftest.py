"""A small task force world: a leader who leads it, a deputy, a member, a handler of
the lead unit, an outsider leader and a coordinator; one key project with template
milestones in every light."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.taskforces import services
from crm.taskforces.models import Milestone, Project, TaskForce
from tests import factories


@dataclass
class World:
    tf: TaskForce
    project: Project
    leader: object
    deputy: object
    member: object
    handler: object
    other_handler: object
    outsider: object
    coordinator: object
    unit: object
    other_unit: object
    red: Milestone
    yellow: Milestone
    green: Milestone


def make_world(n_projects: int = 1, start: date | None = None) -> World:
    """The task force with ``n_projects`` projects (each: a red, a yellow, a green and a
    done milestone)."""
    today = local_today()
    unit, other_unit = factories.unit("发改局"), factories.unit("自然资源局")
    leader = factories.user(roles=["leader"], display_name="王市长")
    deputy = factories.user(roles=["leader"], display_name="李副市长")
    member = factories.user(roles=["commissioner"], display_name="专班成员")
    handler = factories.user(roles=["handler"], unit=unit, display_name="发改经办")
    other_handler = factories.user(roles=["handler"], unit=other_unit)
    outsider = factories.user(roles=["leader"], display_name="别的领导")
    coordinator = factories.user(roles=["coordinator"], display_name="协调员")
    ent = factories.enterprise("专班项目业主有限公司")
    tf = services.save_task_force(None, {
        "name": "新能源产业链专班", "kind": "project", "leader_id": leader.id,
        "deputy_id": deputy.id, "lead_unit_id": unit.id, "unit_ids": [unit.id, other_unit.id],
        "member_ids": [member.id], "enterprise_ids": [ent.id],
        "start_date": start or today - timedelta(days=120), "end_date": None, "state": "active",
        "weekly_on": True, "weekly_day": 0, "fortnightly_on": True, "fortnightly_day": 2,
        "monthly_on": True, "monthly_day": 4, "description": "推进新能源项目"}, coordinator)
    first = None
    for i in range(n_projects):
        project = services.save_project(tf, None, {
            "name": f"储能电池项目{i + 1}", "enterprise_id": ent.id, "investment": 12.5,
            "location": "经开区"}, coordinator)
        ms = [
            services.save_milestone(project, None, {"name": "立项", "unit_id": unit.id,
                                                    "due_date": today - timedelta(days=60),
                                                    "count_mode": "working"}, coordinator),
            services.save_milestone(project, None, {"name": "用地", "unit_id": other_unit.id,
                                                    "due_date": today - timedelta(days=5),
                                                    "count_mode": "working"}, coordinator),
            services.save_milestone(project, None, {"name": "环评", "unit_id": unit.id,
                                                    "due_date": today + timedelta(days=1),
                                                    "count_mode": "calendar"}, coordinator),
            services.save_milestone(project, None, {"name": "开工", "unit_id": unit.id,
                                                    "due_date": today + timedelta(days=90),
                                                    "count_mode": "working"}, coordinator),
        ]
        ms[0].state, ms[0].done_on = "done", today - timedelta(days=61)
        if first is None:
            first = (project, ms)
    db.session.commit()
    project, ms = first
    return World(tf, project, leader, deputy, member, handler, other_handler, outsider,
                 coordinator, unit, other_unit, ms[1], ms[2], ms[3])


@pytest.fixture
def world(app) -> World:
    return make_world()
