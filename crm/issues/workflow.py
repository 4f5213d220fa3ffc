"""The problem workflow (DESIGN.md §4): states, the transition table, and ``transition``,
the only code that assigns ``Issue.state``.

The table maps ``(state, action)`` to the new state (``None``: the state stays, e.g. a
comment) and the roles that may act. Roles are then narrowed to the record:

* a **handler** acts only on problems whose lead unit is their unit (a comment also on
  those where their unit cooperates). A cooperating unit never signs, returns or
  resolves: its own small stage, the opinion to the lead unit (协办意见), is kept by
  ``crm.issues.cooperation`` outside this table, since it changes no state;
* a **leader** only on the enterprises where they are leader A or B now;
* a **commissioner** only on the enterprises they are assigned to now (a comment also on
  what they raised);
* the **enterprise** (pseudo-role of the contact holding a rating link) only rates;
* **coordinators** act on every problem. Admins keep reference data, not problems.

Besides the table a few record conditions hold (``precondition``): a re-dispatched
problem can no longer be returned; an extension is requested before the due time and
only one at a time; a problem is escalated once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from crm.core.timeutil import local_today, utcnow
from crm.extensions import db
from crm.issues.models import STATES, Issue, IssueEvent


class State(StrEnum):
    """The problem states (the CHECK constraint on ``issues.state`` lists the same)."""

    NEW = "new"
    DISPATCHED = "dispatched"
    RETURNED = "returned"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"


class Action(StrEnum):
    """Everything a person can do to a problem after it was raised."""

    DISPATCH = "dispatch"
    SIGN = "sign"
    RETURN = "return"
    REDISPATCH = "redispatch"
    PROGRESS = "progress"
    REQUEST_EXTENSION = "request_extension"
    GRANT_EXTENSION = "grant_extension"
    REFUSE_EXTENSION = "refuse_extension"
    PAUSE = "pause"
    RESUME = "resume"
    RESOLVE = "resolve"
    RATE = "rate"
    REOPEN = "reopen"
    CLOSE = "close"
    INSTRUCT = "instruct"
    SUPERVISE = "supervise"
    ESCALATE = "escalate"
    COMMENT = "comment"


ACTION_LABELS = {
    "raise": _l("Raised"),
    "dispatch": _l("Dispatch"),
    "sign": _l("Sign for it"),
    "return": _l("Return"),
    "redispatch": _l("Re-dispatch"),
    "progress": _l("Report progress"),
    "request_extension": _l("Ask for an extension"),
    "grant_extension": _l("Grant the extension"),
    "refuse_extension": _l("Refuse the extension"),
    "pause": _l("Pause (waiting for the enterprise)"),
    "resume": _l("Resume"),
    "resolve": _l("Submit the resolution"),
    "rate": _l("Record the rating"),
    "reopen": _l("Reopen"),
    "close": _l("Close the problem"),
    "instruct": _l("Instruction"),
    "supervise": _l("Supervise"),
    "escalate": _l("Escalate to the joint meeting"),
    "comment": _l("Comment"),
    "rating_link": _l("Rating link issued"),
    "coop_reply": _l("Cooperation opinion"),
}

COMMISSIONER, LEADER, HANDLER = "commissioner", "leader", "handler"
COORDINATOR, ADMIN, ENTERPRISE = "coordinator", "admin", "enterprise"
# Every role the table knows, including the enterprise contact with a rating link.
ROLES = (COMMISSIONER, LEADER, HANDLER, COORDINATOR, ADMIN, ENTERPRISE)


@dataclass(frozen=True)
class Rule:
    """One row of the transition table."""

    to: str | tuple[str, ...] | None  # None: unchanged; a tuple: depends on the data
    roles: frozenset[str]


TABLE: dict[tuple[str, str], Rule] = {}


def _allow(states, action: Action, to, roles) -> None:
    for state in states:
        TABLE[(State(state).value, action.value)] = Rule(to, frozenset(roles))


_ALL = [s.value for s in State]
_NOT_CLOSED = [s for s in _ALL if s != State.CLOSED]

_allow(["new"], Action.DISPATCH, "dispatched", {COORDINATOR})
_allow(["dispatched", "reopened"], Action.SIGN, "in_progress", {HANDLER})
_allow(["dispatched"], Action.RETURN, "returned", {HANDLER})
_allow(["returned"], Action.REDISPATCH, "dispatched", {COORDINATOR})
_allow(["in_progress"], Action.PROGRESS, None, {HANDLER})
_allow(["in_progress"], Action.REQUEST_EXTENSION, None, {HANDLER})
_allow(["in_progress", "paused"], Action.GRANT_EXTENSION, None, {COORDINATOR})
_allow(["in_progress", "paused"], Action.REFUSE_EXTENSION, None, {COORDINATOR})
_allow(["in_progress"], Action.PAUSE, "paused", {HANDLER})
_allow(["paused"], Action.RESUME, "in_progress", {HANDLER, COORDINATOR})
_allow(["in_progress"], Action.RESOLVE, "resolved", {HANDLER})
_allow(["resolved"], Action.RATE, ("closed", "reopened"), {ENTERPRISE, COMMISSIONER, COORDINATOR})
_allow(["resolved"], Action.REOPEN, "reopened", {COORDINATOR})
_allow(_NOT_CLOSED, Action.CLOSE, "closed", {COORDINATOR})
_allow(_NOT_CLOSED, Action.INSTRUCT, None, {LEADER})
_allow(["dispatched", "in_progress", "reopened"], Action.SUPERVISE, None, {COORDINATOR})
_allow(["dispatched", "returned", "in_progress", "paused", "reopened"], Action.ESCALATE, None,
       {COORDINATOR})
# Units see a problem from its dispatch on, so they can comment from then on.
_allow(["new"], Action.COMMENT, None, {COMMISSIONER, LEADER, COORDINATOR})
_allow(_ALL[1:], Action.COMMENT, None, {COMMISSIONER, LEADER, HANDLER, COORDINATOR})

# Notes add to the timeline without touching the problem, so they neither need nor
# bump the optimistic-lock version (a 批示 is never refused because someone signed).
NOTE_ACTIONS = frozenset({Action.COMMENT.value, Action.INSTRUCT.value})


class WorkflowError(Exception):
    """A refused action, with a message for the person."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


class NotAllowed(WorkflowError):
    """The action is not possible in this state, for this person, or on this record."""


class InvalidInput(WorkflowError):
    """The data given with the action is incomplete or wrong (``field`` names it)."""


class ConflictError(WorkflowError):
    """Someone else changed the problem since the person loaded it."""


@dataclass
class EnterpriseRater:
    """The enterprise contact who opened a valid rating link (not a signed-in user)."""

    name: str | None = None
    id = None
    unit_id = None

    @property
    def display_name(self) -> str:
        """The contact's name as given, else "the enterprise"."""
        return self.name or _("The enterprise")

    @property
    def roles(self) -> set[str]:
        """Only the pseudo-role ``enterprise``."""
        return {ENTERPRISE}

    def has_role(self, *roles: str) -> bool:
        """Like ``User.has_role``."""
        return ENTERPRISE in roles


def _roles_of(actor) -> set[str]:
    return set(actor.roles) if actor is not None else set()


def assignment_roles(actor, issue: Issue) -> set[str]:
    """The 包联 roles ``actor`` holds on the problem's enterprise now (one query)."""
    from crm.liaisons.models import Assignment

    if actor is None or actor.id is None or issue.enterprise_id is None:
        return set()
    return set(db.session.scalars(
        select(Assignment.role).where(
            Assignment.user_id == actor.id, Assignment.enterprise_id == issue.enterprise_id,
            Assignment.end_date.is_(None))))


def _coop_unit(actor, issue: Issue) -> bool:
    from crm.issues.models import IssueUnit

    if actor.unit_id is None:
        return False
    return db.session.get(IssueUnit, (issue.id, actor.unit_id)) is not None


def in_scope(role: str, action: str, issue: Issue, actor, assigned: set[str]) -> bool:
    """Whether ``actor`` acting as ``role`` may touch this record (see module doc)."""
    if role == COORDINATOR:
        return True
    if role == HANDLER:
        if actor.unit_id is not None and actor.unit_id == issue.lead_unit_id:
            return True
        return action == Action.COMMENT and _coop_unit(actor, issue)
    if role == LEADER:
        return bool(assigned & {"leader_a", "leader_b"})
    if role == COMMISSIONER:
        if "commissioner" in assigned:
            return True
        return action == Action.COMMENT and issue.raised_by_id == actor.id
    if role == ENTERPRISE:
        return isinstance(actor, EnterpriseRater)
    return False


def precondition(action: str, issue: Issue, now: datetime) -> str | None:
    """A record condition beyond the table; the refusal message, or None."""
    if action == Action.RETURN and issue.is_redispatched:
        return _("The coordinator re-dispatched this problem; it can no longer be returned.")
    if action == Action.REQUEST_EXTENSION:
        if issue.extension_requested_until is not None:
            return _("An extension request is already waiting for a decision.")
        if issue.due_at is None or now >= issue.due_at:
            return _("An extension can only be requested before the due time.")
    if action in (Action.GRANT_EXTENSION, Action.REFUSE_EXTENSION) \
            and issue.extension_requested_until is None:
        return _("There is no extension request to decide.")
    if action == Action.ESCALATE and issue.is_escalated:
        return _("This problem is already escalated to the next joint meeting.")
    return None


def check(issue: Issue, action: str, actor, now: datetime | None = None,
          assigned: set[str] | None = None) -> Rule:
    """The rule that allows ``actor`` to do ``action`` now; raises NotAllowed otherwise."""
    now = now or utcnow()
    rule = TABLE.get((issue.state, action))
    if rule is None:
        raise NotAllowed(_("This is not possible while the problem is “%(state)s”.",
                           state=STATES.get(issue.state, issue.state)))
    if assigned is None:
        assigned = assignment_roles(actor, issue)
    roles = rule.roles & _roles_of(actor)
    if not any(in_scope(role, action, issue, actor, assigned) for role in roles):
        raise NotAllowed(_("You are not allowed to do this on this problem."))
    message = precondition(action, issue, now)
    if message:
        raise NotAllowed(message)
    return rule


def allowed_actions(issue: Issue, actor, now: datetime | None = None) -> list[str]:
    """The actions ``actor`` may do on ``issue`` now, in table order (one query)."""
    now = now or utcnow()
    assigned = assignment_roles(actor, issue)
    out = []
    for action in Action:
        if (issue.state, action.value) not in TABLE:
            continue
        try:
            check(issue, action.value, actor, now, assigned)
        except NotAllowed:
            continue
        out.append(action.value)
    return out


def last_actor_name(issue_id: int) -> str:
    """Who made the latest change to a problem (for the conflict message)."""
    from crm.auth.models import User

    row = db.session.execute(
        select(User.display_name, IssueEvent.actor_name)
        .select_from(IssueEvent).outerjoin(User, User.id == IssueEvent.actor_id)
        .where(IssueEvent.issue_id == issue_id)
        .order_by(IssueEvent.id.desc()).limit(1)).first()
    if row is None:
        return _("someone else")
    return row[0] or row[1] or _("someone else")


def conflict_message(issue_id: int) -> str:
    """"This problem was changed by X; reload the page" in the user's language."""
    return _("This problem was changed by %(name)s; please reload the page and try again.",
             name=last_actor_name(issue_id))


def transition(issue: Issue, action: str, actor, expected_version: int | str | None = None,
               *, now: datetime | None = None, **data) -> IssueEvent:
    """Do ``action`` on ``issue`` as ``actor``: the only writer of ``Issue.state``.

    Checks the optimistic-lock version (``expected_version`` is the version the person
    saw), the table, the actor's roles on this record and the record conditions; applies
    the action (clock fields through ``crm.issues.deadlines``); writes the IssueEvent;
    sends the notices. Every check runs before the first change, so a refused action
    leaves nothing behind; a conflict found at the flush rolls the session back.
    Flushes; the caller commits.

    Raises NotAllowed, InvalidInput or ConflictError (all WorkflowError).
    """
    from crm.issues import actions

    now = now or utcnow()
    action = str(action)
    if action not in Action.__members__.values():
        raise NotAllowed(_("Unknown action."))
    if expected_version not in (None, "") and action not in NOTE_ACTIONS:
        try:
            expected = int(expected_version)
        except (TypeError, ValueError):
            expected = -1
        if expected != issue.version:
            raise ConflictError(conflict_message(issue.id))
    rule = check(issue, action, actor, now)
    outcome = actions.validate(action, issue, actor, now, data)
    from_state = issue.state
    try:
        to_state = actions.apply(action, issue, actor, now, outcome)
        if to_state is None:
            to_state = rule.to if isinstance(rule.to, str) else from_state
        if to_state != from_state:
            issue.state = to_state
        if action not in NOTE_ACTIONS:
            issue.updated_at = now  # bumps the version: stale pages then conflict
        event = IssueEvent(
            issue_id=issue.id, at=now, actor_id=getattr(actor, "id", None),
            actor_name=actor.name if isinstance(actor, EnterpriseRater) else None,
            action=action, from_state=from_state,
            to_state=to_state if to_state != from_state else None,
            text=outcome.text, data=outcome.event_data or None)
        db.session.add(event)
        db.session.flush()
    except StaleDataError:
        # Another transaction changed the row since it was read: this unit of work
        # cannot go on, so it is rolled back here (nothing of it is written) and the
        # person is told who made the change.
        db.session.rollback()
        raise ConflictError(conflict_message(issue.id)) from None
    actions.notify_for(action, issue, actor, outcome, event, local_today())
    return event
