"""Coverage rollups (crm.liaisons.rollups): the coverage page reads the same figures from
a week's rollup rows as it counts live, and the writes keep the rows in step."""
from datetime import date

import pytest
from sqlalchemy import func, select, update

from crm.extensions import db
from crm.liaisons import rollups
from crm.liaisons.coverage import (
    ROLLUP_TABLES,
    Coverage,
    coverage_by,
    overview_figures,
    period_for,
    weekly_coverage,
)
from crm.liaisons.models import CoverageRow, Visit
from tests import factories
from tests.liaisons.test_coverage import END, county  # noqa: F401  (the fixture)

D = date
PERIODS = [period_for("month", D(2026, 3, 1)), period_for("quarter", D(2026, 2, 1)),
           period_for("week", D(2026, 3, 10)), period_for("month", D(2026, 4, 1))]


def _live(period, as_of=END):
    def ordered(table):
        return sorted(table.items(), key=lambda kv: (kv[1].rate or 0, kv[0]))
    tables = {by: ordered(coverage_by(period, by, as_of=as_of)) for by in ROLLUP_TABLES}
    return {"trend": weekly_coverage(period, as_of=as_of), "tables": tables,
            "sizes": {by: len(rows) for by, rows in tables.items()}}


def _build(today=END):
    for monday in sorted({m for p in PERIODS for m in p.weeks(today)}):
        rollups.build_week(monday, today)
    db.session.commit()


def _rows():
    return db.session.scalar(select(func.count()).select_from(CoverageRow))


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.kind}-{p.start}")
def test_rollups_give_the_live_figures(county, period):  # noqa: F811
    live = _live(period)
    _build()
    assert _rows() > 0
    assert overview_figures(period, END) == live
    # The rollup is what is read: a figure changed in it shows (then put back).
    db.session.execute(update(CoverageRow).where(CoverageRow.scope == "all")
                       .values(visited=CoverageRow.visited + 100))
    assert overview_figures(period, END)["trend"] != live["trend"]
    db.session.rollback()
    # Cut to the weakest rows, with the sizes of the whole tables.
    cut = overview_figures(period, END, limit=1, expand="unit")
    assert cut["tables"]["unit"] == live["tables"]["unit"]
    assert cut["tables"]["commissioner"] == live["tables"]["commissioner"][:1]
    assert cut["sizes"] == live["sizes"]


def test_a_running_week_rollup_holds_for_the_day_it_was_counted(county):  # noqa: F811
    day = D(2026, 3, 11)  # Wednesday: C1's assignment of E2 begins today
    rollups.build_week(D(2026, 3, 9), D(2026, 3, 10))
    db.session.commit()
    week = period_for("week", day)
    assert D(2026, 3, 9) in rollups.weeks_due(day)
    assert overview_figures(week, day) == _live(week, day)  # counted live, not stale
    rollups.build_week(D(2026, 3, 9), day)
    db.session.commit()
    assert D(2026, 3, 9) not in rollups.weeks_due(day)
    assert overview_figures(week, day) == _live(week, day)


def test_a_new_visit_is_added_to_its_week(county):  # noqa: F811
    _build()
    # E1 in the week of 9 March (only E2 was visited): every scope holding E1 gains one.
    factories.visit(county["e1"], county["c1"], D(2026, 3, 12))
    # E1 again the week of 2 March (already visited): nothing changes.
    factories.visit(county["e1"], county["lead"], D(2026, 3, 6))
    # E2 in the week of 2 March, before C1's assignment: only the leader's figure.
    factories.visit(county["e2"], county["lead"], D(2026, 3, 5))
    db.session.commit()
    assert _rows() > 0
    for period in PERIODS:
        assert overview_figures(period, END) == _live(period), period
    for row in db.session.scalars(select(CoverageRow)):  # the order the page reads
        assert row.rate == (row.visited / row.assigned if row.assigned else 0.0)


def test_other_writes_drop_the_weeks_they_touch(county):  # noqa: F811
    _build()
    march = PERIODS[0]
    visit = db.session.scalars(select(Visit).where(Visit.visit_date == D(2026, 3, 17))).one()
    visit.visit_date = D(2026, 3, 24)
    db.session.commit()
    weeks = set(db.session.scalars(select(CoverageRow.week).where(CoverageRow.scope == "all")))
    assert D(2026, 3, 16) not in weeks and D(2026, 3, 23) not in weeks
    assert D(2026, 3, 9) in weeks
    assert overview_figures(march, END) == _live(march)
    # A new assignment: its weeks from the start on are counted live again.
    factories.assignment(county["e3"], county["c1"], start=D(2026, 3, 4))
    db.session.commit()
    weeks = set(db.session.scalars(select(CoverageRow.week).where(CoverageRow.scope == "all")))
    assert weeks and max(weeks) < D(2026, 3, 2)
    assert overview_figures(march, END) == _live(march)
    # A cadre moved to another unit: every week.
    _build()
    county["c2"].unit_id = county["u1"].id
    db.session.commit()
    assert _rows() == 0
    assert overview_figures(march, END) == _live(march)
    assert rollups.rebuild_all(END)
    assert overview_figures(march, END) == _live(march)


def test_no_weeks_no_figures(app):
    future = period_for("month", D(2030, 1, 1))
    assert overview_figures(future, END) == {
        "trend": [], "tables": {by: [] for by in ROLLUP_TABLES},
        "sizes": {by: 0 for by in ROLLUP_TABLES}}
    assert rollups.rebuild_all(END) == []
    assert Coverage() == Coverage(0, 0)
