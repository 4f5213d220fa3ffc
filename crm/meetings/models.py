"""Meetings, their agenda, decisions (议定事项), typical cases and PDF briefings."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from crm.core.timeutil import utcnow
from crm.meetings.packets.kinds import ALL_KINDS, KEYED_KINDS, LEADER_KINDS
from crm.meetings.packets.kinds import MEETING_KINDS as MEETING_PACKET_KINDS
from crm.extensions import db

MEETING_KINDS = {
    "joint": _l("Monthly joint meeting"),
    "review": _l("Quarterly review meeting"),
    "special": _l("Special meeting"),
    "taskforce": _l("Task force meeting"),  # a 专班's rhythm meeting (crm.taskforces)
}
MEETING_STATES = {
    "planning": _l("Planning"),
    "issued": _l("Packet issued"),
    "held": _l("Held"),
    "minuted": _l("Minutes done"),
}
# Who is at a meeting (出席), sits in (列席) or sent apologies (请假).
ATTENDANCE = {
    "present": _l("Present"),
    "attending": _l("Sitting in"),
    "absent": _l("Excused"),
}
# Document number series (文号) and their organ abbreviations: 联席办〔2026〕12号 for the
# meeting packets, 联席办纪〔2026〕3号 for the minutes; numbered per series and year.
DOCUMENT_SERIES = {"packet": "联席办", "minutes": "联席办纪"}
BRIEFING_KINDS = {
    "joint": _l("Monthly joint meeting packet"),
    "review": _l("Quarterly review packet"),
    "portfolio": _l("Leader portfolio"),
    "minutes": _l("Minutes"),
}
BRIEFING_STATES = {
    "pending": _l("Queued"),
    "running": _l("Rendering"),
    "success": _l("Ready"),
    "failed": _l("Failed"),
}


class Meeting(db.Model):
    """A joint meeting (monthly), a review meeting (quarterly) or a special meeting."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    number: Mapped[str] = mapped_column(String(40))  # e.g. 2026年第11次
    title: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date]
    period_end: Mapped[date]
    starts_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    place: Mapped[Optional[str]] = mapped_column(String(200))
    attendees: Mapped[Optional[str]] = mapped_column(Text)
    minutes: Mapped[Optional[str]] = mapped_column(Text)
    review_remarks: Mapped[Optional[str]] = mapped_column(Text)
    # The official-document parts of the packets (issue 15): who chairs, how many copies
    # are printed (共印 N 份), and the coordinator's 存在问题 / 下步工作 paragraphs.
    chair: Mapped[Optional[str]] = mapped_column(String(100))
    copies: Mapped[Optional[int]]
    problems_text: Mapped[Optional[str]] = mapped_column(Text)
    next_steps_text: Mapped[Optional[str]] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="planning", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    agenda_items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", lazy="raise_on_sql",
        cascade="all, delete-orphan",
    )
    decisions: Mapped[list["Decision"]] = relationship(
        back_populates="meeting", order_by="Decision.position", lazy="raise_on_sql",
        cascade="all, delete-orphan",
    )
    attendance: Mapped[list["MeetingAttendee"]] = relationship(
        back_populates="meeting", lazy="raise_on_sql", cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("kind IN ('joint', 'review', 'special', 'taskforce')", name="kind"),
        CheckConstraint("state IN ('planning', 'issued', 'held', 'minuted')", name="state"),
        CheckConstraint("period_end >= period_start", name="period"),
        CheckConstraint("copies IS NULL OR copies > 0", name="copies"),
        UniqueConstraint("kind", "number", name="uq_meetings_kind_number"),
    )


class MeetingAttendee(db.Model):
    """One person (a leader, a member) or a member unit at a meeting: present (出席),
    sitting in (列席) or excused (请假)."""

    __tablename__ = "meeting_attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(10))

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    user = relationship("User", lazy="raise_on_sql")
    unit = relationship("Unit", lazy="raise_on_sql")

    __table_args__ = (
        CheckConstraint("role IN ('present', 'attending', 'absent')", name="role"),
        CheckConstraint("(user_id IS NULL) <> (unit_id IS NULL)", name="who"),
        UniqueConstraint("meeting_id", "user_id", name="uq_meeting_attendees_user"),
        UniqueConstraint("meeting_id", "unit_id", name="uq_meeting_attendees_unit"),
    )


class DocumentNumber(db.Model):
    """A 文号 given to a meeting's document of a series (``DOCUMENT_SERIES``): numbered
    per series and year when its first version is requested, then kept by every later
    version, final ones included."""

    __tablename__ = "document_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(10))
    year: Mapped[int]
    seq: Mapped[int]
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("series IN ('packet', 'minutes')", name="series"),
        CheckConstraint("seq > 0", name="seq"),
        UniqueConstraint("series", "year", "seq", name="uq_document_numbers_number"),
        UniqueConstraint("series", "meeting_id", name="uq_document_numbers_meeting"),
    )

    @property
    def text(self) -> str:
        """联席办〔2026〕12号 (六角括号, no leading zeros, no 第)."""
        return f"{DOCUMENT_SERIES[self.series]}〔{self.year}〕{self.seq}号"


class AgendaItem(db.Model):
    """A problem (or a leader's proposal) put to a meeting, with the question asked."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    issue_id: Mapped[Optional[int]] = mapped_column(ForeignKey("issues.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    source: Mapped[str] = mapped_column(String(10), default="escalated")
    title: Mapped[Optional[str]] = mapped_column(String(200))
    question: Mapped[Optional[str]] = mapped_column(Text)
    proposed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # The agenda page (议程): who presents the item and the minutes it is given. Without
    # a presenting unit the problem's lead unit presents.
    presenting_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))
    minutes_allotted: Mapped[Optional[int]]

    meeting: Mapped[Meeting] = relationship(back_populates="agenda_items")
    issue = relationship("Issue", lazy="raise_on_sql")
    presenting_unit = relationship("Unit", lazy="raise_on_sql")

    __table_args__ = (
        CheckConstraint("source IN ('escalated', 'red', 'proposal')", name="source"),
        CheckConstraint("issue_id IS NOT NULL OR title IS NOT NULL", name="subject"),
        CheckConstraint("minutes_allotted IS NULL OR minutes_allotted > 0",
                        name="minutes_allotted"),
    )


class Decision(db.Model):
    """A decision (议定事项) of a meeting. Tracked like a problem through ``issue``
    (source ``decision``): same workflow, same lights, reported in the next packet."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    issue_id: Mapped[Optional[int]] = mapped_column(ForeignKey("issues.id"), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    due_date: Mapped[date]

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")
    issue = relationship("Issue", lazy="raise_on_sql")
    unit = relationship("Unit", lazy="raise_on_sql")


class TypicalCase(db.Model):
    """A problem the coordinator picks as a typical case for a review packet."""

    __tablename__ = "typical_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id"), index=True)
    note: Mapped[Optional[str]] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("meeting_id", "issue_id", name="uq_typical_cases_pair"),)


def _quoted(kinds) -> str:
    return ", ".join(f"'{k}'" for k in kinds)


_KIND_LIST = _quoted(ALL_KINDS)
# Each kind has exactly one subject: a meeting, a leader, or a key.
BRIEFING_SUBJECT = (
    # (``MEETING_KINDS`` below is the meetings' own kinds; the packets' are these.)
    f"(kind IN ({_quoted(MEETING_PACKET_KINDS)}) AND meeting_id IS NOT NULL AND leader_id IS NULL"
    " AND subject_key IS NULL)"
    f" OR (kind IN ({_quoted(LEADER_KINDS)}) AND leader_id IS NOT NULL AND meeting_id IS NULL"
    " AND subject_key IS NULL)"
    f" OR (kind IN ({_quoted(KEYED_KINDS)}) AND subject_key IS NOT NULL AND meeting_id IS NULL"
    " AND leader_id IS NULL)"
)


class Briefing(db.Model):
    """A PDF packet: its rendering job state and, once done, the file itself.

    The PDF lives in the database so that any web process on any host can serve it.
    A final (定稿) briefing never changes; generating again makes a new version.
    """

    __tablename__ = "briefings"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    meeting_id: Mapped[Optional[int]] = mapped_column(ForeignKey("meetings.id"), index=True)
    leader_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    # The subject of a kind that is neither a meeting's nor a leader's (a task force's
    # week, a matchmaking session, a week's bulletin): ``crm.meetings.packets.kinds``.
    subject_key: Mapped[Optional[str]] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]
    heartbeat_at: Mapped[Optional[datetime]]
    job_id: Mapped[Optional[str]] = mapped_column(String(64))
    error: Mapped[Optional[str]] = mapped_column(Text)
    pdf: Mapped[Optional[bytes]] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[Optional[str]] = mapped_column(String(64))
    size: Mapped[Optional[int]]
    pages: Mapped[Optional[int]]
    is_final: Mapped[bool] = mapped_column(default=False)

    meeting = relationship("Meeting", lazy="raise_on_sql")
    leader = relationship("User", foreign_keys=[leader_id], lazy="raise_on_sql")
    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="raise_on_sql")

    __table_args__ = (
        CheckConstraint(f"kind IN ({_KIND_LIST})", name="kind"),
        CheckConstraint("state IN ('pending', 'running', 'success', 'failed')", name="state"),
        CheckConstraint(
            "(state = 'success') = (sha256 IS NOT NULL AND pdf IS NOT NULL)", name="file"
        ),
        CheckConstraint("NOT is_final OR state = 'success'", name="final_success"),
        CheckConstraint(BRIEFING_SUBJECT, name="subject"),
        Index("ix_briefings_subject_version", "kind", "meeting_id", "leader_id", "version"),
        Index("ix_briefings_key_version", "kind", "subject_key", "version"),
    )


class RollupMonth(db.Model):
    """A closed month whose figures are rolled up (``crm.meetings.rollups``): when its
    rows were written, and since when they are stale (a late write touched the month;
    the overview counts it live until it is rewritten)."""

    __tablename__ = "rollup_months"

    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    stale_at: Mapped[Optional[datetime]]
    # Moved by every late write: a rebuild clears ``stale_at`` only if no write came
    # while it counted.
    version: Mapped[int] = mapped_column(default=0)



class RollupRow(db.Model):
    """One counter row of a closed month's figures: a figure (``kind``) for one local
    day and one key (the lead unit for problems, None for the county's visit figures),
    with up to five counters ``a`` … ``e`` (``crm.meetings.metrics.daily``)."""

    __tablename__ = "rollup_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(12))
    key: Mapped[Optional[int]]
    a: Mapped[int] = mapped_column(default=0)
    b: Mapped[int] = mapped_column(default=0)
    c: Mapped[int] = mapped_column(default=0)
    d: Mapped[int] = mapped_column(default=0)
    e: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_rollup_rows_day_kind", "day", "kind"),)
