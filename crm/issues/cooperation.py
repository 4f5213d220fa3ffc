"""The cooperating units' (协办) own small stage (DESIGN.md §4).

A problem has one lead unit (主办): it signs for the problem, reports progress and
resolves it. A cooperating unit never signs. It is asked for an opinion to the lead unit
(协办意见) within ``DeadlineRule.coop_days`` working days (2 unless the admin's rule for
the category and level says otherwise) after the day it was asked — the dispatch, or the
re-dispatch that added it — ending at 18:00 like every stage of ``crm.issues.deadlines``,
whose calendar it uses. A unit that stays on through a re-dispatch keeps its deadline: a
return does not reset the clock.

The stage has its own light, derived like the problem's from stored instants
(``IssueUnit.reply_due_at`` / ``reply_warn_at``), its own notices (asked, due soon,
overdue: each once) and ends with the reply, which goes on the timeline for the lead
unit. The reply touches neither the problem's state nor its version, so — like a
comment — it never conflicts with the lead unit's work; only ``crm.issues.workflow``
assigns ``Issue.state``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from crm.auth.models import Unit
from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.errors import InvalidInput, NotAllowed
from crm.issues.models import (
    COOP_STATES,
    OPEN_STATES,
    STATES,
    DeadlineRule,
    Issue,
    IssueEvent,
    IssueUnit,
)
from crm.issues.notices import Audience, Notice, local_dt, send, unit_handler_ids, zh

# Working days for the opinion when no deadline rule says otherwise.
DEFAULT_COOP_DAYS = 2
REPLY_MAX = 4000
ACTION = "coop_reply"  # the timeline's action name for a reply


def coop_days_for(category_id: int | None, level: str, rules=None) -> int:
    """The working days a cooperating unit has to reply, with the precedence of
    ``deadlines.limits_for``: the category's own rule for the level, else the level's
    default rule, else ``DEFAULT_COOP_DAYS``. ``rules`` may be preloaded rows."""
    if rules is None:
        rules = db.session.scalars(select(DeadlineRule).where(
            DeadlineRule.level == level,
            (DeadlineRule.category_id == category_id) | DeadlineRule.category_id.is_(None),
        )).all()
    own = [r for r in rules if r.level == level and category_id is not None
           and r.category_id == category_id]
    default = [r for r in rules if r.level == level and r.category_id is None]
    rule = (own or default or [None])[0]
    return (rule.coop_days if rule is not None else None) or DEFAULT_COOP_DAYS


def stage_deadlines(asked_at: datetime, days: int,
                    cal: dl.WorkCalendar | None = None) -> tuple[datetime, datetime]:
    """(reply_due_at, reply_warn_at) for a unit asked at ``asked_at``: 18:00 on the
    ``days``-th working day after that day, yellow from the end of the working day
    before (the stage rule of ``crm.issues.deadlines``)."""
    start = dl.local_date(asked_at)
    cal = cal or dl.WorkCalendar.around(start)
    due_day = cal.add(start, days)
    return dl.end_of_day(due_day), dl.warn_instant(start, due_day, False, cal)


def set_units(issue: Issue, units, now: datetime,
              cal: dl.WorkCalendar | None = None) -> list[IssueUnit]:
    """Make ``units`` the problem's cooperating units (at dispatch and re-dispatch).

    A unit that stays keeps its stage and its reply; a new one is asked now, with the
    limit of the problem's category and level (set them first); a unit no longer
    listed is dropped. Returns the new stages: the units to tell. Flushes.
    """
    existing = {row.unit_id: row for row in db.session.scalars(
        select(IssueUnit).where(IssueUnit.issue_id == issue.id))}
    wanted = {u.id for u in units}
    for unit_id, row in existing.items():
        if unit_id not in wanted:
            db.session.delete(row)
    added = []
    new_units = [u for u in units if u.id not in existing]
    if new_units:
        days = coop_days_for(issue.category_id, issue.level)
        due, warn = stage_deadlines(now, days, cal)
        for unit in new_units:
            row = IssueUnit(issue_id=issue.id, unit_id=unit.id, requested_at=now,
                            reply_due_at=due, reply_warn_at=warn)
            db.session.add(row)
            added.append(row)
    db.session.flush()
    return added


def requested_notice(issue: Issue, added: list[IssueUnit], lead_name: str) -> list[Notice]:
    """The notice to the handlers of newly asked cooperating units (never "sign for")."""
    if not added:
        return []
    handlers = unit_handler_ids(row.unit_id for row in added)
    ids = set().union(*(handlers.get(row.unit_id, set()) for row in added))
    ref = f"{issue.number}《{issue.title}》"
    return [Notice("coop_requested", (), zh(_l(
        "%(ref)s is handled by %(lead)s; your unit cooperates. Please submit your "
        "cooperation opinion to the lead unit by %(due)s.",
        ref=ref, lead=lead_name, due=local_dt(added[0].reply_due_at))), ids)]


# -- the stage as people see it ------------------------------------------------------------

@dataclass(frozen=True)
class _Clock:
    """What ``deadlines.countdown`` reads of a problem: a running clock and its due time."""

    due_at: datetime
    state: str = "in_progress"


@dataclass
class StageRow:
    """A cooperating unit's stage on a problem, with its light and countdown."""

    issue: Issue
    stage: IssueUnit
    light: str | None
    countdown: dl.Countdown | None

    @property
    def unit(self):
        """The cooperating unit (loaded with the stage)."""
        return self.stage.unit


def rows_for(pairs, now: datetime) -> list[StageRow]:
    """Rows for (problem, stage) pairs; the holiday overrides are read once."""
    pairs = list(pairs)
    running = [(i, s) for i, s in pairs if s.light(i.state, now) is not None]
    cal = (dl.WorkCalendar.around(dl.local_date(now),
                                  *(dl.local_date(s.reply_due_at) for _i, s in running))
           if running else None)
    out = []
    for issue, stage in pairs:
        light = stage.light(issue.state, now)
        countdown = dl.countdown(_Clock(stage.reply_due_at), now, cal) if light else None
        out.append(StageRow(issue, stage, light, countdown))
    return out


def stages_for(issue: Issue, now: datetime | None = None) -> list[StageRow]:
    """The problem's cooperating units with their stages (for its page; one query)."""
    now = now or utcnow()
    stages = db.session.scalars(
        select(IssueUnit).join(Unit, Unit.id == IssueUnit.unit_id)
        .options(joinedload(IssueUnit.unit)).where(IssueUnit.issue_id == issue.id)
        .order_by(Unit.name)).all()
    return rows_for(((issue, s) for s in stages), now)


def inbox_section(unit_id: int | None, now: datetime, limit: int):
    """The open problems where ``unit_id`` cooperates, for its handlers' inbox (a
    ``queries.Section`` of StageRow): those still waiting for the unit's opinion first,
    the earliest due first; then those it has answered.

    Once dispatched, a problem is visible to the handlers of each unit that cooperates
    on it (``permissions._unit_condition``), so the section needs no visibility clause
    of its own — and without one, PostgreSQL reads the unit's few stages and their
    problems by key instead of every open problem (the clause's subqueries keep it
    from looking problems up by key). A new problem has no cooperation stage running."""
    # Imported here: ``queries`` builds loader options at import, which needs every
    # model mapped, and this module is imported with the workflow's actions, earlier.
    from crm.issues.queries import LIST_OPTIONS, Section

    if unit_id is None:
        return Section([], 0)
    cond = ((IssueUnit.unit_id == unit_id) & Issue.state.in_(OPEN_STATES)
            & (Issue.state != "new"))
    base = select(Issue, IssueUnit).join(IssueUnit, IssueUnit.issue_id == Issue.id).where(cond)
    found = db.session.execute(
        base.options(*LIST_OPTIONS).order_by(
            IssueUnit.replied_at.is_not(None), IssueUnit.reply_due_at.is_(None),
            IssueUnit.reply_due_at, Issue.id.desc()).limit(limit)).all()
    total = db.session.scalar(select(db.func.count()).select_from(Issue).join(
        IssueUnit, IssueUnit.issue_id == Issue.id).where(cond))
    return Section(rows_for(found, now), total or 0)


# -- the reply -----------------------------------------------------------------------------

def stage_of(issue: Issue, actor) -> IssueUnit | None:
    """The stage of ``actor``'s unit on ``issue`` when the unit cooperates on it."""
    unit_id = getattr(actor, "unit_id", None)
    if unit_id is None:
        return None
    return db.session.get(IssueUnit, (issue.id, unit_id))


def refusal(issue: Issue, actor, stage: IssueUnit | None) -> str | None:
    """Why ``actor`` cannot reply for their unit now, or None when they can."""
    if stage is None or actor is None or not actor.has_role("handler"):
        return _("Only a handler of a cooperating unit can submit its cooperation opinion.")
    if issue.state not in COOP_STATES:
        return _("This problem no longer waits for cooperation opinions (it is “%(state)s”).",
                 state=STATES.get(issue.state, issue.state))
    if stage.replied_at is not None:
        return _("Your unit has already submitted its cooperation opinion.")
    return None


def can_reply(issue: Issue, actor, stage: IssueUnit | None = None) -> bool:
    """Whether ``actor`` may submit their unit's opinion on ``issue`` now."""
    stage = stage if stage is not None else stage_of(issue, actor)
    return refusal(issue, actor, stage) is None


def reply(issue: Issue, actor, text: str | None, now: datetime | None = None, *,
          notify: bool = True) -> IssueEvent:
    """Record the opinion of ``actor``'s cooperating unit: it stops the unit's stage,
    goes on the timeline and is sent to the lead unit (unless ``notify`` is False: a
    generator loading history, like ``workflow.transition``).

    Refused (NotAllowed) for anyone but a handler of a cooperating unit, after the lead
    unit resolved the problem, and once the unit has replied; InvalidInput (field
    ``text``) without an opinion. Once only, even when two handlers of the unit send at
    the same moment. Flushes; the caller commits.
    """
    now = now or utcnow()
    stage = stage_of(issue, actor)
    message = refusal(issue, actor, stage)
    if message:
        raise NotAllowed(message)
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Write your unit's cooperation opinion."), "text")
    if len(text) > REPLY_MAX:
        raise InvalidInput(_("At most %(n)d characters.", n=REPLY_MAX), "text")
    done = db.session.execute(
        update(IssueUnit).where(IssueUnit.issue_id == issue.id,
                                IssueUnit.unit_id == stage.unit_id,
                                IssueUnit.replied_at.is_(None))
        .values(replied_at=now).execution_options(synchronize_session="fetch"))
    if done.rowcount != 1:
        raise NotAllowed(_("Your unit has already submitted its cooperation opinion."))
    unit = db.session.get(Unit, stage.unit_id)
    on_time = stage.reply_due_at is None or now <= stage.reply_due_at
    event = IssueEvent(issue_id=issue.id, at=now, actor_id=actor.id, action=ACTION, text=text,
                       data={"coop_unit": unit.name, "on_time": on_time})
    db.session.add(event)
    db.session.flush()
    if not notify:
        return event
    ref = f"{issue.number}《{issue.title}》"
    send(issue, [Notice("coop_replied", ("handler",), zh(_l(
        "%(unit)s (cooperating unit) sent its opinion on %(ref)s: %(text)s",
        unit=unit.name, ref=ref, text=text)))], key=f"event:{event.id}", exclude={actor.id})
    return event


# -- the sweep -----------------------------------------------------------------------------

def _stamp(value: datetime) -> str:
    return value.strftime("%Y%m%d%H%M")


def sweep(now: datetime) -> dict[str, int]:
    """Due-soon and overdue notices to the cooperating units still owing an opinion,
    each once per stage deadline (the dedupe key holds problem, unit, light and due
    time). Returns {notice kind: notifications added}. Part of ``crm.issues.sweep``."""
    pairs = db.session.execute(
        select(Issue, IssueUnit).join(IssueUnit, IssueUnit.issue_id == Issue.id)
        .where(IssueUnit.replied_at.is_(None), IssueUnit.reply_warn_at <= now,
               Issue.state.in_(COOP_STATES))
        .order_by(Issue.id, IssueUnit.unit_id)).all()
    if not pairs:
        return {}
    handlers = unit_handler_ids(stage.unit_id for _i, stage in pairs)
    counts: dict[str, int] = {}
    for issue, stage in pairs:
        light = stage.light(issue.state, now)
        ref = f"{issue.number}《{issue.title}》"
        due = local_dt(stage.reply_due_at)
        if light == "red":
            kind, text = "coop_overdue", _l(
                "%(ref)s: your unit's cooperation opinion is overdue (it was due by %(due)s). "
                "Please submit it to the lead unit now.", ref=ref, due=due)
        elif light == "yellow":
            kind, text = "coop_due_soon", _l(
                "%(ref)s: your unit's cooperation opinion is due soon. Please submit it to "
                "the lead unit by %(due)s.", ref=ref, due=due)
        else:
            continue
        key = f"sweep:{issue.id}:coop{stage.unit_id}:{light}:{_stamp(stage.reply_due_at)}"
        notice = Notice(kind, (), zh(text), handlers.get(stage.unit_id, set()))
        # The notice names its recipients; an empty audience costs no query.
        counts[kind] = counts.get(kind, 0) + send(issue, [notice], key=key,
                                                  audience=Audience([]))
    return counts
