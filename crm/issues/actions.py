"""What each workflow action does to a problem. Called only by
``crm.issues.workflow.transition``, which has already checked the table and the
actor: ``validate`` reads and checks the data (no writes), ``apply`` changes the
problem's fields and returns the new state when it depends on the data,
``notify_for`` sends the notices.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from crm.extensions import db
from crm.issues import cooperation
from crm.issues import deadlines as dl
from crm.issues.models import LEVELS, Category, Issue, RatingToken
from crm.issues.notices import Notice, local_dt, send, zh

TEXT_MAX = 4000
# How far ahead a coordinator may set a due day (beyond any stage limit).
DUE_DAY_HORIZON = timedelta(days=366)

RATING_LABELS = {
    5: _l("Very satisfied"),
    4: _l("Satisfied"),
    3: _l("Fairly satisfied"),
    2: _l("Dissatisfied"),
    1: _l("Very dissatisfied"),
}

# The message shown when an action's required text is missing.
REQUIRED_TEXT = {
    "return": _l("Give the reason for returning it."),
    "pause": _l("Give the reason for the pause (what the enterprise is to do)."),
    "close": _l("Give the reason for closing it."),
    "reopen": _l("Give the reason for reopening it."),
    "refuse_extension": _l("Give the reason for refusing."),
    "request_extension": _l("Give the reason for the extension."),
    "progress": _l("Describe the progress."),
    "resolve": _l("Describe how the problem was resolved."),
    "instruct": _l("Write the instruction."),
    "supervise": _l("Write the supervision notice."),
    "comment": _l("Write a comment."),
}


@dataclass
class Outcome:
    """The checked data of one action."""

    text: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    event_data: dict[str, Any] = field(default_factory=dict)


def _as_date(value, field_name: str) -> date | None:
    from crm.issues.workflow import InvalidInput

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


def _as_int(value, field_name: str, message: str) -> int | None:
    from crm.issues.workflow import InvalidInput

    if value in (None, "", 0, "0"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput(message, field_name) from None


def _text(action: str, data: dict) -> str | None:
    from crm.issues.workflow import InvalidInput

    text = (data.get("text") or "").strip() or None
    if text is None and action in REQUIRED_TEXT:
        raise InvalidInput(str(REQUIRED_TEXT[action]), "text")
    if text is not None and len(text) > TEXT_MAX:
        raise InvalidInput(_("At most %(n)d characters.", n=TEXT_MAX), "text")
    return text


def _unit(value, required: bool):
    from crm.auth.models import Unit
    from crm.issues.workflow import InvalidInput

    unit_id = _as_int(value, "unit_id", _("Choose the lead unit."))
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None or not unit.is_active:
        if required or unit_id:
            raise InvalidInput(_("Choose the lead unit."), "unit_id")
        return None
    return unit


def redispatch_due_day(issue: Issue, today: date, limits: dl.StageLimits,
                       cal: dl.WorkCalendar) -> date:
    """The due day proposed when a returned problem is re-dispatched on ``today``.

    A return does not reset the clock (DESIGN.md §4), so it is the due day set at the
    first dispatch; when that comes before the new unit's sign deadline (the problem
    sat returned too long), the sign deadline's day, so that the new unit is not
    overdue before it could even sign. The coordinator may choose another day.
    """
    sign_day = cal.add(today, limits.sign_days)
    if issue.due_at is None:  # never dispatched with a clock: a standard stage
        return dl.resolve_due_day(today, limits, cal)
    return max(dl.local_date(issue.due_at), sign_day)


def _check_due_range(action: str, due_day: date, today: date) -> None:
    """A chosen due day: after today at dispatch, not before today at re-dispatch (the
    original day may be today), within a year (checked before its calendar is read)."""
    from crm.issues.workflow import InvalidInput

    if action == "dispatch" and due_day <= today:
        raise InvalidInput(_("The due date must be after today."), "due_date")
    if due_day < today:
        raise InvalidInput(_("The due date cannot be before today (%(d)s).",
                             d=today.isoformat()), "due_date")
    if due_day > today + DUE_DAY_HORIZON:
        raise InvalidInput(_("The due date must be within a year from today."), "due_date")


def _validate_dispatch(action: str, issue: Issue, now: datetime, data: dict, out: Outcome):
    from crm.auth.models import Unit
    from crm.issues.workflow import InvalidInput

    unit = _unit(data.get("unit_id"), required=True)
    level = data.get("level") or issue.level
    if level not in LEVELS:
        raise InvalidInput(_("Choose the level."), "level")
    # Without a category in the data the problem keeps its own; 0 means "unclassified".
    if "category_id" in data and data["category_id"] is not None:
        category_id = _as_int(data["category_id"], "category_id", _("Choose a category."))
    else:
        category_id = issue.category_id
    category = db.session.get(Category, category_id) if category_id else None
    if category_id and category is None:
        raise InvalidInput(_("Choose a category."), "category_id")
    coop_ids = sorted({int(c) for c in (data.get("coop_unit_ids") or []) if str(c).isdigit()}
                      - {unit.id})
    coop = db.session.scalars(select(Unit).where(Unit.id.in_(coop_ids))).all() if coop_ids else []
    limits = dl.limits_for(category.id if category else None, level)
    today = dl.local_date(now)
    due_day = _as_date(data.get("due_date"), "due_date")
    if due_day is not None:
        _check_due_range(action, due_day, today)
    started = dl.local_date(issue.dispatched_at) if issue.dispatched_at else None
    cal = dl.WorkCalendar.around(today, due_day, started)
    if due_day is not None and not cal.is_workday(due_day):
        raise InvalidInput(_("The due date is not a working day; choose a working day."),
                           "due_date")
    if due_day is None and action == "redispatch":
        due_day = redispatch_due_day(issue, today, limits, cal)
    out.values.update(unit=unit, level=level, category=category, coop=coop, limits=limits,
                      due_day=due_day, cal=cal)
    out.event_data.update(unit_id=unit.id, unit=unit.name, level=level,
                          category=category.name if category else None,
                          coop=[u.name for u in coop] or None)


def validate(action: str, issue: Issue, actor, now: datetime, data: dict) -> Outcome:
    """Check the data of ``action`` without writing anything; InvalidInput when wrong."""
    from crm.issues.workflow import EnterpriseRater, InvalidInput

    out = Outcome(text=_text(action, data))
    if action in ("dispatch", "redispatch"):
        _validate_dispatch(action, issue, now, data, out)
    elif action in ("request_extension", "grant_extension"):
        until = _as_date(data.get("until"), "until")
        if until is None and action == "grant_extension":
            until = issue.extension_requested_until
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
        out.event_data.update(until=until.isoformat(),
                              old_due_at=issue.due_at.isoformat() if issue.due_at else None)
    elif action == "rate":
        rating = _as_int(data.get("rating"), "rating", _("Choose a rating from 1 to 5."))
        if rating not in RATING_LABELS:
            raise InvalidInput(_("Choose a rating from 1 to 5."), "rating")
        contact = (data.get("contact") or "").strip()[:64] or None
        is_self = isinstance(actor, EnterpriseRater)
        if not is_self and not contact:
            raise InvalidInput(_("Enter the name of the enterprise contact who gave the "
                                 "rating."), "contact")
        out.values.update(rating=rating, contact=contact or getattr(actor, "name", None),
                          channel="self" if is_self else "recorded")
        out.event_data.update(rating=rating, channel=out.values["channel"],
                              contact=out.values["contact"])
    return out


def _start_clock(issue: Issue, now: datetime, limits, due_day=None, cal=None) -> None:
    clock = dl.start_clock(now, limits, due_day=due_day, cal=cal)
    issue.sign_due_at, issue.progress_due_at = clock.sign_due_at, clock.progress_due_at
    issue.due_at, issue.warn_at = clock.due_at, clock.warn_at


def _reopen(issue: Issue, now: datetime) -> None:
    """A new resolve stage from today; the handler signs again."""
    limits = dl.limits_for(issue.category_id, issue.level)
    _start_clock(issue, now, limits)
    issue.reopen_count = (issue.reopen_count or 0) + 1
    issue.resolved_at = None
    issue.resolved_on_time = None


def _clear_extension(issue: Issue) -> None:
    issue.extension_requested_until = None
    issue.extension_reason = None


def apply(action: str, issue: Issue, actor, now: datetime, out: Outcome) -> str | None:
    """Change the problem's fields for ``action``; the new state when it depends on the
    data (rating), else None (the table's target applies)."""
    v = out.values
    if action == "dispatch":
        issue.lead_unit_id, issue.level = v["unit"].id, v["level"]
        issue.category_id = v["category"].id if v["category"] else None
        issue.dispatched_at, issue.handler_id = now, None
        _start_clock(issue, now, v["limits"], v["due_day"], v["cal"])
        v["coop_added"] = cooperation.set_units(issue, v["coop"], now, v["cal"])
        out.event_data.update(due_day=dl.local_date(issue.due_at).isoformat(),
                              due_at=issue.due_at.isoformat())
    elif action == "redispatch":
        _redispatch(issue, now, out)
    elif action == "sign":
        issue.handler_id = actor.id
        issue.signed_at = issue.signed_at or now
    elif action == "return":
        issue.handler_id = None
    elif action == "progress":
        issue.first_progress_at = issue.first_progress_at or now
    elif action == "request_extension":
        issue.extension_requested_until, issue.extension_reason = v["until"], out.text[:500]
    elif action == "grant_extension":
        issue.due_at, issue.warn_at = dl.extended_clock(
            issue.dispatched_at or now, v["until"], v["cal"])
        _clear_extension(issue)
        out.event_data.update(new_due_at=issue.due_at.isoformat())
    elif action == "refuse_extension":
        out.event_data.update(until=issue.extension_requested_until.isoformat())
        _clear_extension(issue)
    elif action == "pause":
        issue.paused_at = now
    elif action == "resume":
        _resume(issue, now, out)
    elif action == "resolve":
        issue.resolution, issue.resolved_at = out.text, now
        issue.resolved_on_time = issue.due_at is None or now <= issue.due_at
        _clear_extension(issue)
    elif action == "rate":
        return _rate(issue, now, out)
    elif action == "reopen":
        _reopen(issue, now)
    elif action == "close":
        issue.closed_at, issue.close_reason = now, (out.text or "")[:300] or None
        issue.paused_at = None
        _clear_extension(issue)
    elif action == "supervise":
        issue.supervise_count = (issue.supervise_count or 0) + 1
    elif action == "escalate":
        issue.is_escalated = True
    return None


def _redispatch(issue: Issue, now: datetime, out: Outcome) -> None:
    """Final (the unit can no longer return it). The new unit receives the problem only
    now, so its sign and first-progress stages start today; the resolve clock is not
    reset by the return: it still runs from the first dispatch, and the due day is the
    coordinator's choice, proposed as the original one (``redispatch_due_day``). The
    yellow point is measured from the first dispatch, as for an extension."""
    v, cal, today = out.values, out.values["cal"], dl.local_date(now)
    previous = issue.due_at
    issue.lead_unit_id, issue.level = v["unit"].id, v["level"]
    issue.category_id = v["category"].id if v["category"] else None
    issue.is_redispatched, issue.handler_id = True, None
    issue.dispatched_at = issue.dispatched_at or now
    issue.sign_due_at = dl.end_of_day(cal.add(today, v["limits"].sign_days))
    issue.progress_due_at = dl.end_of_day(cal.add(today, v["limits"].progress_days))
    issue.due_at, issue.warn_at = dl.extended_clock(issue.dispatched_at, v["due_day"], cal)
    v["coop_added"] = cooperation.set_units(issue, v["coop"], now, cal)
    out.event_data.update(due_day=v["due_day"].isoformat(), due_at=issue.due_at.isoformat(),
                          previous_due_at=previous.isoformat() if previous else None)


def _resume(issue: Issue, now: datetime, out: Outcome) -> None:
    calendar_days = dl.limits_for(issue.category_id, issue.level).resolve_calendar
    cal = dl.WorkCalendar.around(dl.local_date(issue.paused_at), dl.local_date(now),
                                 dl.local_date(issue.due_at) if issue.due_at else None)
    days = dl.pause_shift(issue.paused_at, now, calendar_days, cal)
    if days:
        issue.due_at = dl.shift_instant(issue.due_at, days, calendar_days, cal)
        issue.warn_at = dl.shift_instant(issue.warn_at, days, calendar_days, cal)
        if issue.first_progress_at is None:
            issue.progress_due_at = dl.shift_instant(issue.progress_due_at, days, False, cal)
    issue.paused_at = None
    out.event_data.update(paused_days=days, calendar_days=calendar_days,
                          due_at=issue.due_at.isoformat() if issue.due_at else None)


def _rate(issue: Issue, now: datetime, out: Outcome) -> str:
    v = out.values
    issue.rating, issue.rating_comment = v["rating"], out.text
    issue.rating_channel, issue.rating_contact, issue.rated_at = v["channel"], v["contact"], now
    # A rated problem takes no further ratings: every open link dies now.
    db.session.execute(update(RatingToken).where(
        RatingToken.issue_id == issue.id, RatingToken.used_at.is_(None)).values(used_at=now))
    if v["rating"] >= 3:
        issue.closed_at = now
        return "closed"
    _reopen(issue, now)
    return "reopened"


def rating_label(value: int | None) -> str:
    """非常满意 … 非常不满意 for 5 … 1 (in the current language)."""
    return str(RATING_LABELS[value]) if value in RATING_LABELS else ""


def _notices(action: str, issue: Issue, actor, out: Outcome) -> list[Notice]:
    ref = f"{issue.number}《{issue.title}》"
    who = getattr(actor, "display_name", "") or ""
    reason = out.text or ""
    if action in ("dispatch", "redispatch"):
        # The lead unit signs; a cooperating unit is asked for its opinion instead.
        return [Notice("dispatched", ("unit",), zh(_l(
            "New problem dispatched to your unit: %(ref)s. Please sign for it by %(due)s.",
            ref=ref, due=local_dt(issue.sign_due_at))))] + cooperation.requested_notice(
            issue, out.values.get("coop_added", []), out.values["unit"].name)
    if action == "return":
        return [Notice("returned", ("coordinators",), zh(_l(
            "%(ref)s was returned by %(who)s: %(reason)s", ref=ref, who=who, reason=reason)))]
    if action == "request_extension":
        return [Notice("extension_requested", ("coordinators",), zh(_l(
            "%(who)s asks to extend %(ref)s to %(d)s: %(reason)s", who=who, ref=ref,
            d=out.values["until"].isoformat(), reason=reason)))]
    if action == "grant_extension":
        return [Notice("extension_granted", ("handler", "unit"), zh(_l(
            "The extension of %(ref)s was granted; new due time %(due)s.",
            ref=ref, due=local_dt(issue.due_at))))]
    if action == "refuse_extension":
        return [Notice("extension_refused", ("handler", "unit"), zh(_l(
            "The extension of %(ref)s was refused: %(reason)s", ref=ref, reason=reason)))]
    if action == "resolve":
        return [Notice("resolved", ("commissioners", "raiser"), zh(_l(
            "%(ref)s was resolved by the unit. Please follow up with the enterprise and "
            "collect its rating.", ref=ref)))]
    if action == "rate" and issue.state == "reopened":
        return [Notice("reopened", ("unit", "coordinators", "leaders"), zh(_l(
            "The enterprise is not satisfied with %(ref)s (rating %(r)s): the problem is "
            "reopened and must be handled again by %(due)s.", ref=ref,
            r=out.values["rating"], due=local_dt(issue.due_at))))]
    if action == "reopen":
        return [Notice("reopened", ("unit", "coordinators", "leaders"), zh(_l(
            "%(ref)s was reopened by %(who)s: %(reason)s. Handle it again by %(due)s.",
            ref=ref, who=who, reason=reason, due=local_dt(issue.due_at))))]
    if action == "rate":
        return [Notice("rated", ("handler",), zh(_l(
            "The enterprise rated %(ref)s %(r)s of 5; the problem is closed.",
            ref=ref, r=out.values["rating"])))]
    if action == "instruct":
        return [Notice("instruction", ("unit", "coordinators", "commissioners"), zh(_l(
            "Instruction from %(who)s on %(ref)s: %(text)s", who=who, ref=ref, text=reason)))]
    if action == "supervise":
        return [Notice("supervision", ("handler", "unit"), zh(_l(
            "Supervision notice on %(ref)s: %(text)s", ref=ref, text=reason)))]
    if action == "escalate":
        return [Notice("escalated", ("leaders", "unit"), zh(_l(
            "%(ref)s is put to the next joint meeting for coordination.", ref=ref)))]
    if action == "close" and issue.raised_by_id:
        return [Notice("closed", ("raiser",), zh(_l(
            "%(ref)s was closed: %(reason)s", ref=ref, reason=reason)))]
    return []


def notify_for(action: str, issue: Issue, actor, out: Outcome, event, today) -> int:
    """Send the notices of one action (never to the actor)."""
    notices = _notices(action, issue, actor, out)
    exclude = {actor.id} if getattr(actor, "id", None) else set()
    return send(issue, notices, key=f"event:{event.id}", exclude=exclude)
