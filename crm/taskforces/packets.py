"""The task forces' documents through the meeting packet pipeline, and their sections in
the coordinator's overview and the meeting packets.

* ``taskforce``: the weekly one-page progress sheet (周进度表) of a task force, subject
  ``taskforce:<id>:<Monday of the week, ISO>``;
* ``inspection``: an inspection group's monthly 督查通报, subject
  ``inspection:<group id>:<YYYY-MM>``;
* the overview's 专班 section, the joint and review packets' 重点项目推进 section, and the
  task forces a leader leads in the leader's portfolio packet.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.models import Issue
from crm.meetings import sections
from crm.meetings.decisions import decisions_of
from crm.meetings.models import Meeting
from crm.meetings.packets import kinds
from crm.taskforces import inspections, milestones, permissions, rhythm
from crm.taskforces.models import (
    InspectionGroup,
    Milestone,
    Project,
    RhythmMeeting,
    TaskForce,
)

# -- subjects ----------------------------------------------------------------------------

def sheet_key(tf_id: int, monday: date) -> str:
    return f"taskforce:{tf_id}:{monday.isoformat()}"


def report_key(group_id: int, month: str) -> str:
    return f"inspection:{group_id}:{month}"


def parse_key(key: str) -> tuple[int, str]:
    """(id, period) of a subject key ``kind:<id>:<period>``."""
    _kind, ident, period = key.split(":", 2)
    return int(ident), period


def _month_bounds(month: str) -> tuple[date, date]:
    y, m = (int(p) for p in month.split("-"))
    start = date(y, m, 1)
    end = date(y + (m == 12), 1 if m == 12 else m + 1, 1) - timedelta(days=1)
    return start, end


# -- stages ------------------------------------------------------------------------------

def stage_of(project_milestones) -> str:
    """A project's stage: the name of its first milestone not done (or 已投产/全部完成)."""
    for m in sorted(project_milestones, key=lambda m: (m.position, m.id)):
        if m.state != "done":
            return m.name
    return _("All milestones done")


# -- the weekly progress sheet -----------------------------------------------------------

def sheet_context(tf_id: int, monday: date, now=None) -> dict:
    """The progress sheet of task force ``tf_id`` for the week starting ``monday``: its
    projects with stage and next milestone, the red and yellow milestones, the week's
    milestones done, the meetings of the week with their decisions, open problems."""
    now = now or utcnow()
    sunday = monday + timedelta(days=6)
    today = min(dl.local_date(now), sunday)
    tf = db.session.scalar(select(TaskForce).where(TaskForce.id == tf_id).options(
        joinedload(TaskForce.leader), joinedload(TaskForce.deputy),
        joinedload(TaskForce.lead_unit),
        selectinload(TaskForce.projects).selectinload(Project.milestones)
        .joinedload(Milestone.unit)))
    all_ms = [m for p in tf.projects for m in p.milestones]
    rows = milestones.annotate(all_ms, today)
    by_project = {p.id: p for p in tf.projects}
    lit = [r for r in rows if r["light"] in ("red", "yellow")]
    done_week = [r for r in rows if r["m"].done_on and monday <= r["m"].done_on <= sunday]
    projects = []
    for p in tf.projects:
        nxt = next((r for r in rows if r["m"].project_id == p.id and r["light"]), None)
        projects.append({"project": p, "stage": stage_of(p.milestones), "next": nxt,
                         "done": sum(m.state == "done" for m in p.milestones),
                         "total": len(p.milestones)})
    meetings = db.session.execute(
        select(RhythmMeeting, Meeting).join(Meeting, Meeting.id == RhythmMeeting.meeting_id)
        .where(RhythmMeeting.task_force_id == tf.id,
               RhythmMeeting.day.between(monday, sunday)).order_by(RhythmMeeting.day)).all()
    week_meetings = [{"rm": rm, "meeting": mt, "decisions": decisions_of(mt)}
                     for rm, mt in meetings]
    problems = db.session.execute(
        select(Issue, Milestone.name).join(Milestone, Milestone.issue_id == Issue.id)
        .join(Project, Project.id == Milestone.project_id)
        .where(Project.task_force_id == tf.id, Issue.state.in_(rhythm.OPEN_STATES))
        .order_by(Issue.id)).all()
    return {"tf": tf, "monday": monday, "sunday": sunday, "projects": projects,
            "lit": lit, "done_week": done_week, "week_meetings": week_meetings,
            "problems": problems, "by_project": by_project, "rhythm_labels": rhythm.SHORT,
            "counts": Counter(r["light"] for r in rows)}


def _sheet_packet(briefing, full_lists: bool) -> dict:
    tf_id, monday = parse_key(briefing.subject_key)
    return sheet_context(tf_id, date.fromisoformat(monday))


def _sheet_title(briefing) -> str:
    tf_id, monday = parse_key(briefing.subject_key)
    tf = db.session.get(TaskForce, tf_id)
    return _("%(name)s weekly progress sheet %(day)s", name=tf.name if tf else tf_id,
             day=monday)


def _sheet_can_view(user, briefing) -> bool:
    tf = db.session.get(TaskForce, parse_key(briefing.subject_key)[0])
    return tf is not None and permissions.can_view(user, tf)


def _sheet_back(briefing) -> str:
    return url_for("taskforces.detail", tf_id=parse_key(briefing.subject_key)[0])


kinds.register(kinds.PacketKind(
    "taskforce", _sheet_packet, _sheet_title, _sheet_can_view,
    "taskforces/briefing/sheet.html", back=_sheet_back))


# -- the inspection group's monthly report ------------------------------------------------

def report_context(group_id: int, month: str) -> dict:
    """The group's 督查通报 for ``month`` (YYYY-MM): each inspection with its findings
    and whether each was fixed (its problem resolved or closed)."""
    start, end = _month_bounds(month)
    group = db.session.scalar(select(InspectionGroup).where(InspectionGroup.id == group_id)
                              .options(selectinload(InspectionGroup.members)))
    rows = inspections.month_findings(group_id, start, end)
    fixed = sum(1 for _i, _f, issue in rows if issue.state in inspections.FIXED_STATES)
    visits = sorted({i.id: i for i, _f, _is in rows}.values(), key=lambda i: (i.day, i.id))
    return {"group": group, "month": month, "start": start, "end": end, "rows": rows,
            "inspections": visits, "fixed": fixed, "found": len(rows),
            "fixed_states": inspections.FIXED_STATES}


def _report_packet(briefing, full_lists: bool) -> dict:
    group_id, month = parse_key(briefing.subject_key)
    return report_context(group_id, month)


def _report_title(briefing) -> str:
    group_id, month = parse_key(briefing.subject_key)
    group = db.session.get(InspectionGroup, group_id)
    return _("%(name)s inspection report %(month)s", name=group.name if group else group_id,
             month=month)


def _report_can_view(user, briefing) -> bool:
    group = db.session.get(InspectionGroup, parse_key(briefing.subject_key)[0])
    return group is not None and permissions.can_view_group(user, group)


kinds.register(kinds.PacketKind(
    "inspection", _report_packet, _report_title, _report_can_view,
    "taskforces/briefing/inspection.html",
    back=lambda b: url_for("taskforces.group", group_id=parse_key(b.subject_key)[0])))


# -- sections ----------------------------------------------------------------------------

def summary(today: date) -> dict | None:
    """The 专班 figures as of ``today``: projects by stage, red and yellow milestones,
    task forces that missed a rhythm meeting. None when there are no active task forces.
    Four queries whatever the size (the overview's statement budget)."""
    tfs = db.session.scalars(select(TaskForce).where(TaskForce.state == "active")
                             .order_by(TaskForce.id)).all()
    if not tfs:
        return None
    cal = dl.WorkCalendar.around(today - timedelta(days=70), today + timedelta(days=40))
    cut = milestones.Cutoffs.on(today, cal)
    rows = db.session.execute(
        select(Project.id, Milestone.name, Milestone.position, Milestone.id, Milestone.state,
               milestones.light_expr(cut))
        .outerjoin(Milestone, Milestone.project_id == Project.id)
        .where(Project.task_force_id.in_([tf.id for tf in tfs]))
        .order_by(Project.id, Milestone.position, Milestone.id)).all()
    lights: Counter = Counter()
    stage: dict[int, tuple] = {}
    for pid, name, position, mid, state, light in rows:
        stage.setdefault(pid, None)
        if mid is None:
            continue
        if light:
            lights[light] += 1
        if state != "done" and stage[pid] is None:
            stage[pid] = (position, name)
    counts: Counter = Counter()
    rank: dict[str, int] = {}
    done_label = _("All milestones done")
    for first in stage.values():
        name = first[1] if first else done_label
        counts[name] += 1
        rank[name] = min(rank.get(name, 999), first[0] if first else 1000)
    stage_rows = sorted(counts.items(), key=lambda kv: (rank[kv[0]], kv[0]))
    return {"task_forces": len(tfs), "red": lights["red"], "yellow": lights["yellow"],
            "stages": stage_rows, "projects": len(stage),
            "missed": rhythm.missed(today, tfs, cal)}


def _overview_section(period, now):
    data = summary(dl.local_date(now))
    return data


def _packet_section(meeting, now):
    today = min(dl.local_date(now), meeting.period_end) if meeting is not None else dl.local_date(now)
    data = summary(today)
    if data is None:
        return None
    cut = milestones.Cutoffs.on(today)
    red = db.session.execute(
        select(Milestone, Project.name, TaskForce.name)
        .join(Project, Project.id == Milestone.project_id)
        .join(TaskForce, TaskForce.id == Project.task_force_id)
        .options(joinedload(Milestone.unit))
        .where(TaskForce.state == "active", milestones.light_expr(cut) == "red")
        .order_by(Milestone.due_date, Milestone.id).limit(40)).all()
    data["red_rows"] = red
    return data


def _portfolio_section(leader, now):
    tfs = db.session.scalars(
        select(TaskForce).where((TaskForce.leader_id == leader.id)
                                | (TaskForce.deputy_id == leader.id))
        .options(selectinload(TaskForce.projects).selectinload(Project.milestones))
        .order_by(TaskForce.id)).all()
    if not tfs:
        return None
    today = dl.local_date(now)
    rows = []
    for tf in tfs:
        ann = milestones.annotate([m for p in tf.projects for m in p.milestones], today)
        rows.append({"tf": tf, "red": [r for r in ann if r["light"] == "red"],
                     "yellow": sum(r["light"] == "yellow" for r in ann),
                     "projects": [(p, stage_of(p.milestones)) for p in tf.projects]})
    return {"rows": rows, "leader": leader}


sections.add_overview(sections.Section("taskforces", 50, "taskforces/_overview_section.html",
                                       _overview_section))
for _kind in ("joint", "review"):
    sections.add_packet(_kind, sections.Section(
        "taskforces", 50, "taskforces/briefing/_packet_section.html", _packet_section))
sections.add_packet("portfolio", sections.Section(
    "taskforces", 50, "taskforces/briefing/_portfolio_section.html", _portfolio_section))
