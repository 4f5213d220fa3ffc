"""Case groups (类案): problems that share one cause (e.g. eight enterprises in one park
short of power capacity), handled by one lead unit with one policy-level answer.

The coordinator groups the problems, names the lead unit and writes the group's
progress and, once found, its answer. Every progress note and the answer are written on
the timeline of each member problem (an ``IssueEvent`` of action ``case_group``), so the
handler and the enterprise's people see it where they look; the quarterly review lists
the groups with what changed in the quarter (``crm.meetings.case_group_section``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship, selectinload

from crm.auth.models import Unit
from crm.core import audit
from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues.errors import InvalidInput
from crm.issues.models import Issue, IssueEvent
from crm.issues.notices import Notice, send, zh

STATES = {"open": _l("Being worked on"), "answered": _l("Answered")}
TEXT_MAX = 4000


class CaseGroup(db.Model):
    """A group of problems with one cause, one lead unit and one answer."""

    __tablename__ = "case_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    cause: Mapped[str] = mapped_column(Text)
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    answer: Mapped[Optional[str]] = mapped_column(Text)
    answered_at: Mapped[Optional[datetime]]
    state: Mapped[str] = mapped_column(String(10), default="open")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    lead_unit = relationship("Unit", lazy="raise_on_sql")
    members: Mapped[list["CaseGroupMember"]] = relationship(
        back_populates="group", cascade="all, delete-orphan", lazy="raise_on_sql")
    updates: Mapped[list["CaseGroupUpdate"]] = relationship(
        back_populates="group", cascade="all, delete-orphan", lazy="raise_on_sql",
        order_by="CaseGroupUpdate.id")

    __table_args__ = (
        CheckConstraint("state IN ('open', 'answered')", name="state"),
        CheckConstraint("(state = 'answered') = (answered_at IS NOT NULL)", name="answered"),
    )


class CaseGroupMember(db.Model):
    """A problem in a case group (a problem belongs to one group at most)."""

    __tablename__ = "case_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("case_groups.id", ondelete="CASCADE"),
                                          primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"),
                                          primary_key=True, unique=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[CaseGroup] = relationship(back_populates="members")
    issue = relationship("Issue", lazy="raise_on_sql")


class CaseGroupUpdate(db.Model):
    """A progress note (or the answer) of a group, as written on each member problem."""

    __tablename__ = "case_group_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("case_groups.id", ondelete="CASCADE"),
                                          index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(10), default="progress")
    text: Mapped[str] = mapped_column(Text)

    group: Mapped[CaseGroup] = relationship(back_populates="updates")
    actor = relationship("User", lazy="raise_on_sql")

    __table_args__ = (CheckConstraint("kind IN ('progress', 'answer')", name="kind"),)


def _text(value, field: str, message: str, limit: int = TEXT_MAX) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(message, field)
    if len(text) > limit:
        raise InvalidInput(_("At most %(n)d characters.", n=limit), field)
    return text


def issues_by_numbers(numbers: list[str]) -> list[Issue]:
    wanted = [n.strip() for n in numbers if n and n.strip()]
    if not wanted:
        return []
    found = list(db.session.scalars(select(Issue).where(Issue.number.in_(wanted))))
    missing = set(wanted) - {i.number for i in found}
    if missing:
        raise InvalidInput(_("No problem numbered %(n)s.", n="、".join(sorted(missing))[:200]),
                           "numbers")
    return found


def create_group(data: dict, actor, now: datetime | None = None) -> CaseGroup:
    """A new group: title, cause, lead unit and its first problems (numbers)."""
    now = now or utcnow()
    title = _text(data.get("title"), "title", _("Give the group a title."), 200)
    cause = _text(data.get("cause"), "cause", _("Describe the shared cause."))
    unit = db.session.get(Unit, data.get("lead_unit_id") or 0)
    if unit is None or not unit.is_active:
        raise InvalidInput(_("Choose the lead unit."), "lead_unit_id")
    issues = issues_by_numbers(data.get("numbers") or [])
    if len(issues) < 2:
        raise InvalidInput(_("A case group needs at least two problems."), "numbers")
    group = CaseGroup(title=title, cause=cause, lead_unit_id=unit.id, state="open",
                      created_by_id=actor.id, created_at=now)
    db.session.add(group)
    db.session.flush()
    add_members(group, issues, actor, now)
    audit.record(actor, "create", group, object_type="case_group", object_id=group.id,
                 summary=_("Case group %(t)s", t=title))
    return group


def add_members(group: CaseGroup, issues: list[Issue], actor, now: datetime) -> int:
    """Add problems to the group (each says so on its timeline). A problem already in a
    group is refused."""
    if not issues:
        raise InvalidInput(_("Enter the numbers of the problems to add."), "numbers")
    ids = [i.id for i in issues]
    taken = set(db.session.scalars(select(CaseGroupMember.issue_id).where(
        CaseGroupMember.issue_id.in_(ids)))) if ids else set()
    if taken:
        numbers = "、".join(i.number for i in issues if i.id in taken)
        raise InvalidInput(_("Already in a case group: %(n)s.", n=numbers[:200]), "numbers")
    for issue in issues:
        db.session.add(CaseGroupMember(group_id=group.id, issue_id=issue.id, added_at=now))
        db.session.add(IssueEvent(
            issue_id=issue.id, at=now, actor_id=actor.id, action="case_group",
            text=_("Grouped with similar problems: %(t)s (lead unit handles the shared "
                   "cause).", t=group.title), data={"group_id": group.id, "kind": "added"}))
    db.session.flush()
    return len(issues)


def post_update(group: CaseGroup, text: str, actor, *, answer: bool = False,
                now: datetime | None = None) -> CaseGroupUpdate:
    """A progress note, or the policy-level answer (which marks the group answered),
    written on the group and on each member problem's timeline; the lead units of the
    members are told."""
    now = now or utcnow()
    text = _text(text, "text", _("Write the progress or the answer."))
    update = CaseGroupUpdate(group_id=group.id, at=now, actor_id=actor.id,
                             kind="answer" if answer else "progress", text=text)
    db.session.add(update)
    if answer:
        group.answer, group.answered_at, group.state = text, now, "answered"
    members = list(db.session.scalars(select(Issue).join(
        CaseGroupMember, CaseGroupMember.issue_id == Issue.id).where(
        CaseGroupMember.group_id == group.id)))
    label = _("Case group answer") if answer else _("Case group progress")
    for issue in members:
        db.session.add(IssueEvent(issue_id=issue.id, at=now, actor_id=actor.id,
                                  action="case_group", text=f"{label}（{group.title}）：{text}",
                                  data={"group_id": group.id, "kind": update.kind}))
    db.session.flush()
    for issue in members:
        send(issue, [Notice("case_group", ("unit",), zh(_l(
            "Case group %(t)s: %(text)s", t=group.title, text=text)))],
            key=f"case-group:{update.id}", exclude={actor.id})
    return update


def groups_with_counts() -> list[tuple[CaseGroup, int, int]]:
    """Every group with its member count and open member count, newest first."""
    open_count = func.count(Issue.id).filter(Issue.closed_at.is_(None))
    rows = db.session.execute(
        select(CaseGroup, func.count(Issue.id), open_count)
        .outerjoin(CaseGroupMember, CaseGroupMember.group_id == CaseGroup.id)
        .outerjoin(Issue, Issue.id == CaseGroupMember.issue_id)
        .options(selectinload(CaseGroup.lead_unit))
        .group_by(CaseGroup.id).order_by(CaseGroup.created_at.desc(), CaseGroup.id.desc()))
    return [(g, int(n), int(o)) for g, n, o in rows]


def load(group_id: int) -> CaseGroup | None:
    """A group with its unit, members (with enterprise and unit) and updates."""
    return db.session.scalar(select(CaseGroup).where(CaseGroup.id == group_id).options(
        joinedload(CaseGroup.lead_unit),
        selectinload(CaseGroup.members).joinedload(CaseGroupMember.issue)
        .joinedload(Issue.enterprise),
        selectinload(CaseGroup.members).joinedload(CaseGroupMember.issue)
        .joinedload(Issue.lead_unit),
        selectinload(CaseGroup.updates).joinedload(CaseGroupUpdate.actor)))


def changed_between(start: datetime, end: datetime) -> list[dict]:
    """Groups with what changed in ``[start, end)``: created, updates written, members
    closed (for the quarterly review; three queries)."""
    groups = groups_with_counts()
    if not groups:
        return []
    updates: dict[int, list[CaseGroupUpdate]] = {}
    for u in db.session.scalars(select(CaseGroupUpdate).where(
            CaseGroupUpdate.at >= start, CaseGroupUpdate.at < end).order_by(CaseGroupUpdate.id)):
        updates.setdefault(u.group_id, []).append(u)
    closed = dict(db.session.execute(
        select(CaseGroupMember.group_id, func.count()).join(
            Issue, Issue.id == CaseGroupMember.issue_id)
        .where(Issue.closed_at >= start, Issue.closed_at < end)
        .group_by(CaseGroupMember.group_id)).all())
    out = []
    for g, n, open_n in groups:
        new = start <= g.created_at < end
        if new or g.id in updates or g.id in closed or g.state == "open":
            out.append({"group": g, "members": n, "open": open_n, "new": new,
                        "updates": updates.get(g.id, []), "closed": closed.get(g.id, 0)})
    return out
