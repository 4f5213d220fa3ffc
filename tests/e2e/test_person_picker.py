"""A coordinator finds people by typing a few characters: the enterprise list is
filtered by a commissioner, and a leader A is set on the enterprise page."""
from sqlalchemy import select

from crm.enterprises.models import Assignment
from crm.extensions import db
from tests import factories
from tests.e2e.conftest import sign_in


def _choose(page, box, typed: str, label: str) -> None:
    """Type into a person picker, wait for the suggestions, take the one labelled."""
    box.fill(typed)
    options = page.locator(f"#{box.get_attribute('list')} option")
    options.first.wait_for(state="attached")
    assert label in options.evaluate_all("els => els.map(e => e.value)")
    box.fill(label)  # what choosing a suggestion puts in the box


def test_coordinator_filters_and_assigns_by_typing_names(live_app, phone):
    with live_app.app_context():
        unit = factories.unit("工信局")
        factories.user(roles=["coordinator"], username="coordinator")
        leader = factories.user(roles=["leader"], display_name="李建国", unit=unit)
        zhang = factories.user(roles=["commissioner"], display_name="张特派")
        factories.user(roles=["commissioner"], display_name="王特派")
        mine = factories.enterprise("兴发制管有限公司")
        other = factories.enterprise("远东纺织有限公司")
        factories.assignment(mine, zhang, "commissioner")
        db.session.commit()
        leader_id, ent_id, other_name = leader.id, mine.id, other.name

    sign_in(phone, "coordinator", factories.PASSWORD)
    phone.goto("/enterprises/")
    phone.locator("button[aria-controls=more-filters]").click()  # folded on a phone
    box = phone.locator("#flt-commissioner")
    _choose(phone, box, "张", "张特派")
    assert phone.locator("#flt-commissioner-id").input_value() != ""
    phone.locator("#flt-commissioner").press("Enter")
    phone.wait_for_load_state("networkidle")
    text = phone.locator("main").inner_text()
    assert "兴发制管有限公司" in text and other_name not in text
    assert phone.locator("#flt-commissioner").input_value() == "张特派"

    phone.goto(f"/enterprises/{ent_id}")
    form = phone.get_by_test_id("assign-leader_a")
    _choose(phone, form.locator("input[type=search]"), "李", "李建国（工信局）")
    form.get_by_role("button", name="保存").click()
    phone.wait_for_load_state("networkidle")
    assert "已保存" in phone.locator("body").inner_text()
    with live_app.app_context():
        assert db.session.scalar(select(Assignment.user_id).where(
            Assignment.enterprise_id == ent_id, Assignment.role == "leader_a",
            Assignment.end_date.is_(None))) == leader_id
