"""Who sees what: members and the leading leaders their task forces, coordinators all,
handlers the milestones of their unit; lists agree with the detail pages."""
from __future__ import annotations

import pytest

from crm.extensions import db
from crm.taskforces import permissions
from crm.taskforces.models import TaskForce
from tests import factories


@pytest.mark.parametrize("who,sees", [
    ("leader", True), ("deputy", True), ("member", True), ("coordinator", True),
    ("outsider", False), ("handler", False),
])
def test_task_force_page_and_list(app, client, login_as, world, who, sees):
    user = getattr(world, who)
    login_as(user)
    page = client.get(f"/taskforces/{world.tf.id}")
    listing = client.get("/taskforces/").get_data(as_text=True)
    assert (page.status_code == 200) is sees
    assert (world.tf.name in listing) is sees
    assert permissions.can_view(user, world.tf) is sees
    ids = db.session.scalars(permissions.visible(db.select(TaskForce.id), user)).all()
    assert (world.tf.id in ids) is sees


def test_handler_sees_the_milestones_and_projects_of_his_unit(app, client, login_as, world):
    login_as(world.handler)
    page = client.get("/taskforces/milestones").get_data(as_text=True)
    assert "环评" in page and "用地" not in page   # 用地 is the other unit's
    assert client.get(f"/taskforces/projects/{world.project.id}").status_code == 200
    assert client.get(f"/taskforces/{world.tf.id}").status_code == 404


def test_unrelated_handler_sees_nothing(app, client, login_as, world):
    stranger = factories.user(roles=["handler"], unit=factories.unit("卫健局"))
    db.session.commit()
    login_as(stranger)
    assert client.get(f"/taskforces/projects/{world.project.id}").status_code == 404
    assert "环评" not in client.get("/taskforces/milestones").get_data(as_text=True)


def test_only_the_task_forces_leaders_instruct(app, client, login_as, world):
    login_as(world.outsider)
    r = client.post_form(f"/taskforces/milestones/{world.red.id}/instruct", {"text": "x"})
    assert r.status_code == 404
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login_as(world.member)   # a commissioner member sees the task force but does not instruct
    r = client.post_form(f"/taskforces/milestones/{world.red.id}/instruct", {"text": "x"})
    assert r.status_code == 403


def test_leader_page_shows_red_first_and_the_instruction_form(app, client, login_as, world):
    login_as(world.leader)
    page = client.get(f"/taskforces/{world.tf.id}").get_data(as_text=True)
    red, yellow, green = (page.index(f'id="m-{m.id}"') for m in
                          (world.red, world.yellow, world.green))
    assert red < yellow < green
    assert 'data-testid="instruct-open"' in page
    assert 'data-testid="rhythm-calendar"' in page
