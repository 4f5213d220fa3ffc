"""Dispatch and re-dispatch: the coordinator sends a problem to its lead unit (and its
cooperating units), which starts the clock (DESIGN.md §4)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.auth.models import Unit
from crm.extensions import db
from crm.issues import cooperation
from crm.issues import deadlines as dl
from crm.issues.actions.base import (
    COORDINATOR,
    Outcome,
    WorkflowAction,
    as_date,
    as_int,
    may,
    reference,
    unit_from,
)
from crm.issues.errors import InvalidInput
from crm.issues.models import LEVELS, Category, Issue
from crm.issues.notices import Notice, local_dt, zh

# How far ahead a coordinator may set a due day (beyond any stage limit).
DUE_DAY_HORIZON = timedelta(days=366)


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


class _Dispatching(WorkflowAction):
    """What dispatch and re-dispatch share: the unit, level, category, cooperating units
    and due day chosen, the notices to the units."""

    text_label = _l("Note to the unit (optional)")
    to = "dispatched"

    def check_due_range(self, due_day: date, today: date) -> None:
        """A chosen due day: not before today, within a year (checked before its
        calendar is read)."""
        if due_day < today:
            raise InvalidInput(_("The due date cannot be before today (%(d)s).",
                                 d=today.isoformat()), "due_date")
        if due_day > today + DUE_DAY_HORIZON:
            raise InvalidInput(_("The due date must be within a year from today."),
                               "due_date")

    def default_due_day(self, issue: Issue, today: date, limits, cal) -> date | None:
        """The due day when none is chosen (None: the standard resolve stage)."""
        return None

    def read(self, issue: Issue, actor, now: datetime, data: dict, out: Outcome) -> None:
        unit = unit_from(data.get("unit_id"), required=True)
        level = data.get("level") or issue.level
        if level not in LEVELS:
            raise InvalidInput(_("Choose the level."), "level")
        # Without a category in the data the problem keeps its own; 0 means "unclassified".
        if "category_id" in data and data["category_id"] is not None:
            category_id = as_int(data["category_id"], "category_id", _("Choose a category."))
        else:
            category_id = issue.category_id
        category = db.session.get(Category, category_id) if category_id else None
        if category_id and category is None:
            raise InvalidInput(_("Choose a category."), "category_id")
        coop_ids = sorted({int(c) for c in (data.get("coop_unit_ids") or [])
                           if str(c).isdigit()} - {unit.id})
        coop = (db.session.scalars(select(Unit).where(Unit.id.in_(coop_ids))).all()
                if coop_ids else [])
        limits = dl.limits_for(category.id if category else None, level)
        today = dl.local_date(now)
        due_day = as_date(data.get("due_date"), "due_date")
        if due_day is not None:
            self.check_due_range(due_day, today)
        started = dl.local_date(issue.dispatched_at) if issue.dispatched_at else None
        cal = dl.WorkCalendar.around(today, due_day, started)
        if due_day is not None and not cal.is_workday(due_day):
            raise InvalidInput(_("The due date is not a working day; choose a working day."),
                               "due_date")
        if due_day is None:
            due_day = self.default_due_day(issue, today, limits, cal)
        out.values.update(unit=unit, level=level, category=category, coop=coop, limits=limits,
                          due_day=due_day, cal=cal)

    def route(self, issue: Issue, out: Outcome) -> None:
        """Lead unit, level and category from the checked values, into the event too."""
        v = out.values
        issue.lead_unit_id, issue.level = v["unit"].id, v["level"]
        issue.category_id = v["category"].id if v["category"] else None
        issue.handler_id = None
        out.event_data.update(unit_id=v["unit"].id, unit=v["unit"].name, level=v["level"],
                              category=v["category"].name if v["category"] else None,
                              coop=[u.name for u in v["coop"]] or None)

    def after(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        v = out.values
        v["coop_added"] = cooperation.set_units(issue, v["coop"], now, v["cal"])

    def notices(self, issue: Issue, actor, out: Outcome) -> list[Notice]:
        # The lead unit signs; a cooperating unit is asked for its opinion instead.
        return [Notice("dispatched", ("unit",), zh(_l(
            "New problem dispatched to your unit: %(ref)s. Please sign for it by %(due)s.",
            ref=reference(issue), due=local_dt(issue.sign_due_at))))] + \
            cooperation.requested_notice(issue, out.values.get("coop_added", []),
                                         out.values["unit"].name)


class Dispatch(_Dispatching):
    """The first dispatch: the clock starts now, with the standard stages or the chosen
    due day."""

    name = "dispatch"
    label = _l("Dispatch")
    allowed = may(["new"], COORDINATOR)

    def after(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        # A problem never dispatched has no cooperating units: without any asked for
        # there is nothing to write.
        if out.values["coop"]:
            super().after(issue, actor, now, out)
        else:
            out.values["coop_added"] = []

    def check_due_range(self, due_day: date, today: date) -> None:
        if due_day <= today:
            raise InvalidInput(_("The due date must be after today."), "due_date")
        super().check_due_range(due_day, today)

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        v = out.values
        self.route(issue, out)
        issue.dispatched_at = now
        clock = dl.start_clock(now, v["limits"], due_day=v["due_day"], cal=v["cal"])
        issue.sign_due_at, issue.progress_due_at = clock.sign_due_at, clock.progress_due_at
        issue.due_at, issue.warn_at = clock.due_at, clock.warn_at
        out.event_data.update(due_day=dl.local_date(issue.due_at).isoformat(),
                              due_at=issue.due_at.isoformat())


class Redispatch(_Dispatching):
    """Final (the unit can no longer return it). The new unit receives the problem only
    now, so its sign and first-progress stages start today; the resolve clock is not
    reset by the return: it still runs from the first dispatch, and the due day is the
    coordinator's choice, proposed as the original one (``redispatch_due_day``). The
    yellow point is measured from the first dispatch, as for an extension."""

    name = "redispatch"
    label = _l("Re-dispatch")
    allowed = may(["returned"], COORDINATOR)

    def default_due_day(self, issue: Issue, today: date, limits, cal) -> date:
        return redispatch_due_day(issue, today, limits, cal)

    def apply(self, issue: Issue, actor, now: datetime, out: Outcome) -> None:
        v, cal, today = out.values, out.values["cal"], dl.local_date(now)
        previous = issue.due_at
        self.route(issue, out)
        issue.is_redispatched = True
        issue.dispatched_at = issue.dispatched_at or now
        issue.sign_due_at = dl.end_of_day(cal.add(today, v["limits"].sign_days))
        issue.progress_due_at = dl.end_of_day(cal.add(today, v["limits"].progress_days))
        issue.due_at, issue.warn_at = dl.extended_clock(issue.dispatched_at, v["due_day"], cal)
        out.event_data.update(due_day=v["due_day"].isoformat(), due_at=issue.due_at.isoformat(),
                              previous_due_at=previous.isoformat() if previous else None)
