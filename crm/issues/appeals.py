"""A unit's appeal (申诉) against a rating.

The lead unit may appeal the rating of one of its problems within three working days
of the rating (until 18:00 of the third working day), with its evidence; a coordinator
upholds or rejects it with the reason. The unit may attach up to three files of evidence
(photos or PDF, ``AppealFile``), which the coordinator opens when deciding; only those
who may see the appeal (``can_view``) download them. An upheld appeal takes that rating out of the
unit's figures (the satisfaction figure, the scorecard, the lists they link to:
``crm.issues.problem_sets.rated_in`` leaves out ratings under an upheld appeal), and the
problem page says so. A new rating of the problem (after a reopening) counts again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, exists,
                        select)
from sqlalchemy.orm import Mapped, deferred, joinedload, mapped_column, relationship

from crm.core.images import ImageRejected, reencode
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


class AppealFile(db.Model):
    """A file of evidence attached to an appeal: a photo (re-encoded without metadata)
    or a PDF (kept as sent, always downloaded, never shown inline)."""

    __tablename__ = "appeal_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"),
                                           index=True)
    name: Mapped[str] = mapped_column(String(150))
    content_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int]
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'application/pdf')",
                        name="content_type"),
    )


# -- evidence files ------------------------------------------------------------------------

MAX_FILES = 3
MAX_FILE_BYTES = 5 * 1024 * 1024
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


class EvidenceError(ValueError):
    """A file that cannot be kept as evidence; the message is for the user."""


@dataclass(frozen=True)
class EvidenceFile:
    """A checked file ready to store."""

    name: str
    content_type: str
    data: bytes


def _image(raw: bytes, name: str) -> EvidenceFile:
    try:
        content_type, data = reencode(raw, name, _(
            "%(name)s is not a photo (JPEG or PNG) or a PDF.", name=name))
    except ImageRejected as exc:
        raise EvidenceError(str(exc)) from exc
    return EvidenceFile(name, content_type, data)


def clean_evidence(stream, filename: str | None) -> EvidenceFile:
    """Check an uploaded file of evidence: a JPEG or PNG photo (re-encoded) or a PDF
    (its header and end checked), at most ``MAX_FILE_BYTES``. Raises ``EvidenceError``
    with a message for the user."""
    name = (filename or "").strip()[:100] or _("(unnamed)")
    raw = stream.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise EvidenceError(_("The file %(name)s is larger than %(mb)d MB.", name=name,
                              mb=MAX_FILE_BYTES // (1024 * 1024)))
    if not raw:
        raise EvidenceError(_("The file %(name)s is empty.", name=name))
    if raw.startswith(b"%PDF-"):
        if b"%%EOF" not in raw[-2048:]:
            raise EvidenceError(_("The PDF %(name)s is incomplete or damaged.", name=name))
        return EvidenceFile(name, "application/pdf", raw)
    return _image(raw, name)


def download_name(f: AppealFile) -> str:
    """The name a download is saved under (the extension of what it really is)."""
    stem = f.name.rsplit(".", 1)[0] if "." in f.name else f.name
    return stem + EXTENSIONS[f.content_type]


def can_view(user, appeal: Appeal) -> bool:
    """Who may see an appeal and its files: the coordinators (who decide) and the
    handlers of the unit that filed it. The problem itself must be visible too (the
    caller checks that first)."""
    if user.has_role("coordinator"):
        return True
    return user.has_role("handler") and user.unit_id is not None \
        and user.unit_id == appeal.unit_id


def files_of(appeal_ids) -> dict[int, list[AppealFile]]:
    """The files of these appeals (without their bytes), by appeal; one query."""
    out: dict[int, list[AppealFile]] = {}
    ids = list(appeal_ids)
    if not ids:
        return out
    for f in db.session.scalars(select(AppealFile).where(AppealFile.appeal_id.in_(ids))
                                .order_by(AppealFile.id)):
        out.setdefault(f.appeal_id, []).append(f)
    return out


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


def file_appeal(issue: Issue, data: dict, actor, now: datetime | None = None,
                files: list[EvidenceFile] | None = None) -> Appeal:
    """The lead unit appeals the current rating, with the reason, its evidence and up
    to three checked files (``clean_evidence``)."""
    now = now or utcnow()
    files = list(files or [])
    message = refusal(issue, actor, now)
    if message:
        raise NotAllowed(message)
    reason = _text(data.get("reason"), "reason", _("Give the reason for the appeal."))
    evidence = _text(data.get("evidence"), "evidence",
                     _("Describe the evidence (call records, documents, photos handed over)."))
    if len(files) > MAX_FILES:
        raise InvalidInput(_("At most %(n)d files.", n=MAX_FILES), "files")
    appeal = Appeal(issue_id=issue.id, unit_id=actor.unit_id, rating=issue.rating,
                    rated_at=issue.rated_at, reason=reason, evidence=evidence,
                    filed_by_id=actor.id, filed_at=now, state="pending")
    db.session.add(appeal)
    db.session.flush()
    for f in files:
        db.session.add(AppealFile(appeal_id=appeal.id, name=f.name, content_type=f.content_type,
                                  size=len(f.data), data=f.data, created_at=now))
    db.session.add(IssueEvent(issue_id=issue.id, at=now, actor_id=actor.id, action="appeal",
                              text=reason, data={"rating": issue.rating, "files": len(files)}))
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


__all__ = ["Appeal", "AppealFile", "EvidenceError", "EvidenceFile", "MAX_FILES", "STATES",
           "appeal_deadline", "can_view", "clean_evidence", "current_appeal", "decide",
           "download_name", "file_appeal", "files_of", "pending", "refusal", "upheld_rating"]
