"""A unit's appeal (申诉) against a rating.

The lead unit may appeal the rating of one of its problems within three working days
of the rating (until 18:00 of the third working day), with its evidence; a coordinator
upholds or rejects it with the reason. An upheld appeal takes that rating out of the
unit's figures (the satisfaction figure, the scorecard, the lists they link to:
``crm.issues.problem_sets.rated_in`` leaves out ratings under an upheld appeal), and the
problem page says so. A new rating of the problem (after a reopening) counts again.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, exists, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.errors import InvalidInput, NotAllowed
from crm.issues.models import Issue, IssueEvent
from crm.issues.notices import Notice, send, zh

APPEAL_WORKING_DAYS = 3
STATES = {"pending": _l("Waiting for a decision"), "upheld": _l("Upheld"),
          "rejected": _l("Rejected")}
TEXT_MAX = 4000


class Appeal(db.Model):
    """A unit's appeal against one rating of a problem (the rating given at ``rated_at``)."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"),
                                          index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    rating: Mapped[int]
    rated_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[datetime]]
    decision: Mapped[Optional[str]] = mapped_column(Text)

    issue = relationship("Issue", lazy="raise_on_sql")
    unit = relationship("Unit", lazy="raise_on_sql")
    filed_by = relationship("User", foreign_keys=[filed_by_id], lazy="raise_on_sql")

    __table_args__ = (
        CheckConstraint("state IN ('pending', 'upheld', 'rejected')", name="state"),
        CheckConstraint("(state = 'pending') = (decided_at IS NULL)", name="decided"),
        Index("ix_appeals_issue_state", "issue_id", "state"),
    )


def upheld_rating():
    """SQL: the problem's current rating is taken out by an upheld appeal (for the
    figures and the lists, ``crm.issues.problem_sets``)."""
    return exists().where(Appeal.issue_id == Issue.id, Appeal.state == "upheld",
                          Appeal.rated_at == Issue.rated_at)


def appeal_deadline(issue: Issue) -> datetime | None:
    """18:00 on the third working day after the rating (None when not rated)."""
    if issue.rated_at is None:
        return None
    day = dl.local_date(issue.rated_at)
    return dl.end_of_day(dl.WorkCalendar.around(day).add(day, APPEAL_WORKING_DAYS))


def current_appeal(issue: Issue) -> Appeal | None:
    """The appeal against the problem's current rating, if any."""
    if issue.rated_at is None:
        return None
    return db.session.scalar(select(Appeal).where(
        Appeal.issue_id == issue.id, Appeal.rated_at == issue.rated_at))


def refusal(issue: Issue, actor, now: datetime) -> str | None:
    """Why ``actor`` may not appeal the problem's rating now (None: they may)."""
    if not actor.has_role("handler") or actor.unit_id is None \
            or actor.unit_id != issue.lead_unit_id:
        return _("Only the lead unit may appeal the rating.")
    if issue.rating is None:
        return _("The problem has no rating to appeal.")
    if now > appeal_deadline(issue):
        return _("A rating can be appealed within %(n)d working days; that time is over.",
                 n=APPEAL_WORKING_DAYS)
    if current_appeal(issue) is not None:
        return _("This rating was already appealed.")
    return None


def _text(value, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(message, field)
    if len(text) > TEXT_MAX:
        raise InvalidInput(_("At most %(n)d characters.", n=TEXT_MAX), field)
    return text


def file_appeal(issue: Issue, data: dict, actor, now: datetime | None = None) -> Appeal:
    """The lead unit appeals the current rating, with the reason and its evidence."""
    now = now or utcnow()
    message = refusal(issue, actor, now)
    if message:
        raise NotAllowed(message)
    reason = _text(data.get("reason"), "reason", _("Give the reason for the appeal."))
    evidence = _text(data.get("evidence"), "evidence",
                     _("Describe the evidence (call records, documents, photos handed over)."))
    appeal = Appeal(issue_id=issue.id, unit_id=actor.unit_id, rating=issue.rating,
                    rated_at=issue.rated_at, reason=reason, evidence=evidence,
                    filed_by_id=actor.id, filed_at=now, state="pending")
    db.session.add(appeal)
    db.session.add(IssueEvent(issue_id=issue.id, at=now, actor_id=actor.id, action="appeal",
                              text=reason, data={"rating": issue.rating}))
    db.session.flush()
    send(issue, [Notice("appeal", ("coordinators",), zh(_l(
        "%(unit)s appeals the rating %(r)s of %(ref)s: %(reason)s", unit=actor.unit.name
        if actor.unit else "", r=issue.rating, ref=f"{issue.number}《{issue.title}》",
        reason=reason)))], key=f"appeal:{appeal.id}", exclude={actor.id})
    return appeal


def decide(appeal: Appeal, upheld, text: str | None, actor,
           now: datetime | None = None) -> Appeal:
    """A coordinator upholds or rejects a pending appeal, with the reason."""
    now = now or utcnow()
    if not actor.has_role("coordinator"):
        raise NotAllowed(_("Only a coordinator decides an appeal."))
    if appeal.state != "pending":
        raise NotAllowed(_("This appeal was already decided."))
    if upheld not in (True, False):
        raise InvalidInput(_("Uphold or reject the appeal."), "upheld")
    decision = _text(text, "decision", _("Give the reason for the decision."))
    appeal.state = "upheld" if upheld else "rejected"
    appeal.decided_by_id, appeal.decided_at, appeal.decision = actor.id, now, decision
    issue = db.session.get(Issue, appeal.issue_id)
    db.session.add(IssueEvent(issue_id=issue.id, at=now, actor_id=actor.id,
                              action="appeal_decided", text=decision,
                              data={"upheld": bool(upheld), "rating": appeal.rating}))
    db.session.flush()
    words = (_l("The appeal against the rating of %(ref)s was upheld: the rating no longer "
                "counts in the unit's figures. %(text)s", ref=issue.number, text=decision)
             if upheld else
             _l("The appeal against the rating of %(ref)s was rejected: %(text)s",
                ref=issue.number, text=decision))
    send(issue, [Notice("appeal_decided", ("unit",), zh(words),
                        extra_user_ids={appeal.filed_by_id})],
         key=f"appeal-decided:{appeal.id}", exclude={actor.id})
    return appeal


def pending(limit: int = 200) -> list[Appeal]:
    """The appeals waiting for a coordinator, oldest first (one query)."""
    return list(db.session.scalars(
        select(Appeal).where(Appeal.state == "pending")
        .options(joinedload(Appeal.issue).joinedload(Issue.enterprise),
                 joinedload(Appeal.unit), joinedload(Appeal.filed_by))
        .order_by(Appeal.filed_at, Appeal.id).limit(limit)).unique())


__all__ = ["Appeal", "STATES", "appeal_deadline", "current_appeal", "decide",
           "file_appeal", "pending", "refusal", "upheld_rating"]
