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

from crm.core.timeutil import LOCAL_TZ, local_midnight_utc, utcnow
from crm.extensions import db
from crm.issues.deadlines import overrides_between
from crm.issues.models import Issue, IssueEvent
from crm.meetings.metrics.figures import (
    Figures,
    MonthOverview,
    Period,
    TrendPoint,
    VisitSummary,
    is_workday,
)

GROUPINGS = ("county", "unit", "leader", "commissioner", "category")
RESOLVED_STATES = ("resolved", "closed")
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
        from crm.liaisons.models import Assignment

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
    from crm.auth.models import Unit, User
    from crm.issues.models import Category

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
def _branch(base, grouping: str | None, kind, bucket, *values, extra_group=()):
    """One arm of the counters' UNION: (key, period, kind, a, b, c, d); the county
    (``grouping`` None or "county") has no key."""
    stmt, key = _grouped(base, grouping or "county")
    values = list(values) + [literal(0)] * (4 - len(values))
    groups = [g for g in (key, bucket, *extra_group) if g is not None]
    stmt = stmt.add_columns(
        key if key is not None else null(), bucket if bucket is not None else null(),
        kind, *values,
    )
    return stmt.group_by(*groups) if groups else stmt


def _kind(name: str):
    return literal(name, String)


def _counter_rows(periods: Sequence[Period], detail: int, grouping: str, now: datetime,
                  exceptions: list[tuple[date, int]], with_red: bool = True):
    """One round trip (UNION ALL of arms, each served by its own index). For the first
    ``detail`` periods, per key: raised (and resolved by the period's end), resolved
    (on time; working days from dispatch), ratings, reopened, supervised. For the
    other periods, county totals of raised and resolved (the trend). And red now.
    Rows are (key, period, kind, a, b, c, d)."""
    detailed, trend = list(periods[:detail]), list(periods[detail:])
    dspan = _span(detailed)
    issues = select().select_from(Issue)
    raised_done = case(*[
        (and_(p.covers(Issue.raised_at), Issue.state.in_(RESOLVED_STATES),
              Issue.resolved_at < p.end_utc), 1) for p in detailed], else_=0)
    dispatched = Issue.dispatched_at.is_not(None)
    days = case((dispatched, _working_days_sql(Issue.dispatched_at, Issue.resolved_at,
                                               exceptions)), else_=0)
    event_kind = case((IssueEvent.action == "supervise", "supervised"), else_="reopened")
    arms = [
        _branch(issues, grouping, _kind("raised"), _bucket(Issue.raised_at, detailed),
                func.count(), func.sum(raised_done))
        .where(dspan.covers(Issue.raised_at)),
        _branch(issues, grouping, _kind("resolved"), _bucket(Issue.resolved_at, detailed),
                func.count(), _count(Issue.resolved_on_time.is_(True)), func.sum(days),
                _count(dispatched))
        .where(dspan.covers(Issue.resolved_at)),
        _branch(issues, grouping, _kind("rated"), _bucket(Issue.rated_at, detailed),
                func.count(), _count(Issue.rating >= 4), _count(Issue.rating_channel == "self"))
        .where(dspan.covers(Issue.rated_at), Issue.rating.is_not(None)),
        _branch(select().select_from(IssueEvent).join(Issue, Issue.id == IssueEvent.issue_id),
                grouping, event_kind, _bucket(IssueEvent.at, detailed),
                func.count(distinct(IssueEvent.issue_id)), extra_group=(event_kind,))
        # Supervised, or reopened by a coordinator or a low rating: each side of the OR
        # has its index — (action, at), and the partial index of reopening events, which
        # SQLite only uses when 'reopened' is written into the SQL.
        .where(dspan.covers(IssueEvent.at),
               or_(IssueEvent.action.in_(("reopen", "supervise")),
                   IssueEvent.to_state == literal("reopened", literal_execute=True))),
    ]
    if with_red:
        # ``red_expr`` is the red light written for the partial index of running clocks.
        arms.append(_branch(issues, grouping, _kind("red"), None, func.count())
                    .where(Issue.red_expr(now)))
    # County totals only, one range count per month and figure: each is answered by
    # its timestamp index alone, without a CASE per problem.
    offset = len(detailed)
    for i, p in enumerate(trend):
        for kind, column in (("raised", Issue.raised_at), ("resolved", Issue.resolved_at)):
            count = (select(func.count()).select_from(Issue).where(p.covers(column))
                     .scalar_subquery())
            arms.append(select(null(), literal(offset + i), _kind(kind), count, literal(0),
                               literal(0), literal(0)))
    return db.session.execute(union_all(*arms)).all()


# kind → the Figures counters its a, b, c, d columns fill.
_COUNTERS = {
    "raised": ("raised", "raised_resolved"),
    "resolved": ("resolved", "on_time", "days_total", "days_count"),
    "rated": ("rated", "satisfied", "rated_self"),
    "reopened": ("reopened",),
    "supervised": ("supervised",),
}


def all_overrides() -> dict[date, bool]:
    """Every WorkdayOverride row (a few dozen a year), in one query."""
    return overrides_between(date(1900, 1, 1), date(2999, 12, 31))


def _compute(periods: Sequence[Period], grouping: str, now: datetime,
             detail: int | None = None, overrides: dict[date, bool] | None = None,
             with_red: bool = True) -> list[dict[Optional[int], Figures]]:
    """Figures per group for each period, in two queries (three without
    ``overrides``). Past the first ``detail`` periods (all by default) only the county's
    raised and resolved counts are computed, under the key ``None``."""
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
                setattr(f, name, int(value or 0))

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
    from crm.enterprises.models import Enterprise
    from crm.liaisons.models import Assignment, Visit

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


def overview_periods(year: int, month: int, trend_months: int = 6) -> list[Period]:
    """The month, the month before and the older months of the trend, newest first."""
    periods = [Period.month(year, month)]
    while len(periods) < max(2, trend_months):
        periods.append(periods[-1].previous_month())
    return periods


def month_figures(periods: Sequence[Period], now: datetime,
                  overrides: dict[date, bool] | None = None, with_red: bool = True
                  ) -> list[dict[Optional[int], Figures]]:
    """Figures by lead unit for ``periods[0]`` (and overdue now, ``with_red``), county
    totals of raised and resolved for the others: one query (the parts of
    ``month_overview``, which the overview caches apart)."""
    return _compute(periods, "unit", now, detail=1, overrides=overrides, with_red=with_red)


def join_history(current: dict[Optional[int], Figures],
                 history: list[dict[Optional[int], Figures]]) -> list[dict]:
    """The month's figures followed by the earlier months' (``month_figures`` of
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
    """``MonthOverview`` from the figures of ``periods`` (newest first)."""
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
    trend = [TrendPoint(p, t.raised, t.resolved)
             for p, t in zip(periods[:trend_months], totals[:trend_months])][::-1]
    return MonthOverview(period=periods[0], previous_period=periods[1], now=now,
                         current=totals[0], previous=totals[1], visits=visits[0],
                         previous_visits=visits[1], by_unit=by_unit, trend=trend)


def month_overview(year: int, month: int, now: datetime | None = None,
                   trend_months: int = 6, overrides: dict[date, bool] | None = None,
                   with_visits: bool = True) -> MonthOverview:
    """The month at a glance for ``year``-``month`` against the month before, with the
    figures by lead unit and a ``trend_months`` month-over-month trend (oldest first).

    Three queries whatever the data size (one more without ``overrides``, one fewer
    ``with_visits=False``, which leaves the visit figures empty)."""
    now = now or utcnow()
    periods = overview_periods(year, month, trend_months)
    groups = _compute(periods, "unit", now, detail=2, overrides=overrides)
    visits = month_visits(year, month) if with_visits else (VisitSummary(), VisitSummary())
    return assemble_overview(periods, groups, now, visits, trend_months)
