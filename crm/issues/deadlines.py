"""Working-day arithmetic honouring Chinese public holidays and make-up workdays (调休).

The holiday arrangement comes from the ``chinesecalendar`` package for the years the
State Council has announced; the admin's WorkdayOverride rows take precedence. For a
year the package does not know, the statutory days off of the law are computed
(``crm.issues.holidays``) and the other days count Monday to Friday; the year is
reported by ``unknown_years`` until the admin has entered the State Council's 调休 for
it and confirmed the year (a HolidayArrangement row).

The rule for stage deadlines (documented here because every page and notice relies on it):

* The clock starts at dispatch. A stage of N working days ends at **18:00 Asia/Shanghai
  (the end of the working day) on the N-th working day after the dispatch day**; the
  dispatch day itself is not counted, so a problem dispatched on Monday at 10:00 with
  "sign within 1 working day" must be signed by Tuesday 18:00, and one dispatched on a
  Saturday by Monday 18:00.
* A stage counted in calendar days (complex problems: 30) ends at 18:00 on the N-th
  calendar day after the dispatch day; when that day is not a working day the deadline
  moves to the next working day (as statutory time limits do).
* The traffic light turns yellow at ``warn_at``: when at most 20 % of the stage's time is
  left, or at most one working day, whichever comes first. For working-day stages that is
  the end of the working day ``max(1, floor(0.2 × N))`` working days before the due day;
  for calendar stages the earlier of "20 % of the calendar span before the due time" and
  "the end of the last working day before the due day". It is red once ``due_at`` has
  passed. Both instants are stored, so SQL derives the light (``Issue.light_expr``).
* A return does not move the clock. A pause stops it: on resume the open stage
  deadlines move on by the working days the pause lasted (calendar days for calendar
  stages). A granted extension sets a new due day and a new ``warn_at``.
* The coordinator's re-dispatch after a return is final: the new unit's sign and
  first-progress stages start again from the re-dispatch day, while the resolve stage
  keeps running from the first dispatch — its due day stays the original one (or the new
  sign day, if that is later) unless the coordinator chooses another, not before today —
  and ``warn_at`` is measured from the first dispatch, as for an extension.
* A cooperating unit's opinion (协办意见) is a stage of ``DeadlineRule.coop_days``
  working days (2 by default) from the day the unit is asked, ending at 18:00 like the
  others (``crm.issues.cooperation``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache

import chinese_calendar
from flask_babel import gettext as _
from sqlalchemy import select

from crm.core.timeutil import LOCAL_TZ, to_local
from crm.extensions import db
from crm.issues.holidays import statutory_holidays
from crm.issues.models import CLOCK_STATES, DeadlineRule, HolidayArrangement, WorkdayOverride

# Deadlines fall at the end of the working day, local time.
DUE_TIME = time(18, 0)
# Yellow when at most this share of the stage's time is left (or one working day).
WARN_SHARE = 0.2


@cache
def _library_years() -> frozenset[int]:
    years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return frozenset(years)


def library_knows(year: int) -> bool:
    """True when the holiday package has the official arrangement for ``year``."""
    return year in _library_years()


def overrides_between(start: date, end: date) -> dict[date, bool]:
    """The admin's overrides in [start, end] as {day: is_workday}."""
    rows = db.session.execute(
        select(WorkdayOverride.day, WorkdayOverride.is_workday).where(
            WorkdayOverride.day.between(start, end)
        )
    )
    return {day: is_workday for day, is_workday in rows}


def is_workday(day: date, overrides: dict[date, bool] | None = None) -> bool:
    """Whether ``day`` is a working day: the admin's override, else ``calendar_workday``."""
    if overrides is not None and day in overrides:
        return overrides[day]
    return calendar_workday(day)


@lru_cache(maxsize=8192)
def calendar_workday(day: date) -> bool:
    """Whether ``day`` is a working day before the admin's overrides: the package's
    arrangement for the years it knows; otherwise Monday to Friday except the statutory
    days off. The one rule every count of working days (deadlines, figures) uses."""
    # Cached: chinese_calendar validates the date against its whole table on every call
    # (~30 µs); countdowns over months of overdue problems ask for thousands of days.
    if library_knows(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5 and day not in statutory_holidays(day.year)


def add_working_days(start: date, days: int, overrides: dict[date, bool] | None = None) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
    if overrides is None:
        overrides = overrides_between(start, start + timedelta(days=days * 3 + 40))
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day, overrides):
            left -= 1
    return day


def working_days_between(start: date, end: date,
                         overrides: dict[date, bool] | None = None) -> int:
    """Working days in (start, end]; negative when ``end`` is before ``start``."""
    if end < start:
        return -working_days_between(end, start, overrides)
    if overrides is None:
        overrides = overrides_between(start, end)
    return sum(
        1 for i in range(1, (end - start).days + 1)
        if is_workday(start + timedelta(days=i), overrides)
    )


def unknown_years(years) -> list[int]:
    """Of ``years``, those the package does not know and whose State Council
    arrangement (调休) the admin has not confirmed yet (the admin is shown these; their
    statutory days are counted already)."""
    candidates = sorted(y for y in set(years) if not library_knows(y))
    if not candidates:
        return []
    confirmed = set(db.session.scalars(
        select(HolidayArrangement.year).where(HolidayArrangement.year.in_(candidates))))
    return [y for y in candidates if y not in confirmed]


def arrangement_state(year: int) -> str:
    """Where ``year``'s calendar comes from: ``library`` (the package), ``confirmed``
    (statutory days computed, the notice's 调休 entered and confirmed by the admin) or
    ``statutory`` (statutory days computed, the 调休 still missing)."""
    if library_knows(year):
        return "library"
    return "statutory" if unknown_years([year]) else "confirmed"


def sub_working_days(start: date, days: int, overrides: dict[date, bool] | None = None) -> date:
    """The date ``days`` working days before ``start`` (``start`` itself not counted)."""
    if overrides is None:
        overrides = overrides_between(start - timedelta(days=days * 3 + 40), start)
    day, left = start, days
    while left > 0:
        day -= timedelta(days=1)
        if is_workday(day, overrides):
            left -= 1
    return day


def next_workday_on_or_after(day: date, overrides: dict[date, bool] | None = None) -> date:
    """``day`` itself when it is a working day, else the next working day."""
    if overrides is None:
        overrides = overrides_between(day, day + timedelta(days=40))
    while not is_workday(day, overrides):
        day += timedelta(days=1)
    return day


# -- instants --------------------------------------------------------------------------

def local_date(value: datetime) -> date:
    """The Asia/Shanghai date of a stored naive-UTC instant."""
    return to_local(value).date()


def end_of_day(day: date) -> datetime:
    """18:00 Asia/Shanghai on ``day``, as naive UTC (the deadline of that day)."""
    aware = datetime.combine(day, DUE_TIME, tzinfo=LOCAL_TZ)
    return aware.astimezone(UTC).replace(tzinfo=None)


class WorkCalendar:
    """Working-day arithmetic with the admin's overrides for a date range loaded once.

    Pages that compute many countdowns build one calendar (one query) instead of
    reading the overrides per row.
    """

    def __init__(self, overrides: dict[date, bool]):
        self.overrides = overrides
        self._origin: date | None = None
        self._running: list[int] = []  # working days in (origin, origin + i]

    def _count_to(self, day: date) -> int | None:
        """Working days in (origin, day] from a running count built on demand, so a
        board of problems overdue for months counts each day once, not once per row."""
        if self._origin is None:
            return None
        i = (day - self._origin).days
        if i < 0 or i > 4000:
            return None
        run = self._running
        while len(run) <= i:
            run.append(run[-1] + is_workday(self._origin + timedelta(days=len(run)),
                                            self.overrides))
        return run[i]

    @classmethod
    def load(cls, start: date, end: date) -> WorkCalendar:
        """Load the overrides of [start − 60 days, end + 120 days] (room for stages)."""
        return cls(overrides_between(start - timedelta(days=60), end + timedelta(days=120)))

    @classmethod
    def around(cls, *days: date | None) -> WorkCalendar:
        """A calendar covering every given day (``None`` ignored)."""
        real = [d for d in days if d is not None]
        if not real:
            real = [date.today()]
        return cls.load(min(real), max(real))

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day."""
        return is_workday(day, self.overrides)

    def add(self, start: date, days: int) -> date:
        """``days`` working days after ``start``."""
        return add_working_days(start, days, self.overrides)

    def sub(self, start: date, days: int) -> date:
        """``days`` working days before ``start``."""
        return sub_working_days(start, days, self.overrides)

    def between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``."""
        if self._origin is None:
            self._origin, self._running = min(start, end) - timedelta(days=1), [0]
        a, b = self._count_to(start), self._count_to(end)
        if a is None or b is None:
            return working_days_between(start, end, self.overrides)
        return b - a

    def roll(self, day: date) -> date:
        """``day`` or the next working day."""
        return next_workday_on_or_after(day, self.overrides)


# -- stage limits ------------------------------------------------------------------------

@dataclass(frozen=True)
class StageLimits:
    """The limits of one problem's stages (a DeadlineRule, or the built-in default)."""

    sign_days: int = 1
    progress_days: int = 3
    resolve_days: int = 7
    resolve_calendar: bool = False


# The "13710" practice: sign 1, first progress 3, resolve consult 3 / ordinary 7 working
# days / complex 30 calendar days.
DEFAULT_LIMITS = {
    "consult": StageLimits(1, 3, 3, False),
    "ordinary": StageLimits(1, 3, 7, False),
    "complex": StageLimits(1, 3, 30, True),
}


def limits_for(category_id: int | None, level: str, rules=None) -> StageLimits:
    """The stage limits for a problem: the category's own rule for the level, else the
    default rule for the level (category empty), else the built-in "13710" default.

    ``rules`` may be a preloaded list of DeadlineRule rows (lists and the triage board).
    """
    if rules is None:
        rules = db.session.scalars(
            select(DeadlineRule).where(
                DeadlineRule.level == level,
                (DeadlineRule.category_id == category_id) | DeadlineRule.category_id.is_(None),
            )
        ).all()
    own = [r for r in rules if r.level == level and category_id is not None
           and r.category_id == category_id]
    default = [r for r in rules if r.level == level and r.category_id is None]
    rule = (own or default or [None])[0]
    if rule is None:
        return DEFAULT_LIMITS.get(level, DEFAULT_LIMITS["ordinary"])
    return StageLimits(rule.sign_days, rule.progress_days, rule.resolve_days,
                       rule.resolve_calendar)


# -- clock computations -----------------------------------------------------------------

@dataclass
class Clock:
    """The stage deadlines set when the clock starts (naive UTC)."""

    sign_due_at: datetime
    progress_due_at: datetime
    due_at: datetime
    warn_at: datetime


def resolve_due_day(start: date, limits: StageLimits, cal: WorkCalendar) -> date:
    """The due day of the resolve stage for a clock started on ``start``."""
    if limits.resolve_calendar:
        return cal.roll(start + timedelta(days=limits.resolve_days))
    return cal.add(start, limits.resolve_days)


def warn_instant(start: date, due_day: date, calendar_days: bool, cal: WorkCalendar) -> datetime:
    """When the light turns yellow for a stage from ``start`` due on ``due_day`` (see the
    module docstring for the rule)."""
    if calendar_days:
        span = (due_day - start).days
        by_share = end_of_day(due_day - timedelta(days=math.floor(span * WARN_SHARE)))
        by_last_day = end_of_day(cal.sub(due_day, 1))
        return min(by_share, by_last_day)
    n = cal.between(start, due_day)
    k = max(1, math.floor(n * WARN_SHARE))
    return end_of_day(cal.sub(due_day, k))


def start_clock(now: datetime, limits: StageLimits, due_day: date | None = None,
                cal: WorkCalendar | None = None) -> Clock:
    """Stage deadlines for a clock started at ``now`` (dispatch). ``due_day`` overrides
    the computed resolve day (a coordinator may set an earlier or later one)."""
    start = local_date(now)
    cal = cal or WorkCalendar.around(start)
    calendar_days = limits.resolve_calendar
    if due_day is None:
        due_day = resolve_due_day(start, limits, cal)
    else:
        calendar_days = False  # a chosen day is measured like any working-day stage
    return Clock(
        sign_due_at=end_of_day(cal.add(start, limits.sign_days)),
        progress_due_at=end_of_day(cal.add(start, limits.progress_days)),
        due_at=end_of_day(due_day),
        warn_at=warn_instant(start, due_day, calendar_days, cal),
    )


def extended_clock(started_at: datetime, new_due_day: date,
                   cal: WorkCalendar | None = None) -> tuple[datetime, datetime]:
    """(due_at, warn_at) after an extension to ``new_due_day``; the 20 % share is
    measured from the original start of the clock."""
    start = local_date(started_at)
    cal = cal or WorkCalendar.around(start, new_due_day)
    return end_of_day(new_due_day), warn_instant(start, new_due_day, False, cal)


def pause_shift(paused_at: datetime, resumed_at: datetime, calendar_days: bool,
                cal: WorkCalendar | None = None) -> int:
    """How far a pause pushes the deadlines: the working days (calendar days for
    calendar stages) from the day of the pause to the day of the resume."""
    a, b = local_date(paused_at), local_date(resumed_at)
    if b <= a:
        return 0
    if calendar_days:
        return (b - a).days
    cal = cal or WorkCalendar.around(a, b)
    return cal.between(a, b)


def shift_instant(value: datetime | None, days: int, calendar_days: bool,
                  cal: WorkCalendar | None = None) -> datetime | None:
    """Move a stored deadline by ``days`` working (or calendar) days, keeping its time
    of day."""
    if value is None or days <= 0:
        return value
    local = to_local(value)
    day = local.date()
    cal = cal or WorkCalendar.around(day)
    if calendar_days:
        new_day = cal.roll(day + timedelta(days=days))
    else:
        new_day = cal.add(day, days)
    aware = datetime.combine(new_day, local.timetz())
    return aware.astimezone(UTC).replace(tzinfo=None)


# -- countdown ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Countdown:
    """What a person reads next to the light: ``kind`` is ``left``, ``today``,
    ``overdue`` or ``paused``; ``days`` counts working days."""

    kind: str
    days: int = 0

    @property
    def text(self) -> str:
        """"剩余 2 个工作日" / "已超期 3 个工作日" in the current language."""
        if self.kind == "paused":
            return _("Paused: the clock is stopped")
        if self.kind == "today":
            return _("Due today")
        if self.kind == "left":
            if self.days == 1:
                return _("1 working day left")
            return _("%(n)d working days left", n=self.days)
        if self.days == 0:
            return _("Overdue (less than one working day)")
        if self.days == 1:
            return _("Overdue by 1 working day")
        return _("Overdue by %(n)d working days", n=self.days)


def countdown(issue, now: datetime, cal: WorkCalendar | None = None) -> Countdown | None:
    """The countdown of an open problem's resolve stage, or None when no clock runs."""
    if issue.state == "paused":
        return Countdown("paused")
    if issue.state not in CLOCK_STATES or issue.due_at is None:
        return None
    today, due_day = local_date(now), local_date(issue.due_at)
    cal = cal or WorkCalendar.around(today, due_day)
    if now <= issue.due_at:
        left = cal.between(today, due_day)
        return Countdown("today") if left <= 0 else Countdown("left", left)
    return Countdown("overdue", max(0, cal.between(due_day, today)))
