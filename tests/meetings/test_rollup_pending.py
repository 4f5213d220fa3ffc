"""The rollup's pending count at the end of each day, and the overview's statement
with the rollup months' freshness read beforehand (``crm.meetings.metrics.daily``):
the comparison's pending count at a minute of day D is the rolled-up end of day D−1
plus the day's change, and equals the live count."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, union_all, update

from crm.core.timeutil import local_midnight_utc, utcnow
from crm.extensions import db
from crm.issues import problem_sets as sets
from crm.issues.models import Issue
from crm.meetings import metrics, rollups
from crm.meetings.metrics import daily
from crm.meetings.metrics.figures import Period
from crm.meetings.metrics.queries import overview_periods
from crm.meetings.models import RollupMonth, RollupRow
from crm.seed.province import populate_province


@pytest.fixture
def generated(app):
    populate_province(0.002, seed=5)
    return rollups.rebuild_all()


def same_as_live(year: int, month: int) -> bool:
    cached = metrics.cached_snapshot(year, month)
    return cached == metrics.snapshot(year, month, cached.now)


@pytest.mark.now("2026-11-18 15:40")
def test_each_days_pending_count_equals_the_live_count(app, generated):
    october = Period.month(2026, 10)
    rows = db.session.execute(
        select(RollupRow.day, RollupRow.key, func.sum(RollupRow.a))
        .where(RollupRow.day.between(october.start, october.end),
               RollupRow.kind == daily.DAY_END_PENDING)
        .group_by(RollupRow.day, RollupRow.key)).all()
    rolled = {}
    for day, key, a in rows:
        rolled.setdefault(day, {})[key] = a
    day, seen = october.start, 0
    while day <= october.end:
        live = dict(db.session.execute(
            select(Issue.lead_unit_id, func.count())
            .where(sets.pending_at(local_midnight_utc(day + timedelta(days=1))))
            .group_by(Issue.lead_unit_id)).all())
        assert rolled.get(day, {}) == live, day
        seen += sum(live.values())
        day += timedelta(days=1)
    assert seen  # the generated data has pending problems in October
    # The month-end pending count is the last day's.
    assert rolled[october.end] == dict(db.session.execute(
        select(RollupRow.key, func.sum(RollupRow.a))
        .where(RollupRow.day == october.end, RollupRow.kind == "pending")
        .group_by(RollupRow.key)).all())


@pytest.mark.now("2026-11-18 15:40")
@pytest.mark.parametrize("now", ["2026-11-18 15:40", "2026-11-02 00:10", "2026-11-01 09:00",
                                 "2026-11-30 23:50", "2026-12-01 08:00"])
def test_the_comparisons_pending_count_equals_the_live_count(app, generated, clock, now):
    clock.travel(now)
    rollups.rebuild_all()
    db.session.commit()
    today = utcnow()
    for year, month in ((today.year, today.month), (2026, 10)):
        assert same_as_live(year, month), (now, year, month)


@pytest.mark.now("2026-11-18 15:40")
def test_a_write_today_moves_the_days_change_not_the_rollup(app, generated):
    """A problem of last month resolved today: the comparison's pending count (at this
    minute a month ago) is unchanged and still equals the live count."""
    problem = db.session.scalar(select(Issue).where(
        sets.pending_at(utcnow()), Issue.dispatched_at < local_midnight_utc(date(2026, 10, 5)),
        Issue.state.in_(("dispatched", "in_progress"))).limit(1))
    assert problem is not None
    before = metrics.cached_snapshot(2026, 11)
    problem.state, problem.resolved_at = "resolved", utcnow()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(RollupMonth)
                             .where(RollupMonth.stale_at.is_not(None))) == 0
    after = metrics.cached_snapshot(2026, 11)
    assert after == metrics.snapshot(2026, 11, after.now)
    assert before.overview != after.overview  # this month's pending count moved


@pytest.mark.now("2026-11-18 15:40")
def test_fresh_months_leave_no_live_arms_and_a_stale_one_is_counted_live(app, generated):
    now = utcnow()
    periods = overview_periods(2026, 11, now)
    overrides, fresh = daily.overrides_and_fresh()
    assert date(2026, 10, 1) in fresh
    sql = str(union_all(*daily.problem_arms(periods, now, (), fresh_months=fresh)).compile(
        db.engine))
    assert "rollup_months" not in sql
    db.session.execute(update(RollupMonth).where(RollupMonth.month == date(2026, 10, 1))
                       .values(stale_at=now))
    db.session.commit()
    overrides, fresh = daily.overrides_and_fresh()
    assert date(2026, 10, 1) not in fresh
    assert same_as_live(2026, 11) and same_as_live(2026, 10)
