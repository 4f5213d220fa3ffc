"""Milestone countdowns: the light (green / yellow / red) and the days left, counted in
working days (the problems' calendar: ``crm.issues.deadlines``) or calendar days as the
milestone says; the due-soon and overdue notices (a sweep like the problems' one); a
late milestone turned into a problem (诉求) dispatched through the workflow.

The rule, written once here and used by every page, count and notice:

* a milestone is due at the end of its due day; it is **red** once that day has passed
  and it is not done;
* it is **yellow** when its countdown shows at most ``WARN_WORKING`` working days
  (``WARN_CALENDAR`` calendar days for a calendar-day milestone) left, counted after
  today up to and including the due day;
* otherwise **green**; a done milestone has no light.

The light is derived from ``due_date`` and today, never stored: ``light_expr`` is its
SQL twin (the cut-off days are computed once from today), so a list filter and a badge
always agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import joinedload

from crm.core import audit
from crm.core.notify import notify
from crm.core.timeutil import utcnow
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.notices import coordinator_ids, unit_handler_ids, zh
from crm.issues.services import raise_issue
from crm.issues.workflow import transition  # the only writer of a problem's state
from crm.taskforces.models import Milestone, Project, TaskForce

WARN_WORKING = 3    # yellow with 3 working days left or fewer
WARN_CALENDAR = 5   # … or 5 calendar days for a calendar-day milestone
LIGHT_ORDER = {"red": 0, "yellow": 1, "green": 2, None: 3}


@dataclass(frozen=True)
class Cutoffs:
    """Today and the last due day that is yellow in each counting mode."""

    today: date
    working: date
    calendar: date

    @classmethod
    def on(cls, today: date, cal: dl.WorkCalendar | None = None) -> Cutoffs:
        cal = cal or dl.WorkCalendar.around(today)
        # Yellow when the countdown shows at most WARN_* days left (days after today).
        return cls(today, cal.add(today, WARN_WORKING), today + timedelta(days=WARN_CALENDAR))


def light(milestone: Milestone, cut: Cutoffs) -> str | None:
    """The milestone's light on ``cut.today`` (None when done)."""
    if milestone.state == "done":
        return None
    if milestone.due_date < cut.today:
        return "red"
    limit = cut.working if milestone.count_mode == "working" else cut.calendar
    return "yellow" if milestone.due_date <= limit else "green"


def light_expr(cut: Cutoffs):
    """``light`` in SQL (NULL when done)."""
    m = Milestone
    yellow = or_(and_(m.count_mode == "working", m.due_date <= cut.working),
                 and_(m.count_mode == "calendar", m.due_date <= cut.calendar))
    return case((m.state == "done", None), (m.due_date < cut.today, "red"), (yellow, "yellow"),
                else_="green")


@dataclass(frozen=True)
class Countdown:
    """Days left (or overdue) in the milestone's own counting mode."""

    kind: str       # left, today, overdue, done
    days: int = 0
    working: bool = True

    @property
    def text(self) -> str:
        if self.kind == "done":
            return _("Done")
        if self.kind == "today":
            return _("Due today")
        if self.kind == "left":
            if self.working:
                return _("%(n)d working days left", n=self.days)
            return _("%(n)d days left", n=self.days)
        if self.working:
            return _("Overdue by %(n)d working days", n=self.days)
        return _("Overdue by %(n)d days", n=self.days)


def countdown(milestone: Milestone, today: date, cal: dl.WorkCalendar | None = None) -> Countdown:
    """What the person reads next to the light."""
    working = milestone.count_mode == "working"
    if milestone.state == "done":
        return Countdown("done", working=working)
    due = milestone.due_date
    if due == today:
        return Countdown("today", working=working)
    if working:
        cal = cal or dl.WorkCalendar.around(today, due)
        days = cal.between(today, due) if due > today else cal.between(due, today)
        days = max(days, 1) if due > today else days
    else:
        days = abs((due - today).days)
    return Countdown("left" if due > today else "overdue", days, working)


def annotate(milestones, today: date, cal: dl.WorkCalendar | None = None) -> list[dict]:
    """Rows for a page: each milestone with its light and countdown, red first, then
    yellow, green, done; by due day within a light."""
    cal = cal or dl.WorkCalendar.around(today, *(m.due_date for m in milestones))
    cut = Cutoffs.on(today, cal)
    rows = [{"m": m, "light": light(m, cut), "countdown": countdown(m, today, cal)}
            for m in milestones]
    rows.sort(key=lambda r: (LIGHT_ORDER[r["light"]], r["m"].due_date, r["m"].id))
    return rows


# -- changes ---------------------------------------------------------------------------------

def mark_done(milestone: Milestone, day: date, actor) -> Milestone:
    """The milestone is reached on ``day``."""
    if milestone.state == "done":
        return milestone
    milestone.state, milestone.done_on = "done", day
    db.session.flush()
    audit.record(actor, "milestone_done", milestone, after={"done_on": day.isoformat()},
                 summary=f"节点完成：{milestone.name}")
    return milestone


def reopen(milestone: Milestone, actor) -> Milestone:
    """Undo a done mark made by mistake."""
    if milestone.state != "done":
        return milestone
    before = milestone.done_on
    milestone.state, milestone.done_on = "open", None
    db.session.flush()
    audit.record(actor, "milestone_reopen", milestone, before={"done_on": before.isoformat()},
                 summary=f"节点重新打开：{milestone.name}")
    return milestone


class MilestoneError(Exception):
    """A change the rules refuse, with the sentence to show."""


def to_problem(milestone: Milestone, actor, now: datetime | None = None, note: str | None = None,
               notify: bool = True):
    """Turn a late milestone into a problem (诉求) raised for the project's enterprise
    (or without one, like a decision's tracking problem) and dispatched to the
    milestone's unit through the workflow; linked both ways (``milestone.issue_id`` and
    the problem page's link). Refused when the milestone is not late or already has
    one."""
    now = now or utcnow()
    today = dl.local_date(now)
    if milestone.issue_id is not None:
        raise MilestoneError(_("This milestone already has a problem."))
    if milestone.state == "done" or milestone.due_date >= today:
        raise MilestoneError(_("Only a late milestone can be turned into a problem."))
    project = db.session.get(Project, milestone.project_id)
    enterprise = db.session.get(Enterprise, project.enterprise_id) if project.enterprise_id else None
    title = f"重点项目“{project.name}”{milestone.name}节点逾期"[:200]
    description = (f"{project.name}的“{milestone.name}”节点应于{milestone.due_date.isoformat()}"
                   f"完成，至今未完成。" + (f"\n{note.strip()}" if note and note.strip() else ""))
    issue = raise_issue(enterprise, {"title": title, "description": description}, actor,
                        source="direct" if enterprise is not None else "decision", now=now)
    transition(issue, "dispatch", actor, now=now, notify=notify, unit_id=milestone.unit_id,
               text=_("From a late milestone of a key project."))
    milestone.issue_id = issue.id
    db.session.flush()
    audit.record(actor, "milestone_problem", milestone, after={"issue": issue.number},
                 summary=f"节点逾期转为诉求 {issue.number}")
    return issue


# -- the sweep -------------------------------------------------------------------------------

def _recipients(rows, light_: str) -> dict[int, set[int]]:
    units = unit_handler_ids({m.unit_id for m, _tf in rows})
    coords = coordinator_ids() if light_ == "red" else set()
    out = {}
    for m, tf in rows:
        ids = set(units.get(m.unit_id, set())) | coords
        if light_ == "red":
            ids |= {tf.leader_id} | ({tf.deputy_id} if tf.deputy_id else set())
        out[m.id] = ids
    return out


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Due-soon (yellow) and overdue (red) notices for open milestones of active task
    forces, once per milestone, light and due day (the dedupe key), so running it twice
    adds nothing and a moved due day gets notices of its own. Flushes; the caller
    commits."""
    now = now or utcnow()
    today = dl.local_date(now)
    cut = Cutoffs.on(today)
    lit = light_expr(cut)
    rows = db.session.execute(
        select(Milestone, TaskForce, lit.label("light"))
        .join(Project, Project.id == Milestone.project_id)
        .join(TaskForce, TaskForce.id == Project.task_force_id)
        .options(joinedload(Milestone.project))
        .where(TaskForce.state == "active", Milestone.state == "open",
               lit.in_(("yellow", "red")))
        .order_by(Milestone.id)
    ).all()
    counts: dict[str, int] = {}
    for light_ in ("yellow", "red"):
        chosen = [(m, tf) for m, tf, lt in rows if lt == light_]
        who = _recipients(chosen, light_)
        kind = "milestone_due_soon" if light_ == "yellow" else "milestone_overdue"
        for m, tf in chosen:
            ref = f"{m.project.name}“{m.name}”"
            if light_ == "yellow":
                text = zh(_l("Milestone %(ref)s is due soon: %(due)s.", ref=ref,
                             due=m.due_date.isoformat()))
            else:
                text = zh(_l("Milestone %(ref)s is overdue: it was due on %(due)s.", ref=ref,
                             due=m.due_date.isoformat()))
            added = notify(who[m.id], kind, text, link=f"/taskforces/projects/{m.project_id}",
                           dedupe_key=f"milestone:{m.id}:{light_}:{m.due_date.isoformat()}")
            counts[kind] = counts.get(kind, 0) + added
    db.session.flush()
    return counts
