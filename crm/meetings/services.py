"""Meetings: creation, agenda, minutes, typical cases and the meeting's state.

Decisions (议定事项) live in ``crm.meetings.decisions``: they are tracked as problems.
"""
from __future__ import annotations

import calendar
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from crm.core import audit
from crm.core.counters import next_value
from crm.core.timeutil import local_midnight_utc, to_local, utcnow
from crm.extensions import db
from crm.issues.models import OPEN_STATES, Issue
from crm.meetings.models import AgendaItem, Briefing, Meeting, TypicalCase

MEETING_FIELDS = ("kind", "number", "title", "period_start", "period_end", "starts_at",
                  "place", "attendees", "state")
# A red problem supervised this many times goes on the next joint meeting's agenda.
RED_SUPERVISE_THRESHOLD = 2
STATE_FLOW = {"planning": "issued", "issued": "held", "held": "minuted"}
NUMBER_RE = re.compile(r"^(\d{4})年第(\d+)次$")


class MeetingError(Exception):
    """A refused meeting operation; ``str(exc)`` is the message to show (Chinese).
    ``field`` names the form field the message belongs next to, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Period:
    """An inclusive range of local dates."""

    start: date
    end: date


def month_period(year: int, month: int) -> Period:
    """The calendar month ``year``-``month``."""
    return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def quarter_period(year: int, quarter: int) -> Period:
    """Quarter ``quarter`` (1–4) of ``year``."""
    first = 3 * (quarter - 1) + 1
    return Period(date(year, first, 1), month_period(year, first + 2).end)


def default_title(kind: str, period: Period) -> str:
    """The customary title, e.g. 2026年11月企业帮扶联席会议."""
    if kind == "joint":
        return f"{period.start.year}年{period.start.month}月企业帮扶联席会议"
    if kind == "review":
        q = (period.start.month - 1) // 3 + 1
        return f"{period.start.year}年第{q}季度企业帮扶工作点评会"
    return f"{period.start.year}年企业帮扶专题会议"


def create_meeting(kind: str, period: Period, actor, *, title: str | None = None,
                   starts_at: datetime | None = None, place: str | None = None,
                   attendees: str | None = None) -> Meeting:
    """Create a meeting in ``planning``; it and the other meetings of its kind in its
    year are numbered in date order (see ``renumber``). ``starts_at`` is naive UTC."""
    meeting = Meeting(
        kind=kind, number=_placeholder(), period_start=period.start,
        period_end=period.end, title=(title or "").strip() or default_title(kind, period),
        starts_at=starts_at, place=place or None, attendees=attendees or None,
        state="planning", created_by_id=getattr(actor, "id", None),
    )
    db.session.add(meeting)
    db.session.flush()
    renumber(kind, {meeting_day(meeting).year}, actor)
    audit.record(actor, "create", meeting, after=audit.snapshot(meeting, MEETING_FIELDS),
                 summary=f"创建会议 {meeting.title}")
    return meeting


def update_meeting(meeting: Meeting, data: dict, actor) -> Meeting:
    """Change time, place, chair, copies, attendees, title, minutes, review remarks or
    the 存在问题 / 下步工作 paragraphs; audited. A new
    time renumbers the meetings of its kind in the years it leaves and enters."""
    fields = ("title", "starts_at", "place", "attendees", "minutes", "review_remarks",
              "chair", "copies", "problems_text", "next_steps_text")
    before = audit.snapshot(meeting, fields)
    year_before = meeting_day(meeting).year
    for key in fields:
        if key in data:
            value = data[key]
            if isinstance(value, str):
                # An emptied text is no text (None), as at creation: saving the form
                # unchanged changes nothing.
                value = value.strip()
                if not value and key != "title":
                    value = None
            setattr(meeting, key, value)
    db.session.flush()
    b, a = audit.diff(before, audit.snapshot(meeting, fields))
    if "starts_at" in a:
        renumber(meeting.kind, {year_before, meeting_day(meeting).year}, actor)
    if a:
        audit.record(actor, "update", meeting, before=b, after=a,
                     summary=f"修改会议 {meeting.title}")
    return meeting


# ----------------------------------------------------------------- numbers (第N次)

def meeting_day(meeting: Meeting) -> date:
    """The local day a meeting is dated by: its time, or its period's first day when
    no time is set yet. Numbers, the year of the number and the same-month check
    follow it."""
    if meeting.starts_at is not None:
        return to_local(meeting.starts_at).date()
    return meeting.period_start


def _moment(meeting: Meeting) -> datetime:
    """The naive-UTC instant a meeting is dated at (its period's first midnight when
    it has no time)."""
    return meeting.starts_at or local_midnight_utc(meeting.period_start)


def _date_order(meetings) -> dict[int, tuple]:
    """A sort key per meeting id: by date, where a meeting without a time yet is not
    put before a meeting of the kind for an earlier period (the Q4 review entered
    before its day is fixed comes after the Q3 review held in October; December's
    joint meeting after November's held on 3 December). A time, once entered, decides."""
    keys: dict[int, tuple] = {}
    latest = None  # the latest date among meetings for earlier periods
    by_period = sorted(meetings, key=lambda m: m.period_start)
    for _start, group in groupby(by_period, key=lambda m: m.period_start):
        group = list(group)
        for m in group:
            moment = _moment(m)
            if m.starts_at is None and latest is not None:
                moment = max(moment, latest)
            keys[m.id] = (moment, m.period_start, m.id)
        newest = max(_moment(m) for m in group)
        latest = newest if latest is None else max(latest, newest)
    return keys


def _placeholder() -> str:
    """A number no meeting holds, for the instant between two numbers (the
    ``(kind, number)`` pair is unique, also in the middle of a renumbering)."""
    return f"~{uuid.uuid4().hex[:16]}"


def fixed_meeting_ids(meeting_ids) -> set[int]:
    """The meetings whose number is printed on a final (定稿) packet, or that are
    past planning (issuing needs a final packet). Their number never changes."""
    ids = list(meeting_ids)
    if not ids:
        return set()
    final = db.session.scalars(select(Briefing.meeting_id).where(
        Briefing.is_final, Briefing.meeting_id.in_(ids))).all()
    past = db.session.scalars(select(Meeting.id).where(
        Meeting.id.in_(ids), Meeting.state != "planning")).all()
    return set(final) | set(past)


def _number_seq(number: str, year: int) -> int | None:
    match = NUMBER_RE.match(number or "")
    return int(match.group(2)) if match and int(match.group(1)) == year else None


def _fixed_conflict(meeting: Meeting) -> MeetingError:
    return MeetingError(_(
        "%(number)s (%(title)s) already has a final packet, so its number cannot change; "
        "by date, this would put another meeting of the same kind before it. Check the "
        "meeting's time.", number=meeting.number, title=meeting.title), "starts_at")


def plan_numbers(kind: str, years: set[int]) -> dict[Meeting, str]:
    """The numbers the meetings of ``kind`` dated in ``years`` should carry: the N-th
    meeting of the kind in the year by date (time, else period start: see
    ``_date_order``) is 第N次. A meeting with a final packet keeps its number, and
    those after it count on from it, so a printed number never moves. When a change
    would need a fixed number to move (a meeting dated before it beyond what its
    number leaves room for), MeetingError says which. Returns the changed numbers.

    A year whose numbers are held by a meeting dated in another year (an older record)
    is numbered too, so two meetings never end up with the same number.
    """
    meetings = db.session.scalars(select(Meeting).where(Meeting.kind == kind)).all()
    fixed = fixed_meeting_ids(m.id for m in meetings)
    order = _date_order(meetings)
    years = set(years)
    while True:
        plan: dict[Meeting, str] = {}
        for year in sorted(years):
            last = 0
            dated = sorted((m for m in meetings if meeting_day(m).year == year),
                           key=lambda m: order[m.id])
            for m in dated:
                if m.id in fixed:
                    seq = _number_seq(m.number, year)
                    if seq is None:
                        continue  # an older record numbered in another year: kept
                    if seq <= last:
                        raise _fixed_conflict(m)
                    last = seq
                else:
                    last += 1
                    plan[m] = f"{year}年第{last}次"
        holders = {m.number: m for m in meetings if m not in plan}
        more = set()
        for m, number in plan.items():
            holder = holders.get(number)
            if holder is None:
                continue
            if holder.id in fixed:
                raise _fixed_conflict(holder)
            more.add(meeting_day(holder).year)
        if more <= years:
            return {m: n for m, n in plan.items() if m.number != n}
        years |= more


def renumber(kind: str, years: set[int], actor) -> None:
    """Give the meetings of ``kind`` in ``years`` their date-order numbers (see
    ``plan_numbers``); every changed number of an existing meeting is audited (the
    meeting being created has only a placeholder: its creation is the audit row).

    Bumping a counter first takes its row lock (PostgreSQL) or the write lock
    (SQLite): two requests numbering the same kind wait for each other instead of
    both reading the old numbers.
    """
    next_value(f"meeting-numbers:{kind}")
    changes = plan_numbers(kind, years)
    if not changes:
        return
    old = {m: m.number for m in changes}
    for m in changes:
        m.number = _placeholder()
    db.session.flush()
    for m, number in changes.items():
        m.number = number
    db.session.flush()
    for m, number in changes.items():
        if not old[m].startswith("~"):
            audit.record(actor, "renumber", m, before={"number": old[m]},
                         after={"number": number}, summary=f"会议编号 {old[m]} → {number}")


def same_month_meetings(kind: str, period: Period, starts_at: datetime | None
                        ) -> list[Meeting]:
    """Meetings of ``kind`` that look like the same meeting entered twice: the same
    first month of the period (the same 12月 joint meeting, the same quarter's review),
    or, when both have a time, held in the same month."""
    first = period.start.replace(day=1)
    stmt = select(Meeting).where(Meeting.kind == kind).order_by(Meeting.period_start,
                                                                 Meeting.id)
    conds = [Meeting.period_start.between(first, month_period(first.year,
                                                              first.month).end)]
    if starts_at is not None:
        day = to_local(starts_at).date()
        month = month_period(day.year, day.month)
        conds.append(and_(Meeting.starts_at >= local_midnight_utc(month.start),
                          Meeting.starts_at < local_midnight_utc(month.end
                                                                 + timedelta(days=1))))
    stmt = stmt.where(or_(*conds))
    found = []
    for m in db.session.scalars(stmt):
        same_period = m.period_start.replace(day=1) == first
        same_time = (starts_at is not None and m.starts_at is not None
                     and to_local(m.starts_at).strftime("%Y-%m")
                     == to_local(starts_at).strftime("%Y-%m"))
        if same_period or same_time:
            found.append(m)
    return found


def _agenda(meeting: Meeting) -> list[AgendaItem]:
    return db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()


def _renumber(items: list[AgendaItem]) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position


def build_agenda(meeting: Meeting, actor, now: datetime) -> int:
    """Add to the agenda the open problems escalated to a meeting and the red problems
    supervised at least ``RED_SUPERVISE_THRESHOLD`` times, skipping those already on it.
    Returns how many were added."""
    if meeting.state != "planning":
        raise MeetingError(_("The agenda can only be changed while the meeting is planned."))
    items = _agenda(meeting)
    present = {i.issue_id for i in items if i.issue_id}
    escalated = db.session.scalars(
        select(Issue.id).where(Issue.is_escalated, Issue.state.in_(OPEN_STATES))
        .order_by(Issue.raised_at)
    ).all()
    red = db.session.scalars(
        select(Issue.id).where(Issue.light_expr(now) == "red",
                               Issue.supervise_count >= RED_SUPERVISE_THRESHOLD)
        .order_by(Issue.due_at)
    ).all()
    added = 0
    for source, ids in (("escalated", escalated), ("red", red)):
        for issue_id in ids:
            if issue_id in present:
                continue
            present.add(issue_id)
            item = AgendaItem(meeting_id=meeting.id, issue_id=issue_id, source=source,
                              position=len(items) + 1)
            db.session.add(item)
            items.append(item)
            added += 1
    db.session.flush()
    if added:
        audit.record(actor, "agenda", meeting, after={"added": added},
                     summary=f"生成议程，新增 {added} 项")
    return added


def add_agenda_item(meeting: Meeting, actor, *, issue: Issue | None = None,
                    title: str | None = None, question: str | None = None,
                    source: str = "proposal") -> AgendaItem:
    """A leader's or coordinator's proposal (optionally about a problem)."""
    if meeting.state != "planning":
        raise MeetingError(_("The agenda can only be changed while the meeting is planned."))
    if issue is None and not (title or "").strip():
        raise MeetingError(_("Give a subject or a problem number."))
    items = _agenda(meeting)
    if issue is not None and any(i.issue_id == issue.id for i in items):
        raise MeetingError(_("This problem is already on the agenda."))
    item = AgendaItem(meeting_id=meeting.id, issue_id=issue.id if issue else None,
                      title=(title or "").strip() or None, question=(question or "").strip()
                      or None, source=source, proposed_by_id=getattr(actor, "id", None),
                      position=len(items) + 1)
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "agenda", meeting, after={"item": item.id, "issue": item.issue_id,
                                                  "title": item.title},
                 summary="新增议题")
    return item


def move_agenda_item(item: AgendaItem, direction: int, actor) -> None:
    """Move an item one place up (-1) or down (+1)."""
    meeting = db.session.get(Meeting, item.meeting_id)
    if meeting.state != "planning":
        raise MeetingError(_("The agenda can only be changed while the meeting is planned."))
    items = _agenda(meeting)
    index = items.index(item)
    target = index + direction
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
        _renumber(items)
        db.session.flush()


def remove_agenda_item(item: AgendaItem, actor) -> None:
    """Take an item off the agenda."""
    meeting = db.session.get(Meeting, item.meeting_id)
    if meeting.state != "planning":
        raise MeetingError(_("The agenda can only be changed while the meeting is planned."))
    db.session.delete(item)
    db.session.flush()
    _renumber(_agenda(meeting))
    db.session.flush()
    audit.record(actor, "agenda", meeting, before={"item": item.id, "issue": item.issue_id},
                 summary="移除议题")


def set_question(item: AgendaItem, question: str, actor) -> None:
    """The question put to the meeting for this item (what is asked of it)."""
    item.question = question.strip() or None
    db.session.flush()


def add_typical_case(meeting: Meeting, issue: Issue, note: str | None, actor) -> TypicalCase:
    """A problem chosen as a typical case for a review packet."""
    exists = db.session.scalar(select(func.count()).select_from(TypicalCase).where(
        TypicalCase.meeting_id == meeting.id, TypicalCase.issue_id == issue.id))
    if exists:
        raise MeetingError(_("This problem is already a typical case."))
    position = (db.session.scalar(select(func.max(TypicalCase.position)).where(
        TypicalCase.meeting_id == meeting.id)) or 0) + 1
    case = TypicalCase(meeting_id=meeting.id, issue_id=issue.id, note=(note or "").strip()
                       or None, position=position)
    db.session.add(case)
    db.session.flush()
    audit.record(actor, "typical_case", meeting, after={"issue": issue.id}, summary="选定典型案例")
    return case


def advance(meeting: Meeting, actor, now: datetime | None = None) -> Meeting:
    """planning → issued (needs a final packet) → held (not before the meeting's start)
    → minuted (needs minutes)."""
    target = STATE_FLOW.get(meeting.state)
    if target is None:
        raise MeetingError(_("The meeting is already complete."))
    if target == "held":
        _check_started(meeting, now or utcnow())
    if target == "issued":
        final = db.session.scalar(select(func.count()).select_from(Briefing).where(
            Briefing.meeting_id == meeting.id, Briefing.kind.in_(("joint", "review")),
            Briefing.is_final))
        if not final:
            raise MeetingError(_("Mark a packet as final before issuing it."))
    if target == "minuted" and not (meeting.minutes or "").strip():
        raise MeetingError(_("Record the minutes first."))
    before = meeting.state
    meeting.state = target
    db.session.flush()
    audit.record(actor, "state", meeting, before={"state": before}, after={"state": target},
                 summary=f"会议状态 {before} → {target}")
    return meeting


def _check_started(meeting: Meeting, now: datetime) -> None:
    """A meeting is held at its time; without a time, not before its period begins."""
    if meeting.starts_at is not None:
        if now < meeting.starts_at:
            raise MeetingError(_(
                "The meeting is set for %(at)s; it cannot be marked as held before it "
                "starts.", at=to_local(meeting.starts_at).strftime("%Y-%m-%d %H:%M")))
    elif now < local_midnight_utc(meeting.period_start):
        raise MeetingError(_(
            "The meeting's period only begins on %(d)s; it cannot be marked as held "
            "before then. If it has been held, enter its time first.",
            d=meeting.period_start.isoformat()))


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The last meeting of the same kind before this one (its decisions are reported)."""
    return db.session.scalar(
        select(Meeting).where(Meeting.kind == meeting.kind,
                              Meeting.period_start < meeting.period_start)
        .order_by(Meeting.period_start.desc()).limit(1)
    )
