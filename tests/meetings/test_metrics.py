"""Every figure of ``crm.meetings.metrics`` against the hand-computed county of
``conftest.py``, on SQLite and PostgreSQL (definitions: ``metrics.DEFINITIONS``).

October 2026 by hand (problems p1–p10; October is finished on 2 November, so it is
compared with the whole of September):
- raised (local dates): p1 9th, p3 1st 00:30, p5 20th, p6 30th, p9 5th, p10 3rd → 6
  (p4 was raised 23:30 on 30 September, p2 28 September, p8 September, p7 August).
- dispatched (first dispatch): p1 9th, p3 8th, p4 8th, p5 20th, p9 5th → 5.
- resolved (latest resolution in October, still resolved or closed): p1 14th, p2 12th,
  p4 31st 23:30 → 3 (p5 has been reopened since: not resolved).
- pending at the end of October (dispatched, neither resolved nor closed by then):
  p3, p5 (reopened), p7, p9 → 4 (p4 was resolved 23:30 on 31 October).
- resolution rate = 3 / (3 + 4).
- on time: p1, p4 of 3 → 2/3.
- working days dispatch → resolve (13 Oct is an admin holiday, 10 Oct a make-up day):
  p1 (9 Oct, 14 Oct] = 10, 12, 14 → 3; p2 (29 Sep, 12 Oct] = 30 Sep, 8, 9, 10, 12 → 5;
  p4 (8 Oct, 31 Oct] = 9, 10, 12, 14–16, 19–23, 26–30 → 16; average 24/3 = 8.0.
- redone (resolved after a reopening): none → reopen rate 0.
- supervised: p7 (twice), p3 → 2.
- ratings given in October: p1 5 self, p2 3 recorded, p5 1 self → satisfaction 1/3,
  self-rated 2/3.
- overdue now (2 November): p3 (due 20 Oct), p7 (due 1 Sep) → 2.

September: raised p2, p4, p8 → 3; dispatched p2, p8 → 2; resolved p8 → 1; pending at
its end p2 (resolved only on 12 October), p7 → 2, so the resolution rate is 1/3; on time
1/1; days p8 (10 Sep, 17 Sep] = 11, 14–17 → 5; supervised p7 → 1; rating p8 4 self →
1/1 and 1/1.
"""
from datetime import date, timedelta

import pytest

from crm.issues.deadlines import overrides_between, working_days_between
from crm.meetings import metrics
from crm.meetings.metrics import Period
from tests.meetings.conftest import local

OCT = (date(2026, 10, 1), date(2026, 10, 31))
SEP = (date(2026, 9, 1), date(2026, 9, 30))


def figures_dict(f):
    return {n: getattr(f, n) for n in (
        "raised", "dispatched", "resolved", "on_time", "days_total", "days_count", "redone",
        "pending", "rated", "satisfied", "rated_self", "supervised", "overdue_now")}


def test_county_october(county):
    f = metrics.county_figures(*OCT, now=county.now)
    assert figures_dict(f) == dict(
        raised=6, dispatched=5, resolved=3, on_time=2, days_total=24, days_count=3,
        redone=0, pending=4, rated=3, satisfied=1, rated_self=2, supervised=2,
        overdue_now=2)
    assert f.handled == 7
    assert f.resolution_rate == pytest.approx(3 / 7)
    assert f.on_time_rate == pytest.approx(2 / 3)
    assert f.avg_days == 8.0
    assert f.reopen_rate == 0
    assert f.satisfaction_rate == pytest.approx(1 / 3)
    assert f.self_rated_rate == pytest.approx(2 / 3)


def test_county_september(county):
    f = metrics.county_figures(*SEP, now=county.now)
    assert figures_dict(f) == dict(
        raised=3, dispatched=2, resolved=1, on_time=1, days_total=5, days_count=1,
        redone=0, pending=2, rated=1, satisfied=1, rated_self=1, supervised=1,
        overdue_now=2)
    assert (f.resolution_rate, f.on_time_rate, f.avg_days) == (pytest.approx(1 / 3), 1.0, 5.0)
    assert (f.satisfaction_rate, f.self_rated_rate) == (1.0, 1.0)


def test_empty_period_has_no_rates(county):
    f = metrics.county_figures(date(2026, 3, 1), date(2026, 3, 31), now=county.now)
    assert (f.raised, f.resolved, f.rated) == (0, 0, 0)
    assert f.overdue_now == 2  # a snapshot, whatever the period
    assert None is f.resolution_rate is f.on_time_rate is f.avg_days is f.satisfaction_rate
    assert metrics.percent(f.resolution_rate) == "—"


def test_period_bounds_are_local_days(county):
    # 1 October alone: p3 (00:30 local) was raised; p4 (23:30 on 30 September) was not.
    f = metrics.county_figures(date(2026, 10, 1), date(2026, 10, 1), now=county.now)
    assert f.raised == 1
    f = metrics.county_figures(date(2026, 9, 30), date(2026, 9, 30), now=county.now)
    assert f.raised == 1  # p4
    f = metrics.county_figures(date(2026, 10, 31), date(2026, 10, 31), now=county.now)
    assert (f.resolved, f.days_total) == (1, 16)  # p4, resolved 23:30 local


def test_by_unit_october(county):
    groups = {f.key: f for f in metrics.group_figures(*OCT, "unit", now=county.now)}
    a, b, none = groups[county.unit_a.id], groups[county.unit_b.id], groups[None]
    assert (a.label, b.label, none.label) == ("经济和信息化局", "自然资源局", None)
    # A: p1, p5, p10 raised; p1, p5 dispatched; p1, p2 resolved; p5, p7 pending.
    assert figures_dict(a) == dict(
        raised=3, dispatched=2, resolved=2, on_time=1, days_total=8, days_count=2,
        redone=0, pending=2, rated=3, satisfied=1, rated_self=2, supervised=1,
        overdue_now=1)
    # B: p3, p9 raised; p3, p4, p9 dispatched; p4 resolved; p3, p9 pending.
    assert figures_dict(b) == dict(
        raised=2, dispatched=3, resolved=1, on_time=1, days_total=16, days_count=1,
        redone=0, pending=2, rated=0, satisfied=0, rated_self=0, supervised=1,
        overdue_now=1)
    assert figures_dict(none) == dict(
        raised=1, dispatched=0, resolved=0, on_time=0, days_total=0, days_count=0,
        redone=0, pending=0, rated=0, satisfied=0, rated_self=0, supervised=0,
        overdue_now=0)
    assert list(groups) == [county.unit_a.id, county.unit_b.id, None]  # by label, None last
    assert (a.resolution_rate, b.resolution_rate) == (0.5, pytest.approx(1 / 3))


@pytest.mark.parametrize("grouping", ["unit", "leader", "commissioner", "category"])
def test_groups_add_up_to_the_county(county, grouping):
    total = metrics.Figures()
    for f in metrics.group_figures(*OCT, grouping, now=county.now):
        total = total + f
    assert figures_dict(total) == figures_dict(metrics.county_figures(*OCT, now=county.now))


def test_by_leader_uses_the_active_leader_a(county):
    groups = {f.key: f for f in metrics.group_figures(*OCT, "leader", now=county.now)}
    # E1 (p1, p2, p5, p7, p10) → 李市长 now, not 王副市长 (leader A until June);
    # E2 (p3, p4, p6) → 赵副市长, not 李市长 who is its leader B; p9 has no enterprise.
    assert set(groups) == {county.l1.id, county.l3.id, None}
    l1, l3 = groups[county.l1.id], groups[county.l3.id]
    assert l1.label == "李市长"
    assert (l1.raised, l1.resolved, l1.overdue_now, l1.supervised, l1.pending) == (3, 2, 1, 1, 2)
    assert (l3.raised, l3.resolved, l3.overdue_now, l3.supervised) == (2, 1, 1, 1)
    assert groups[None].raised == 1


def test_by_commissioner_is_the_raiser(county):
    groups = {f.key: f for f in metrics.group_figures(*OCT, "commissioner", now=county.now)}
    assert set(groups) == {county.k1.id, county.k2.id, county.co.id}
    assert (groups[county.k1.id].raised, groups[county.k1.id].resolved) == (3, 2)
    assert (groups[county.k2.id].raised, groups[county.k2.id].resolved) == (2, 1)
    assert groups[county.co.id].label == "周协调" and groups[county.co.id].raised == 1


def test_by_category(county):
    groups = {f.key: f for f in metrics.group_figures(*OCT, "category", now=county.now)}
    c1, c2, none = groups[county.cat1.id], groups[county.cat2.id], groups[None]
    assert c1.label == "融资信贷"
    assert (c1.raised, c1.resolved, c1.on_time, c1.days_total) == (3, 2, 1, 8)
    assert (c2.raised, c2.resolved, c2.overdue_now, c2.supervised) == (1, 1, 1, 1)
    assert (none.raised, none.overdue_now, none.supervised) == (2, 1, 1)


def test_unknown_grouping_is_refused(app):
    with pytest.raises(ValueError):
        metrics.group_figures(*OCT, "town")


def test_visits_summary(county):
    assert metrics.visits_summary(*OCT) == metrics.VisitSummary(4, 3, 3)
    assert metrics.visits_summary(*SEP) == metrics.VisitSummary(3, 2, 2)


def test_month_overview_compares_with_last_month(county):
    o = metrics.month_overview(2026, 10, county.now)
    assert o.period == Period(*OCT) and o.previous_period == Period(*SEP)
    assert figures_dict(o.current) == figures_dict(metrics.county_figures(*OCT, county.now))
    assert figures_dict(o.previous) == figures_dict(metrics.county_figures(*SEP, county.now))
    assert (o.visits, o.previous_visits) == (metrics.VisitSummary(4, 3, 3),
                                             metrics.VisitSummary(3, 2, 2))
    assert not o.running
    c = o.changes
    assert (c["raised"], c["dispatched"], c["resolved"], c["pending"], c["supervised"]) == (
        3, 3, 2, 2, 1)
    assert c["resolution_rate"] == pytest.approx(3 / 7 - 1 / 3)
    assert c["on_time_rate"] == pytest.approx(2 / 3 - 1)
    assert c["avg_days"] == pytest.approx(3.0)
    assert c["satisfaction_rate"] == pytest.approx(1 / 3 - 1)
    assert c["reopen_rate"] == 0
    assert (c["visits"], c["enterprises_visited"], c["enterprises_assigned"]) == (1, 1, 1)
    assert [f.key for f in o.by_unit] == [county.unit_a.id, county.unit_b.id, None]
    assert figures_dict(o.by_unit[0]) == figures_dict(
        metrics.group_figures(*OCT, "unit", county.now)[0])
    # Received (dispatched) and resolved by month.
    assert [(t.period.month_key, t.dispatched, t.resolved) for t in o.trend] == [
        ("2026-05", 0, 0), ("2026-06", 0, 0), ("2026-07", 0, 0), ("2026-08", 1, 0),
        ("2026-09", 2, 1), ("2026-10", 5, 3)]


def test_month_overview_across_new_year(app):
    o = metrics.month_overview(2027, 1, trend_months=3)
    assert o.previous_period == Period(date(2026, 12, 1), date(2026, 12, 31))
    assert [t.period.month_key for t in o.trend] == ["2026-11", "2026-12", "2027-01"]
    assert o.changes["raised"] == 0 and o.changes["resolution_rate"] is None


def test_red_list_by_unit(county):
    units = metrics.red_list(county.now)
    assert [(u.label, u.count) for u in units] == [("经济和信息化局", 1), ("自然资源局", 1)]
    (p7,), (p3,) = units[0].problems, units[1].problems
    assert (p7.id, p7.title, p7.enterprise) == (county.p[7].id, "厂区道路被堵", "华兴机械有限公司")
    assert p3.id == county.p[3].id
    # Overdue since 20 October: 21–23, 26–30 October, 2 November → 9 working days.
    assert p3.overdue_days == 9
    overrides = overrides_between(date(2026, 9, 1), date(2026, 11, 2))
    assert p7.overdue_days == working_days_between(date(2026, 9, 1), date(2026, 11, 2),
                                                   overrides)


def test_red_list_keeps_the_most_overdue_per_unit(county):
    from tests import factories

    for days in range(1, 8):
        factories.issue(county.e1, county.k1, "in_progress", lead_unit_id=county.unit_b.id,
                        dispatched_at=county.now - timedelta(days=40),
                        due_at=county.now - timedelta(days=days),
                        warn_at=county.now - timedelta(days=days + 1))
    units = metrics.red_list(county.now, per_unit=3)
    assert [(u.label, u.count, len(u.problems)) for u in units] == [
        ("自然资源局", 8, 3), ("经济和信息化局", 1, 1)]
    assert units[0].problems[0].id == county.p[3].id  # due 20 October, the oldest


def test_escalated_open_only(county):
    rows = metrics.escalated_open(county.now)
    assert [(r.id, r.unit, r.light, r.enterprise) for r in rows] == [
        (county.p[7].id, "经济和信息化局", "red", "华兴机械有限公司")]


def test_workday_index_agrees_with_working_days_between(app):
    start, end = date(2026, 9, 1), date(2026, 11, 30)
    overrides = {date(2026, 10, 13): False, date(2026, 11, 7): True}
    index = metrics.WorkdayIndex(start, end, overrides)
    for a in (date(2026, 9, 1), date(2026, 9, 29), date(2026, 10, 7), date(2026, 10, 31)):
        for b in (date(2026, 9, 1), date(2026, 10, 8), date(2026, 11, 7), date(2026, 11, 30)):
            assert index.between(a, b) == working_days_between(a, b, overrides), (a, b)


def test_percent():
    assert metrics.percent(0.875) == "87.5%"
    assert metrics.percent(1 / 3) == "33.3%"
    assert metrics.percent(None) == "—"


def test_period_helpers():
    p = Period.month(2026, 12)
    assert (p.start, p.end, p.month_key) == (date(2026, 12, 1), date(2026, 12, 31), "2026-12")
    assert p.previous_month() == Period.month(2026, 11)
    assert Period(date(2026, 12, 1), date(2026, 12, 15)).month_key is None
    # Midnight in Shanghai is 16:00 UTC the day before.
    assert p.start_utc.isoformat() == "2026-11-30T16:00:00"
    assert p.end_utc.isoformat() == "2026-12-31T16:00:00"


def test_working_days_in_sql_match_working_days_between(app):
    """The SQL day arithmetic (Monday–Friday plus a step function of the exceptions)
    against ``working_days_between``, across weekends, Spring Festival, National Day,
    make-up days, an admin override, the new year (2027 is not in the holiday library)
    and times either side of local midnight."""
    import random

    from sqlalchemy import literal, select

    from crm.core.timeutil import to_local
    from crm.extensions import db
    from crm.meetings.metrics.queries import _working_days_sql, calendar_exceptions

    overrides = {date(2026, 10, 13): False, date(2027, 1, 2): True}
    exceptions = calendar_exceptions(date(2021, 1, 1), date(2027, 3, 31), overrides)
    rng = random.Random(20261001)
    base = local(2025, 12, 1, 0, 0)
    pairs = [(local(2026, 2, 13, 23, 50), local(2026, 2, 24, 0, 10)),  # Spring Festival
             (local(2026, 9, 30, 8), local(2026, 10, 10, 23, 59)),  # National Day, make-up
             (local(2026, 12, 30), local(2027, 1, 4)),  # into a year the library lacks
             (local(2026, 10, 9), local(2026, 10, 9, 18))]  # same day
    for _ in range(40):
        start = base + timedelta(hours=rng.randint(0, 24 * 450))
        pairs.append((start, start + timedelta(hours=rng.randint(0, 24 * 60))))
    exprs = [_working_days_sql(literal(a), literal(b), exceptions) for a, b in pairs]
    got = db.session.execute(select(*exprs)).one()
    want = [working_days_between(to_local(a).date(), to_local(b).date(), overrides)
            for a, b in pairs]
    assert list(got) == want
