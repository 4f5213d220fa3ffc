"""The days off fixed by 《全国年节及纪念日放假办法》 (revised 2024, in force from
2025-01-01), computed for any year from the lunar calendar and the solar terms.

Why: the holiday package only ships the years whose State Council notice was out when
it was released (chinesecalendar 1.11: 2004–2026). Without this module every deadline
from 2027 on would count New Year's Day, the Spring Festival and National Day as working
days until an admin typed them in; with it, the admin enters only the notice's
exchanges (调休: weekend days worked, extra days off).

The law's days (13 a year):

* 元旦 1 January; 春节 农历除夕 (the day before 正月初一, so 腊月廿九 or 三十) and 正月初一
  to 初三; 清明 the day of the 清明 solar term; 劳动节 1 and 2 May; 端午 农历五月初五; 中秋
  农历八月十五; 国庆 1 to 3 October. Two festivals can fall on the same day (中秋 on
  3 October 2028): the day is off once.

What is deliberately *not* computed: the make-up day (补假) for a statutory day that
falls on a Saturday or Sunday. The law says such a day "is made up on a working day"
but not on which one, and the notices have placed it after the holiday (元旦 2022:
Monday 3 January), before it (端午 2012: Friday 22 June for Saturday 23 June) and inside
another holiday's block (中秋 2015: Sunday 27 September, made up within 国庆). Until the
notice is entered, a weekend stays a weekend and the make-up day counts as a working
day; the admin page says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from flask_babel import lazy_gettext as _l
from lunar_python import Lunar, Solar

# The first year the revised law applies to; earlier years had other statutory days
# (and the holiday package knows all of them back to 2004).
LAW_IN_FORCE_FROM = 2025

FESTIVALS = {
    "new_year": _l("New Year's Day"),
    "spring": _l("Spring Festival"),
    "qingming": _l("Qingming Festival"),
    "labour": _l("Labour Day"),
    "dragon_boat": _l("Dragon Boat Festival"),
    "mid_autumn": _l("Mid-Autumn Festival"),
    "national": _l("National Day"),
}


@dataclass(frozen=True)
class StatutoryDay:
    """One statutory day off: the date, the festival (a key of ``FESTIVALS``) and the
    lunar date it was computed from (empty for fixed solar dates)."""

    day: date
    festival: str
    lunar: str = ""

    @property
    def label(self) -> str:
        """The festival's name in the current language."""
        return str(FESTIVALS[self.festival])


def _solar(value: Solar) -> date:
    return date(value.getYear(), value.getMonth(), value.getDay())


def _lunar_label(day: date) -> str:
    """"腊月廿九" for a solar date: the lunar month and day read back from the date."""
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    return f"{lunar.getMonthInChinese()}月{lunar.getDayInChinese()}"


@cache
def statutory_days(year: int) -> tuple[StatutoryDay, ...]:
    """The statutory days off of ``year`` under the 2024 revision, in date order."""
    spring = _solar(Lunar.fromYmd(year, 1, 1).getSolar())
    qingming = _solar(Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"])
    lunar_days = [spring - timedelta(days=1)] + [spring + timedelta(days=i) for i in range(3)]
    days = [StatutoryDay(date(year, 1, 1), "new_year")]
    days += [StatutoryDay(d, "spring", _lunar_label(d)) for d in lunar_days]
    days += [StatutoryDay(qingming, "qingming"),
             StatutoryDay(date(year, 5, 1), "labour"), StatutoryDay(date(year, 5, 2), "labour")]
    for festival, month, day in (("dragon_boat", 5, 5), ("mid_autumn", 8, 15)):
        solar = _solar(Lunar.fromYmd(year, month, day).getSolar())
        days.append(StatutoryDay(solar, festival, _lunar_label(solar)))
    days += [StatutoryDay(date(year, 10, d), "national") for d in (1, 2, 3)]
    return tuple(sorted(days, key=lambda s: s.day))


@cache
def statutory_holidays(year: int) -> frozenset[date]:
    """The dates of ``statutory_days(year)``."""
    return frozenset(s.day for s in statutory_days(year))


def statutory_festival(day: date) -> StatutoryDay | None:
    """The statutory day ``day`` is, under the revised law (``None`` before 2025 or on
    an ordinary day)."""
    if day.year < LAW_IN_FORCE_FROM:
        return None
    return next((s for s in statutory_days(day.year) if s.day == day), None)
