"""How a problem ends, or does not: the enterprise's rating (≥ 3 closes, ≤ 2 reopens),
the coordinator's reopen and close (DESIGN.md §4)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues import followups
from crm.issues.actions.base import (
    COMMISSIONER,
    COORDINATOR,
    ENTERPRISE,
    NOT_CLOSED,
    EnterpriseRater,
    Outcome,
    WorkflowAction,
    actor_name,
    as_int,
    may,
    reference,
)
from crm.issues.actions.handling import clear_extension
from crm.issues.errors import InvalidInput
from crm.issues.models import Issue, RatingToken
from crm.issues.notices import Notice, local_dt, zh

RATING_LABELS = {
    5: _l("Very satisfied"),
    4: _l("Satisfied"),
    3: _l("Fairly satisfied"),
    2: _l("Dissatisfied"),
    1: _l("Very dissatisfied"),
}
# The lowest rating that closes the problem; below it the problem is reopened.
CLOSING_RATING = 3


def rating_label(value: int | None) -> str:
    """非常满意 … 非常不满意 for 5 … 1 (in the current language)."""
    return str(RATING_LABELS[value]) if value in RATING_LABELS else ""


def _read_new_stage(issue: Issue, now: datetime, out: Outcome) -> None:
    """What a reopen needs: the problem's stage limits and the calendar from today."""
    out.values["limits"] = dl.limits_for(issue.category_id, issue.level)
    out.values["cal"] = dl.WorkCalendar.around(dl.local_date(now))


def _reopen(issue: Issue, now: datetime, out: Outcome) -> None:
    """A new resolve stage from today; the handler signs again."""
    clock = dl.start_clock(now, out.values["limits"], cal=out.values["cal"])
    issue.sign_due_at, issue.progress_due_at = clock.sign_due_at, clock.progress_due_at
    issue.due_at, issue.warn_at = clock.due_at, clock.warn_at
    issue.reopen_count = (issue.reopen_count or 0) + 1
    issue.resolved_at = None
    issue.resolved_on_time = None


def _reopened_notice(issue: Issue, text) -> Notice:
    return Notice("reopened", ("unit", "coordinators", "leaders"), zh(text))


class Rate(WorkflowAction):
    """The enterprise's rating, given on its own phone (channel ``self``) or taken by a
    cadre by phone (``recorded``): 3 or more closes the problem, 1–2 reopens it."""

    name = "rate"
    label = _l("Record the rating")
    text_label = _l("Comment of the enterprise (optional)")
    allowed = may(["resolved"], ENTERPRISE, COMMISSIONER, COORDINATOR)
    to = ("closed", "reopened")

    def read(self, issue: Issue, actor, now: datetime, data: dict, out: Outcome) -> None:
        rating = as_int(data.get("rating"), "rating", _("Choose a rating from 1 to 5."))
        if rating not in RATING_LABELS:
            raise InvalidInput(_("Choose a rating from 1 to 5."), "rating")
        contact = (data.get("contact") or "").strip()[:64] or None
        is_self = isinstance(actor, EnterpriseRater)
        if not is_self and not contact:
            raise InvalidInput(_("Enter the name of the enterprise contact who gave the "
                                 "rating."), "contact")
        out.values.update(rating=rating, contact=contact or getattr(actor, "name", None),
                          channel="self" if is_self else "recorded")
        if rating < CLOSING_RATING:
            _read_new_stage(issue, now, out)

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> str:
        v = out.values
        out.event_data.update(rating=v["rating"], channel=v["channel"], contact=v["contact"])
        issue.rating, issue.rating_comment = v["rating"], out.text
        issue.rating_channel, issue.rating_contact, issue.rated_at = (
            v["channel"], v["contact"], now)
        if v["rating"] >= CLOSING_RATING:
            issue.closed_at = now
            return "closed"
        _reopen(issue, now, out)
        return "reopened"

    def after(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        # A rated problem takes no further ratings: every open link dies now. The links
        # do not depend on the problem's pending changes (the workflow flushes them
        # next), and the links loaded in the session are found by their ids.
        with db.session.no_autoflush:
            db.session.execute(update(RatingToken).where(
                RatingToken.issue_id == issue.id, RatingToken.used_at.is_(None))
                .values(used_at=now).execution_options(synchronize_session="fetch"))
        # A low rating, and a share of the good ones, are called back (回访).
        followups.queue_after_rating(issue, out.values["rating"], now)

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        ref, rating = reference(issue), out.values["rating"]
        if issue.state == "reopened":
            return [_reopened_notice(issue, _l(
                "The enterprise is not satisfied with %(ref)s (rating %(r)s): the problem is "
                "reopened and must be handled again by %(due)s.", ref=ref, r=rating,
                due=local_dt(issue.due_at)))]
        return [Notice("rated", ("handler",), zh(_l(
            "The enterprise rated %(ref)s %(r)s of 5; the problem is closed.",
            ref=ref, r=rating)))]


class Reopen(WorkflowAction):
    """The coordinator sends a resolved problem back for a new resolve stage."""

    name = "reopen"
    label = _l("Reopen")
    required_text = _l("Give the reason for reopening it.")
    text_label = _l("Reason for reopening it")
    allowed = may(["resolved"], COORDINATOR)
    to = "reopened"

    def read(self, issue: Issue, actor, now: datetime, data: dict, out: Outcome) -> None:
        _read_new_stage(issue, now, out)

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        _reopen(issue, now, out)

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        return [_reopened_notice(issue, _l(
            "%(ref)s was reopened by %(who)s: %(reason)s. Handle it again by %(due)s.",
            ref=reference(issue), who=actor_name(actor), reason=out.text or "",
            due=local_dt(issue.due_at)))]


class Close(WorkflowAction):
    """The coordinator closes a problem at any stage (a duplicate, a deregistered
    enterprise), with the reason."""

    name = "close"
    label = _l("Close the problem")
    required_text = _l("Give the reason for closing it.")
    text_label = _l("Reason for closing it (e.g. the enterprise is deregistered)")
    allowed = may(NOT_CLOSED, COORDINATOR)
    to = "closed"

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        issue.closed_at, issue.close_reason = now, (out.text or "")[:300] or None
        issue.paused_at = None
        clear_extension(issue)

    def after(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        # A problem closed without a resolution is called back (回访).
        followups.queue_after_close(issue, now)

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        if not issue.raised_by_id:
            return []
        return [Notice("closed", ("raiser",), zh(_l(
            "%(ref)s was closed: %(reason)s", ref=reference(issue), reason=out.text or "")))]
