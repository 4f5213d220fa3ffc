"""Meetings: creation, agenda, minutes, typical cases and the meeting's state.

Decisions (议定事项) live in ``crm.meetings.decisions``: they are tracked as problems.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from crm.core import audit
from crm.core.counters import next_value
from crm.extensions import db
from crm.issues.models import OPEN_STATES, Issue
from crm.meetings.models import AgendaItem, Briefing, Meeting, TypicalCase

MEETING_FIELDS = ("kind", "number", "title", "period_start", "period_end", "starts_at",
                  "place", "attendees", "state")
# A red problem supervised this many times goes on the next joint meeting's agenda.
RED_SUPERVISE_THRESHOLD = 2
STATE_FLOW = {"planning": "issued", "issued": "held", "held": "minuted"}


class MeetingError(Exception):
    """A refused meeting operation; ``str(exc)`` is the message to show (Chinese)."""


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
    """Create a meeting in ``planning`` with the next number of its kind in the year."""
    seq = next_value(f"meeting:{kind}:{period.start.year}")
    meeting = Meeting(
        kind=kind, number=f"{period.start.year}年第{seq}次", period_start=period.start,
        period_end=period.end, title=(title or "").strip() or default_title(kind, period),
        starts_at=starts_at, place=place or None, attendees=attendees or None,
        state="planning", created_by_id=getattr(actor, "id", None),
    )
    db.session.add(meeting)
    db.session.flush()
    audit.record(actor, "create", meeting, after=audit.snapshot(meeting, MEETING_FIELDS),
                 summary=f"创建会议 {meeting.title}")
    return meeting


def update_meeting(meeting: Meeting, data: dict, actor) -> Meeting:
    """Change time, place, attendees, title, minutes or review remarks; audited."""
    fields = ("title", "starts_at", "place", "attendees", "minutes", "review_remarks")
    before = audit.snapshot(meeting, fields)
    for key in fields:
        if key in data:
            value = data[key]
            setattr(meeting, key, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    b, a = audit.diff(before, audit.snapshot(meeting, fields))
    if a:
        audit.record(actor, "update", meeting, before=b, after=a,
                     summary=f"修改会议 {meeting.title}")
    return meeting


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


def advance(meeting: Meeting, actor) -> Meeting:
    """planning → issued (needs a final packet) → held → minuted (needs minutes)."""
    target = STATE_FLOW.get(meeting.state)
    if target is None:
        raise MeetingError(_("The meeting is already complete."))
    if target == "issued":
        final = db.session.scalar(select(func.count()).select_from(Briefing).where(
            Briefing.meeting_id == meeting.id, Briefing.is_final))
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


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The last meeting of the same kind before this one (its decisions are reported)."""
    return db.session.scalar(
        select(Meeting).where(Meeting.kind == meeting.kind,
                              Meeting.period_start < meeting.period_start)
        .order_by(Meeting.period_start.desc()).limit(1)
    )
