"""Problems (诉求), their timeline, categories, deadline rules, rating tokens and the
working-day calendar overrides."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    case,
    literal,
    text,
)
from sqlalchemy import text as sql_text  # IssueEvent has a column named ``text``
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.timeutil import utcnow
from crm.extensions import db

STATES = {
    "new": _l("New"),
    "dispatched": _l("Dispatched"),
    "returned": _l("Returned"),
    "in_progress": _l("In progress"),
    "paused": _l("Waiting for the enterprise"),
    "resolved": _l("Resolved"),
    "reopened": _l("Reopened"),
    "closed": _l("Closed"),
}
OPEN_STATES = ("new", "dispatched", "returned", "in_progress", "paused", "reopened")
# States in which the deadline clock runs (it starts at dispatch; a pause stops it).
CLOCK_STATES = ("dispatched", "returned", "in_progress", "reopened")
CLOCK_SQL = "state IN ('dispatched', 'returned', 'in_progress', 'reopened')"
LEVELS = {"consult": _l("Consultation"), "ordinary": _l("Ordinary"), "complex": _l("Complex")}
SOURCES = {"visit": _l("Raised in a visit"), "direct": _l("Raised directly"),
           "decision": _l("Meeting decision"),
           # 企业自提: raised by the enterprise itself through its code (crm.channel)
           "enterprise": _l("Raised by the enterprise itself")}
RATING_CHANNELS = {"self": _l("By the enterprise itself"), "recorded": _l("Recorded by a cadre")}
LIGHTS = {"green": _l("On track"), "yellow": _l("Due soon"), "red": _l("Overdue")}


class Category(db.Model):
    """A problem category with its default lead unit and level (the dispatch proposal)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    lead_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"), index=True)
    default_level: Mapped[str] = mapped_column(String(10), default="ordinary")
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    lead_unit = relationship("Unit", lazy="joined")

    __table_args__ = (
        CheckConstraint("default_level IN ('consult', 'ordinary', 'complex')", name="level"),
    )


class DeadlineRule(db.Model):
    """Stage limits for a level, optionally specific to a category ("13710" by default).

    ``resolve_calendar`` counts the resolve limit in calendar days (complex problems).
    """

    __tablename__ = "deadline_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("categories.id"), index=True)
    level: Mapped[str] = mapped_column(String(10))
    sign_days: Mapped[int] = mapped_column(default=1)
    progress_days: Mapped[int] = mapped_column(default=3)
    resolve_days: Mapped[int] = mapped_column(default=7)
    resolve_calendar: Mapped[bool] = mapped_column(default=False)
    # Working days a cooperating unit (协办) has to send its opinion to the lead unit.
    coop_days: Mapped[int] = mapped_column(default=2, server_default=text("2"))

    __table_args__ = (
        CheckConstraint("level IN ('consult', 'ordinary', 'complex')", name="level"),
        CheckConstraint(
            "sign_days > 0 AND progress_days > 0 AND resolve_days > 0", name="positive"
        ),
        CheckConstraint("coop_days > 0", name="coop_positive"),
        UniqueConstraint("category_id", "level", name="uq_deadline_rules_category_level"),
    )


# Problem states in which a cooperating unit's reply stage runs: from dispatch until the
# lead unit resolves it (a pause waits for the enterprise, not for the cooperating unit).
COOP_STATES = ("dispatched", "returned", "in_progress", "paused", "reopened")


class IssueUnit(db.Model):
    """A cooperating unit (协办) on a problem, with its own small stage: an opinion
    (协办意见) to the lead unit by ``reply_due_at``.

    ``reply_due_at`` and ``reply_warn_at`` are computed by ``crm.issues.cooperation``
    when the unit is asked; the light is derived from them like the problem's own
    (``light`` / ``light_expr``), and ``replied_at`` stops the stage. Rows written
    before the stage existed have no deadline and no light.
    """

    __tablename__ = "issue_units"

    issue_id: Mapped[int] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)
    requested_at: Mapped[Optional[datetime]]
    reply_due_at: Mapped[Optional[datetime]]
    reply_warn_at: Mapped[Optional[datetime]]
    replied_at: Mapped[Optional[datetime]]

    unit = relationship("Unit", lazy="raise_on_sql")

    __table_args__ = (
        # The sweep walks only the stages still waiting for a reply, by warn time.
        Index("ix_issue_units_waiting", "reply_warn_at",
              sqlite_where=text("replied_at IS NULL"),
              postgresql_where=text("replied_at IS NULL")),
    )

    def light(self, issue_state: str, now: datetime | None = None) -> Optional[str]:
        """The stage's light now: green / yellow / red, or None once replied, when the
        problem no longer waits for it, or for a row without a deadline."""
        if (self.replied_at is not None or self.reply_due_at is None
                or issue_state not in COOP_STATES):
            return None
        now = now or utcnow()
        if now > self.reply_due_at:
            return "red"
        if self.reply_warn_at is not None and now >= self.reply_warn_at:
            return "yellow"
        return "green"

    @classmethod
    def light_expr(cls, now: datetime):
        """The same light in SQL (the problem's state is ``Issue.state``, joined)."""
        return case(
            (cls.replied_at.is_not(None) | cls.reply_due_at.is_(None)
             | Issue.state.notin_(COOP_STATES), None),
            (cls.reply_due_at < now, "red"),
            (cls.reply_warn_at <= now, "yellow"),
            else_="green",
        )


class Issue(db.Model):
    """An enterprise's problem, tracked from raise to close.

    Only ``crm.issues.workflow.transition`` assigns ``state``. ``due_at`` and
    ``warn_at`` are computed by ``crm.issues.deadlines`` when the clock starts, moves
    or resumes; the traffic light is derived from them and the current time
    (``Issue.light_expr``), never stored.
    """

    __tablename__ = "issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)  # e.g. 2026-0137
    source: Mapped[str] = mapped_column(String(10), default="visit")
    enterprise_id: Mapped[Optional[int]] = mapped_column(ForeignKey("enterprises.id"), index=True)
    visit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("visits.id"), index=True)
    raised_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[Optional[str]] = mapped_column(Text)
    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("categories.id"), index=True)
    level: Mapped[str] = mapped_column(String(10), default="ordinary")
    lead_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"), index=True)
    handler_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), default="new", index=True)

    # Clock. All naive UTC.
    dispatched_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    is_redispatched: Mapped[bool] = mapped_column(default=False)
    sign_due_at: Mapped[Optional[datetime]]
    signed_at: Mapped[Optional[datetime]]
    progress_due_at: Mapped[Optional[datetime]]
    first_progress_at: Mapped[Optional[datetime]]
    due_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    warn_at: Mapped[Optional[datetime]]
    paused_at: Mapped[Optional[datetime]]
    extension_requested_until: Mapped[Optional[date]] = mapped_column()
    extension_reason: Mapped[Optional[str]] = mapped_column(String(500))

    resolved_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    resolution: Mapped[Optional[str]] = mapped_column(Text)
    # Whether the last resolve came before the due time (frozen at resolve).
    resolved_on_time: Mapped[Optional[bool]]
    closed_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    close_reason: Mapped[Optional[str]] = mapped_column(String(300))

    rating: Mapped[Optional[int]]
    rating_comment: Mapped[Optional[str]] = mapped_column(Text)
    rating_channel: Mapped[Optional[str]] = mapped_column(String(10))
    rating_contact: Mapped[Optional[str]] = mapped_column(String(64))
    rated_at: Mapped[Optional[datetime]] = mapped_column(index=True)

    reopen_count: Mapped[int] = mapped_column(default=0)
    supervise_count: Mapped[int] = mapped_column(default=0)
    is_escalated: Mapped[bool] = mapped_column(default=False, index=True)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    enterprise = relationship("Enterprise", lazy="raise_on_sql")
    visit = relationship("Visit", lazy="raise_on_sql", backref=db.backref("issues", lazy="raise_on_sql"))
    raised_by = relationship("User", foreign_keys=[raised_by_id], lazy="raise_on_sql")
    handler = relationship("User", foreign_keys=[handler_id], lazy="raise_on_sql")
    category = relationship("Category", lazy="raise_on_sql")
    lead_unit = relationship("Unit", foreign_keys=[lead_unit_id], lazy="raise_on_sql")
    # Read only: the rows (with their reply stage) are written as IssueUnit.
    coop_units = relationship("Unit", secondary="issue_units", lazy="raise_on_sql",
                              viewonly=True)
    events: Mapped[list["IssueEvent"]] = relationship(
        back_populates="issue", order_by="IssueEvent.id", lazy="raise_on_sql",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(
            "state IN ('new', 'dispatched', 'returned', 'in_progress', 'paused', "
            "'resolved', 'reopened', 'closed')",
            name="state",
        ),
        CheckConstraint("level IN ('consult', 'ordinary', 'complex')", name="level"),
        CheckConstraint("source IN ('visit', 'direct', 'decision', 'enterprise')",
                        name="source"),
        CheckConstraint(
            "enterprise_id IS NOT NULL OR source = 'decision'", name="enterprise_required"
        ),
        CheckConstraint("(state = 'closed') = (closed_at IS NOT NULL)", name="closed_at"),
        CheckConstraint("(state = 'paused') = (paused_at IS NOT NULL)", name="paused_at"),
        CheckConstraint(
            "state IN ('new', 'returned') OR state = 'closed' OR dispatched_at IS NOT NULL",
            name="dispatched_at",
        ),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating"),
        CheckConstraint(
            "rating_channel IS NULL OR rating_channel IN ('self', 'recorded')",
            name="rating_channel",
        ),
        Index("ix_issues_unit_state", "lead_unit_id", "state"),
        Index("ix_issues_state_due", "state", "due_at"),
        Index("ix_issues_state_raised", "state", "raised_at"),  # new ones, oldest first
        Index("ix_issues_state_dispatched_unit", "state", "dispatched_at", "lead_unit_id"),
        Index("ix_issues_enterprise_rated", "enterprise_id", "rated_at"),  # latest rating
        # An enterprise's open problems (its page, a leader's portfolio and lists).
        Index("ix_issues_enterprise_state", "enterprise_id", "state"),
        # A leader's portfolio counts each enterprise's red and yellow problems from the
        # index alone (running clocks only).
        Index("ix_issues_enterprise_clock", "enterprise_id", "due_at", "warn_at",
              sqlite_where=text(CLOCK_SQL), postgresql_where=text(CLOCK_SQL)),
        # The few escalated to the joint meeting, oldest first (the overview, packets).
        Index("ix_issues_escalated_raised", "raised_at", sqlite_where=text("is_escalated IS 1"),
              postgresql_where=text("is_escalated IS true")),
        # Problems whose clock runs, by due time: the red ones, most overdue first. With
        # the 督办 count and the escalation the triage board counts its red and "overdue
        # again after supervision" sections from the index alone.
        Index("ix_issues_clock_due", "due_at", "supervise_count", "is_escalated",
              sqlite_where=text(CLOCK_SQL), postgresql_where=text(CLOCK_SQL)),
        # A unit's resolved problems, latest first (the handler's inbox).
        Index("ix_issues_unit_resolved", "lead_unit_id", "resolved_at",
              sqlite_where=text("state = 'resolved'"),
              postgresql_where=text("state = 'resolved'")),
        # Only the few problems waiting for an extension decision (the triage board).
        Index("ix_issues_extension_pending", "extension_requested_until",
              sqlite_where=text("extension_requested_until IS NOT NULL"),
              postgresql_where=text("extension_requested_until IS NOT NULL")),
    )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def light(self, now: datetime | None = None) -> Optional[str]:
        """The traffic light for this problem now: green / yellow / red, or None."""
        if self.state not in CLOCK_STATES or self.due_at is None:
            return None
        now = now or utcnow()
        if now > self.due_at:
            return "red"
        if self.warn_at is not None and now >= self.warn_at:
            return "yellow"
        return "green"

    @classmethod
    def red_expr(cls, now: datetime):
        """``light_expr(now) == "red"`` written so that an index serves it: lists of a
        million-row history filter on it. The states are written into the SQL (not bound)
        so that SQLite can use the partial index of running clocks (``ix_issues_clock_due``),
        which also gives the most overdue first without a sort."""
        return cls.state.in_([literal(s, literal_execute=True) for s in CLOCK_STATES]) & (
            cls.due_at < now)

    @classmethod
    def light_expr(cls, now: datetime):
        """The same traffic light as a SQL expression, for filters and counts."""
        return case(
            (cls.state.notin_(CLOCK_STATES) | cls.due_at.is_(None), None),
            (cls.due_at < now, "red"),
            (cls.warn_at <= now, "yellow"),
            else_="green",
        )


class IssueEvent(db.Model):
    """The timeline and audit trail of a problem: one row per action."""

    __tablename__ = "issue_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    actor_name: Mapped[Optional[str]] = mapped_column(String(64))  # e.g. the rating contact
    action: Mapped[str] = mapped_column(String(20), index=True)
    from_state: Mapped[Optional[str]] = mapped_column(String(12))
    to_state: Mapped[Optional[str]] = mapped_column(String(12))
    text: Mapped[Optional[str]] = mapped_column(Text)
    data: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)

    issue: Mapped[Issue] = relationship(back_populates="events")
    actor = relationship("User", lazy="raise_on_sql")

    # The overview counts events of one kind in a month (reopened, supervised).
    __table_args__ = (
        Index("ix_issue_events_action_at", "action", "at"),
        # The few events that reopened a problem, by time (the month's reopen figure).
        Index("ix_issue_events_reopened", "at", sqlite_where=sql_text("to_state = 'reopened'"),
              postgresql_where=sql_text("to_state = 'reopened'")),
    )


class RatingToken(db.Model):
    """A one-time link for the enterprise contact to rate a resolution (channel ``self``).

    Only the SHA-256 of the token is stored.
    """

    __tablename__ = "rating_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime]
    used_at: Mapped[Optional[datetime]]


class WorkdayOverride(db.Model):
    """An admin's correction to the holiday calendar: a holiday or a make-up workday (调休)."""

    __tablename__ = "workday_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    is_workday: Mapped[bool]
    note: Mapped[Optional[str]] = mapped_column(String(100))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HolidayArrangement(db.Model):
    """The admin's confirmation that the State Council's holiday notice for ``year`` has
    been entered (its 调休 as WorkdayOverride rows), for a year the holiday package does
    not know. Until it exists the year's statutory days are counted but the year is
    still reported as missing (``deadlines.unknown_years``)."""

    __tablename__ = "holiday_arrangements"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    notice: Mapped[Optional[str]] = mapped_column(String(120))
    confirmed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
