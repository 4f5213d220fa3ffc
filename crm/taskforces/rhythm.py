"""The rhythm of a task force: weekly 碰头, fortnightly 调度, monthly 推进, each on or off
with its weekday; the occurrences laid out on the working-day calendar, the
``Meeting(kind=taskforce)`` held for each, its short agenda, the task forces that missed
a meeting of their rhythm.

Placement rule (one place, used by the calendar page, the planning job and the seed):

* weekly: every week on its weekday; fortnightly: every other week on its weekday,
  counted from the week the task force started; monthly: the first such weekday of the
  month;
* an occurrence whose day is not a working day (a holiday, a weekend — the problems'
  calendar, make-up workdays count) moves to the next working day;
* two occurrences never fall on the same day: the monthly meeting keeps its day first,
  then the fortnightly one, then the weekly one; one that finds its day taken moves to
  the next free working day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.core.timeutil import to_utc
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.models import Issue
from crm.meetings.models import Decision, Meeting
from crm.taskforces.milestones import Cutoffs, light_expr
from crm.taskforces.models import Milestone, Project, RhythmMeeting, TaskForce

PRIORITY = ("monthly", "fortnightly", "weekly")
SHORT = {"weekly": "周碰头", "fortnightly": "双周调度", "monthly": "月推进"}
LABELS = {"weekly": _l("Weekly meeting"), "fortnightly": _l("Fortnightly dispatch"),
          "monthly": _l("Monthly push")}
MEETING_TIME = time(9, 0)  # local
PLAN_DAYS = 28             # rhythm meetings are planned this far ahead
OPEN_STATES = ("new", "dispatched", "returned", "in_progress", "paused", "reopened")


@dataclass(frozen=True)
class Occurrence:
    """One meeting of the rhythm: the day it is held and the day it was due by rule."""

    day: date
    rhythm: str
    nominal: date

    @property
    def moved(self) -> bool:
        return self.day != self.nominal


def _weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _nominal(tf: TaskForce, start: date, end: date):
    """(nominal day, rhythm) of each enabled rhythm in [start, end]."""
    out = []
    if tf.weekly_on:
        d = _weekday_on_or_after(start, tf.weekly_day)
        while d <= end:
            out.append((d, "weekly"))
            d += timedelta(days=7)
    if tf.fortnightly_on:
        anchor = _weekday_on_or_after(tf.start_date - timedelta(days=tf.start_date.weekday()),
                                      tf.fortnightly_day)
        k = max(0, (start - anchor).days // 14)
        d = anchor + timedelta(days=14 * k)
        while d <= end:
            if d >= start:
                out.append((d, "fortnightly"))
            d += timedelta(days=14)
    if tf.monthly_on:
        y, m = start.year, start.month
        while date(y, m, 1) <= end:
            d = _weekday_on_or_after(date(y, m, 1), tf.monthly_day)
            if start <= d <= end:
                out.append((d, "monthly"))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def occurrences(tf: TaskForce, start: date, end: date,
                cal: dl.WorkCalendar | None = None) -> list[Occurrence]:
    """The rhythm's meetings held in [start, end], in day order (see the module rule)."""
    lo = max(start - timedelta(days=31), tf.start_date)  # earlier ones may move into range
    hi = end if tf.end_date is None else min(end, tf.end_date)
    if hi < lo:
        return []
    cal = cal or dl.WorkCalendar.around(lo, end + timedelta(days=40))
    taken: set[date] = set()
    out = []
    nominal = sorted(_nominal(tf, lo, hi),
                     key=lambda n: (cal.roll(n[0]), PRIORITY.index(n[1]), n[0]))
    for day, rhythm in nominal:
        d = cal.roll(day)
        while d in taken:
            d = cal.roll(d + timedelta(days=1))
        taken.add(d)
        out.append(Occurrence(d, rhythm, day))
    return sorted((o for o in out if start <= o.day <= end), key=lambda o: o.day)


# -- meetings --------------------------------------------------------------------------------

def _new_meeting(tf: TaskForce, occ: Occurrence) -> RhythmMeeting:
    meeting = Meeting(kind="taskforce", number=f"TF{tf.id}-{occ.day:%Y%m%d}",
                      title=f"{tf.name}{SHORT[occ.rhythm]}（{occ.day:%m月%d日}）",
                      period_start=occ.day, period_end=occ.day,
                      starts_at=to_utc(datetime.combine(occ.day, MEETING_TIME)),
                      state="planning", created_by_id=None)
    db.session.add(meeting)
    db.session.flush()
    rm = RhythmMeeting(task_force_id=tf.id, meeting_id=meeting.id, rhythm=occ.rhythm,
                       day=occ.day)
    db.session.add(rm)
    return rm


def plan(tf: TaskForce, start: date, end: date, cal: dl.WorkCalendar | None = None) -> int:
    """Create the rhythm meetings of [start, end] that do not exist yet (by day);
    returns how many. Flushes."""
    have = set(db.session.scalars(select(RhythmMeeting.day).where(
        RhythmMeeting.task_force_id == tf.id, RhythmMeeting.day.between(start, end))))
    made = 0
    for occ in occurrences(tf, start, end, cal):
        if occ.day not in have:
            _new_meeting(tf, occ)
            made += 1
    db.session.flush()
    return made


def plan_all(now: datetime, days: int = PLAN_DAYS) -> int:
    """Plan the next ``days`` of every active task force's rhythm (the periodic job)."""
    today = dl.local_date(now)
    cal = dl.WorkCalendar.around(today - timedelta(days=31), today + timedelta(days=days + 40))
    tfs = db.session.scalars(select(TaskForce).where(TaskForce.state == "active")
                             .order_by(TaskForce.id)).all()
    return sum(plan(tf, today, today + timedelta(days=days), cal) for tf in tfs)


def previous(rm: RhythmMeeting) -> RhythmMeeting | None:
    """The task force's rhythm meeting before this one."""
    return db.session.scalar(select(RhythmMeeting).where(
        RhythmMeeting.task_force_id == rm.task_force_id, RhythmMeeting.day < rm.day)
        .order_by(RhythmMeeting.day.desc()).limit(1))


@dataclass
class Agenda:
    """The short agenda of a rhythm meeting."""

    red_milestones: list
    problems: list
    open_decisions: list

    @property
    def empty(self) -> bool:
        return not (self.red_milestones or self.problems or self.open_decisions)


def agenda(rm: RhythmMeeting, today: date) -> Agenda:
    """Built from the task force's red milestones (as of the meeting day, or today for a
    meeting in the past), its open problems (those of its milestones) and the decisions
    of its previous meeting still open. Three queries."""
    on = min(rm.day, today) if rm.day < today else today
    cut = Cutoffs.on(on)
    red = db.session.execute(
        select(Milestone, Project.name).join(Project, Project.id == Milestone.project_id)
        .where(Project.task_force_id == rm.task_force_id, light_expr(cut) == "red")
        .order_by(Milestone.due_date, Milestone.id)).all()
    problems = db.session.execute(
        select(Issue, Milestone.name).join(Milestone, Milestone.issue_id == Issue.id)
        .join(Project, Project.id == Milestone.project_id)
        .where(Project.task_force_id == rm.task_force_id, Issue.state.in_(OPEN_STATES))
        .order_by(Issue.id)).all()
    prev_meeting = (select(RhythmMeeting.meeting_id)
                    .where(RhythmMeeting.task_force_id == rm.task_force_id,
                           RhythmMeeting.day < rm.day)
                    .order_by(RhythmMeeting.day.desc()).limit(1).scalar_subquery())
    decisions = db.session.execute(
        select(Decision, Issue).join(Issue, Issue.id == Decision.issue_id)
        .where(Decision.meeting_id == prev_meeting, Issue.state.in_(OPEN_STATES))
        .order_by(Decision.position, Decision.id)).all()
    return Agenda(red, problems, decisions)


def missed(today: date, tfs=None, cal: dl.WorkCalendar | None = None
           ) -> list[tuple[TaskForce, Occurrence]]:
    """Active task forces whose last rhythm meeting due before today (within five
    weeks) was not held (no meeting, or one still in planning). ``tfs`` (the active task
    forces) and ``cal`` may be passed by a caller that has them; then one query."""
    if tfs is None:
        tfs = db.session.scalars(select(TaskForce).where(TaskForce.state == "active")
                                 .order_by(TaskForce.id)).all()
    start = today - timedelta(days=35)
    cal = cal or dl.WorkCalendar.around(start - timedelta(days=31), today + timedelta(days=40))
    held = set(db.session.execute(
        select(RhythmMeeting.task_force_id, RhythmMeeting.day)
        .join(Meeting, Meeting.id == RhythmMeeting.meeting_id)
        .where(RhythmMeeting.day.between(start, today),
               Meeting.state.in_(("held", "minuted")))).tuples())
    out = []
    for tf in tfs:
        past = occurrences(tf, start, today - timedelta(days=1), cal)
        if past and (tf.id, past[-1].day) not in held:
            out.append((tf, past[-1]))
    return out
