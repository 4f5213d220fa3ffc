"""What the people above and around the lead unit add: a leader's instruction (批示), the
coordinator's supervision notice (督办) and escalation to the joint meeting, comments.
None of them changes the state."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm.issues.actions.base import (
    ALL_STATES,
    COMMISSIONER,
    COORDINATOR,
    HANDLER,
    LEADER,
    NOT_CLOSED,
    Outcome,
    WorkflowAction,
    actor_name,
    may,
    reference,
)
from crm.issues.models import Issue
from crm.issues.notices import Notice, zh


class Instruct(WorkflowAction):
    """A leader's instruction on a problem of an enterprise they lead."""

    name = "instruct"
    label = _l("Instruction")
    required_text = _l("Write the instruction.")
    text_label = _l("Instruction")
    allowed = may(NOT_CLOSED, LEADER)
    is_note = True

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        return [Notice("instruction", ("unit", "coordinators", "commissioners"), zh(_l(
            "Instruction from %(who)s on %(ref)s: %(text)s", who=actor_name(actor),
            ref=reference(issue), text=out.text or "")))]


class Supervise(WorkflowAction):
    """A 督办 notice to the unit on a problem whose clock runs (counted)."""

    name = "supervise"
    label = _l("Supervise")
    required_text = _l("Write the supervision notice.")
    text_label = _l("Supervision notice")
    allowed = may(["dispatched", "in_progress", "reopened"], COORDINATOR)

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        issue.supervise_count = (issue.supervise_count or 0) + 1

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        return [Notice("supervision", ("handler", "unit"), zh(_l(
            "Supervision notice on %(ref)s: %(text)s", ref=reference(issue),
            text=out.text or "")))]


class Escalate(WorkflowAction):
    """The problem goes on the agenda of the next joint meeting (once)."""

    name = "escalate"
    label = _l("Escalate to the joint meeting")
    text_label = _l("What the meeting is asked to decide (optional)")
    allowed = may(["dispatched", "returned", "in_progress", "paused", "reopened"],
                  COORDINATOR)

    def refusal(self, issue: Issue, now: datetime) -> str | None:
        if issue.is_escalated:
            return _("This problem is already escalated to the next joint meeting.")
        return None

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        issue.is_escalated = True

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        return [Notice("escalated", ("leaders", "unit"), zh(_l(
            "%(ref)s is put to the next joint meeting for coordination.",
            ref=reference(issue))))]


class Comment(WorkflowAction):
    """A remark on the timeline. Units see a problem from its dispatch on, so they can
    comment from then on."""

    name = "comment"
    label = _l("Comment")
    required_text = _l("Write a comment.")
    text_label = _l("Comment")
    allowed = {**may(["new"], COMMISSIONER, LEADER, COORDINATOR),
               **may([s for s in ALL_STATES if s != "new"],
                     COMMISSIONER, LEADER, HANDLER, COORDINATOR)}
    is_note = True
