"""Working-day arithmetic honouring Chinese public holidays and make-up workdays (调休).

The holiday arrangement comes from the ``chinesecalendar`` package for the years the
State Council has announced; the admin's WorkdayOverride rows take precedence. For a
year the package does not know, Monday–Friday (plus overrides) is assumed and the
year is reported by ``unknown_years`` so the admin can enter its arrangement.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from sqlalchemy import select

from crm.extensions import db


@lru_cache(maxsize=None)
def _library_years() -> frozenset[int]:
    years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return frozenset(years)


def library_knows(year: int) -> bool:
    """True when the holiday package has the official arrangement for ``year``."""
    return year in _library_years()


def overrides_between(start: date, end: date) -> dict[date, bool]:
    """The admin's overrides in [start, end] as {day: is_workday}."""
    from crm.issues.models import WorkdayOverride

    rows = db.session.execute(
        select(WorkdayOverride.day, WorkdayOverride.is_workday).where(
            WorkdayOverride.day.between(start, end)
        )
    )
    return {day: is_workday for day, is_workday in rows}


def is_workday(day: date, overrides: dict[date, bool] | None = None) -> bool:
    """Whether ``day`` is a working day (override, then library, then Mon–Fri)."""
    if overrides is not None and day in overrides:
        return overrides[day]
    if library_knows(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


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
    """Of ``years``, those whose holiday arrangement neither the package nor an admin
    override covers (the admin is shown these)."""
    from crm.issues.models import WorkdayOverride

    missing = []
    for year in sorted(set(years)):
        if library_knows(year):
            continue
        has_rows = db.session.scalar(
            select(db.func.count()).select_from(WorkdayOverride).where(
                WorkdayOverride.day.between(date(year, 1, 1), date(year, 12, 31))
            )
        )
        if not has_rows:
            missing.append(year)
    return missing
