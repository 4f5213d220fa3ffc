"""What every workflow action is made of, and the pieces the actions share.

An action is one object (DESIGN.md, STYLE.md §15): from which states and by which roles
it may be done, the text it requires, its label, what it changes and whom it tells all
sit in its class, and ``crm.issues.workflow`` builds the transition table from them.
The action never assigns the problem's state: it returns the new state when the data
decides it, and ``workflow.transition`` — or its bulk twin for the generators — writes
it with the timeline event.

The steps, in the order ``transition`` calls them once the table, the actor and the
record conditions (``refusal``) have allowed the action:

* ``validate`` reads and checks the data, looking up what it needs (units, stage limits,
  the holiday calendar) — no writes, so a refusal leaves nothing behind;
* ``apply`` changes the problem's fields from the checked values and fills the event's
  data — no queries, so a bulk loader can run it on plain rows;
* ``after`` writes what lies outside the problem row (cooperating units, rating links);
* ``notices`` says whom to tell, and what.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from flask_babel import gettext as _

from crm.auth.models import Unit
from crm.extensions import db
from crm.issues.errors import InvalidInput
from crm.issues.models import STATES, Issue
from crm.issues.notices import Notice

COMMISSIONER, LEADER, HANDLER = "commissioner", "leader", "handler"
COORDINATOR, ADMIN, ENTERPRISE = "coordinator", "admin", "enterprise"
# Every role the table knows, including the enterprise contact with a rating link.
ROLES = (COMMISSIONER, LEADER, HANDLER, COORDINATOR, ADMIN, ENTERPRISE)

ALL_STATES = tuple(STATES)
NOT_CLOSED = tuple(s for s in ALL_STATES if s != "closed")
TEXT_MAX = 4000


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


@dataclass
class Outcome:
    """The checked data of one action (``values``) and what its event records."""

    text: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    event_data: dict[str, Any] = field(default_factory=dict)


def may(states, *roles: str) -> dict[str, frozenset[str]]:
    """``{state: roles}``: ``roles`` may do the action from each of ``states``."""
    return {state: frozenset(roles) for state in states}


def as_date(value, field_name: str) -> date | None:
    """A date from a form or a script (date, datetime or ISO text); None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(_("Enter a date such as 2026-03-02."), field_name) from None


def as_int(value, field_name: str, message: str) -> int | None:
    """An id or a number; None when empty (0 counts as empty, as in the selects)."""
    if value in (None, "", 0, "0"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput(message, field_name) from None


def reference(issue: Issue) -> str:
    """How a notice names the problem: 2026-0137《title》."""
    return f"{issue.number}《{issue.title}》"


def actor_name(actor) -> str:
    """How a notice names the person who acted."""
    return getattr(actor, "display_name", "") or ""


class WorkflowAction:
    """One workflow action; subclasses set the class attributes and override the steps
    they need (see the module doc). The registry holds one instance of each."""

    name: ClassVar[str]
    label: ClassVar[Any]                       # a lazy string: the button and the timeline
    allowed: ClassVar[dict[str, frozenset[str]]]  # {from state: roles that may act}
    # The new state: None keeps the state; a tuple lists the states the data chooses
    # between (``apply`` returns the one it chose).
    to: ClassVar[str | tuple[str, ...] | None] = None
    required_text: ClassVar[Any] = None       # the message when the text is missing
    text_label: ClassVar[Any] = None          # the label of the form's text field
    # Notes add to the timeline without touching the problem, so they neither need nor
    # bump the optimistic-lock version (a 批示 is never refused because someone signed).
    is_note: ClassVar[bool] = False

    def __repr__(self) -> str:
        return f"<action {self.name}>"

    def refusal(self, issue: Issue, now: datetime) -> str | None:
        """A record condition beyond the table: the refusal message, or None."""
        return None

    def validate(self, issue: Issue, actor, now: datetime, data: dict) -> Outcome:
        """Check the data without writing anything; InvalidInput names the wrong field."""
        out = Outcome(text=self.text_of(data))
        self.read(issue, actor, now, data, out)
        return out

    def text_of(self, data: dict) -> str | None:
        """The action's text, required when the action says so."""
        text = (data.get("text") or "").strip() or None
        if text is None and self.required_text is not None:
            raise InvalidInput(str(self.required_text), "text")
        if text is not None and len(text) > TEXT_MAX:
            raise InvalidInput(_("At most %(n)d characters.", n=TEXT_MAX), "text")
        return text

    def read(self, issue: Issue, actor, now: datetime, data: dict, out: Outcome) -> None:
        """Read and check the action's own data into ``out.values``."""

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> str | None:
        """Change the problem's fields; the new state when the data decides it, else None
        (the table's target applies)."""
        return None

    def after(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        """Write what lies outside the problem row (runs once the state is set)."""

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        """The notices of the action, once it is done."""
        return []


def unit_from(value, required: bool):
    """The active unit chosen in a dispatch form (None when optional and not chosen)."""
    unit_id = as_int(value, "unit_id", _("Choose the lead unit."))
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None or not unit.is_active:
        if required or unit_id:
            raise InvalidInput(_("Choose the lead unit."), "unit_id")
        return None
    return unit
