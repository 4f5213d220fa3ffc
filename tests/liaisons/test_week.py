"""The commissioner's home, "my week"."""
from __future__ import annotations

from datetime import timedelta

import pytest

from crm.core.timeutil import week_start
from crm.extensions import db
from tests import factories
from tests.clock import DEFAULT_NOW, local_instant
from tests.conftest import count_queries

# The day every test here runs on (the suite's clock), not the day the module is
# imported: at import time the clock is not running yet.
TODAY = local_instant(DEFAULT_NOW).date()
MONDAY = week_start(TODAY)


def test_my_week_shows_each_enterprise_and_my_coverage(county, client, login_as):
    fresh = factories.enterprise("新签约企业有限公司")
    factories.assignment(fresh, county.com, start=TODAY)
    factories.visit(county.ent, county.com, TODAY)
    factories.issue(county.ent, county.com, state="in_progress", due_at=factories.utcnow()
                    - timedelta(days=1))
    factories.issue(county.ent, county.com, state="new")
    db.session.commit()
    login_as(county.com)
    html = client.get("/visits/week").get_data(as_text=True)
    assert 'data-testid="home-heading">我的本周<' in html
    assert html.count('data-testid="week-row"') == 2
    # Not visited first, with the big button on each card.
    assert html.index("新签约企业有限公司") < html.index("兴发制管有限公司")
    assert html.count('data-testid="log-visit"') == 2
    assert "已走访" in html and "未走访" in html
    assert f"上次走访：{TODAY.isoformat()}" in html and "尚未走访" in html
    assert "未办结问题：2 个" in html and "超期 1 件" in html
    assert "已走访 1 / 应走访 2（企业·周）" in html  # this week: 1 of 2
    assert 'data-testid="coverage-month"' in html


def test_enterprises_not_visited_for_two_weeks_are_flagged(county, client, login_as):
    factories.visit(county.ent, county.com, TODAY - timedelta(days=15))
    db.session.commit()
    login_as(county.com)
    html = client.get("/visits/week").get_data(as_text=True)
    assert 'data-testid="stale-alert"' in html and "两周以上未走访" in html
    assert "已 15 天" in html and 'data-testid="stale-flag"' in html


def test_previous_weeks_and_ended_assignments(county, client, login_as):
    old = factories.enterprise("已调整企业有限公司")
    factories.assignment(old, county.com, start=TODAY - timedelta(days=60),
                         end=MONDAY - timedelta(days=10))
    factories.visit(old, county.com, MONDAY - timedelta(days=12))
    db.session.commit()
    login_as(county.com)
    assert "已调整企业有限公司" not in client.get("/visits/week").get_data(as_text=True)
    past = (MONDAY - timedelta(weeks=2)).isoformat()
    html = client.get(f"/visits/week?week={past}").get_data(as_text=True)
    assert "已调整企业有限公司" in html and "已不再由您包联" in html
    assert 'data-testid="next-week"' in html
    assert "当周覆盖率" in html


@pytest.mark.parametrize("week", ["abc", "2026-02-30", "9999-01-01", ""])
def test_unreadable_or_future_weeks_show_this_week(county, client, login_as, week):
    login_as(county.com)
    response = client.get(f"/visits/week?week={week}")
    assert response.status_code == 200
    assert f"{MONDAY:%m-%d} – " in response.get_data(as_text=True)


def test_a_week_long_ago_is_limited_to_ten_years(county, client, login_as):
    login_as(county.com)
    for week in ("0001-01-03", "1900-06-06"):
        html = client.get(f"/visits/week?week={week}").get_data(as_text=True)
        assert f"{week_start(TODAY - timedelta(weeks=520)):%m-%d} – " in html


def test_my_week_is_for_commissioners(county, client, login_as):
    login_as(county.coord)
    assert client.get("/visits/week").status_code == 403


def test_my_week_loads_in_a_fixed_number_of_queries(county, client, login_as):
    login_as(county.com)

    def measure():
        with count_queries() as q:
            assert client.get("/visits/week").status_code == 200
        return q.count

    small = measure()
    for i in range(12):
        ent = factories.enterprise()
        factories.assignment(ent, county.com)
        factories.visit(ent, county.com, TODAY - timedelta(days=i))
        factories.issue(ent, county.com)
    db.session.commit()
    assert measure() == small


def test_the_visit_pages_work_in_english_too(county, client, login_as):
    county.com.locale = "en"
    visit = factories.visit(county.ent, county.com, TODAY)
    db.session.commit()
    login_as(county.com)
    assert "Log a visit" in client.get("/visits/week").get_data(as_text=True)
    form = client.get(f"/visits/new/{county.ent.id}").get_data(as_text=True)
    assert "Deliver policies" in form and "Waiting to sync" in form
    assert "Visit on" in client.get(f"/visits/{visit.id}").get_data(as_text=True)
