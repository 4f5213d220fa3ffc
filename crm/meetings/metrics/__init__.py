"""Figures for the coordinator's overview and the meeting packets.

One package so that the page and the PDF packets count the same way: both call
``snapshot`` / ``month_overview`` (or ``group_figures`` for other groupings) for the
same month and format rates with ``percent``. Every figure is an aggregate computed in
SQL, in a fixed number of queries whatever the data size; ``cached_snapshot`` adds a
small cache invalidated by writes (``crm.meetings.metrics.cache``).

Periods are local (Asia/Shanghai) dates, both ends inclusive; ``*_at`` columns are
naive UTC, so a period covers ``[local_midnight_utc(start), local_midnight_utc(end + 1))``.

Definitions (for a period P and a group):

- **raised**: problems with ``raised_at`` in P.
- **resolved**: problems whose (latest) ``resolved_at`` falls in P.
- **resolution rate**: of the problems raised in P, the share resolved by the end of P
  and not reopened since (state ``resolved`` or ``closed`` with ``resolved_at`` before
  the end of P). Problems closed without a resolution (e.g. the enterprise was
  deregistered) do not count as resolved.
- **on-time rate**: of the problems resolved in P, the share with ``resolved_on_time``.
- **average working days**: for the problems resolved in P, working days from the
  local date of dispatch to the local date of resolution (``working_days_between``:
  holidays, make-up workdays and the admin's overrides honoured; pauses not deducted).
  Counted in SQL; calendar exceptions older than ``CALENDAR_YEARS`` (5) before the
  period are not looked at, which only matters for a problem open that long.
- **reopened** / **supervised**: distinct problems with a reopen event (action
  ``reopen`` or a move to ``reopened``) / a ``supervise`` event in P.
- **satisfaction rate**: of the ratings given in P (``rated_at`` in P, the latest
  rating of each problem), the share ≥ 4; **self-rated share**: the share given by the
  enterprise itself (channel ``self``).
- **overdue now**: open problems whose light is red at ``now``
  (``Issue.light_expr(now) == 'red'``); a snapshot, not a figure of P, so it has no
  month-on-month change.
- **visits** (``VisitSummary``): visits with ``visit_date`` in P, distinct enterprises
  visited, and enterprises with a commissioner assignment active at some time in P.
  Coverage proper is ``crm.liaisons.coverage``'s (to be wired in by the lead).

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

from crm.meetings.metrics.cache import (
    PROBLEM_HISTORY,
    cached,
    invalidate,
    problem_month_domain,
    visit_month_domain,
)
from crm.meetings.metrics.figures import (
    CHANGE_FIGURES,
    VISIT_FIGURES,
    Figures,
    MonthOverview,
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

    * the month's problem figures by unit, overdue now, the red list and the escalated
      problems — after any problem write (and at most ``METRICS_CACHE_SECONDS`` old:
      problems turn red without a write);
    * the earlier months' problem figures (the month before by unit, the trend) — after
      a write to a problem raised, resolved or rated in one of those months, or one
      that may touch any month (``PROBLEM_HISTORY``), and at most
      ``METRICS_HISTORY_SECONDS`` old;
    * each month's visit figures — after a visit of that month.

    The result equals ``snapshot(year, month, red_per_unit)`` taken at the time of the
    month's part (a test holds them equal)."""
    periods = overview_periods(year, month)

    def month_part():
        now = utcnow()
        overrides = all_overrides()
        return (now, month_figures(periods[:1], now, overrides)[0],
                red_list(now, per_unit=red_per_unit, overrides=overrides),
                escalated_open(now))

    now, current, red_units, escalated = cached(
        ("problems", year, month, red_per_unit), month_part, domains=("problems",))
    history = cached(
        ("problem history", year, month),
        lambda: month_figures(periods[1:], utcnow(), all_overrides(), with_red=False),
        domains=(PROBLEM_HISTORY, *(problem_month_domain(p.month_key) for p in periods[1:])),
        ttl=current_app.config.get("METRICS_HISTORY_SECONDS", 900))
    visits = tuple(
        cached(("visits", p.month_key), lambda p=p: visits_summary(p.start, p.end),
               domains=("visits", visit_month_domain(p.month_key)))
        for p in periods[:2])
    overview = assemble_overview(periods, join_history(current, history), now, visits)
    return MonthSnapshot(overview=overview, red_units=red_units, escalated=escalated)


__all__ = [
    "CHANGE_FIGURES", "GROUPINGS", "VISIT_FIGURES", "EscalatedProblem", "Figures",
    "MonthOverview", "MonthSnapshot", "Period", "RedProblem", "RedUnit", "TrendPoint",
    "VisitSummary", "WorkdayIndex", "all_overrides", "cached", "cached_snapshot",
    "county_figures", "escalated_open", "group_figures", "invalidate", "league",
    "month_overview", "month_visits", "percent", "red_list", "snapshot", "visits_summary",
]
