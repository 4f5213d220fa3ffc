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

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from crm.core.timeutil import utcnow

from crm.meetings.metrics import daily, links
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
    problem_lists,
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
    # The health flags' counts {(flag, town id): visits} and the units' names, read with
    # the figures by ``cached_snapshot`` (None from ``snapshot``).
    flags: Optional[dict] = field(default=None, compare=False)
    unit_names: Optional[dict] = field(default=None, compare=False)

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
    """``snapshot`` for now: closed months read from their rollups, the running month
    counted live (``crm.meetings.metrics.daily``), in two parts cached apart so that a
    visit logged does not recount the problems:

    * the problems: the workday overrides with the rollup months' freshness (the
      figures' statement then holds only the arms that count), the red list with the
      escalated problems in one statement (its counts per unit are "overdue now"), and
      every period's figures
      with the units' names in one — after any problem write, and at most
      ``METRICS_CACHE_SECONDS`` old (problems turn red without a write);
    * the visits: the month's and its comparison period's visit figures and the month's
      health flags, in one statement — after a visit of either month or an assignment.

    The result equals ``snapshot(year, month, red_per_unit)`` taken at the time of the
    problems' part (tests hold them equal, with rollups and without)."""

    def problems_part():
        now = utcnow()
        overrides, fresh_months = daily.overrides_and_fresh()
        periods = overview_periods(year, month, now)
        red_units, escalated = problem_lists(now, per_unit=red_per_unit, overrides=overrides)
        groups, names = daily.problem_figures(periods, now, overrides, red_units,
                                              fresh_months)
        return now, periods, groups, names, red_units, escalated

    now, periods, groups, names, red_units, escalated = cached(
        ("problems", year, month, red_per_unit), problems_part, domains=("problems",))
    visits, flags = cached(
        ("visits", tuple(periods[:2])), lambda: daily.visit_figures(periods, now),
        domains=("visits", *(visit_month_domain(p.in_month) for p in periods[:2])))
    return MonthSnapshot(overview=assemble_overview(periods, groups, now, visits),
                         red_units=red_units, escalated=escalated, flags=flags,
                         unit_names=names)


__all__ = [
    "CHANGE_FIGURES", "DEFINITIONS", "GENERAL", "GROUPINGS", "VISIT_FIGURES", "Definition",
    "PROBLEM_HISTORY", "EscalatedProblem", "Figures", "MonthOverview", "MonthPeriods",
    "MonthSnapshot", "Period", "RedProblem", "RedUnit", "TrendPoint",
    "VisitSummary", "WorkdayIndex", "all_overrides", "cached", "cached_snapshot",
    "county_figures", "escalated_open", "group_figures", "invalidate", "league",
    "join_history", "links", "month_figures", "month_overview", "problem_lists",
    "problem_month_domain", "visit_month_domain", "month_visits", "overview_periods",
    "percent", "period_visits", "red_list", "snapshot", "visits_summary",
]
