"""Month rollups (``crm.meetings.rollups``): closed months' figures written once, read by
the overview beside the running month counted live, and rewritten after a late write.
On generated data (the province generator at a tiny factor), the overview from rollups
equals the live count: the month running against the same days of last month, and
closed months against the whole month before."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from crm.core.timeutil import local_midnight_utc, utcnow
from crm.extensions import db
from crm.auth.models import User
from crm.enterprises.models import Enterprise
from crm.issues.models import Issue
from crm.meetings import metrics, rollups
from crm.meetings.metrics.daily import PROBLEM_KINDS
from crm.meetings.metrics.figures import Period
from crm.meetings.models import RollupMonth, RollupRow
from crm.scheduling import PERIODIC
from crm.seed.province import populate_province
from tests import factories

pytestmark = pytest.mark.now("2026-11-18 15:40")


def local(y: int, m: int, d: int, h: int = 10) -> datetime:
    return local_midnight_utc(date(y, m, d)) + timedelta(hours=h)


def same_as_live(year: int, month: int) -> bool:
    """The overview's snapshot (rollups and the running month) equals the live count
    taken at the same instant."""
    cached = metrics.cached_snapshot(year, month)
    return cached == metrics.snapshot(year, month, cached.now)


def rolled(month: Period, kind: str) -> dict:
    """{lead unit: the rollup's counter a} of ``kind`` summed over ``month``."""
    return dict(db.session.execute(
        select(RollupRow.key, func.sum(RollupRow.a))
        .where(RollupRow.day.between(month.start, month.end), RollupRow.kind == kind)
        .group_by(RollupRow.key)).all())


@pytest.fixture
def generated(app):
    populate_province(0.002, seed=5)
    return rollups.rebuild_all()


def test_the_rollup_equals_the_live_count(app, generated):
    assert date(2026, 10, 1) in generated and date(2026, 11, 1) not in generated
    assert db.session.scalar(select(func.count()).select_from(RollupMonth)
                             .where(RollupMonth.stale_at.is_not(None))) == 0
    now = utcnow()
    for year, month in ((2026, 11), (2026, 10), (2026, 9), (2026, 6)):
        assert same_as_live(year, month), (year, month)
    # The rows themselves: October's figures by lead unit are the live ones.
    october = Period.month(2026, 10)
    live = {f.key: f for f in metrics.group_figures(october.start, october.end, "unit", now)}
    for kind in PROBLEM_KINDS:
        rows = rolled(october, kind)
        assert {k: v for k, v in rows.items() if v} == {
            key: getattr(f, kind) for key, f in live.items() if getattr(f, kind)}, kind
    assert sum(rolled(october, "raised").values()) > 0


def test_the_overview_reads_a_fresh_rollup_and_counts_a_stale_month_live(app, generated):
    now = utcnow()
    live = metrics.snapshot(2026, 10, now).overview
    october = Period.month(2026, 10)
    # A marker written into the rollup only (no session write: nothing is marked stale)
    # shows: October's figures come from its rows.
    row = db.session.scalars(select(RollupRow).where(
        RollupRow.kind == "raised", RollupRow.day.between(october.start, october.end))
        .limit(1)).one()
    db.session.execute(update(RollupRow).where(RollupRow.id == row.id)
                       .values(a=RollupRow.a + 1000))
    assert metrics.cached_snapshot(2026, 10).overview.current.raised == live.current.raised + 1000
    # Marked stale, the month is counted live in the same statements.
    db.session.execute(update(RollupMonth).where(RollupMonth.month == october.start)
                       .values(stale_at=now))
    assert same_as_live(2026, 10)


def test_a_late_write_to_a_closed_month_rewrites_its_rollup(app, generated):
    september = Period.month(2026, 9)
    row = db.session.get(RollupMonth, september.start)
    version, raised = row.version, sum(rolled(september, "raised").values())
    some = db.session.scalars(select(Issue).where(Issue.raised_by_id.is_not(None),
                                                  Issue.enterprise_id.is_not(None))
                              .limit(1)).one()
    factories.issue(db.session.get(Enterprise, some.enterprise_id),
                    db.session.get(User, some.raised_by_id), raised_at=local(2026, 9, 20),
                    number="R-2026-0920")
    db.session.commit()
    db.session.refresh(row)
    assert (row.version, row.stale_at) == (version + 1, None)
    assert sum(rolled(september, "raised").values()) == raised + 1
    now = utcnow()
    assert same_as_live(2026, 10)
    # Resolving today a problem raised in September changes none of September's figures
    # (it was pending at its end either way): its rollup is left alone.
    open_one = db.session.scalars(select(Issue).where(
        Issue.state.in_(("dispatched", "in_progress")),
        Issue.raised_at.between(september.start_utc, september.end_utc))
        .limit(1)).one()
    open_one.state, open_one.resolved_at, open_one.resolved_on_time = "resolved", now, True
    db.session.commit()
    open_one.state, open_one.closed_at = "closed", utcnow()  # rated and closed: neither
    db.session.commit()
    db.session.refresh(row)
    assert row.version == version + 1
    assert same_as_live(2026, 11)


def test_a_reopening_marks_every_month_since_the_resolution(app, generated):
    resolved = db.session.scalars(select(Issue).where(
        Issue.state == "resolved",
        Issue.resolved_at.between(local(2026, 8, 1), local(2026, 8, 31)))
        .limit(1)).one_or_none()
    if resolved is None:
        pytest.skip("no problem resolved in August awaiting its rating")
    versions = dict(db.session.execute(select(RollupMonth.month, RollupMonth.version)).all())
    resolved.state, resolved.resolved_at = "reopened", None
    db.session.commit()
    after = dict(db.session.execute(select(RollupMonth.month, RollupMonth.version)).all())
    moved = sorted(m for m in after if after[m] != versions[m])
    assert moved == [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
    # Open again: pending at the end of each of those months.
    assert same_as_live(2026, 9)


def test_the_worker_writes_each_month_once_it_closes(app, clock):
    assert "crm.meetings.rollups.periodic_rollups" in dict(PERIODIC)
    unit, who, ent = factories.unit(), factories.user(), factories.enterprise()
    factories.issue(ent, who, lead_unit_id=unit.id, raised_at=local(2026, 10, 5),
                    number="R-2026-1005")
    factories.visit(ent, who, visit_date=date(2026, 11, 3))
    db.session.commit()
    assert rollups.close_months() == [date(2026, 10, 1)]
    assert rollups.close_months() == []  # written once
    clock.travel("2026-12-01 00:20")
    assert rollups.close_months() == [date(2026, 11, 1)]
    assert sum(rolled(Period.month(2026, 11), "visits").values()) == 1
