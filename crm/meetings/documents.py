"""The official-document parts of a meeting's papers (issue 15): the 文号 of each
series, the attendance (出席 / 列席 / 请假) with the leaders in protocol order, and what
must be written before a packet can be made final."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from crm.auth.models import Unit, User, UserRole
from crm.core import audit
from crm.extensions import db
from crm.meetings.models import AgendaItem, DocumentNumber, Meeting, MeetingAttendee
from crm.core.timeutil import local_today

ROLES = ("present", "attending", "absent")
# The issuing organ printed in the issuing block (版记); PACKET_ISSUER overrides it.
ISSUER = "市企业帮扶联席会议办公室"


# ------------------------------------------------------------------ 文号

def document_numbers(meeting: Meeting) -> dict[str, DocumentNumber]:
    """The meeting's 文号 by series (one query)."""
    return {n.series: n for n in db.session.scalars(
        select(DocumentNumber).where(DocumentNumber.meeting_id == meeting.id))}


def document_number(meeting: Meeting, series: str) -> DocumentNumber | None:
    """The 文号 of ``meeting``'s document of ``series`` (None before its first version)."""
    return db.session.scalar(select(DocumentNumber).where(
        DocumentNumber.meeting_id == meeting.id, DocumentNumber.series == series))


def assign_number(meeting: Meeting, series: str, actor) -> DocumentNumber:
    """The 文号 of the document, given when its first version is requested: the next
    number of the series in the year it is issued (today's). Later versions (and the
    final one) keep it."""
    number = document_number(meeting, series)
    if number is not None:
        return number
    year = local_today().year
    seq = (db.session.scalar(select(func.max(DocumentNumber.seq)).where(
        DocumentNumber.series == series, DocumentNumber.year == year)) or 0) + 1
    number = DocumentNumber(series=series, year=year, seq=seq, meeting_id=meeting.id)
    db.session.add(number)
    db.session.flush()
    audit.record(actor, "number", meeting, after={"series": series, "number": number.text},
                 summary=f"文号 {number.text}")
    return number


# ------------------------------------------------------------------ attendance

def protocol_key(user: User) -> tuple:
    """Leaders in the admin's protocol order (市委书记 1, 市长 2 …), unordered ones last
    by name."""
    return (user.protocol_order is None, user.protocol_order or 0, user.display_name)


def city_leaders() -> list:
    """The active city leaders in protocol order: rows of ``id``, ``display_name``,
    ``title`` and ``protocol_order`` (a province has 2,000 leaders; loading them as users
    with their units and roles cost half a second and four more statements)."""
    leaders = db.session.execute(
        select(User.id, User.display_name, User.title, User.protocol_order)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "leader", User.is_active).distinct()).all()
    return sorted(leaders, key=protocol_key)


def member_units(units: list[Unit] | None = None) -> list[Unit]:
    """The active departments (the member units that sit in), by name; from ``units``
    (the active units) when the caller has them."""
    if units is None:
        units = db.session.scalars(select(Unit).where(Unit.is_active)).all()
    return sorted((u for u in units if u.kind == "department"), key=lambda u: u.name)


@dataclass
class Attendance:
    """Who was at the meeting, by role: people (leaders in protocol order) and units."""

    people: dict[str, list[User]] = field(default_factory=lambda: {r: [] for r in ROLES})
    units: dict[str, list[Unit]] = field(default_factory=lambda: {r: [] for r in ROLES})
    other: str | None = None   # the meeting's free-text attendee line

    @property
    def empty(self) -> bool:
        return not any(self.people.values()) and not any(self.units.values()) \
            and not self.other

    def line(self, role: str) -> str:
        """The people and units of ``role`` as one line: 张三（市长）、李四…；人社局、…"""
        people = "、".join(f"{u.display_name}" + (f"（{u.title}）" if u.title else "")
                          for u in self.people[role])
        units = "、".join(u.name for u in self.units[role])
        return "；".join(part for part in (people, units) if part)


def attendance(meeting: Meeting) -> Attendance:
    """The meeting's attendance, leaders in protocol order, units by name (one query)."""
    out = Attendance(other=meeting.attendees)
    rows = db.session.execute(
        select(MeetingAttendee, User, Unit)
        .outerjoin(User, User.id == MeetingAttendee.user_id)
        .outerjoin(Unit, Unit.id == MeetingAttendee.unit_id)
        .where(MeetingAttendee.meeting_id == meeting.id)).all()
    for row, user, unit in rows:
        if user is not None:
            out.people[row.role].append(user)
        elif unit is not None:
            out.units[row.role].append(unit)
    for role in ROLES:
        out.people[role].sort(key=protocol_key)
        out.units[role].sort(key=lambda u: u.name)
    return out


def save_attendance(meeting: Meeting, people: dict[int, str | None],
                    units: dict[int, str | None], actor) -> None:
    """Replace the meeting's attendance: ``people`` and ``units`` map ids to a role
    (``present``, ``attending``, ``absent``) or None (not listed); audited."""
    before = _snapshot(meeting)
    existing = {(r.user_id, r.unit_id): r for r in db.session.scalars(
        select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id))}
    wanted = {(uid, None): role for uid, role in people.items() if role}
    wanted.update({(None, uid): role for uid, role in units.items() if role})
    for key, row in existing.items():
        if key not in wanted:
            db.session.delete(row)
        else:
            row.role = wanted[key]
    for (user_id, unit_id), role in wanted.items():
        if (user_id, unit_id) not in existing:
            db.session.add(MeetingAttendee(meeting_id=meeting.id, user_id=user_id,
                                           unit_id=unit_id, role=role))
    db.session.flush()
    after = _snapshot(meeting)
    if after != before:
        audit.record(actor, "attendance", meeting, before=before, after=after,
                     summary=f"出席人员 {meeting.title}")


def _snapshot(meeting: Meeting) -> dict:
    rows = db.session.execute(select(MeetingAttendee.user_id, MeetingAttendee.unit_id,
                                     MeetingAttendee.role)
                              .where(MeetingAttendee.meeting_id == meeting.id)).all()
    return {"attendance": sorted(f"{'u' if u else 'd'}{u or d}:{r}" for u, d, r in rows)}


# ------------------------------------------------------------------ agenda details

def set_agenda_details(item: AgendaItem, *, question: str | None, presenting_unit_id,
                       minutes_allotted, actor) -> None:
    """The question put to the meeting, the presenting unit and the minutes allotted."""
    item.question = (question or "").strip() or None
    item.presenting_unit_id = presenting_unit_id or None
    item.minutes_allotted = minutes_allotted or None
    db.session.flush()


# ------------------------------------------------------------------ final

def final_problems(meeting: Meeting, kind: str, agenda: list | None = None) -> list[str]:
    """What is missing before a packet of ``kind`` for ``meeting`` can be made final
    (empty when nothing is): every agenda item needs the question put to the meeting
    (提请会议研究), the packet needs the 存在问题 and 下步工作 paragraphs. ``agenda``: the
    meeting's agenda items when the caller has them loaded."""
    problems = []
    if kind == "joint":
        if agenda is None:
            agenda = db.session.scalars(select(AgendaItem).where(
                AgendaItem.meeting_id == meeting.id)).all()
        missing = sorted(i.position for i in agenda if not (i.question or "").strip())
        if missing:
            problems.append(_("Agenda item(s) %(items)s have no question put to the "
                              "meeting: write it on the meeting page before making the "
                              "packet final.", items="、".join(str(p) for p in missing)))
    if kind in ("joint", "review"):
        if not (meeting.problems_text or "").strip():
            problems.append(_("The “Problems” paragraph is not written yet: write it (or "
                              "edit the draft) on the meeting page."))
        if not (meeting.next_steps_text or "").strip():
            problems.append(_("The “Next steps” paragraph is not written yet: write it (or "
                              "edit the draft) on the meeting page."))
    return problems
