"""Coverage figures on a hand-computed fixture (see the comments for the arithmetic).

March 2026 starts on a Sunday. Its weeks (ISO weeks whose Thursday is in March) begin on
Mondays 2, 9, 16 and 23 March; the week of 30 March belongs to April (Thursday 2 April)
and the week of 23 February to February. Q1 2026 has 13 weeks, from Monday 29 December
2025 (Thursday 1 January) to the week of 23 March.
"""
from datetime import date

import pytest

from crm.extensions import db
from crm.liaisons.coverage import (
    Coverage,
    coverage,
    coverage_by,
    parse_period,
    period_for,
    stale_enterprises,
    weekly_coverage,
)
from tests import factories

D = date
END = D(2026, 12, 31)  # "as of" after every week of the fixture has begun


def test_weeks_of_a_period_follow_their_thursday():
    march = period_for("month", D(2026, 3, 15))
    assert (march.start, march.end) == (D(2026, 3, 1), D(2026, 3, 31))
    assert march.weeks(END) == [D(2026, 3, 2), D(2026, 3, 9), D(2026, 3, 16), D(2026, 3, 23)]
    assert period_for("month", D(2026, 1, 9)).weeks(END)[0] == D(2025, 12, 29)
    assert len(period_for("month", D(2026, 1, 9)).weeks(END)) == 5
    assert len(period_for("month", D(2026, 2, 9)).weeks(END)) == 4
    q1 = period_for("quarter", D(2026, 2, 1))
    assert (q1.start, q1.end) == (D(2026, 1, 1), D(2026, 3, 31))
    assert len(q1.weeks(END)) == 13
    # The three months of the quarter add up to the quarter, week for week.
    months = [period_for("month", D(2026, m, 1)).weeks(END) for m in (1, 2, 3)]
    assert sum(months, []) == q1.weeks(END)
    week = period_for("week", D(2026, 3, 12))
    assert (week.start, week.end, week.weeks(END)) == (D(2026, 3, 9), D(2026, 3, 15),
                                                       [D(2026, 3, 9)])
    # Weeks that have not begun are not counted yet.
    assert march.weeks(D(2026, 3, 18)) == [D(2026, 3, 2), D(2026, 3, 9), D(2026, 3, 16)]
    assert period_for("quarter", D(2026, 11, 1)).end == D(2026, 12, 31)
    assert march.previous().start == D(2026, 2, 1) and march.next().start == D(2026, 4, 1)


@pytest.mark.parametrize("kind,day,expected", [
    ("week", "2026-03-12", ("week", D(2026, 3, 9))),
    ("quarter", "2026-05-20", ("quarter", D(2026, 4, 1))),
    ("bogus", "2026-03-12", ("month", D(2026, 3, 1))),
    ("month", "not-a-date", ("month", D(2026, 3, 1))),
    ("month", "9999-01-01", ("month", D(2026, 3, 1))),
    (None, None, ("month", D(2026, 3, 1))),
])
def test_parse_period_never_fails(kind, day, expected):
    p = parse_period(kind, day, today=D(2026, 3, 20))
    assert (p.kind, p.start) == expected


def test_coverage_rate_and_percent():
    assert Coverage(0, 0).rate is None and Coverage(0, 0).percent is None
    assert Coverage(4, 7).percent == 57 and Coverage(1, 8).percent == 13  # 12.5 rounds up
    assert Coverage(1, 2) + Coverage(3, 5) == Coverage(4, 7)


@pytest.fixture
def county(app):
    """C1 (unit U1) and C2 (unit U2) commissioners, leader L, enterprises E1–E3."""
    u1, u2 = factories.unit("城关镇"), factories.unit("工信局")
    c1 = factories.user(["commissioner"], unit=u1)
    c2 = factories.user(["commissioner"], unit=u2)
    lead = factories.user(["leader"])
    e1, e2, e3 = (factories.enterprise(f"企业{i}") for i in (1, 2, 3))
    # C1: E1 throughout; E2 from Wednesday 11 March (weeks 9, 16, 23 March).
    factories.assignment(e1, c1, start=D(2025, 12, 1))
    factories.assignment(e2, c1, start=D(2026, 3, 11))
    # C2: E1 from Thursday 1 January to Tuesday 10 March (last week: 9 March);
    # E3 until Friday 27 February (last week: 23 February).
    factories.assignment(e1, c2, start=D(2026, 1, 1), end=D(2026, 3, 10))
    factories.assignment(e3, c2, start=D(2025, 12, 1), end=D(2026, 2, 27))
    # Leader L holds E1 (A) and E2 (B) throughout.
    factories.assignment(e1, lead, "leader_a", start=D(2025, 1, 1))
    factories.assignment(e2, lead, "leader_b", start=D(2025, 1, 1))
    visits = [
        (e1, c1, D(2025, 12, 28)),  # Sunday: week of 22 December, Q4 2025
        (e1, c1, D(2026, 1, 2)),    # week of 29 December, Q1 2026 (January)
        (e3, c2, D(2026, 2, 2)),    # week of 2 February
        (e1, c1, D(2026, 3, 3)),    # week of 2 March
        (e1, c2, D(2026, 3, 4)),    # same week again: still one enterprise-week
        (e3, c2, D(2026, 3, 5)),    # E3 no longer assigned: not counted
        (e2, lead, D(2026, 3, 10)),  # week of 9 March (a visit by anyone counts)
        (e1, lead, D(2026, 3, 17)),  # week of 16 March, written up by the leader
        (e2, c1, D(2026, 3, 29)),   # Sunday: week of 23 March
        (e1, c1, D(2026, 3, 31)),   # week of 30 March: April
    ]
    for ent, who, day in visits:
        factories.visit(ent, who, day)
    db.session.commit()
    return dict(u1=u1, u2=u2, c1=c1, c2=c2, lead=lead, e1=e1, e2=e2, e3=e3)


def test_march_coverage_per_scope(county):
    march = period_for("month", D(2026, 3, 1))
    # C1: E1 × 4 weeks + E2 × 3 weeks = 7; visited E1 (2, 16 Mar) + E2 (9, 23 Mar) = 4.
    assert coverage(march, commissioner=county["c1"], as_of=END) == Coverage(4, 7)
    # C2: E1 × weeks 2 and 9 March = 2; visited the week of 2 March = 1.
    assert coverage(march, commissioner=county["c2"], as_of=END) == Coverage(1, 2)
    # Units are their commissioners here.
    assert coverage(march, unit=county["u1"], as_of=END) == Coverage(4, 7)
    assert coverage(march, unit=county["u2"].id, as_of=END) == Coverage(1, 2)
    # Overall: distinct pairs E1 × 4 + E2 × 3 = 7 (C2's E1 weeks are C1's too); 4 visited.
    assert coverage(march, as_of=END) == Coverage(4, 7)
    # Leader L: E1 × 4 + E2 × 4 = 8; visited E1 (2, 16) + E2 (9, 23) = 4.
    assert coverage(march, leader=county["lead"], as_of=END) == Coverage(4, 8)


def test_grouped_coverage_matches_single_scopes(county):
    march = period_for("month", D(2026, 3, 1))
    by_c = coverage_by(march, "commissioner", as_of=END)
    assert by_c == {county["c1"].id: Coverage(4, 7), county["c2"].id: Coverage(1, 2)}
    assert coverage_by(march, "unit", as_of=END) == {county["u1"].id: Coverage(4, 7),
                                                     county["u2"].id: Coverage(1, 2)}
    assert coverage_by(march, "leader", as_of=END) == {county["lead"].id: Coverage(4, 8)}
    assert coverage_by(march, "commissioner", as_of=END, only=[county["c2"].id]) == {
        county["c2"].id: Coverage(1, 2)}
    with pytest.raises(ValueError):
        coverage_by(march, "town")


def test_quarter_coverage(county):
    q1 = period_for("quarter", D(2026, 1, 1))
    # C1: E1 × 13 + E2 × 3 = 16; visited E1 (29 Dec, 2 Mar, 16 Mar) + E2 (9, 23 Mar) = 5.
    assert coverage(q1, commissioner=county["c1"], as_of=END) == Coverage(5, 16)
    # C2: E1 × 11 (29 Dec … 9 Mar) + E3 × 9 (29 Dec … 23 Feb) = 20;
    # visited E1 (29 Dec, 2 Mar) + E3 (2 Feb) = 3.
    assert coverage(q1, commissioner=county["c2"], as_of=END) == Coverage(3, 20)
    # Overall: E1 × 13 + E2 × 3 + E3 × 9 = 25; visited 3 + 2 + 1 = 6.
    assert coverage(q1, as_of=END) == Coverage(6, 25)
    # The months add up to the quarter.
    months = [coverage(period_for("month", D(2026, m, 1)), commissioner=county["c1"], as_of=END)
              for m in (1, 2, 3)]
    assert sum(months, Coverage()) == Coverage(5, 16)


def test_week_and_month_so_far(county):
    week = period_for("week", D(2026, 3, 11))
    # Week of 9 March for C1: E1 not visited, E2 visited (10 March).
    assert coverage(week, commissioner=county["c1"], as_of=END) == Coverage(1, 2)
    # On Wednesday 18 March the month so far has weeks 2, 9, 16:
    # E1 × 3 + E2 × 2 = 5; visited E1 (2, 16) + E2 (9) = 3.
    march = period_for("month", D(2026, 3, 1))
    assert coverage(march, commissioner=county["c1"], as_of=D(2026, 3, 18)) == Coverage(3, 5)
    trend = weekly_coverage(march, commissioner=county["c1"], as_of=END)
    assert trend == [(D(2026, 3, 2), Coverage(1, 1)), (D(2026, 3, 9), Coverage(1, 2)),
                     (D(2026, 3, 16), Coverage(1, 2)), (D(2026, 3, 23), Coverage(1, 2))]
    # An assignment starting later this week does not count before it starts.
    newcomer = factories.enterprise("下周签约企业")
    factories.assignment(newcomer, county["c1"], start=D(2026, 3, 20))  # Friday
    db.session.commit()
    week16 = period_for("week", D(2026, 3, 16))
    assert coverage(week16, commissioner=county["c1"], as_of=D(2026, 3, 18)) == Coverage(1, 2)
    assert coverage(week16, commissioner=county["c1"], as_of=D(2026, 3, 20)) == Coverage(1, 3)
    # A period that has not begun has nothing to cover (and sends no query).
    assert coverage(period_for("month", D(2027, 1, 1)), as_of=END) == Coverage(0, 0)


def test_coverage_scope_arguments_are_exclusive(county):
    with pytest.raises(ValueError):
        coverage(period_for("week", END), commissioner=county["c1"], leader=county["lead"])


def test_stale_enterprises(app):
    today = D(2026, 3, 20)  # 14 days back is Friday 6 March
    com = factories.user(["commissioner"])
    other = factories.user(["commissioner"])
    lead = factories.user(["leader"])
    ea, eb, ec, ed, ee, ef, eg = (factories.enterprise(f"企业{c}") for c in "ABCDEFG")
    for ent in (ea, eb, ee, ef):
        factories.assignment(ent, com, start=D(2026, 1, 1))
    factories.assignment(ec, com, start=D(2026, 3, 10))  # new: 10 days, never visited
    factories.assignment(ed, com, start=D(2026, 2, 1))   # 47 days, never visited
    factories.assignment(ef, other, start=D(2026, 1, 1))
    db.session.execute(db.update(factories.Assignment)
                       .where(factories.Assignment.enterprise_id == ef.id,
                              factories.Assignment.user_id == com.id)
                       .values(end_date=D(2026, 2, 1)))  # F is no longer com's
    eg.status = "deregistered"
    factories.assignment(eg, com, start=D(2026, 1, 1))
    factories.assignment(ea, lead, "leader_a", start=D(2026, 1, 1))
    factories.assignment(eb, lead, "leader_a", start=D(2026, 1, 1))
    factories.visit(ea, com, D(2026, 3, 6))    # exactly 14 days: stale
    factories.visit(eb, other, D(2026, 3, 7))  # 13 days, by someone else: fine
    factories.visit(ee, com, D(2026, 1, 20))   # 59 days
    factories.visit(ee, com, D(2026, 3, 25))   # dated after "today": ignored
    db.session.commit()

    rows = stale_enterprises(commissioner=com, today=today)
    assert [(r.name, r.last_visit, r.days) for r in rows] == [
        ("企业E", D(2026, 1, 20), 59),
        ("企业D", None, 47),
        ("企业A", D(2026, 3, 6), 14),
    ]
    assert [r.name for r in stale_enterprises(leader=lead, today=today)] == ["企业A"]
    assert [r.name for r in stale_enterprises(commissioner=com, today=today, limit=1)] == ["企业E"]
    assert [r.name for r in stale_enterprises(commissioner=other, today=today)] == ["企业F"]
    overall = {r.name for r in stale_enterprises(today=today)}
    assert overall == {"企业A", "企业D", "企业E", "企业F"}
