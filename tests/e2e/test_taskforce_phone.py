"""A leader on a phone opens the task force he leads from the menu, sees its red
milestones first and writes an instruction (批示) on one."""
from __future__ import annotations

from crm.extensions import db
from crm.taskforces.models import MilestoneNote
from tests import factories
from tests.e2e.conftest import sign_in
from tests.taskforces.conftest import make_world


def test_leader_instructs_on_a_red_milestone_on_a_phone(live_app, phone):
    with live_app.app_context():
        world = make_world()
        leader = world.leader
        leader.username = "leader"
        db.session.commit()
        tf_name, red_id, leader_id = world.tf.name, world.red.id, leader.id

    sign_in(phone, "leader", factories.PASSWORD)
    phone.get_by_role("button", name="菜单").click()
    phone.get_by_role("link", name="专班", exact=True).click()
    phone.wait_for_load_state("networkidle")
    phone.get_by_test_id("taskforce-row").filter(has_text=tf_name).click()
    phone.wait_for_load_state("networkidle")
    assert phone.get_by_test_id("taskforce-name").inner_text() == tf_name
    lights = phone.locator('#milestones [data-testid="milestone"]').evaluate_all(
        "els => els.map(e => e.dataset.light)")
    assert lights[0] == "red" and lights == sorted(
        lights, key=["red", "yellow", "green"].index)
    first = phone.locator('#milestones [data-testid="milestone"]').first
    assert "用地" in first.inner_text() and "已超期" in first.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    first.get_by_test_id("instruct-open").click()
    first.get_by_test_id("instruct-text").fill("本周内协调解决用地指标，周五前报进展")
    first.get_by_test_id("instruct-send").click()
    phone.wait_for_load_state("networkidle")
    assert "批示已发送" in phone.locator(".alert").first.inner_text()
    assert phone.url.endswith(f"#m-{red_id}")
    with live_app.app_context():
        note = db.session.query(MilestoneNote).one()
        assert note.milestone_id == red_id and note.author_id == leader_id
        assert note.text == "本周内协调解决用地指标，周五前报进展"
