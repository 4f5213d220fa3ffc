"""Figures for the coordinator's overview and the meeting packets.

One package so that the page and the PDF packets count the same way: both call
``snapshot`` / ``month_overview`` (or ``group_figures`` for other groupings) for the
same month and format rates with ``percent``. Every figure is an aggregate computed in
SQL, in a fixed number of queries whatever the data size; ``cached_snapshot`` adds a
small cache invalidated by writes (``crm.meetings.metrics.cache``).

Periods are local (Asia/Shanghai) dates, both ends inclusive; ``*_at`` columns are
naive UTC, so a period covers ``[local_midnight_utc(start), local_midnight_utc(end + 1))``,
or up to its ``until`` instant (the same days of last month, cut at a time of day).

Definitions (for a period P and a group; the text for readers is ``DEFINITIONS``, the
SQL is ``crm.issues.problem_sets``, which the problem list filters by too, so that each
figure links to exactly the problems it counts — ``links``):

- **raised**: problems with ``raised_at`` in P (dispatched or not).
- **dispatched** (本期受理): problems first dispatched in P (``dispatched_at``; a
  re-dispatch after a return keeps it).
- **resolved** (本期办结): problems whose latest resolution (``resolved_at``, cleared by
  a reopen) falls in P and which are still resolved or closed — whenever raised.
- **pending** (在办): problems dispatched before the end of P and neither resolved nor
  closed at its end (for a month still running: open now).
- **resolution rate** = resolved / (resolved + pending): the resolved count beside it
  is its numerator, so the two can never disagree.
- **on-time rate** = resolved on time (``resolved_on_time``) / resolved.
- **average working days**: for the problems resolved in P, working days from the
  local date of dispatch to the local date of resolution (holidays, make-up workdays
  and the admin's overrides honoured; pauses not deducted). Counted in SQL; calendar
  exceptions older than ``CALENDAR_YEARS`` (5) before the period are not looked at,
  which only matters for a problem open that long.
- **reopen rate** = resolved in P after at least one reopening / resolved.
- **satisfaction rate**: of the ratings given in P (``rated_at`` in P, the latest
  rating of each problem), the share ≥ 4; **self-rated share**: the share given by the
  enterprise itself (channel ``self``).
- **supervised**: distinct problems with a ``supervise`` event in P.
- **overdue now**: open problems whose light is red at ``now`` (``Issue.red_expr``); a
  snapshot, not a figure of P, so it has no change.
- **visits** (``VisitSummary``): visits with ``visit_date`` in P, distinct enterprises
  visited, and enterprises with a commissioner assignment active at some time in P.

A month still running is counted from its first day to today and compared with the
same days of the month before, up to the same time of day (``MonthPeriods``); a
finished month with the whole month before.

Groupings: ``county`` (one group), ``unit`` (lead unit), ``category``, ``leader``
(the enterprise's *currently active* leader A: a leader answers for the history of the
enterprises they hold now; at most one is active, so groups never overlap) and
``commissioner`` (the person who raised the problem — in a visit, the visiting
commissioner). Problems without a key (not yet dispatched, no active leader A…) form
the group with key ``None``. Group figures therefore add up to the county's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm.core.timeutil import utcnow
from flask import current_app

from crm.meetings.metrics import links
from crm.meetings.metrics.cache import (
    PROBLEM_HISTORY,
    cached,
    invalidate,
    problem_month_domain,
    visit_month_domain,
)
from crm.meetings.metrics.definitions import DEFINITIONS, GENERAL, Definition
from crm.meetings.metrics.figures import (
    CHANGE_FIGURES,
    VISIT_FIGURES,
    Figures,
    MonthOverview,
    MonthPeriods,
    Period,
    TrendPoint,
    VisitSummary,
    WorkdayIndex,
    league,
    percent,
)
from crm.meetings.metrics.lists import (
    EscalatedProblem,
    RedProblem,
    RedUnit,
    escalated_open,
    red_list,
)
from crm.meetings.metrics.queries import (
    GROUPINGS,
    all_overrides,
    assemble_overview,
    county_figures,
    group_figures,
    join_history,
    month_figures,
    month_overview,
    month_visits,
    overview_periods,
    period_visits,
    visits_summary,
)


@dataclass
class MonthSnapshot:
    """Everything the overview page (and the monthly packet's figures and red list)
    shows for a month: the figures, the red list by unit, the escalated problems."""

    overview: MonthOverview
    red_units: list[RedUnit]
    escalated: list[EscalatedProblem]

    @property
    def now(self) -> datetime:
        """When the snapshot figures (overdue, red list) were taken."""
        return self.overview.now


def snapshot(year: int, month: int, now: datetime | None = None, *, red_per_unit: int = 5,
             trend_months: int = 6, with_visits: bool = True) -> MonthSnapshot:
    """The month's figures with the red list and the escalated problems, in six
    queries whatever the data size (one of them reads the workday overrides; one fewer
    ``with_visits=False``)."""
    now = now or utcnow()
    overrides = all_overrides()
    return MonthSnapshot(
        overview=month_overview(year, month, now, trend_months=trend_months,
                                overrides=overrides, with_visits=with_visits),
        red_units=red_list(now, per_unit=red_per_unit, overrides=overrides),
        escalated=escalated_open(now),
    )


def cached_snapshot(year: int, month: int, red_per_unit: int = 5) -> MonthSnapshot:
    """``snapshot`` for now, reused until a write or ``METRICS_CACHE_SECONDS``, in
    parts cached apart so that a write recomputes only what it can change:

    * the month's problem figures by unit (so far, while it runs), overdue now, the red
      list and the escalated problems — after any problem write (and at most
      ``METRICS_CACHE_SECONDS`` old: problems turn red without a write);
    * the comparison period's and the trend's figures — after a write to a problem
      raised, dispatched, resolved, rated or closed in one of those months, or one that
      may touch any month (``PROBLEM_HISTORY``), and at most ``METRICS_HISTORY_SECONDS``
      old; while the month runs the comparison ends at the month part's time of day,
      so it is part of the key;
    * each period's visit figures — after a visit of that month.

    The result equals ``snapshot(year, month, red_per_unit)`` taken at the time of the
    month's part (a test holds them equal)."""

    def month_part():
        now = utcnow()
        overrides = all_overrides()
        periods = overview_periods(year, month, now)
        return (now, periods, month_figures(periods[:1], now, overrides)[0],
                red_list(now, per_unit=red_per_unit, overrides=overrides),
                escalated_open(now))

    now, periods, current, red_units, escalated = cached(
        ("problems", year, month, red_per_unit), month_part, domains=("problems",))
    history = cached(
        ("problem history", tuple(periods[1:])),
        lambda: month_figures(periods[1:], now, all_overrides(), with_red=False),
        domains=(PROBLEM_HISTORY, *(problem_month_domain(p.in_month) for p in periods[1:])),
        ttl=current_app.config.get("METRICS_HISTORY_SECONDS", 900))
    visits = tuple(
        cached(("visits", p), lambda p=p: visits_summary(p.start, p.end),
               domains=("visits", visit_month_domain(p.in_month)))
        for p in periods[:2])
    overview = assemble_overview(periods, join_history(current, history), now, visits)
    return MonthSnapshot(overview=overview, red_units=red_units, escalated=escalated)


__all__ = [
    "CHANGE_FIGURES", "DEFINITIONS", "GENERAL", "GROUPINGS", "VISIT_FIGURES", "Definition",
    "EscalatedProblem", "Figures", "MonthOverview", "MonthPeriods", "MonthSnapshot",
    "Period", "RedProblem", "RedUnit", "TrendPoint",
    "VisitSummary", "WorkdayIndex", "all_overrides", "cached", "cached_snapshot",
    "county_figures", "escalated_open", "group_figures", "invalidate", "league",
    "links", "month_overview", "month_visits", "overview_periods", "percent",
    "period_visits", "red_list", "snapshot", "visits_summary",
]
