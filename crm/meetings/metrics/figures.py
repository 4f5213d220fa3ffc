"""The figures as plain dataclasses, periods, and the working-day index.

See ``crm.meetings.metrics`` for what each figure counts (and ``DEFINITIONS`` for the
text of the 指标说明 page).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

from sqlalchemy import and_

from crm.core.timeutil import local_midnight_utc, to_local
from crm.issues import deadlines


@dataclass(frozen=True)
class Period:
    """Local dates ``start``..``end``, both inclusive; ``until`` (naive UTC), when
    set, cuts the last day short at that instant (the same days of last month, compared
    with a month still running, end at this month's time of day)."""

    start: date
    end: date
    until: Optional[datetime] = None

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        """The calendar month ``year``-``month``."""
        first = date(year, month, 1)
        nxt = date(year + month // 12, month % 12 + 1, 1)
        return cls(first, nxt - timedelta(days=1))

    @property
    def start_utc(self) -> datetime:
        """Naive-UTC instant at which the period begins."""
        return local_midnight_utc(self.start)

    @property
    def end_utc(self) -> datetime:
        """Naive-UTC instant just after the period (exclusive bound)."""
        if self.until is not None:
            return self.until
        return local_midnight_utc(self.end + timedelta(days=1))

    @property
    def month_key(self) -> Optional[str]:
        """``YYYY-MM`` when the period is exactly one calendar month, else None."""
        if self == Period.month(self.start.year, self.start.month):
            return f"{self.start:%Y-%m}"
        return None

    @property
    def in_month(self) -> str:
        """``YYYY-MM`` of the month the period starts in."""
        return f"{self.start:%Y-%m}"

    @property
    def start_arg(self) -> str:
        """The period's start as the problem list's ``*_from`` takes it (a local date)."""
        return self.start.isoformat()

    @property
    def end_arg(self) -> str:
        """The period's end as the problem list's ``*_to`` and ``pending`` take it: the
        last local date, or the local minute at which it is cut."""
        if self.until is not None:
            return f"{to_local(self.until):%Y-%m-%dT%H:%M}"
        return self.end.isoformat()

    def previous_month(self) -> "Period":
        """The calendar month before the one ``start`` falls in."""
        prev = self.start.replace(day=1) - timedelta(days=1)
        return Period.month(prev.year, prev.month)

    def next_month(self) -> "Period":
        """The calendar month after the one ``end`` falls in."""
        nxt = self.end.replace(day=28) + timedelta(days=4)
        return Period.month(nxt.year, nxt.month)

    def covers(self, column):
        """SQL condition: a naive-UTC ``column`` falls in the period."""
        return and_(column >= self.start_utc, column < self.end_utc)


@dataclass(frozen=True)
class MonthPeriods:
    """The periods of a month's figures at an instant: ``current`` is the month, or
    while it runs its first days up to today; ``comparison`` is the whole month before,
    or while the month runs the same stretch of it (上月同期): from its first day up to
    the same day and time of day, the whole month when it has no such day."""

    month: Period
    current: Period
    comparison: Period
    running: bool

    @classmethod
    def at(cls, year: int, month: int, now: datetime) -> "MonthPeriods":
        """The periods of ``year``-``month`` as seen at ``now`` (naive UTC)."""
        whole = Period.month(year, month)
        previous = whole.previous_month()
        if not whole.start_utc <= now < whole.end_utc:
            return cls(whole, whole, previous, False)
        today = to_local(now).date()
        # To the minute, so that the problem list can take the same instant.
        elapsed = now.replace(second=0, microsecond=0) - whole.start_utc
        until = previous.start_utc + elapsed
        if until >= previous.end_utc:
            comparison = previous
        else:
            last = to_local(until).date()
            comparison = Period(previous.start, last, until)
        return cls(whole, Period(whole.start, today), comparison, True)


def _rate(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


@dataclass
class Figures:
    """Problem figures of one group for one period (see ``crm.meetings.metrics``).

    Counters are kept raw so that groups add up (``+``); the rates are derived from
    counters shown beside them, so that a reader can check each rate by hand.
    """

    key: Optional[int] = None
    label: Optional[str] = None
    raised: int = 0
    dispatched: int = 0
    resolved: int = 0
    on_time: int = 0
    days_total: int = 0
    days_count: int = 0
    redone: int = 0  # resolved in the period after at least one reopening
    pending: int = 0  # in a unit's hands at the end of the period
    rated: int = 0
    satisfied: int = 0
    rated_self: int = 0
    supervised: int = 0
    overdue_now: int = 0

    _COUNTERS = ("raised", "dispatched", "resolved", "on_time", "days_total", "days_count",
                 "redone", "pending", "rated", "satisfied", "rated_self", "supervised",
                 "overdue_now")

    def __add__(self, other: "Figures") -> "Figures":
        total = Figures(key=self.key, label=self.label)
        for name in self._COUNTERS:
            setattr(total, name, getattr(self, name) + getattr(other, name))
        return total

    @property
    def handled(self) -> int:
        """The base of the resolution rate: resolved in the period plus still pending
        at its end (two sets that never overlap)."""
        return self.resolved + self.pending

    @property
    def resolution_rate(self) -> Optional[float]:
        """Resolved / (resolved + pending) (0–1)."""
        return _rate(self.resolved, self.handled)

    @property
    def on_time_rate(self) -> Optional[float]:
        """Share of the period's resolutions made on time (0–1)."""
        return _rate(self.on_time, self.resolved)

    @property
    def avg_days(self) -> Optional[float]:
        """Average working days from dispatch to resolution."""
        return self.days_total / self.days_count if self.days_count else None

    @property
    def satisfaction_rate(self) -> Optional[float]:
        """Share of the period's ratings that are 4 or 5 (0–1)."""
        return _rate(self.satisfied, self.rated)

    @property
    def self_rated_rate(self) -> Optional[float]:
        """Share of the period's ratings given by the enterprise itself (0–1)."""
        return _rate(self.rated_self, self.rated)

    @property
    def reopen_rate(self) -> Optional[float]:
        """Share of the period's resolutions that came after a reopening (0–1)."""
        return _rate(self.redone, self.resolved)

    @property
    def is_empty(self) -> bool:
        """True when the group has nothing to show for the period."""
        return not any(getattr(self, n) for n in self._COUNTERS)


@dataclass
class VisitSummary:
    """Visits in a period. Coverage proper comes from ``crm.liaisons.coverage``."""

    visits: int = 0
    enterprises_visited: int = 0
    # Enterprises with a commissioner assignment active at some time in the period.
    enterprises_assigned: int = 0


@dataclass
class TrendPoint:
    """One month of the month-over-month chart (the current month so far)."""

    period: Period
    dispatched: int
    resolved: int


# Figures compared with the comparison period on the overview and in the packet, and
# whether more is better (+1), worse (-1) or neither (0).
CHANGE_FIGURES = {
    "raised": 0, "dispatched": 0, "resolved": 1, "pending": -1, "resolution_rate": 1,
    "on_time_rate": 1, "avg_days": -1, "satisfaction_rate": 1, "reopen_rate": -1,
    "supervised": -1,
}
VISIT_FIGURES = {"visits": 1, "enterprises_visited": 1, "enterprises_assigned": 0}


@dataclass
class MonthOverview:
    """A month at a glance: this month's figures (so far, while it runs), the
    comparison period's, and the change."""

    period: Period
    previous_period: Period
    now: datetime
    current: Figures
    previous: Figures
    visits: VisitSummary
    previous_visits: VisitSummary
    by_unit: list[Figures] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)
    month: Optional[Period] = None
    running: bool = False

    def __post_init__(self):
        if self.month is None:
            self.month = Period.month(self.period.start.year, self.period.start.month)

    def change(self, name: str) -> Optional[float]:
        """This period minus the comparison period for figure ``name`` (rates in 0–1
        points); None when either side has no value."""
        source = "visits" if name in VISIT_FIGURES else "current"
        cur = getattr(getattr(self, source), name)
        prev = getattr(self.previous_visits if source == "visits" else self.previous, name)
        if cur is None or prev is None:
            return None
        return cur - prev

    @property
    def changes(self) -> dict[str, Optional[float]]:
        """``change`` for every compared figure."""
        return {n: self.change(n) for n in (*CHANGE_FIGURES, *VISIT_FIGURES)}


def is_workday(day: date, overrides: dict[date, bool]) -> bool:
    """``deadlines.is_workday``: the admin's override, else the one calendar rule
    (``deadlines.calendar_workday``: holiday package, statutory days, Monday–Friday),
    so that a figure and a deadline never disagree about a day."""
    return deadlines.is_workday(day, overrides)


class WorkdayIndex:
    """Working days counted once over a date range, so that the working days between
    any two dates in it are one subtraction (same result as ``working_days_between``)."""

    def __init__(self, start: date, end: date, overrides: dict[date, bool]):
        self.start, self._cum, n = start, [], 0
        for i in range((end - start).days + 1):
            day = start + timedelta(days=i)
            if i and is_workday(day, overrides):
                n += 1
            self._cum.append(n)

    def between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative when ``b`` is before ``a``."""
        return self._cum[(b - self.start).days] - self._cum[(a - self.start).days]


def percent(value: Optional[float], digits: int = 1) -> str:
    """A 0–1 rate as ``87.5%`` (``—`` when there is nothing to measure). The page and
    the packets format with this so that their numbers read the same."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


def league(groups: list[Figures]) -> list[Figures]:
    """The league order of a table of groups: resolution rate, then on-time rate, then
    satisfaction, highest first (no value last); groups without a key are left out.
    Outcomes only (DESIGN.md §1): no ranking by activity such as visits or log-ins."""
    def sort_key(f: Figures):
        rates = (f.resolution_rate, f.on_time_rate, f.satisfaction_rate)
        return tuple(-r if r is not None else 1 for r in rates) + (f.label or "",)

    return sorted((f for f in groups if f.key is not None), key=sort_key)
