"""The problem workflow (DESIGN.md §4): states, the transition table built from the action
objects (``crm.issues.actions``), and ``transition``, the only code that assigns
``Issue.state``.

The table maps ``(state, action)`` to the new state (``None``: the state stays, e.g. a
comment) and the roles that may act; each action object says from which states and by
whom it may be done. Roles are then narrowed to the record:

* a **handler** acts only on problems whose lead unit is their unit (a comment also on
  those where their unit cooperates). A cooperating unit never signs, returns or
  resolves: its own small stage, the opinion to the lead unit (协办意见), is kept by
  ``crm.issues.cooperation`` outside this table, since it changes no state;
* a **leader** only on the enterprises where they are leader A or B now;
* a **commissioner** only on the enterprises they are assigned to now (a comment also on
  what they raised);
* the **enterprise** (pseudo-role of the contact holding a rating link) only rates;
* **coordinators** act on every problem. Admins keep reference data, not problems.

Besides the table a few record conditions hold (each action's ``refusal``): a
re-dispatched problem can no longer be returned; an extension is requested before the
due time and only one at a time; a problem is escalated once.

The generators that load problems in bulk (``crm.seed``) play the same action objects
on plain rows through ``raise_row`` and ``play_row``, so that no second writer of the
state exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from crm.auth.models import User
from crm.core.timeutil import utcnow
from crm.enterprises.models import Assignment
from crm.extensions import db
from crm.issues.actions import ACTIONS, BY_NAME, Outcome, WorkflowAction
from crm.issues.actions.base import (
    COMMISSIONER,
    COORDINATOR,
    ENTERPRISE,
    HANDLER,
    LEADER,
    ROLES,
    EnterpriseRater,
)
from crm.issues.errors import ConflictError, NotAllowed
from crm.issues.models import STATES, Issue, IssueEvent, IssueUnit
from crm.issues.notices import send

__all__ = ["ACTION_LABELS", "ROLES", "TABLE", "Action", "EnterpriseRater", "Rule", "State",
           "allowed_actions", "check", "play_row", "raise_row", "transition"]


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


# Everything a person can do to a problem after it was raised, in table order.
Action = StrEnum("Action", [(a.name.upper(), a.name) for a in ACTIONS], module=__name__)
Action.__doc__ = "Everything a person can do to a problem after it was raised."

# Timeline labels: every action's, and those of the entries that are no action.
ACTION_LABELS = {
    "raise": _l("Raised"),
    **{a.name: a.label for a in ACTIONS},
    "rating_link": _l("Rating link issued"),
    "coop_reply": _l("Cooperation opinion"),
    "follow_up": _l("Follow-up call"),
    "appeal": _l("Appeal against the rating"),
    "appeal_decided": _l("Appeal decided"),
    "case_group": _l("Case group"),
}


@dataclass(frozen=True)
class Rule:
    """One row of the transition table."""

    to: str | tuple[str, ...] | None  # None: unchanged; a tuple: depends on the data
    roles: frozenset[str]

    def new_state(self, from_state: str, chosen: str | None) -> str:
        """The state after the action: the one the data ``chosen`` (when the table
        leaves the choice to the data), else the table's, else unchanged."""
        if isinstance(self.to, tuple):
            if chosen not in self.to:
                raise ValueError(f"the action chose {chosen!r}, not one of {self.to}")
            return chosen
        if chosen is not None and chosen != self.to:
            raise ValueError(f"the action chose {chosen!r}; the table says {self.to!r}")
        return self.to or from_state


def _build_table(actions: tuple[WorkflowAction, ...]) -> dict[tuple[str, str], Rule]:
    table = {}
    for action in actions:
        for state, roles in action.allowed.items():
            targets = action.to if isinstance(action.to, tuple) else (action.to or state,)
            for s in (state, *targets):
                State(s)  # a misspelt state fails at import, not at a person's click
            if not roles <= set(ROLES):
                raise ValueError(f"{action.name}: unknown roles {roles - set(ROLES)}")
            table[(state, action.name)] = Rule(action.to, roles)
    return table


TABLE: dict[tuple[str, str], Rule] = _build_table(ACTIONS)
NOTE_ACTIONS = frozenset(a.name for a in ACTIONS if a.is_note)


def _roles_of(actor) -> set[str]:
    return set(actor.roles) if actor is not None else set()


def assignment_roles(actor, issue: Issue) -> set[str]:
    """The 包联 roles ``actor`` holds on the problem's enterprise now (one query)."""
    if actor is None or actor.id is None or issue.enterprise_id is None:
        return set()
    return set(db.session.scalars(
        select(Assignment.role).where(
            Assignment.user_id == actor.id, Assignment.enterprise_id == issue.enterprise_id,
            Assignment.end_date.is_(None))))


def _coop_unit(actor, issue: Issue) -> bool:
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


def check(issue: Issue, action: str, actor, now: datetime | None = None,
          assigned: set[str] | None = None) -> Rule:
    """The rule that allows ``actor`` to do ``action`` now; raises NotAllowed otherwise.

    ``assigned`` (the actor's 包联 roles on the enterprise) is read only when a leader's
    or a commissioner's role is in question, unless the caller read it already.
    """
    now = now or utcnow()
    rule = TABLE.get((issue.state, action))
    if rule is None:
        raise NotAllowed(_("This is not possible while the problem is “%(state)s”.",
                           state=STATES.get(issue.state, issue.state)))
    roles = rule.roles & _roles_of(actor)
    if assigned is None:
        assigned = (assignment_roles(actor, issue) if roles & {LEADER, COMMISSIONER}
                    else set())
    if not any(in_scope(role, action, issue, actor, assigned) for role in roles):
        raise NotAllowed(_("You are not allowed to do this on this problem."))
    message = BY_NAME[action].refusal(issue, now)
    if message:
        raise NotAllowed(message)
    return rule


def allowed_actions(issue: Issue, actor, now: datetime | None = None) -> list[str]:
    """The actions ``actor`` may do on ``issue`` now, in table order (one query)."""
    now = now or utcnow()
    assigned = assignment_roles(actor, issue)
    out = []
    for action in ACTIONS:
        if (issue.state, action.name) not in TABLE:
            continue
        try:
            check(issue, action.name, actor, now, assigned)
        except NotAllowed:
            continue
        out.append(action.name)
    return out


def last_actor_name(issue_id: int) -> str:
    """Who made the latest change to a problem (for the conflict message)."""
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
               *, now: datetime | None = None, notify: bool = True, flush: bool = True,
               **data) -> IssueEvent:
    """Do ``action`` on ``issue`` as ``actor``: the only writer of ``Issue.state``.

    Checks the optimistic-lock version (``expected_version`` is the version the person
    saw), the table, the actor's roles on this record and the record conditions; has
    the action object check its data and change the problem (clock fields through
    ``crm.issues.deadlines``); sets the state; writes the IssueEvent; sends the notices.
    Every check runs before the first change, so a refused action leaves nothing
    behind; a conflict found at a flush rolls the session back. Flushes; the caller
    commits.

    ``now`` is the instant of the action (default: the clock). The generators pass the
    instants of their script with ``notify=False``, since a history that is loaded is
    not news to anyone (the demo writes the few bell entries it shows itself), and
    ``flush=False``: the changes and the event then wait in the session for the
    caller's flush (a generator playing a county's thousands of steps under
    ``no_autoflush`` writes them in a few statements); notices need the flushed event,
    so there are none then.

    Raises NotAllowed, InvalidInput or ConflictError (all ``crm.issues.errors``).
    """
    if notify and not flush:
        raise ValueError("notices need the flushed event: flush=False goes with notify=False")
    now = now or utcnow()
    act = BY_NAME.get(str(action))
    if act is None:
        raise NotAllowed(_("Unknown action."))
    if expected_version not in (None, "") and not act.is_note:
        try:
            expected = int(expected_version)
        except (TypeError, ValueError):
            expected = -1
        if expected != issue.version:
            raise ConflictError(conflict_message(issue.id))
    rule = check(issue, act.name, actor, now)
    outcome = act.validate(issue, actor, now, data)
    from_state = issue.state
    try:
        to_state = rule.new_state(from_state, act.apply(issue, actor, now, outcome))
        if to_state != from_state:
            issue.state = to_state
        act.after(issue, actor, now, outcome)
        if not act.is_note:
            issue.updated_at = now  # bumps the version: stale pages then conflict
        event = IssueEvent(
            issue_id=issue.id, at=now, actor_id=getattr(actor, "id", None),
            actor_name=actor.name if isinstance(actor, EnterpriseRater) else None,
            action=act.name, from_state=from_state,
            to_state=to_state if to_state != from_state else None,
            text=outcome.text, data=outcome.event_data or None)
        db.session.add(event)
        if flush:
            db.session.flush()
    except StaleDataError:
        # Another transaction changed the row since it was read: this unit of work
        # cannot go on, so it is rolled back here (nothing of it is written) and the
        # person is told who made the change.
        db.session.rollback()
        raise ConflictError(conflict_message(issue.id)) from None
    if notify:
        exclude = {actor.id} if getattr(actor, "id", None) else set()
        send(issue, act.notices(issue, actor, outcome), key=f"event:{event.id}",
             exclude=exclude)
    return event


# -- the bulk path ---------------------------------------------------------------------------

class _RowActor(NamedTuple):
    """Who acts in a bulk load: known by id (or, for the enterprise, by name)."""

    id: int | None
    name: str | None = None


class _RowView:
    """An ``issues`` row (a dict) seen as a problem by the action objects' ``apply``: a
    missing column reads as NULL. The state is written by ``play_row`` alone."""

    __slots__ = ("_row",)

    def __init__(self, row: dict):
        object.__setattr__(self, "_row", row)

    def __getattr__(self, name: str):
        return self._row.get(name)

    def __setattr__(self, name: str, value) -> None:
        if name == "state":
            raise AttributeError("only the workflow writes the state")
        self._row[name] = value


def raise_row(at: datetime, actor_id: int | None, text: str | None = None,
              data: dict | None = None, **columns) -> tuple[dict, dict]:
    """A problem raised at ``at`` as a plain ``issues`` row (state ``new``) and its raise
    event, for a bulk loader that writes rows itself (``crm.seed``). ``columns`` are
    the row's other columns (an explicit ``id`` among them)."""
    row = dict(columns, raised_at=at, raised_by_id=actor_id, state=State.NEW.value,
               updated_at=at)
    event = dict(issue_id=row.get("id"), at=at, actor_id=actor_id, actor_name=None,
                 action="raise", from_state=None, to_state=State.NEW.value, text=text,
                 data=data)
    return row, event


def play_row(row: dict, action: str, at: datetime, actor_id: int | None = None, *,
             actor_name: str | None = None, text: str | None = None, **values) -> dict:
    """Play ``action`` on a plain ``issues`` row at ``at``: ``transition`` for a bulk
    loader that checks no person and reads nothing.

    The table and the action's record conditions still hold (NotAllowed otherwise), and
    the action object changes the row's fields and says the new state exactly as in
    ``transition``. ``values`` are what the action's ``validate`` would have read: for a
    dispatch ``unit`` and ``category`` (objects with ``id`` and ``name``), ``level``,
    ``coop`` (units), ``limits``, ``due_day``, ``cal``; for a rating ``rating``,
    ``channel``, ``contact`` (and ``limits`` and ``cal`` below 3, for the reopen).
    Nothing outside the row is written (no cooperating unit, no notice). Returns the
    event row (without id).
    """
    act = BY_NAME[action]
    from_state = row["state"]
    rule = TABLE.get((from_state, action))
    if rule is None:
        raise NotAllowed(f"{action} is not possible while the problem is {from_state}")
    message = act.refusal(_RowView(row), at)
    if message:
        raise NotAllowed(message)
    outcome = Outcome(text=text, values=values)
    chosen = act.apply(_RowView(row), _RowActor(actor_id, actor_name), at, outcome)
    to_state = rule.new_state(from_state, chosen)
    row["state"] = to_state
    if not act.is_note:
        row["updated_at"] = at
    return dict(issue_id=row.get("id"), at=at, actor_id=actor_id, actor_name=actor_name,
                action=act.name, from_state=from_state,
                to_state=to_state if to_state != from_state else None, text=text,
                data=outcome.event_data or None)
