"""Closed days' figures from the rollup, the running month's counted live, in one
statement: the overview's figures (``overview_figures``) and the rows the rollup
holds (``month_rows``, written by ``crm.meetings.rollups``).

What is rolled up, and why per day
----------------------------------
A closed month's figures are written once, at month end, as one ``RollupRow`` per
local day, figure and lead unit: raised, dispatched, resolved (with on time, working
days from dispatch, after a reopening), rated (satisfied, by the enterprise itself) and
supervised — counters that add up over days — and, on the month's last day, the
pending count at the month's end. The county's visit figures are rolled up per day too:
visits, enterprises visited, enterprises assigned.

Per day, because a running month is compared with 上月同期: last month from its first
day up to the same day and minute (``MonthPeriods``). Its whole days 1 … D−1 are sums
of rollup rows; day D itself, cut at the minute, is counted live — one day of problems,
served by the timestamp indexes. The pending count at that minute is a state at an
instant, not a sum of days: the rollup holds it at the end of every day
(``DAY_END_PENDING``), and the comparison reads the end of day D−1 plus the day's change
up to the minute, counted over the problems dispatched, resolved or closed since
midnight (``_pending_delta``). Visits go by visit date, so the comparison's visit
figures are the rollup rows of days 1 … D. A distinct count becomes a sum over days by
counting each problem or enterprise once, on its first day in the month: supervised on
the day of its first 督办 of the month, visited on the day of its first visit of the
month, assigned on the first day of the month on which one of its commissioner
assignments is active. Any first stretch of days 1 … k of a month therefore sums to the
distinct count of that stretch — the only stretches the overview asks for.

The rows are exactly the live conditions (``crm.issues.problem_sets``, the ones the
problem list filters by) grouped by local day, so a rolled-up figure still opens a
list of exactly the problems it counts, and a test holds the rollup equal to the live
count.

A month whose rollup is missing or stale is counted live in the same statement: each
rollup arm is guarded by "the month is fresh", each live arm by "it is not" (an
uncorrelated EXISTS, evaluated once per statement), so the overview is right before
the worker has caught up, with the same number of statements either way.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Optional, Sequence

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    String,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from crm.auth.models import Unit
from crm.core.timeutil import local_midnight_utc, to_local
from crm.enterprises.models import Assignment, Enterprise
from crm.extensions import db
from crm.issues import problem_sets as sets
from crm.issues.models import OPEN_STATES, Issue, IssueEvent, WorkdayOverride
from crm.liaisons.models import Visit, VisitFlag
from crm.meetings.metrics.figures import Figures, Period, VisitSummary
from crm.meetings.metrics.queries import (
    CALENDAR_YEARS,
    _COUNTERS,
    _VALUES,
    _branch,
    _count,
    _kind,
    _local_date,
    _working_days_sql,
    calendar_exceptions,
)
from crm.meetings.models import RollupMonth, RollupRow

PROBLEM_KINDS = ("raised", "dispatched", "resolved", "rated", "supervised", "pending")
# The pending count at the end of each day (a state, not summed over days): the
# comparison's pending count at a minute of day D is this row of day D−1 plus the
# change in the day so far (``_pending_delta``).
DAY_END_PENDING = "pending_eod"
# The county's dispatched and resolved counts of the whole month, on its last day (the
# trend reads two rows a month instead of summing every unit's days).
MONTH_TOTALS = {"month_disp": "dispatched", "month_res": "resolved"}
VISIT_KINDS = ("visits", "visited", "assigned")


def _zeros(n: int) -> list:
    return [literal(0)] * n


def _no_key():
    return cast(null(), Integer)


# -- the live counts ---------------------------------------------------------------
_DAYS: dict = {}


def _days(exceptions):
    """SQL: working days from dispatch to resolution — one expression object per
    calendar, shared by the statement's arms (it holds a branch per holiday and make-up
    day of five years, the costly part of building the statement)."""
    key = (db.session.get_bind().dialect.name, tuple(exceptions))  # SQL differs by dialect
    expr = _DAYS.get(key)
    if expr is None:
        dispatched = Issue.dispatched_at.is_not(None)
        expr = case((dispatched, _working_days_sql(Issue.dispatched_at, Issue.resolved_at,
                                                   exceptions)), else_=0)
        _DAYS.clear()  # one calendar at a time: it changes once a day at most
        _DAYS[key] = expr
    return expr


def _live_problems(start: datetime, end: datetime, exceptions, *, index=None, day=False,
                   month_start: datetime | None = None) -> list:
    """Arms by lead unit counting the problems of ``[start, end)``: rows (key, period,
    kind, a … e), the period being the constant ``index`` or, ``day=True``, the local
    day of the figure's instant (the rollup's rows). Supervised counts the problems
    whose first 督办 since ``month_start`` falls in the range."""
    issues = select().select_from(Issue)
    dispatched = Issue.dispatched_at.is_not(None)
    days = _days(exceptions)

    def arm(base, kind, column, *values):
        bucket = _local_date(column) if day else None
        return _branch(base, "unit", _kind(kind), bucket, *values, index=index)

    arms = [
        arm(issues, "raised", Issue.raised_at, func.count()).where(sets.raised_in(start, end)),
        arm(issues, "dispatched", Issue.dispatched_at, func.count())
        .where(sets.dispatched_in(start, end)),
        arm(issues, "resolved", Issue.resolved_at, func.count(), _count(sets.on_time()),
            func.sum(days), _count(dispatched), _count(sets.ever_reopened()))
        .where(sets.resolved_in(start, end)),
        arm(issues, "rated", Issue.rated_at, func.count(),
            _count(sets.rating_at_least(sets.SATISFIED)), _count(sets.rated_by("self")))
        .where(sets.rated_in(start, end)),
    ]
    # Each problem once, on its first 督办 in the month (from ``month_start``).
    month_start = month_start or start
    first = (select(IssueEvent.issue_id.label("issue_id"), func.min(IssueEvent.at).label("at"))
             .where(IssueEvent.action == "supervise", IssueEvent.at >= month_start,
                    IssueEvent.at < end)
             .group_by(IssueEvent.issue_id).subquery())
    supervised = select().select_from(first).join(Issue, Issue.id == first.c.issue_id)
    arms.append(arm(supervised, "supervised", first.c.at, func.count())
                .where(first.c.at >= start))
    return arms


def _live_pending(at: datetime, index) -> list:
    """Pending at the instant ``at`` by lead unit (three arms that never overlap)."""
    issues = select().select_from(Issue)
    return [_branch(issues, "unit", _kind("pending"), None, func.count(), index=index)
            .where(part) for part in sets.pending_parts(at)]


def _live_visits(start: date, end: date, index: int):
    """One row (None, index, "visit_sum", visits, visited, assigned): the visit figures
    of the dates ``start``..``end`` (``queries.visits_summary``)."""
    in_period = Visit.visit_date.between(start, end)
    visited = select(Visit.id).where(Visit.enterprise_id == Enterprise.id, in_period).exists()
    return select(
        _no_key(), literal(index), _kind("visit_sum"),
        select(func.count()).select_from(Visit).where(in_period).scalar_subquery(),
        select(func.count()).select_from(Enterprise).where(visited).scalar_subquery(),
        select(func.count(distinct(Assignment.enterprise_id)))
        .where(Assignment.role == "commissioner", Assignment.start_date <= end,
               or_(Assignment.end_date.is_(None), Assignment.end_date >= start))
        .scalar_subquery(),
        *_zeros(_VALUES - 3))


def _visit_days(month: Period) -> list:
    """The rollup's visit rows of a month: (None, day, kind, a, 0 …) — visits on the
    day, enterprises first visited in the month that day, enterprises first assigned in
    the month that day."""
    in_month = Visit.visit_date.between(month.start, month.end)
    visits = (select(_no_key(), Visit.visit_date, _kind("visits"), func.count(),
                     *_zeros(_VALUES - 1))
              .where(in_month).group_by(Visit.visit_date))
    first = (select(Visit.enterprise_id, func.min(Visit.visit_date).label("day"))
             .where(in_month).group_by(Visit.enterprise_id).subquery())
    visited = (select(_no_key(), first.c.day, _kind("visited"), func.count(),
                      *_zeros(_VALUES - 1)).group_by(first.c.day))
    began = (select(Assignment.enterprise_id, func.min(Assignment.start_date).label("day"))
             .where(Assignment.role == "commissioner", Assignment.start_date <= month.end,
                    or_(Assignment.end_date.is_(None), Assignment.end_date >= month.start))
             .group_by(Assignment.enterprise_id).subquery())
    on = case((began.c.day < month.start, literal(month.start, Date)), else_=began.c.day)
    assigned = (select(_no_key(), on, _kind("assigned"), func.count(), *_zeros(_VALUES - 1))
                .group_by(on))
    return [visits, visited, assigned]


# -- the rollup's rows ---------------------------------------------------------------
def month_rows(month: Period, exceptions):
    """The rollup rows of the closed calendar month ``month`` as one SELECT of (key, day,
    kind, a, b, c, d, e): the problem figures by lead unit and local day, the pending
    count at the month's end on its last day, and the county's visit figures per day."""
    arms = _live_problems(month.start_utc, month.end_utc, exceptions, day=True)
    issues = select().select_from(Issue)
    last = literal(month.end, Date)
    for part in sets.pending_parts(month.end_utc):
        stmt, key = issues, Issue.lead_unit_id + 0
        arms.append(stmt.add_columns(key, last, _kind("pending"), func.count(),
                                     *_zeros(_VALUES - 1)).where(part).group_by(key))
    arms += _day_end_pending(month)
    for kind, cond in (("month_disp", sets.dispatched_in(month.start_utc, month.end_utc)),
                       ("month_res", sets.resolved_in(month.start_utc, month.end_utc))):
        arms.append(select(_no_key(), last, _kind(kind), func.count(), *_zeros(_VALUES - 1))
                    .select_from(Issue).where(cond))
    arms += _visit_days(month)
    return union_all(*arms)


def _day_end_pending(month: Period) -> list:
    """The pending count by lead unit at the end of each day of ``month`` (kind
    ``DAY_END_PENDING``): ``sets.pending_parts`` at each day's end, over the month's
    days as a small table of (day, the instant it ends). Each part is first narrowed
    to the problems that can be pending in the month (served by the state and
    timestamp indexes)."""
    days, day = [], month.start
    while day <= month.end:
        end = local_midnight_utc(day + timedelta(days=1))
        days.append(select(literal(day, Date).label("day"), literal(end, DateTime).label("at")))
        day += timedelta(days=1)
    table = union_all(*days).subquery("days")
    in_month = (Issue.dispatched_at < month.end_utc,
                or_(Issue.resolved_at.is_(None), Issue.resolved_at >= month.start_utc))
    narrow = (Issue.state.in_([literal(s, literal_execute=True) for s in OPEN_STATES]),
              Issue.state == literal("resolved", literal_execute=True),
              and_(Issue.state == literal("closed", literal_execute=True),
                   Issue.closed_at >= month.start_utc))
    parts = union_all(*(
        select(Issue.lead_unit_id.label("key"), table.c.day.label("day"))
        .select_from(table).join(Issue, and_(part, *in_month, first))
        for part, first in zip(sets.pending_parts(table.c.at), narrow))).subquery("parts")
    return [select(parts.c.key, parts.c.day, _kind(DAY_END_PENDING), func.count(),
                   *_zeros(_VALUES - 1)).group_by(parts.c.key, parts.c.day)]


ROW_COLUMNS = ["key", "day", "kind", "a", "b", "c", "d", "e"]


# -- the overview's statement ----------------------------------------------------------
def _fresh(month_start: date):
    return exists().where(RollupMonth.month == month_start, RollupMonth.stale_at.is_(None))


def _guards(month_start: date, fresh_months):
    """(the rollup arms' condition, the live arms'): with ``fresh_months`` read
    beforehand (``overrides_and_fresh``), True/False decided here — the statement then
    carries only the arms that count (None: leave them out); without, the SQL guards
    "the month is fresh" and "it is not"."""
    if fresh_months is None:
        fresh = _fresh(month_start)
        return fresh, ~fresh
    if month_start in fresh_months:
        return True, None
    return None, True


def _guarded(arms, guard) -> list:
    if guard is None:
        return []
    if guard is True:
        return list(arms)
    return [a.where(guard) for a in arms]


def overrides_and_fresh() -> tuple[dict[date, bool], set[date]]:
    """Every workday override {day: is_workday} and the rollup months that are fresh,
    in one statement (the overview reads them before its figures)."""
    rows = db.session.execute(union_all(
        select(WorkdayOverride.day, WorkdayOverride.is_workday, literal("o")),
        select(RollupMonth.month, RollupMonth.stale_at.is_(None), literal("m")))).all()
    overrides = {day: bool(flag) for day, flag, kind in rows if kind == "o"}
    fresh = {month for month, flag, kind in rows if kind == "m" and flag}
    return overrides, fresh


def _pending_delta(start: datetime, at: datetime, index) -> list:
    """The change of the pending count by lead unit from the instant ``start`` to
    ``at``: pending at ``at`` less pending at ``start``, over the problems with a
    dispatch, a resolution or a closing in ``[start, at)`` — the only ones whose
    ``sets.pending_at`` can differ between the two instants (it compares just these
    three instants with the time; the state does not depend on it)."""
    touched = or_(sets.in_range(Issue.dispatched_at, start, at),
                  sets.in_range(Issue.resolved_at, start, at),
                  sets.in_range(Issue.closed_at, start, at))
    one = lambda cond: case((cond, 1), else_=0)  # noqa: E731
    change = func.sum(one(sets.pending_at(at)) - one(sets.pending_at(start)))
    return [_branch(select().select_from(Issue), "unit", _kind("pending"), None, change,
                    index=index).where(touched)]


def _day_end(index, day: date, fresh_months) -> list:
    """The pending count by unit at the end of ``day`` read from the rollup (kind
    ``pending`` for period ``index``)."""
    rolled, _live = _guards(day.replace(day=1), fresh_months)
    arm = (select(RollupRow.key, literal(index), literal("pending"), func.sum(RollupRow.a),
                  *_zeros(_VALUES - 1))
           .where(RollupRow.day == day, RollupRow.kind == DAY_END_PENDING)
           .group_by(RollupRow.key))
    return _guarded([arm], rolled)


def _sums(index, start: date, end: date, kinds, fresh, by_key: bool = True):
    """Rollup rows of the days ``start``..``end`` summed per kind (and key), under the
    condition ``fresh`` (None: none)."""
    key = RollupRow.key if by_key else _no_key()
    groups = [RollupRow.kind, RollupRow.key] if by_key else [RollupRow.kind]
    stmt = (select(key, literal(index), RollupRow.kind, func.sum(RollupRow.a),
                   func.sum(RollupRow.b), func.sum(RollupRow.c), func.sum(RollupRow.d),
                   func.sum(RollupRow.e))
            .where(RollupRow.day.between(start, end), RollupRow.kind.in_(kinds))
            .group_by(*groups))
    return stmt if fresh is None else stmt.where(fresh)


def _closed_problems(index, month: Period, last_day: date, exceptions,
                     fresh_months=None) -> list:
    """A closed month's problem figures by unit from its first day to ``last_day``:
    rollup rows when fresh, else counted live (with the pending count at the month's
    end when ``last_day`` is its last day)."""
    if last_day < month.start:
        return []
    rolled, live_guard = _guards(month.start, fresh_months)
    arms = _guarded([_sums(index, month.start, last_day, PROBLEM_KINDS, None)], rolled)
    if live_guard is None:
        return arms
    live = _live_problems(month.start_utc, local_midnight_utc(last_day + timedelta(days=1)),
                          exceptions, index=index)
    if last_day == month.end:
        live += _live_pending(month.end_utc, index)
    return arms + _guarded(live, live_guard)


def _closed_visits(index, month: Period, last_day: date) -> list:
    fresh = _fresh(month.start)
    return [_sums(index, month.start, last_day, VISIT_KINDS, fresh, by_key=False),
            _live_visits(month.start, last_day, index).where(~fresh)]


def _trend(index, month: Period, fresh_months=None) -> list:
    """A whole closed month's county totals of dispatched and resolved (the trend)."""
    rolled, live_guard = _guards(month.start, fresh_months)
    kind = case(*((RollupRow.kind == k, literal(v)) for k, v in MONTH_TOTALS.items()))
    arms = _guarded([select(_no_key(), literal(index), kind, func.sum(RollupRow.a),
                            *_zeros(_VALUES - 1))
                     .where(RollupRow.day == month.end, RollupRow.kind.in_(MONTH_TOTALS))
                     .group_by(RollupRow.kind)], rolled)
    if live_guard is None:
        return arms
    live = []
    for kind, cond in (("dispatched", sets.dispatched_in(month.start_utc, month.end_utc)),
                       ("resolved", sets.resolved_in(month.start_utc, month.end_utc))):
        count = select(func.count()).select_from(Issue).where(cond).scalar_subquery()
        live.append(select(_no_key(), literal(index), _kind(kind), count,
                           *_zeros(_VALUES - 1)))
    return arms + _guarded(live, live_guard)


def _flags(period: Period, index: int):
    """Visits with each health flag by the enterprise's town (``health_flags``)."""
    kind = (literal("flag:", String) + VisitFlag.flag)
    return (select(Enterprise.town_id, literal(index), kind, func.count(VisitFlag.visit_id),
                   *_zeros(_VALUES - 1))
            .join(Visit, Visit.id == VisitFlag.visit_id)
            .join(Enterprise, Enterprise.id == Visit.enterprise_id)
            .where(Visit.visit_date.between(period.start, period.end))
            .group_by(VisitFlag.flag, Enterprise.town_id))


def _is_whole_month(period: Period) -> bool:
    return period.until is None and period.month_key is not None


def _running(periods: Sequence[Period], now: datetime) -> bool:
    """Whether the overview's month is counted live: it runs at ``now`` (or is not a
    whole month)."""
    running_month = to_local(now).date().replace(day=1)
    return periods[0].start >= running_month or not _is_whole_month(periods[0])


def problem_arms(periods: Sequence[Period], now: datetime, exceptions,
                 with_red: bool = True, fresh_months=None) -> list:
    """The arms of the overview's problem statement for ``periods`` (``overview_periods``:
    the month or its days so far, the comparison period, the trend's whole months), with
    red now (``with_red``) and the units' names. ``fresh_months``: the rollup months
    known fresh (read beforehand), else each month's freshness is tested in SQL."""
    current, comparison = periods[0], periods[1]
    arms = []
    # The month: live while it runs, else its rollup.
    if _running(periods, now):
        arms += _live_problems(current.start_utc, current.end_utc, exceptions, index=0)
        arms += _live_pending(current.end_utc, 0)
    else:
        arms += _closed_problems(0, current, current.end, exceptions, fresh_months)
    # The comparison: whole rolled-up days, then the last day up to the minute live.
    month = Period.month(comparison.start.year, comparison.start.month)
    if _is_whole_month(comparison):
        arms += _closed_problems(1, month, month.end, exceptions, fresh_months)
    else:
        cut = local_midnight_utc(comparison.end)
        before = comparison.end - timedelta(days=1)
        arms += _closed_problems(1, month, before, exceptions, fresh_months)
        arms += _live_problems(cut, comparison.end_utc, exceptions, index=1,
                               month_start=month.start_utc)
        # Pending at the minute: the rolled-up end of the day before plus the day's
        # change so far, when that day's rollup is known fresh; else counted live.
        if fresh_months is not None and before >= month.start and month.start in fresh_months:
            arms += _day_end(1, before, fresh_months) + _pending_delta(cut, comparison.end_utc, 1)
        else:
            arms += _live_pending(comparison.end_utc, 1)
    for i, p in enumerate(periods[2:], start=2):
        arms += _trend(i, p, fresh_months)
    if with_red:
        arms.append(_branch(select().select_from(Issue), "unit", _kind("red"), None,
                            func.count()).where(sets.overdue_now(now)))
    labelled = [a.add_columns(cast(null(), String)) for a in arms]
    labelled.append(select(Unit.id, _no_key(), _kind("name"), *_zeros(_VALUES), Unit.name))
    return labelled


def visit_arms(periods: Sequence[Period], now: datetime) -> list:
    """The arms of the overview's visit statement: the month's visit figures (live while
    it runs), the comparison period's (whole days of its rollup) and the month's health
    flags by town."""
    current, comparison = periods[0], periods[1]
    if _running(periods, now):
        arms = [_live_visits(current.start, current.end, 0)]
    else:
        arms = _closed_visits(0, current, current.end)
    month = Period.month(comparison.start.year, comparison.start.month)
    arms += _closed_visits(1, month, comparison.end)
    arms.append(_flags(current, 0))
    return arms


def read_figures(rows, periods: Sequence[Period]):
    """Figures per lead unit for each period, the visit figures of the first two,
    the health-flag counts {(flag, town): visits} and the unit names, from the rows of
    ``overview_arms`` (labels set as ``queries._compute`` sets them)."""
    groups: list[dict[Optional[int], Figures]] = [{} for _ in periods]
    visits = [VisitSummary(), VisitSummary()]
    flags: dict[tuple[str, Optional[int]], int] = {}
    names: dict[int, str] = {}

    def fig(i: int, key) -> Figures:
        return groups[i].setdefault(key, Figures(key=key))

    for key, i, kind, a, b, c, d, e, label in rows:
        values = [int(v or 0) for v in (a, b, c, d, e)]
        if kind == "name":
            names[key] = label
        elif kind == "red":
            for j in range(len(periods)):
                fig(j, key).overdue_now = values[0]
        elif kind.startswith("flag:"):
            flags[(kind[5:], key)] = values[0]
        elif kind == "visit_sum":
            v = visits[i]
            v.visits, v.enterprises_visited, v.enterprises_assigned = (
                v.visits + values[0], v.enterprises_visited + values[1],
                v.enterprises_assigned + values[2])
        elif kind in VISIT_KINDS:
            attr = {"visits": "visits", "visited": "enterprises_visited",
                    "assigned": "enterprises_assigned"}[kind]
            setattr(visits[i], attr, getattr(visits[i], attr) + values[0])
        else:
            f = fig(i, key)
            for name, value in zip(_COUNTERS[kind], values):
                setattr(f, name, getattr(f, name) + value)
    for by_key in groups:
        for key, f in by_key.items():
            f.label = names.get(key) if key is not None else None
    return groups, visits, flags, names


def problem_figures(periods: Sequence[Period], now: datetime, overrides: dict[date, bool],
                    red_units=None, fresh_months=None):
    """(figures per lead unit for each period, the units' names) from the overview's
    problem statement (the working-day calendar as ``queries.month_overview`` takes it;
    ``fresh_months`` from ``overrides_and_fresh``, else tested in the statement).
    Given the red list (``lists.problem_lists``), "overdue now" is each unit's count on it
    (the same set, ``Issue.red_expr``) rather than counted again."""
    end = max(p.end for p in periods[:2])
    exceptions = calendar_exceptions(end - timedelta(days=366 * CALENDAR_YEARS), end,
                                     overrides)
    arms = problem_arms(periods, now, exceptions, with_red=red_units is None,
                        fresh_months=fresh_months)
    rows = db.session.execute(union_all(*arms)).all()
    if red_units is not None:
        rows += [(u.key, None, "red", u.count, 0, 0, 0, 0, None) for u in red_units]
    groups, _visits, _flags, names = read_figures(rows, periods)
    return groups, names


def visit_figures(periods: Sequence[Period], now: datetime):
    """(the visit figures of the month and of its comparison period, the month's health
    flags {(flag, town id): visits}) from the overview's visit statement."""
    rows = db.session.execute(union_all(*visit_arms(periods, now))).all()
    _groups, visits, flags, _names = read_figures(
        [(*row, None) for row in rows], periods)
    return tuple(visits), flags
