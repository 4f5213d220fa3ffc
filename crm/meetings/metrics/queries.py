"""The aggregate queries behind the figures: a fixed number per call, whatever the
data size (see ``crm.meetings.metrics`` for the definitions)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Optional, Sequence

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from crm.auth.models import Unit, User
from crm.core.timeutil import LOCAL_TZ, local_midnight_utc, utcnow
from crm.enterprises.models import Assignment, Enterprise
from crm.extensions import db
from crm.issues import problem_sets as sets
from crm.issues.deadlines import overrides_between
from crm.issues.models import Category, Issue, IssueEvent
from crm.liaisons.models import Visit
from crm.meetings.metrics.figures import (
    Figures,
    MonthOverview,
    MonthPeriods,
    Period,
    TrendPoint,
    VisitSummary,
    is_workday,
)

GROUPINGS = ("county", "unit", "leader", "commissioner", "category")
# Asia/Shanghai has had no daylight saving since 1991: local date = UTC + 8 h.
_LOCAL_OFFSET = LOCAL_TZ.utcoffset(datetime(2000, 1, 1))


# -- grouping -------------------------------------------------------------------
def _grouped(stmt, grouping: str):
    """Join what ``grouping`` needs onto ``stmt`` (a select whose FROM holds ``issues``)
    and return it with the key column (None for the county: no GROUP BY)."""
    if grouping not in GROUPINGS:
        raise ValueError(f"unknown grouping {grouping!r}")
    if grouping == "county":
        return stmt, None
    if grouping == "leader":
        lead = aliased(Assignment)
        stmt = stmt.outerjoin(lead, and_(lead.enterprise_id == Issue.enterprise_id,
                                         lead.role == "leader_a", lead.end_date.is_(None)))
        return stmt, lead.user_id
    column = {"unit": Issue.lead_unit_id, "category": Issue.category_id,
              "commissioner": Issue.raised_by_id}[grouping]
    # "+ 0" keeps SQLite from walking the whole table in the key's index order to
    # save a sort; each arm's own filter index is the cheap path.
    return stmt, column + 0


def _labels(grouping: str, keys) -> dict[int, str]:
    """Names of the groups' keys, in one query."""
    keys = sorted(k for k in keys if k is not None)
    if not keys or grouping == "county":
        return {}
    model, name = {"unit": (Unit, Unit.name), "category": (Category, Category.name),
                   "leader": (User, User.display_name),
                   "commissioner": (User, User.display_name)}[grouping]
    return dict(db.session.execute(select(model.id, name).where(model.id.in_(keys))).all())


def _local_date(column):
    """SQL: the Asia/Shanghai date of a naive-UTC column."""
    if db.session.get_bind().dialect.name == "sqlite":
        hours = int(_LOCAL_OFFSET.total_seconds() // 3600)
        return func.date(column, f"{hours:+d} hours")
    return cast(column + _LOCAL_OFFSET, Date)


def _bucket(column, periods: Sequence[Period]):
    """SQL: the index of the period ``column`` falls in (None outside all)."""
    return case(*[(p.covers(column), i) for i, p in enumerate(periods)], else_=None)


def _span(periods: Sequence[Period]) -> Period:
    return Period(min(p.start for p in periods), max(p.end for p in periods))


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


# -- working days in SQL ---------------------------------------------------------
_EPOCH = date(2000, 1, 3)  # a Monday: day number 0
# Exceptions to Monday–Friday older than this before the period are not looked at:
# only a problem open for longer would be miscounted, by the holidays before then.
CALENDAR_YEARS = 5


def _day_number(column):
    """SQL: days from ``_EPOCH`` to the local date of a naive-UTC column."""
    if db.session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(_local_date(column)) - func.julianday(_EPOCH.isoformat()),
                    Integer)
    return _local_date(column) - _EPOCH


def _weekdays_before(n):
    """SQL: Monday–Friday days numbered 0 … n-1."""
    rest = n % 7
    return 5 * (n // 7) + case((rest < 5, rest), else_=5)


def calendar_exceptions(start: date, end: date,
                        overrides: dict[date, bool]) -> list[tuple[date, int]]:
    """Days in [start, end] where the calendar departs from Monday–Friday: ``+1`` for a
    make-up workday on a weekend, ``-1`` for a holiday on a weekday (holiday library,
    then the admin's overrides, as ``deadlines.is_workday``)."""
    out = []
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        weekday, working = day.weekday() < 5, is_workday(day, overrides)
        if working != weekday:
            out.append((day, 1 if working else -1))
    return out


def _working_days_sql(start_col, end_col, exceptions: list[tuple[date, int]]):
    """SQL: working days in (local date of ``start_col``, local date of ``end_col``],
    the same count as ``deadlines.working_days_between``.

    Monday–Friday days come from arithmetic on day numbers; the exceptions add a step
    function E(t) = sum of the signs of the exception days up to the local date of t,
    written newest first so that recent dates leave the CASE after a branch or two.
    Its branches compare the stored instant with each exception day's local midnight
    (in UTC), so no branch converts the column to a local date again — that conversion
    is the costly part per row on SQLite."""
    n1, n2 = _day_number(start_col), _day_number(end_col)
    days = _weekdays_before(n2 + 1) - _weekdays_before(n1 + 1)
    if not exceptions:
        return days
    steps, total = [], 0
    for day, sign in exceptions:
        total += sign
        steps.append((local_midnight_utc(day), total))
    steps.reverse()

    def step(column):
        return case(*[(column >= at, value) for at, value in steps], else_=0)

    return days + step(end_col) - step(start_col)


# -- the queries ----------------------------------------------------------------
_VALUES = 5  # counter columns a … e of every arm


def _branch(base, grouping: str | None, kind, bucket, *values, index: int | None = None,
            extra_group=()):
    """One arm of the counters' UNION: (key, period, kind, a, b, c, d, e); the county
    (``grouping`` None or "county") has no key. The period is ``bucket`` (an expression,
    grouped by) or the constant ``index``."""
    stmt, key = _grouped(base, grouping or "county")
    values = list(values) + [literal(0)] * (_VALUES - len(values))
    if bucket is not None:
        period = bucket
    else:
        period = literal(index) if index is not None else null()
    groups = [g for g in (key, bucket, *extra_group) if g is not None]
    stmt = stmt.add_columns(key if key is not None else null(), period, kind, *values)
    return stmt.group_by(*groups) if groups else stmt


def _kind(name: str):
    return literal(name, String)


def _counter_rows(periods: Sequence[Period], detail: int, grouping: str, now: datetime,
                  exceptions: list[tuple[date, int]], with_red: bool = True):
    """One round trip (UNION ALL of arms, each served by its own index). For the first
    ``detail`` periods, per key: raised, dispatched, resolved (on time, working days
    from dispatch, after a reopening), rated (satisfied, by the enterprise itself),
    supervised and pending at the period's end (three arms, see
    ``problem_sets.pending_parts``). For the other periods, county totals of
    dispatched and resolved (the trend). And red now. Rows are
    (key, period, kind, a, b, c, d, e).

    Every condition is ``crm.issues.problem_sets``'s, which the problem list filters
    by: a figure and the list it links to cannot count differently."""
    detailed, trend = list(periods[:detail]), list(periods[detail:])
    dspan = _span(detailed)
    start, end = dspan.start_utc, max(p.end_utc for p in detailed)
    issues = select().select_from(Issue)
    dispatched = Issue.dispatched_at.is_not(None)
    days = case((dispatched, _working_days_sql(Issue.dispatched_at, Issue.resolved_at,
                                               exceptions)), else_=0)
    arms = [
        _branch(issues, grouping, _kind("raised"), _bucket(Issue.raised_at, detailed),
                func.count())
        .where(sets.raised_in(start, end)),
        _branch(issues, grouping, _kind("dispatched"), _bucket(Issue.dispatched_at, detailed),
                func.count())
        .where(sets.dispatched_in(start, end)),
        _branch(issues, grouping, _kind("resolved"), _bucket(Issue.resolved_at, detailed),
                func.count(), _count(sets.on_time()), func.sum(days), _count(dispatched),
                _count(sets.ever_reopened()))
        .where(sets.resolved_in(start, end)),
        _branch(issues, grouping, _kind("rated"), _bucket(Issue.rated_at, detailed),
                func.count(), _count(sets.rating_at_least(sets.SATISFIED)),
                _count(sets.rated_by("self")))
        .where(sets.rated_in(start, end)),
        _branch(select().select_from(IssueEvent).join(Issue, Issue.id == IssueEvent.issue_id),
                grouping, _kind("supervised"), _bucket(IssueEvent.at, detailed),
                func.count(distinct(IssueEvent.issue_id)))
        .where(IssueEvent.action == "supervise", IssueEvent.at >= start, IssueEvent.at < end),
    ]
    for i, p in enumerate(detailed):
        for part in sets.pending_parts(p.end_utc):
            arms.append(_branch(issues, grouping, _kind("pending"), None, func.count(),
                                index=i).where(part))
    if with_red:
        arms.append(_branch(issues, grouping, _kind("red"), None, func.count())
                    .where(sets.overdue_now(now)))
    # County totals only, one range count per month and figure: each is answered by
    # its timestamp index alone, without a CASE per problem.
    offset = len(detailed)
    for i, p in enumerate(trend):
        for kind, cond in (("dispatched", sets.dispatched_in(p.start_utc, p.end_utc)),
                           ("resolved", sets.resolved_in(p.start_utc, p.end_utc))):
            count = select(func.count()).select_from(Issue).where(cond).scalar_subquery()
            arms.append(select(null(), literal(offset + i), _kind(kind), count,
                               *[literal(0)] * (_VALUES - 1)))
    return db.session.execute(union_all(*arms)).all()


# kind → the Figures counters its a, b, c, d, e columns add to.
_COUNTERS = {
    "raised": ("raised",),
    "dispatched": ("dispatched",),
    "resolved": ("resolved", "on_time", "days_total", "days_count", "redone"),
    "rated": ("rated", "satisfied", "rated_self"),
    "supervised": ("supervised",),
    "pending": ("pending",),
}


def all_overrides() -> dict[date, bool]:
    """Every WorkdayOverride row (a few dozen a year), in one query."""
    return overrides_between(date(1900, 1, 1), date(2999, 12, 31))


def _compute(periods: Sequence[Period], grouping: str, now: datetime,
             detail: int | None = None, overrides: dict[date, bool] | None = None,
             with_red: bool = True) -> list[dict[Optional[int], Figures]]:
    """Figures per group for each period, in two queries (three without
    ``overrides``). Past the first ``detail`` periods (all by default) only the county's
    dispatched and resolved counts are computed, under the key ``None``."""
    detail = len(periods) if detail is None else max(1, min(detail, len(periods)))
    end = max(p.end for p in periods[:detail])
    start = end - timedelta(days=366 * CALENDAR_YEARS)
    if overrides is None:
        overrides = overrides_between(start, end)
    exceptions = calendar_exceptions(start, end, overrides)
    result: list[dict[Optional[int], Figures]] = [{} for _ in periods]

    def fig(i: int, key) -> Figures:
        return result[i].setdefault(key, Figures(key=key))

    for key, i, kind, *values in _counter_rows(periods, detail, grouping, now, exceptions,
                                               with_red):
        if kind == "red":  # a snapshot at ``now``, the same for every period
            for j in range(len(periods)):
                fig(j, key).overdue_now = int(values[0])
        elif i is not None:
            f = fig(i, key)
            for name, value in zip(_COUNTERS[kind], values):
                setattr(f, name, getattr(f, name) + int(value or 0))

    labels = _labels(grouping, {k for r in result for k in r})
    for groups in result:
        for key, f in groups.items():
            f.label = labels.get(key)
    return result


def group_figures(start: date, end: date, grouping: str = "county",
                  now: datetime | None = None) -> list[Figures]:
    """Figures of each group for the period ``start``..``end`` (local dates,
    inclusive), ordered by label; the ``None`` group (no key) comes last."""
    groups = _compute([Period(start, end)], grouping, now or utcnow())[0]
    return sorted(groups.values(), key=lambda f: (f.key is None, f.label or "", f.key or 0))


def county_figures(start: date, end: date, now: datetime | None = None) -> Figures:
    """The whole county's figures for the period."""
    total = Figures()
    for f in group_figures(start, end, "county", now):
        total = total + f
    return total


def _visit_rows(periods: Sequence[Period]):
    """One query: visits, enterprises visited and enterprises assigned per period.

    Each figure is a scalar subquery served by an index: visits by date, and "visited"
    as an EXISTS probe of (enterprise_id, visit_date) per enterprise, which stays cheap
    however many visits a month holds."""
    columns = []
    for p in periods:
        in_period = Visit.visit_date.between(p.start, p.end)
        visited = (select(Visit.id).where(Visit.enterprise_id == Enterprise.id, in_period)
                   .exists())
        columns += [
            select(func.count()).select_from(Visit).where(in_period).scalar_subquery(),
            select(func.count()).select_from(Enterprise).where(visited).scalar_subquery(),
            select(func.count(distinct(Assignment.enterprise_id)))
            .where(Assignment.role == "commissioner", Assignment.start_date <= p.end,
                   or_(Assignment.end_date.is_(None), Assignment.end_date >= p.start))
            .scalar_subquery(),
        ]
    row = db.session.execute(select(*columns)).one()
    return [VisitSummary(*(int(v or 0) for v in row[i * 3:i * 3 + 3]))
            for i in range(len(periods))]


def visits_summary(start: date, end: date) -> VisitSummary:
    """Visits in ``start``..``end``, distinct enterprises visited, and enterprises with a
    commissioner assignment active in the period (the coverage denominator; coverage
    itself is computed by ``crm.liaisons.coverage``)."""
    return _visit_rows([Period(start, end)])[0]


def month_visits(year: int, month: int) -> tuple[VisitSummary, VisitSummary]:
    """Visit figures of ``year``-``month`` and of the month before (one query)."""
    period = Period.month(year, month)
    current, previous = _visit_rows([period, period.previous_month()])
    return current, previous


def period_visits(periods: Sequence[Period]) -> list[VisitSummary]:
    """Visit figures of each period, by visit date (one query)."""
    return _visit_rows(list(periods))


def overview_periods(year: int, month: int, now: datetime | None = None,
                     trend_months: int = 6) -> list[Period]:
    """The periods of the month's overview at ``now``, without repeats: the month (so
    far, while it runs), its comparison period (``MonthPeriods``) and the whole months
    before it for the trend, newest first — ``trend_months`` months in the trend with
    the current one."""
    mp = MonthPeriods.at(year, month, now or utcnow())
    periods = [mp.current, mp.comparison]
    month_period = mp.month
    for _ in range(max(1, trend_months - 1)):
        month_period = month_period.previous_month()
        periods.append(month_period)
    return list(dict.fromkeys(periods))


def month_figures(periods: Sequence[Period], now: datetime,
                  overrides: dict[date, bool] | None = None, with_red: bool = True
                  ) -> list[dict[Optional[int], Figures]]:
    """Figures by lead unit for ``periods[0]`` (and overdue now, ``with_red``), county
    totals of dispatched and resolved for the others: one query (the parts of
    ``month_overview``, which the overview caches apart)."""
    return _compute(periods, "unit", now, detail=1, overrides=overrides, with_red=with_red)


def join_history(current: dict[Optional[int], Figures],
                 history: list[dict[Optional[int], Figures]]) -> list[dict]:
    """The month's figures followed by the earlier periods' (``month_figures`` of
    ``periods[1:]`` without red), with "overdue now" — a snapshot, the same for every
    period — copied from the month as ``_compute`` does for all periods at once."""
    out = [current]
    for groups in history:
        groups = {k: replace(f) for k, f in groups.items()}
        for key, f in current.items():
            if f.overdue_now:
                target = groups.setdefault(key, Figures(key=key, label=f.label))
                target.overdue_now = f.overdue_now
        out.append(groups)
    return out


def assemble_overview(periods: Sequence[Period], groups: list[dict], now: datetime,
                      visits, trend_months: int = 6) -> MonthOverview:
    """``MonthOverview`` from the figures of ``periods`` (``overview_periods``: the
    month, its comparison period, the earlier whole months)."""
    mp = MonthPeriods.at(periods[0].start.year, periods[0].start.month, now)
    totals = []
    for by_key in groups:
        total = Figures()
        for f in by_key.values():
            total = total + f
        totals.append(total)
    by_unit = sorted(
        (f for f in groups[0].values() if not f.is_empty),
        key=lambda f: (f.key is None, f.label or "", f.key or 0),
    )
    index = {p: i for i, p in enumerate(periods)}
    months, month_period = [mp.current], mp.month
    while len(months) < trend_months:
        month_period = month_period.previous_month()
        if month_period not in index:
            break
        months.append(month_period)
    trend = [TrendPoint(p, totals[index[p]].dispatched, totals[index[p]].resolved)
             for p in reversed(months)]
    return MonthOverview(period=periods[0], previous_period=periods[1], now=now,
                         current=totals[0], previous=totals[1], visits=visits[0],
                         previous_visits=visits[1], by_unit=by_unit, trend=trend,
                         month=mp.month, running=mp.running)


def month_overview(year: int, month: int, now: datetime | None = None,
                   trend_months: int = 6, overrides: dict[date, bool] | None = None,
                   with_visits: bool = True) -> MonthOverview:
    """The month at a glance for ``year``-``month`` against its comparison period
    (the month before, or while the month runs the same days of it), with the figures
    by lead unit and a ``trend_months`` month trend (oldest first, the current month so
    far last).

    Three queries whatever the data size (one more without ``overrides``, one fewer
    ``with_visits=False``, which leaves the visit figures empty)."""
    now = now or utcnow()
    periods = overview_periods(year, month, now, trend_months)
    groups = _compute(periods, "unit", now, detail=2, overrides=overrides)
    visits = (period_visits(periods[:2]) if with_visits
              else (VisitSummary(), VisitSummary()))
    return assemble_overview(periods, groups, now, visits, trend_months)
