"""A coordinator checks the overview's figures against the problems behind them: a top
card and two cells of the unit table each open the problem list, and the list shows as
many problems as the figure said. Browser tests run on the machine's clock, so the data
is placed just before now, within the current month."""
from __future__ import annotations

from datetime import timedelta

from crm.core.timeutil import local_midnight_utc, local_today, utcnow
from crm.extensions import db
from tests import factories
from tests.e2e.conftest import sign_in

DESK = {"width": 1366, "height": 900}


def _this_month(now, n: int) -> list:
    """``n`` instants before ``now``, all in the current month (the last hour of it at
    most), oldest first."""
    start = max(local_midnight_utc(local_today().replace(day=1)), now - timedelta(hours=1))
    step = (now - start) / (n + 1)
    return [start + step * (k + 1) for k in range(n)]


def _county(now):
    """Two units: the first resolves three problems (two on time) and has two in hand,
    one of them overdue; the second has four in hand."""
    factories.user(["coordinator"], username="coordinator", display_name="周协调")
    who = factories.user(["commissioner"])
    ent = factories.enterprise("华兴机械有限公司")
    factories.assignment(ent, who)
    power = factories.unit("市供电公司")
    labour = factories.unit("市人力资源和社会保障局")
    at = iter(_this_month(now, 12))
    for k in range(3):
        t = next(at)
        factories.issue(ent, who, "resolved", lead_unit_id=power.id, raised_at=t,
                        dispatched_at=t, resolved_at=t + timedelta(seconds=30),
                        resolved_on_time=k < 2, title=f"已办结问题{k}")
    for k in range(2):
        t = next(at)
        factories.issue(ent, who, "in_progress", lead_unit_id=power.id, raised_at=t,
                        dispatched_at=t, title=f"供电在办问题{k}",
                        due_at=now - timedelta(minutes=1) if k else now + timedelta(days=5),
                        warn_at=now - timedelta(hours=1) if k else now + timedelta(days=4))
    for k in range(4):
        t = next(at)
        factories.issue(ent, who, "dispatched", lead_unit_id=labour.id, raised_at=t,
                        dispatched_at=t, due_at=now + timedelta(days=7),
                        warn_at=now + timedelta(days=6), title=f"人社在办问题{k}")
    factories.issue(ent, who, "new", raised_at=next(at), title="尚未交办的问题")
    db.session.commit()
    return power.id, labour.id


def _follow(page, link) -> tuple[int, int, int]:
    """Click a figure; return (the figure, the list's "共 N 件问题", rows on the page)."""
    figure = int(link.get_attribute("data-count"))
    link.click()
    page.wait_for_load_state()
    total = int(page.get_by_test_id("total").inner_text().split()[1])
    rows = page.get_by_test_id("issue-row").count()
    page.go_back()
    page.wait_for_load_state()
    return figure, total, rows


def test_three_figures_open_lists_of_as_many_problems(live_app, browser):
    now = utcnow()
    with live_app.app_context():
        power, labour = _county(now)
    ctx = browser.new_context(viewport=DESK, locale="zh-CN",
                              base_url=live_app.config["LIVE_URL"])
    ctx.set_default_timeout(10_000)
    try:
        page = ctx.new_page()
        sign_in(page, "coordinator", factories.PASSWORD)
        assert page.get_by_test_id("home-heading").inner_text() == "工作概览"

        card = page.get_by_test_id("kpi-resolved-link")
        assert card.inner_text() == "3"
        assert _follow(page, card) == (3, 3, 3)

        row = page.locator(f'[data-testid=league-row][data-unit="{labour}"]')
        cell = row.locator('a[data-figure="pending"]')
        assert cell.inner_text() == "4"
        assert _follow(page, cell) == (4, 4, 4)

        row = page.locator(f'[data-testid=league-row][data-unit="{power}"]')
        on_time = row.locator('a[data-figure="on_time"]')  # the on-time rate's numerator
        assert on_time.inner_text() == "2"
        assert _follow(page, on_time) == (2, 2, 2)
        # The first unit's resolution rate is its 3 resolved over 3 + 2 pending.
        assert "60.0%" in row.inner_text()
        assert page.get_by_test_id("kpi-overdue-link").inner_text() == "1"
    finally:
        ctx.close()
