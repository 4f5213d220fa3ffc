"""重办 after a follow-up call: the enterprise told the coordinator it is not satisfied,
so the problem goes back to a unit — the same one or another — for a new resolve stage
(DESIGN.md §4, issue 18). From a closed problem, or from one a low rating already
reopened when the coordinator chooses another unit."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm.issues.actions.base import (
    COORDINATOR,
    Outcome,
    WorkflowAction,
    actor_name,
    may,
    reference,
    unit_from,
)
from crm.issues.actions.closing import _read_new_stage, _reopen, _reopened_notice
from crm.issues.actions.handling import clear_extension
from crm.issues.errors import InvalidInput
from crm.issues.models import Issue
from crm.issues.notices import Notice, local_dt


class Redo(WorkflowAction):
    """重办: a new resolve stage, with the same unit or another, after a call found the
    enterprise not satisfied."""

    name = "redo"
    label = _l("Handle again (重办)")
    required_text = _l("Give the reason for handling it again.")
    text_label = _l("What the enterprise said on the follow-up call")
    allowed = may(["closed", "reopened"], COORDINATOR)
    to = "reopened"

    def refusal(self, issue: Issue, now: datetime) -> str | None:
        if issue.dispatched_at is None:
            return _("This problem was closed before it was dispatched; raise it again "
                     "instead.")
        return None

    def read(self, issue: Issue, actor, now: datetime, data: dict, out: Outcome) -> None:
        unit = unit_from(data.get("unit_id") or issue.lead_unit_id, required=True)
        if issue.state == "reopened" and unit.id == issue.lead_unit_id:
            raise InvalidInput(_("The problem is already being handled again by this unit."),
                               "unit_id")
        out.values["unit"] = unit
        _read_new_stage(issue, now, out)

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        unit = out.values["unit"]
        if unit.id != issue.lead_unit_id:
            out.event_data.update(from_unit_id=issue.lead_unit_id, unit_id=unit.id,
                                  unit=unit.name)
            issue.lead_unit_id, issue.handler_id = unit.id, None
        issue.closed_at = issue.close_reason = None
        issue.paused_at = None
        clear_extension(issue)
        _reopen(issue, now, out)

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        return [_reopened_notice(issue, _l(
            "%(ref)s must be handled again after a follow-up call (%(who)s): %(reason)s. "
            "Due %(due)s.", ref=reference(issue), who=actor_name(actor),
            reason=out.text or "", due=local_dt(issue.due_at)))]
