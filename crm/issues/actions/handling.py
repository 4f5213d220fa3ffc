"""The lead unit's work on a problem: sign or return it, report progress, ask for more
time (and the coordinator's answer), pause while the enterprise owes something, resume,
resolve (DESIGN.md §4)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm.issues import deadlines as dl
from crm.issues.actions.base import (
    COORDINATOR,
    HANDLER,
    Outcome,
    WorkflowAction,
    actor_name,
    as_date,
    may,
    reference,
)
from crm.issues.errors import InvalidInput
from crm.issues.models import Issue
from crm.issues.notices import Notice, local_dt, zh


def clear_extension(issue: Issue) -> None:
    """No extension request waits any more."""
    issue.extension_requested_until = None
    issue.extension_reason = None


class Sign(WorkflowAction):
    """The lead unit takes the problem on; the one who signs is its handler."""

    name = "sign"
    label = _l("Sign for it")
    text_label = _l("Note (optional)")
    allowed = may(["dispatched", "reopened"], HANDLER)
    to = "in_progress"

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        issue.handler_id = actor.id
        issue.signed_at = issue.signed_at or now


class Return(WorkflowAction):
    """Not this unit's business: back to the coordinator (once; the re-dispatch is final)."""

    name = "return"
    label = _l("Return")
    required_text = _l("Give the reason for returning it.")
    text_label = _l("Reason for returning it")
    allowed = may(["dispatched"], HANDLER)
    to = "returned"

    def refusal(self, issue: Issue, now: datetime) -> str | None:
        if issue.is_redispatched:
            return _("The coordinator re-dispatched this problem; it can no longer be "
                     "returned.")
        return None

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        issue.handler_id = None

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        return [Notice("returned", ("coordinators",), zh(_l(
            "%(ref)s was returned by %(who)s: %(reason)s", ref=reference(issue),
            who=actor_name(actor), reason=out.text or "")))]


class Progress(WorkflowAction):
    """A progress report; the first one meets the first-progress stage."""

    name = "progress"
    label = _l("Report progress")
    required_text = _l("Describe the progress.")
    text_label = _l("Progress")
    allowed = may(["in_progress"], HANDLER)

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        issue.first_progress_at = issue.first_progress_at or now


class _NewDueDay(WorkflowAction):
    """An extension's new due day: a working day after the current one."""

    def read(self, issue: Issue, actor, now: datetime, data: dict, out: Outcome) -> None:
        until = as_date(data.get("until"), "until")
        if until is None:
            until = self.default_until(issue)
        if until is None:
            raise InvalidInput(_("Enter the new due date."), "until")
        current = dl.local_date(issue.due_at) if issue.due_at else dl.local_date(now)
        if until <= current:
            raise InvalidInput(_("The new due date must be after the current one (%(d)s).",
                                 d=current.isoformat()), "until")
        cal = dl.WorkCalendar.around(current, until)
        if not cal.is_workday(until):
            raise InvalidInput(_("The due date is not a working day; choose a working day."),
                               "until")
        out.values.update(until=until, cal=cal)

    def default_until(self, issue: Issue):
        """The new due day when none is given (None: one must be given)."""
        return None

    def note_until(self, issue: Issue, out: Outcome) -> None:
        """The asked day and the due time it replaces, into the event."""
        out.event_data.update(until=out.values["until"].isoformat(),
                              old_due_at=issue.due_at.isoformat() if issue.due_at else None)


class _Decision(WorkflowAction):
    """The coordinator's answer to a waiting extension request."""

    allowed = may(["in_progress", "paused"], COORDINATOR)

    def refusal(self, issue: Issue, now: datetime) -> str | None:
        if issue.extension_requested_until is None:
            return _("There is no extension request to decide.")
        return None


class RequestExtension(_NewDueDay):
    """The unit asks for more time, before the due time and one request at a time."""

    name = "request_extension"
    label = _l("Ask for an extension")
    required_text = _l("Give the reason for the extension.")
    text_label = _l("Reason for the extension")
    allowed = may(["in_progress"], HANDLER)

    def refusal(self, issue: Issue, now: datetime) -> str | None:
        if issue.extension_requested_until is not None:
            return _("An extension request is already waiting for a decision.")
        if issue.due_at is None or now >= issue.due_at:
            return _("An extension can only be requested before the due time.")
        return None

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        self.note_until(issue, out)
        issue.extension_requested_until = out.values["until"]
        issue.extension_reason = out.text[:500]

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        return [Notice("extension_requested", ("coordinators",), zh(_l(
            "%(who)s asks to extend %(ref)s to %(d)s: %(reason)s", who=actor_name(actor),
            ref=reference(issue), d=out.values["until"].isoformat(),
            reason=out.text or "")))]


class GrantExtension(_Decision, _NewDueDay):
    """The new due day (the one asked for, or another) with its yellow point measured
    from the first dispatch."""

    name = "grant_extension"
    label = _l("Grant the extension")
    text_label = _l("Note (optional)")

    def default_until(self, issue: Issue):
        return issue.extension_requested_until

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        self.note_until(issue, out)
        issue.due_at, issue.warn_at = dl.extended_clock(
            issue.dispatched_at or now, out.values["until"], out.values["cal"])
        clear_extension(issue)
        out.event_data.update(new_due_at=issue.due_at.isoformat())

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        return [Notice("extension_granted", ("handler", "unit"), zh(_l(
            "The extension of %(ref)s was granted; new due time %(due)s.",
            ref=reference(issue), due=local_dt(issue.due_at))))]


class RefuseExtension(_Decision):
    """The due time stays; the unit is told why."""

    name = "refuse_extension"
    label = _l("Refuse the extension")
    required_text = _l("Give the reason for refusing.")
    text_label = _l("Reason for refusing")

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        out.event_data.update(until=issue.extension_requested_until.isoformat())
        clear_extension(issue)

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        return [Notice("extension_refused", ("handler", "unit"), zh(_l(
            "The extension of %(ref)s was refused: %(reason)s", ref=reference(issue),
            reason=out.text or "")))]


class Pause(WorkflowAction):
    """Waiting for the enterprise: the clock stops (a reason is required)."""

    name = "pause"
    label = _l("Pause (waiting for the enterprise)")
    required_text = _l("Give the reason for the pause (what the enterprise is to do).")
    text_label = _l("Reason (what the enterprise is to do)")
    allowed = may(["in_progress"], HANDLER)
    to = "paused"

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        issue.paused_at = now


class Resume(WorkflowAction):
    """The clock runs again: the open deadlines move on by the working days (calendar
    days for calendar stages) the pause lasted."""

    name = "resume"
    label = _l("Resume")
    text_label = _l("Note (optional)")
    allowed = may(["paused"], HANDLER, COORDINATOR)
    to = "in_progress"

    def read(self, issue: Issue, actor, now: datetime, data: dict, out: Outcome) -> None:
        out.values["calendar_days"] = dl.limits_for(issue.category_id,
                                                    issue.level).resolve_calendar
        out.values["cal"] = dl.WorkCalendar.around(
            dl.local_date(issue.paused_at), dl.local_date(now),
            dl.local_date(issue.due_at) if issue.due_at else None)

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        calendar_days, cal = out.values["calendar_days"], out.values["cal"]
        days = dl.pause_shift(issue.paused_at, now, calendar_days, cal)
        if days:
            issue.due_at = dl.shift_instant(issue.due_at, days, calendar_days, cal)
            issue.warn_at = dl.shift_instant(issue.warn_at, days, calendar_days, cal)
            if issue.first_progress_at is None:
                issue.progress_due_at = dl.shift_instant(issue.progress_due_at, days, False,
                                                         cal)
        issue.paused_at = None
        out.event_data.update(paused_days=days, calendar_days=calendar_days,
                              due_at=issue.due_at.isoformat() if issue.due_at else None)


class Resolve(WorkflowAction):
    """The unit's resolution; whether it came in time is frozen now."""

    name = "resolve"
    label = _l("Submit the resolution")
    required_text = _l("Describe how the problem was resolved.")
    text_label = _l("How it was resolved")
    allowed = may(["in_progress"], HANDLER)
    to = "resolved"

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        issue.resolution, issue.resolved_at = out.text, now
        issue.resolved_on_time = issue.due_at is None or now <= issue.due_at
        clear_extension(issue)

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        return [Notice("resolved", ("commissioners", "raiser"), zh(_l(
            "%(ref)s was resolved by the unit. Please follow up with the enterprise and "
            "collect its rating.", ref=reference(issue))))]
