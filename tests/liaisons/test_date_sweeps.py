"""Coverage weeks on every sweep day (tests/clock.py): the commissioner's "我的本周".

A visit counts for the Monday-to-Sunday week of its local date; a month counts the
ISO weeks whose Thursday falls in it, begun by today. The expectations are derived
here from those two rules for whichever day the test runs on — a Monday (the visit of
last Sunday belongs to last week), the last day of a month (whose week may already
belong to the next month), the day after 国庆, a year end (ISO week 53) and the first
days of 2027.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from crm.core.timeutil import week_start
from crm.extensions import db
from crm.liaisons.models import Visit
from tests import factories
from tests.liaisons.conftest import FETCH, visit_data


def _month_weeks(today: date) -> list[date]:
    """Mondays of the weeks counted for today's month: Thursday in the month, begun."""
    first = today.replace(day=1)
    mondays = [week_start(first) + timedelta(weeks=k) for k in range(6)]
    return [m for m in mondays if (m + timedelta(days=3)).month == today.month and m <= today]


def _block(html: str, testid: str, end: str = "</div>") -> str:
    """The markup from ``data-testid`` to ``end``, whitespace squeezed."""
    start = html.index(f'data-testid="{testid}"')
    return re.sub(r"\s+", " ", html[start:html.index(end, start)])


def _figure(html: str, testid: str) -> str:
    """A coverage figure: its label, percentage and "已走访 x / 应走访 y"."""
    return _block(html, testid, "</div></div>")


def _badges(html: str) -> dict[int, str]:
    """{enterprise id: 'visited' | 'not-visited'} from the week's cards."""
    return {int(ent): state for state, ent in
            re.findall(r'class="card week-card (visited|not-visited)" data-week-row="(\d+)"', html)}


def _log_visit(client, enterprise, when: date | None = None) -> Visit:
    """Submit the visit form as the phone does; without ``when``, the date the form
    proposes (today, as the commissioner's phone sees it)."""
    page = client.get(f"/visits/new/{enterprise.id}").get_data(as_text=True)
    proposed = re.search(r'name="visit_date"[^>]*value="([0-9-]+)"', page)
    assert proposed, "the form proposes a date"
    day = when.isoformat() if when else proposed.group(1)
    response = client.post_form(f"/visits/new/{enterprise.id}", visit_data(visit_date=day),
                                headers=FETCH)
    assert response.get_json()["ok"], response.get_json()
    return db.session.get(Visit, response.get_json()["visit_id"])


def test_this_week_last_week_and_the_month_on_every_sweep_day(county, client, login_as, clock,
                                                              sweep_now):
    today = sweep_now.date()
    monday = week_start(today)
    last_sunday = monday - timedelta(days=1)
    visited_today, visited_sunday, waiting = county.ent, (
        factories.enterprise("周日走访企业有限公司")), factories.enterprise("尚未走访企业有限公司")
    for ent in (visited_sunday, waiting):
        factories.assignment(ent, county.com, start=today - timedelta(days=180))
    db.session.commit()

    # 07:30 in Shanghai is 23:30 UTC of the day before: the visit is today's all the same.
    clock.travel(datetime.combine(today, time(7, 30), tzinfo=sweep_now.tzinfo))
    login_as(county.com)
    early = _log_visit(client, visited_today)
    assert early.visit_date == today
    assert early.created_at.date() == today - timedelta(days=1), "stored in UTC"
    sunday_visit = _log_visit(client, visited_sunday, last_sunday)
    assert sunday_visit.visit_date == last_sunday
    clock.travel(sweep_now)

    html = client.get("/visits/week").get_data(as_text=True)
    label = _block(html, "week-label")
    assert f"第 {monday.isocalendar()[1]} 周" in label
    assert f"{monday:%m-%d} – {monday + timedelta(days=6):%m-%d}" in label
    assert _badges(html) == {visited_today.id: "visited", visited_sunday.id: "not-visited",
                             waiting.id: "not-visited"}
    assert f"上次走访：{today.isoformat()}" in html
    assert f"上次走访：{last_sunday.isoformat()}" in html
    assert "已走访 1 / 应走访 3（企业·周）" in _figure(html, "coverage-week")
    assert "本周覆盖率" in _figure(html, "coverage-week")

    # This month: three enterprises in each of its weeks so far; the visit of today and
    # the one of last Sunday count where their weeks belong.
    weeks = _month_weeks(today)
    visited = (monday in weeks) + (week_start(last_sunday) in weeks)
    assert f"已走访 {visited} / 应走访 {3 * len(weeks)}（企业·周）" in _figure(html, "coverage-month")

    html = client.get(f"/visits/week?week={last_sunday.isoformat()}").get_data(as_text=True)
    assert f"{week_start(last_sunday):%m-%d} – {last_sunday:%m-%d}" in _block(html, "week-label")
    assert _badges(html) == {visited_today.id: "not-visited", visited_sunday.id: "visited",
                             waiting.id: "not-visited"}
    assert "当周覆盖率" in html and "已走访 1 / 应走访 3（企业·周）" in _figure(html, "coverage-week")
    assert 'data-testid="next-week"' in html
    stored = db.session.scalars(select(Visit.visit_date).order_by(Visit.visit_date)).all()
    assert stored == [last_sunday, today]
