"""包联 assignments and leaders' away periods.

They belong to the registry, below problems and visits: who holds an enterprise
decides what a person sees, who logs its visits and who hears of its problems, so
every package above reads them from here.

Rules (DESIGN.md §3, issue 3 item 6):

* an enterprise has at most one active leader A and one active leader B, and any
  number of commissioners;
* only a user holding the matching role (``leader`` / ``commissioner``) and active
  can be assigned;
* reassigning never overwrites: the old row gets an ``end_date`` and a new row starts,
  so the history stays readable;
* while leader A is away (a ``LeaderAbsence`` covers the day) leader B acts: other
  modules call ``acting_leader`` and ``notification_recipients_for_leader`` so that B
  receives what is addressed to A.

Functions take domain objects and an explicit ``actor``, write the audit trail and
flush; they never commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from crm.auth.models import User
from crm.core import audit
from crm.core.notify import notify
from crm.core.timeutil import local_today
from crm.extensions import db
from crm.enterprises.models import ASSIGNMENT_ROLES, Assignment, LeaderAbsence

# Which user role may take which assignment role.
REQUIRED_ROLE = {"leader_a": "leader", "leader_b": "leader", "commissioner": "commissioner"}
ROLE_ORDER = {"leader_a": 0, "leader_b": 1, "commissioner": 2}
LEADER_ROLES = ("leader_a", "leader_b")
ASSIGNMENT_FIELDS = ("enterprise_id", "user_id", "role", "start_date", "end_date")
ABSENCE_FIELDS = ("user_id", "start_date", "end_date", "note")


class AssignmentError(Exception):
    """An assignment rule refused the change; ``str(exc)`` is the message to show."""


def _snapshot(row: Assignment) -> dict:
    return audit.snapshot(row, ASSIGNMENT_FIELDS)


def active_assignments(enterprise_ids: Iterable[int], roles: Iterable[str] | None = None
                       ) -> list[Assignment]:
    """Active assignments of these enterprises with their users, in role order."""
    ids = list(enterprise_ids)
    if not ids:
        return []
    stmt = (select(Assignment).options(joinedload(Assignment.user).lazyload(User.role_rows))
            .where(Assignment.enterprise_id.in_(ids), Assignment.end_date.is_(None))
            .order_by(Assignment.enterprise_id, role_order(), Assignment.start_date,
                      Assignment.id))
    if roles is not None:
        stmt = stmt.where(Assignment.role.in_(list(roles)))
    return list(db.session.scalars(stmt))


def is_current_assignee(user, enterprise, roles=("commissioner",)) -> bool:
    """True when ``user`` holds one of ``roles`` on ``enterprise`` right now."""
    return (
        db.session.scalar(
            select(db.func.count()).select_from(Assignment).where(
                Assignment.enterprise_id == enterprise.id,
                Assignment.user_id == user.id,
                Assignment.role.in_(roles),
                Assignment.end_date.is_(None),
            )
        )
        > 0
    )


def role_order():
    """Leader A, leader B, then commissioners (for ORDER BY)."""
    return case(ROLE_ORDER, value=Assignment.role, else_=3)


def _active(enterprise_id: int, role: str | None = None, user_id: int | None = None):
    stmt = select(Assignment).where(Assignment.enterprise_id == enterprise_id,
                                    Assignment.end_date.is_(None))
    if role is not None:
        stmt = stmt.where(Assignment.role == role)
    if user_id is not None:
        stmt = stmt.where(Assignment.user_id == user_id)
    return list(db.session.scalars(stmt))


def check_assignable(user: User, role: str) -> None:
    """Raise ``AssignmentError`` unless ``user`` may take ``role``."""
    if role not in REQUIRED_ROLE:
        raise AssignmentError(_("Choose a liaison role."))
    if not user.is_active:
        raise AssignmentError(_("%(name)s's account is deactivated.", name=user.display_name))
    if not user.has_role(REQUIRED_ROLE[role]):
        if REQUIRED_ROLE[role] == "leader":
            raise AssignmentError(_("%(name)s is not a city leader and cannot be leader A or B.",
                                    name=user.display_name))
        raise AssignmentError(_("%(name)s is not a commissioner.", name=user.display_name))


def end_assignment(row: Assignment, actor, *, on: date | None = None) -> Assignment:
    """End an active assignment on ``on`` (default today); the row stays as history."""
    on = on or local_today()
    if row.end_date is not None:
        raise AssignmentError(_("This assignment has already ended."))
    if on < row.start_date:
        raise AssignmentError(_("The end date cannot be before the start date (%(d)s).",
                                d=row.start_date.isoformat()))
    row.end_date = on
    db.session.flush()
    audit.record(actor, "update", row, before={**_snapshot(row), "end_date": None},
                 after=_snapshot(row), summary=f"结束包联 {ASSIGNMENT_ROLES[row.role]}")
    return row


def _tell(user: User, text_in_their_language, link: str | None = None) -> None:
    # Notices are stored as text: write them in the recipient's own language.
    with force_locale(user.locale or "zh_Hans_CN"):
        text = text_in_their_language()
    notify([user.id], "assignment", text, link=link)


def assign(enterprise, user: User, role: str, actor, *, on: date | None = None,
           tell: bool = True) -> tuple[Assignment, bool]:
    """Make ``user`` the enterprise's ``role`` from ``on`` (default today).

    For leader A and B the current holder's assignment ends on ``on``; a leader
    moving between A and B leaves the other role (so B can be made A, or the two
    swapped). Commissioners are added alongside the others. Returns
    ``(assignment, changed)``; assigning the current holder again changes nothing.
    The person is notified unless ``tell`` is false (bulk callers send one summary).
    """
    on = on or local_today()
    check_assignable(user, role)
    if on > local_today():
        raise AssignmentError(_("The start date cannot be in the future."))
    mine = _active(enterprise.id, user_id=user.id)
    same = [r for r in mine if r.role == role]
    if same:
        return same[0], False
    if role in LEADER_ROLES:
        moving = [r for r in mine if r.role in LEADER_ROLES]
        for current in moving + _active(enterprise.id, role=role):
            if on < current.start_date:
                raise AssignmentError(_("The start date cannot be before the current "
                                        "assignment's start (%(d)s).",
                                        d=current.start_date.isoformat()))
            end_assignment(current, actor, on=on)
    row = Assignment(enterprise_id=enterprise.id, user_id=user.id, role=role, start_date=on,
                     created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "create", row, after=_snapshot(row),
                 summary=f"{enterprise.name}：{user.display_name} 任{ASSIGNMENT_ROLES[role]}")
    if tell and user.id != getattr(actor, "id", None):
        _tell(user, lambda: _("You are now %(role)s of %(name)s.", role=ASSIGNMENT_ROLES[role],
                              name=enterprise.name), link=f"/enterprises/{enterprise.id}")
    return row, True


@dataclass
class BulkResult:
    """What a bulk assignment did."""

    changed: int = 0
    unchanged: int = 0


def bulk_assign(enterprises: Iterable, user: User, role: str, actor, *,
                on: date | None = None) -> BulkResult:
    """Assign ``user`` as ``role`` to every enterprise; all or nothing.

    The first refusal raises ``AssignmentError`` naming the enterprise; the caller's
    transaction is then rolled back, so no enterprise is half-assigned.
    """
    result = BulkResult()
    for ent in enterprises:
        _row, changed = assign(ent, user, role, actor, on=on, tell=False)
        if changed:
            result.changed += 1
        else:
            result.unchanged += 1
    if result.changed and user.id != getattr(actor, "id", None):
        _tell(user, lambda: _("You are now %(role)s of %(n)d more enterprises.",
                              role=ASSIGNMENT_ROLES[role], n=result.changed),
              link="/enterprises/")
    return result


# -- away periods and the acting leader ----------------------------------------

def absences_of(user: User) -> list[LeaderAbsence]:
    """The user's away periods that have not ended yet, soonest first."""
    return list(db.session.scalars(
        select(LeaderAbsence).where(LeaderAbsence.user_id == user.id,
                                    LeaderAbsence.end_date >= local_today())
        .order_by(LeaderAbsence.start_date)))


def mark_away(leader: User, start: date, end: date, actor, *, note: str | None = None
              ) -> LeaderAbsence:
    """Record that ``leader`` is away from ``start`` to ``end`` (inclusive); audited."""
    if not leader.has_role("leader"):
        raise AssignmentError(_("Only city leaders have away periods."))
    if end < start:
        raise AssignmentError(_("The last day cannot be before the first day."))
    if end < local_today():
        raise AssignmentError(_("The away period is already over."))
    overlap = db.session.scalar(select(LeaderAbsence).where(
        LeaderAbsence.user_id == leader.id, LeaderAbsence.start_date <= end,
        LeaderAbsence.end_date >= start))
    if overlap is not None:
        raise AssignmentError(_("This overlaps the away period %(a)s – %(b)s.",
                                a=overlap.start_date.isoformat(), b=overlap.end_date.isoformat()))
    row = LeaderAbsence(user_id=leader.id, start_date=start, end_date=end,
                        note=(note or "").strip() or None)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "create", row, after=audit.snapshot(row, ABSENCE_FIELDS),
                 summary=f"{leader.display_name} 外出 {start}–{end}")
    _tell_deputies(leader, start, end)
    return row


def _tell_deputies(leader: User, start: date, end: date) -> None:
    """Tell each leader B who will act for ``leader`` during the away period."""
    mine = select(Assignment.enterprise_id).where(
        Assignment.user_id == leader.id, Assignment.role == "leader_a",
        Assignment.end_date.is_(None))
    deputies = db.session.scalars(
        select(User).join(Assignment, Assignment.user_id == User.id)
        .where(Assignment.role == "leader_b", Assignment.end_date.is_(None),
               Assignment.enterprise_id.in_(mine), User.id != leader.id).distinct())
    for deputy in deputies:
        _tell(deputy, lambda: _("%(name)s is away from %(start)s to %(end)s: you act for them "
                                "as leader B and receive their notices.",
                                name=leader.display_name, start=start.isoformat(),
                                end=end.isoformat()), link="/enterprises/mine")


def cancel_away(absence: LeaderAbsence, actor) -> None:
    """Delete an away period (e.g. the trip was cancelled); audited."""
    before = audit.snapshot(absence, ABSENCE_FIELDS)
    absence_id = absence.id
    db.session.delete(absence)
    db.session.flush()
    audit.record(actor, "delete", object_type="leader_absences", object_id=absence_id,
                 before=before, summary="取消外出安排")


def away_user_ids(user_ids: Iterable[int], on: date | None = None) -> set[int]:
    """Which of ``user_ids`` are away on ``on`` (default today): one query."""
    ids = list({u for u in user_ids if u})
    if not ids:
        return set()
    on = on or local_today()
    return set(db.session.scalars(select(LeaderAbsence.user_id).where(
        LeaderAbsence.user_id.in_(ids), LeaderAbsence.start_date <= on,
        LeaderAbsence.end_date >= on)))


def is_away(user: User | int, on: date | None = None) -> bool:
    """True when the leader is away on ``on`` (default today)."""
    uid = user if isinstance(user, int) else user.id
    return uid in away_user_ids([uid], on)


@dataclass
class LeaderState:
    """Leader A and B of one enterprise on a day, and who acts."""

    leader_a: User | None = None
    leader_b: User | None = None
    a_away: bool = False
    b_away: bool = False

    @property
    def acting(self) -> User | None:
        """B while A is away (and B is not), otherwise A; B when there is no A."""
        if self.leader_a is not None and self.a_away and self.leader_b is not None \
                and not self.b_away:
            return self.leader_b
        return self.leader_a or self.leader_b

    @property
    def b_is_acting(self) -> bool:
        """True when B stands in for an away A."""
        return self.leader_a is not None and self.acting is self.leader_b

    @property
    def recipients(self) -> set[int]:
        """Who receives the enterprise's notices: A (who reads them on return), plus B
        while B acts for A; B alone when there is no A."""
        ids = {u.id for u in (self.leader_a, self.acting) if u is not None}
        return ids


def leader_states(enterprise_ids: Iterable[int], on: date | None = None,
                  assignments: Iterable[Assignment] | None = None) -> dict[int, LeaderState]:
    """Leader A/B and their away state for many enterprises in two queries (one when
    the caller already holds the enterprises' ``assignments`` with their users)."""
    ids = list(enterprise_ids)
    states = {eid: LeaderState() for eid in ids}
    if assignments is None:
        rows = active_assignments(ids, LEADER_ROLES)
    else:
        rows = [a for a in assignments if a.end_date is None and a.role in LEADER_ROLES
                and a.enterprise_id in states]
    away = away_user_ids([r.user_id for r in rows], on)
    for row in rows:
        state = states[row.enterprise_id]
        if row.role == "leader_a":
            state.leader_a, state.a_away = row.user, row.user_id in away
        else:
            state.leader_b, state.b_away = row.user, row.user_id in away
    return states


def acting_leader(enterprise, on: date | None = None) -> User | None:
    """The leader who acts for ``enterprise`` on ``on``: A, or B while A is away."""
    return leader_states([enterprise.id], on)[enterprise.id].acting


def notification_recipients_for_leader(leader: User | int, enterprise=None,
                                       on: date | None = None) -> list[int]:
    """User ids that should receive a notice addressed to ``leader``.

    Always the leader (they read it on their return). While the leader is away,
    also the leader B of every enterprise where they are leader A — only of
    ``enterprise`` when one is given, so a notice about one enterprise reaches only
    its own B. A B who is away as well is skipped.
    """
    uid = leader if isinstance(leader, int) else leader.id
    if not is_away(uid, on):
        return [uid]
    mine = select(Assignment.enterprise_id).where(
        Assignment.user_id == uid, Assignment.role == "leader_a", Assignment.end_date.is_(None))
    stmt = select(Assignment.user_id).where(
        Assignment.role == "leader_b", Assignment.end_date.is_(None),
        Assignment.enterprise_id.in_(mine))
    if enterprise is not None:
        stmt = stmt.where(Assignment.enterprise_id == enterprise.id)
    deputies = set(db.session.scalars(stmt)) - {uid}
    deputies -= away_user_ids(deputies, on)
    return [uid] + sorted(deputies)


def leader_recipients_by_enterprise(enterprise_ids: Iterable[int], on: date | None = None
                                    ) -> dict[int, set[int]]:
    """{enterprise id: the leaders to notify} for many enterprises in two queries (see
    ``LeaderState.recipients``)."""
    ids = [e for e in set(enterprise_ids) if e]
    return {eid: state.recipients for eid, state in leader_states(ids, on).items()}


def leader_recipients(enterprise, on: date | None = None) -> list[int]:
    """User ids to notify as "the enterprise's leader": A, plus B while A is away;
    B alone when no A is assigned."""
    return sorted(leader_recipients_by_enterprise([enterprise.id], on)[enterprise.id])
