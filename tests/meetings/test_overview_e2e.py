"""The coordinator opens the overview on a phone: everything fits the 390 px screen,
the red problem and the counts lead to their lists, the month picker works."""
from datetime import timedelta

import pytest

from crm.core.timeutil import local_today, utcnow
from crm.extensions import db
from tests import factories
from tests.e2e.conftest import browser, live_app, phone, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


def test_coordinator_reads_the_overview_on_a_phone(live_app, phone):  # noqa: F811
    now = utcnow()
    with live_app.app_context():
        factories.user(["coordinator"], username="coordinator", display_name="周协调")
        unit = factories.unit("市场监督管理局高新区分局")
        who = factories.user(["commissioner"])
        ent = factories.enterprise("华兴机械有限公司")
        factories.assignment(ent, who)
        red = factories.issue(ent, who, "in_progress", lead_unit_id=unit.id,
                              raised_at=now,
                              dispatched_at=now,
                              due_at=now - timedelta(minutes=5),
                              warn_at=now - timedelta(minutes=30),
                              is_escalated=True, title="厂区门前道路被堵")
        factories.visit(ent, who)
        db.session.commit()
        red_id, unit_id = red.id, unit.id

    sign_in(phone, "coordinator", factories.PASSWORD)
    assert phone.url.endswith("/meetings/overview")
    assert phone.get_by_test_id("home-heading").inner_text() == "工作概览"
    # Nothing wider than the phone: the league table scrolls inside its own box.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.get_by_test_id("kpi-overdue").inner_text().split("\n")[1] == "1"
    assert phone.get_by_test_id("kpi-raised").inner_text().split("\n")[1] == "1"
    assert phone.get_by_test_id("chart-trend").is_visible()
    assert phone.get_by_test_id("chart-red").bounding_box()["width"] <= 390

    problem = phone.get_by_test_id("red-problem")
    assert "厂区门前道路被堵" in problem.inner_text()
    assert problem.get_attribute("href") == f"/problems/{red_id}"
    assert phone.get_by_test_id("escalated-problem").get_by_text("超期").is_visible()
    phone.get_by_test_id("red-unit-count").click()
    phone.wait_for_load_state()
    assert phone.url.endswith(f"/problems/?light=red&unit={unit_id}")

    # The month picker: last month has nothing yet.
    phone.go_back()
    last = (local_today().replace(day=1) - timedelta(days=1))
    phone.locator("#month").fill(f"{last:%Y-%m}")
    phone.get_by_role("button", name="查看").click()
    phone.wait_for_load_state()
    assert phone.url.endswith(f"?month={last:%Y-%m}")
    assert f"{last.year}年{last.month}月" in phone.get_by_test_id("overview-month").inner_text()
    assert phone.get_by_test_id("kpi-raised").inner_text().split("\n")[1] == "0"
