"""Reading the dates of a State Council holiday notice (《关于××年部分节假日安排的通知》)
pasted by the admin in one go.

Why a parser and not a day-by-day form: the notice lists a dozen days (weekend days
worked, extra days off) in prose such as "2月5日（星期五）至11日（星期四）放假调休" and
"2月20日（星期六）上班"; retyping them one by one is where mistakes come from.

The format, one statement per line (a line may hold several statements separated by
"。" or "；"):

* one or more dates or date ranges, then what the days are: 上班 / 补班 (worked) or
  休息 / 放假 / 休假 (off); English "work" / "off" are understood too;
* a date is ``2027-02-06``, ``2027/2/6``, ``2027.2.6``, ``2027年2月6日`` or ``2月6日``
  (the page's year); several are separated by "、", "，" or spaces; a range is
  ``2月5日至11日``, ``2月5日至2月11日`` or with "到", "~" or "—";
* a weekday in brackets after a date, ``（星期六）`` / ``(周六)``, is checked against the
  date; other words (the festival's name, "共7天", "与周末连休") are ignored;
* blank lines are skipped.

Every statement is checked; a line that cannot be read is reported with its number and
text, and nothing is written unless every line reads.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm.issues.holidays import statutory_festival

MAX_LINES = 400
MAX_RANGE_DAYS = 31
WEEKDAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                 _l("Saturday"), _l("Sunday"))

_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_DATE = re.compile(
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?:\s*[日号])?"
    r"|(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*[日号]?"
    r"|(?P<d3>\d{1,2})\s*[日号]"
)
_BRACKET = re.compile(r"\s*[(\[]([^)\]]*)[)\]]")
_WEEKDAY = re.compile(r"(?:星期|周|礼拜)\s*([一二三四五六日天])")
_RANGE = re.compile(r"^\s*(?:至|到|~|—|–|-|－)\s*$")
_SEPARATOR = re.compile(r"^[\s、,，和及与]*$")
_WORK = re.compile(r"上班|补班|\bwork(?:ing)?(?:\s*day)?\b", re.IGNORECASE)
_OFF = re.compile(r"休息|放假|休假|\b(?:off|holiday|rest)\b", re.IGNORECASE)
# Anything that still looks like a date once the dates read have been taken out.
_DATE_LIKE = re.compile(r"\d\s*[-/.年月—–－:]\s*\d|\d\s*[月日号]")


class NoticeError(ValueError):
    """A line of the paste cannot be read: ``message`` names the line and says why."""


@dataclass(frozen=True)
class NoticeDay:
    """One day of the notice: worked (``is_workday``) or off, and the line it came from."""

    day: date
    is_workday: bool
    line_no: int
    text: str


@dataclass
class Notice:
    """The days read from a paste, in date order, each with the line it came from."""

    days: list[NoticeDay] = field(default_factory=list)


def _line_error(line_no: int, text: str, problem: str) -> NoticeError:
    shown = text if len(text) <= 60 else text[:57] + "…"
    return NoticeError(_("Line %(n)d “%(text)s”: %(problem)s", n=line_no, text=shown,
                         problem=problem))


def _make_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except (ValueError, OverflowError):
        return None


def _read_dates(clause: str, year: int) -> tuple[list[date], str]:
    """The dates of one statement (ranges expanded) and the text left once the dates and
    their brackets are taken out. Raises ``ValueError`` with the problem."""
    days: list[date] = []
    rest: list[str] = []
    pos = 0
    previous: date | None = None
    pending_range = False
    for match in _DATE.finditer(clause):
        between = clause[pos:match.start()]
        if previous is not None and _RANGE.match(between):
            pending_range = True
        elif previous is not None and not _SEPARATOR.match(between):
            rest.append(between)
        elif previous is None:
            rest.append(between)
        g = match.groupdict()
        if g["y"]:
            y, m, d = int(g["y"]), int(g["m"]), int(g["d"])
        elif g["m2"]:
            y, m, d = (previous.year if previous else year), int(g["m2"]), int(g["d2"])
        else:
            if not pending_range or previous is None:
                raise ValueError(_("%(text)s has no month.", text=match.group(0).strip()))
            y, m, d = previous.year, previous.month, int(g["d3"])
        day = _make_date(y, m, d)
        if day is None:
            raise ValueError(_("%(text)s is not a date.", text=match.group(0).strip()))
        pos = match.end()
        bracket = _BRACKET.match(clause, pos)
        if bracket:
            pos = bracket.end()
            said = _WEEKDAY.search(bracket.group(1))
            if said and _WEEKDAYS[said.group(1)] != day.weekday():
                raise ValueError(_("%(day)s is a %(weekday)s, not a %(said)s.",
                                   day=day.isoformat(), weekday=WEEKDAY_NAMES[day.weekday()],
                                   said=WEEKDAY_NAMES[_WEEKDAYS[said.group(1)]]))
        if pending_range:
            if day <= previous:
                raise ValueError(_("the range ends on %(end)s, not after %(start)s.",
                                   end=day.isoformat(), start=previous.isoformat()))
            if (day - previous).days > MAX_RANGE_DAYS:
                raise ValueError(_("a range of more than %(n)d days is not a holiday.",
                                   n=MAX_RANGE_DAYS))
            days += [previous + timedelta(days=i) for i in range(1, (day - previous).days + 1)]
            pending_range = False
        else:
            days.append(day)
        previous = day
    rest.append(clause[pos:])
    if pending_range:
        raise ValueError(_("the range has no end date."))
    return days, " ".join(rest)


def parse_notice(text: str, year: int) -> Notice:
    """Read the pasted notice for ``year``. Raises ``NoticeError`` naming the first line
    that cannot be read; otherwise every date in it, each once."""
    lines = (text or "").splitlines()
    if len(lines) > MAX_LINES:
        raise NoticeError(_("At most %(n)d lines can be pasted at once.", n=MAX_LINES))
    # A notice may list a Saturday worked late in December before New Year's Day.
    first, last = date(year - 1, 12, 1), date(year, 12, 31)
    seen: dict[date, NoticeDay] = {}
    notice = Notice()
    for line_no, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        plain = unicodedata.normalize("NFKC", line)
        for clause in re.split(r"[。;；]", plain):
            if not clause.strip():
                continue
            try:
                days, rest = _read_dates(clause, year)
            except ValueError as exc:
                raise _line_error(line_no, line, str(exc)) from None
            work, off = bool(_WORK.search(rest)), bool(_OFF.search(rest))
            if not days:
                problem = (_("no date could be read.") if (work or off or _DATE_LIKE.search(rest))
                           else _("no date and no 上班 or 休息 in it."))
                raise _line_error(line_no, line, problem)
            if _DATE_LIKE.search(rest):
                raise _line_error(line_no, line, _("a date in it could not be read."))
            if work == off:
                raise _line_error(line_no, line, _(
                    "say either 上班 (worked) or 休息 (off) for its dates.") if not work
                    else _("it says both 上班 and 休息; give each on its own line."))
            for day in days:
                if not first <= day <= last:
                    raise _line_error(line_no, line, _(
                        "%(day)s is not part of the %(year)d arrangement.",
                        day=day.isoformat(), year=year))
                festival = statutory_festival(day)
                if work and festival is not None:
                    raise _line_error(line_no, line, _(
                        "%(day)s is a statutory holiday (%(festival)s) and cannot be worked.",
                        day=day.isoformat(), festival=festival.label))
                earlier = seen.get(day)
                if earlier is not None and earlier.is_workday != work:
                    raise _line_error(line_no, line, _(
                        "%(day)s is given as the opposite on line %(n)d.",
                        day=day.isoformat(), n=earlier.line_no))
                if earlier is None:
                    seen[day] = NoticeDay(day, work, line_no, line)
    notice.days = sorted(seen.values(), key=lambda d: d.day)
    return notice
