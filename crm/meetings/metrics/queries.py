"""The aggregate queries behind the figures: a fixed number per call, whatever the
data size (see ``crm.meetings.metrics`` for the definitions)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional, Sequence

from sqlalchemy import Date, and_, case, cast, distinct, func, null, or_, select
from sqlalchemy.orm import aliased

from crm.core.timeutil import LOCAL_TZ, utcnow
from crm.extensions import db
from crm.issues.deadlines import overrides_between
from crm.issues.models import CLOCK_STATES, Issue, IssueEvent
from crm.meetings.metrics.figures import (
    Figures,
    MonthOverview,
    Period,
    TrendPoint,
    VisitSummary,
    WorkdayIndex,
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
    return stmt, column


def _aggregate(base, grouping: str, columns: list, *group_extra):
    """``base`` grouped by the grouping's key (first column) and ``group_extra``."""
    stmt, key = _grouped(base, grouping)
    keys = ([key] if key is not None else []) + list(group_extra)
    stmt = stmt.add_columns(key if key is not None else null(), *group_extra, *columns)
    return stmt.group_by(*keys) if keys else stmt


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


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


# -- the queries ----------------------------------------------------------------
_COUNT_NAMES = ("raised", "resolved", "raised_resolved", "on_time", "rated", "satisfied",
                "rated_self")


def _count_rows(periods: Sequence[Period], grouping: str, now: datetime):
    """One query: per key, the counters of ``_COUNT_NAMES`` for every period, then the
    red count now."""
    span = _span(periods)
    red = Issue.light_expr(now) == "red"
    columns = []
    for p in periods:
        in_raised, in_resolved = p.covers(Issue.raised_at), p.covers(Issue.resolved_at)
        rated = and_(p.covers(Issue.rated_at), Issue.rating.is_not(None))
        columns += [
            _count(in_raised),
            _count(in_resolved),
            _count(and_(in_raised, Issue.state.in_(RESOLVED_STATES),
                        Issue.resolved_at < p.end_utc)),
            _count(and_(in_resolved, Issue.resolved_on_time.is_(True))),
            _count(rated),
            _count(and_(rated, Issue.rating >= 4)),
            _count(and_(rated, Issue.rating_channel == "self")),
        ]
    columns.append(_count(red))
    stmt = _aggregate(select().select_from(Issue), grouping, columns).where(or_(
        span.covers(Issue.raised_at), span.covers(Issue.resolved_at),
        span.covers(Issue.rated_at),
        # Spelled out beside ``red`` so that the (state, due_at) index can serve it.
        and_(Issue.state.in_(CLOCK_STATES), Issue.due_at < now, red),
    ))
    return db.session.execute(stmt).all()


def _day_rows(periods: Sequence[Period], grouping: str):
    """One query: (key, period, dispatch date, resolve date, how many) for the
    problems resolved in the periods; grouping by local dates keeps it short."""
    span = _span(periods)
    stmt = _aggregate(
        select().select_from(Issue), grouping, [func.count()],
        _bucket(Issue.resolved_at, periods), _local_date(Issue.dispatched_at),
        _local_date(Issue.resolved_at),
    ).where(span.covers(Issue.resolved_at), Issue.dispatched_at.is_not(None))
    return db.session.execute(stmt).all()


def _event_rows(periods: Sequence[Period], grouping: str):
    """One query: (key, period, kind, distinct problems) for reopen and supervise
    events in the periods."""
    span = _span(periods)
    kind = case((IssueEvent.action == "supervise", "supervised"), else_="reopened")
    base = select().select_from(IssueEvent).join(Issue, Issue.id == IssueEvent.issue_id)
    stmt = _aggregate(
        base, grouping, [func.count(distinct(IssueEvent.issue_id))],
        _bucket(IssueEvent.at, periods), kind,
    ).where(
        span.covers(IssueEvent.at),
        or_(IssueEvent.action.in_(("reopen", "supervise")), IssueEvent.to_state == "reopened"),
    )
    return db.session.execute(stmt).all()


def all_overrides() -> dict[date, bool]:
    """Every WorkdayOverride row (a few dozen a year), in one query."""
    return overrides_between(date(1900, 1, 1), date(2999, 12, 31))


def _compute(periods: Sequence[Period], grouping: str, now: datetime,
             detail: int | None = None, overrides: dict[date, bool] | None = None
             ) -> list[dict[Optional[int], Figures]]:
    """Figures per group for each period. Days and events (two more queries) are
    computed for the first ``detail`` periods only (all by default)."""
    detailed = list(periods[:detail] if detail is not None else periods)
    result: list[dict[Optional[int], Figures]] = [{} for _ in periods]

    def fig(i: int, key) -> Figures:
        return result[i].setdefault(key, Figures(key=key))

    width = len(_COUNT_NAMES)
    for key, *values in _count_rows(periods, grouping, now):
        red = int(values[-1] or 0)
        for i in range(len(periods)):
            chunk = values[i * width:(i + 1) * width]
            if any(chunk) or red:
                f = fig(i, key)
                for name, value in zip(_COUNT_NAMES, chunk):
                    setattr(f, name, int(value or 0))
                f.overdue_now = red  # a snapshot at ``now``, the same for every period

    if detailed:
        day_rows = _day_rows(detailed, grouping)
        if day_rows:
            dates = [_as_date(d) for r in day_rows for d in (r[2], r[3])]
            if overrides is None:
                overrides = overrides_between(min(dates), max(dates))
            index = WorkdayIndex(min(dates), max(dates), overrides)
            for key, i, d_from, d_to, n in day_rows:
                if i is None:  # between two periods that do not touch
                    continue
                f = fig(i, key)
                f.days_total += index.between(_as_date(d_from), _as_date(d_to)) * n
                f.days_count += n
        for key, i, kind, n in _event_rows(detailed, grouping):
            if i is not None:
                setattr(fig(i, key), kind, int(n))

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
    """One query: visits, enterprises visited and enterprises assigned per period."""
    from crm.liaisons.models import Assignment, Visit

    span = _span(periods)
    columns = []
    for p in periods:
        inside = Visit.visit_date.between(p.start, p.end)
        assigned = (
            select(func.count(distinct(Assignment.enterprise_id)))
            .where(Assignment.role == "commissioner", Assignment.start_date <= p.end,
                   or_(Assignment.end_date.is_(None), Assignment.end_date >= p.start))
            .scalar_subquery()
        )
        columns += [func.sum(case((inside, 1), else_=0)),
                    func.count(distinct(case((inside, Visit.enterprise_id), else_=None))),
                    assigned]
    row = db.session.execute(
        select(*columns).select_from(Visit).where(Visit.visit_date.between(span.start, span.end))
    ).one()
    return [VisitSummary(*(int(v or 0) for v in row[i * 3:i * 3 + 3]))
            for i in range(len(periods))]


def visits_summary(start: date, end: date) -> VisitSummary:
    """Visits in ``start``..``end``, distinct enterprises visited, and enterprises with a
    commissioner assignment active in the period (the coverage denominator; coverage
    itself is computed by ``crm.liaisons.coverage``)."""
    return _visit_rows([Period(start, end)])[0]


def month_overview(year: int, month: int, now: datetime | None = None,
                   trend_months: int = 6,
                   overrides: dict[date, bool] | None = None) -> MonthOverview:
    """The month at a glance for ``year``-``month`` against the month before, with the
    figures by lead unit and a ``trend_months`` month-over-month trend (oldest first).

    Five queries whatever the data size (six without ``overrides``)."""
    now = now or utcnow()
    period = Period.month(year, month)
    periods = [period]
    while len(periods) < max(2, trend_months):
        periods.append(periods[-1].previous_month())
    groups = _compute(periods, "unit", now, detail=2, overrides=overrides)
    totals = []
    for by_key in groups:
        total = Figures()
        for f in by_key.values():
            total = total + f
        totals.append(total)
    visits = _visit_rows(periods[:2])
    by_unit = sorted(
        (f for f in groups[0].values() if not f.is_empty),
        key=lambda f: (f.key is None, f.label or "", f.key or 0),
    )
    trend = [TrendPoint(p, t.raised, t.resolved)
             for p, t in zip(periods[:trend_months], totals[:trend_months])][::-1]
    return MonthOverview(period=period, previous_period=periods[1], now=now,
                         current=totals[0], previous=totals[1], visits=visits[0],
                         previous_visits=visits[1], by_unit=by_unit, trend=trend)
