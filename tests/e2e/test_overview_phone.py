"""The coordinator opens the overview on a phone: everything fits the 390 px screen,
the red problem and the counts lead to their lists, the month picker works."""
from datetime import timedelta

from crm.core.timeutil import local_today, utcnow
from crm.extensions import db
from tests import factories
from tests.e2e.conftest import sign_in


def test_coordinator_reads_the_overview_on_a_phone(live_app, phone):
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
    assert phone.url.endswith(f"/problems/?light=red&lead_unit={unit_id}")

    # The month picker: last month has nothing yet.
    phone.go_back()
    last = (local_today().replace(day=1) - timedelta(days=1))
    phone.locator("#month").fill(f"{last:%Y-%m}")
    phone.get_by_role("button", name="查看").click()
    phone.wait_for_load_state()
    assert phone.url.endswith(f"?month={last:%Y-%m}")
    assert f"{last.year}年{last.month}月" in phone.get_by_test_id("overview-month").inner_text()
    assert phone.get_by_test_id("kpi-raised").inner_text().split("\n")[1] == "0"


def test_the_overview_on_a_desk_shows_the_whole_league_table(live_app, browser):
    now = utcnow()
    with live_app.app_context():
        factories.user(["coordinator"], username="coordinator")
        who = factories.user(["commissioner"])
        ent = factories.enterprise()
        for n in range(3):
            unit = factories.unit(f"第{n + 1}承办单位")
            factories.issue(ent, who, "in_progress", lead_unit_id=unit.id, raised_at=now,
                            dispatched_at=now, due_at=now + timedelta(days=5),
                            warn_at=now + timedelta(days=4))
        db.session.commit()
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                              base_url=live_app.config["LIVE_URL"])
    try:
        page = ctx.new_page()
        sign_in(page, "coordinator", factories.PASSWORD)
        assert page.get_by_test_id("home-heading").inner_text() == "工作概览"
        assert page.get_by_test_id("league-row").count() == 3
        box = page.locator("[data-testid=league] .table-responsive")
        # Wide enough for every column: the table does not scroll sideways on a desk.
        assert box.evaluate("el => el.scrollWidth <= el.clientWidth")
        # The ten headline figures sit in two rows of five.
        tops = {round(page.get_by_test_id(f"kpi-{k}").bounding_box()["y"])
                for k in ("raised", "resolved", "resolution-rate", "on-time-rate", "avg-days")}
        assert len(tops) == 1
    finally:
        ctx.close()
