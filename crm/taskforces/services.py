"""Task force services: task forces, key projects and their milestones, the milestone
template, instructions. They take an explicit ``actor``, write the audit trail, flush
and never commit (``crm.core.transactions`` commits the request)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from crm.auth.models import Unit, User
from crm.core import audit
from crm.core.notify import notify
from crm.core.timeutil import utcnow
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.notices import coordinator_ids, unit_handler_ids, zh
from crm.taskforces import rhythm
from crm.taskforces.models import (
    DEFAULT_TEMPLATE,
    Milestone,
    MilestoneKind,
    MilestoneNote,
    Project,
    TaskForce,
    task_force_enterprises,
    task_force_members,
    task_force_units,
)

TF_FIELDS = ("name", "kind", "leader_id", "deputy_id", "lead_unit_id", "description",
             "start_date", "end_date", "state", "weekly_on", "weekly_day", "fortnightly_on",
             "fortnightly_day", "monthly_on", "monthly_day")
PROJECT_FIELDS = ("name", "enterprise_id", "investment", "location")
MILESTONE_FIELDS = ("name", "unit_id", "due_date", "count_mode")
TEMPLATE_SPACING = 45  # days between the template's milestones of a new project


def _ids(model, ids) -> list:
    ids = sorted({int(i) for i in (ids or []) if i})
    return db.session.scalars(select(model).where(model.id.in_(ids))).all() if ids else []


def _tf_snapshot(tf: TaskForce, units, members, enterprises) -> dict:
    snap = audit.snapshot(tf, TF_FIELDS)
    snap.update(units=sorted(u.id for u in units), members=sorted(u.id for u in members),
                enterprises=sorted(e.id for e in enterprises))
    return snap


def save_task_force(tf: TaskForce | None, data: dict, actor,
                    now: datetime | None = None) -> TaskForce:
    """Create (``tf`` None) or change a task force from ``data`` (the fields of
    ``TF_FIELDS`` plus ``unit_ids``, ``member_ids``, ``enterprise_ids``); audited, and
    its rhythm meetings of the coming weeks planned."""
    now = now or utcnow()
    creating = tf is None
    if creating:
        tf = TaskForce()
        db.session.add(tf)
        before = {}
    else:
        before = _tf_snapshot(tf, _ids(Unit, [u.id for u in units_of(tf)]), members_of(tf),
                              enterprises_of(tf))
    for key in TF_FIELDS:
        if key in data:
            value = data[key]
            if isinstance(value, str):
                value = value.strip() or None
            setattr(tf, key, value)
    tf.deputy_id = tf.deputy_id or None
    units, members = _ids(Unit, data.get("unit_ids")), _ids(User, data.get("member_ids"))
    enterprises = _ids(Enterprise, data.get("enterprise_ids"))
    db.session.flush()
    _set_links(tf, units, members, enterprises)
    after = _tf_snapshot(tf, units, members, enterprises)
    if creating:
        audit.record(actor, "create", tf, after=after, summary=f"创建专班 {tf.name}")
    else:
        b, a = audit.diff(before, after)
        if a:
            audit.record(actor, "update", tf, before=b, after=a, summary=f"修改专班 {tf.name}")
    if tf.state == "active":
        today = dl.local_date(now)
        rhythm.plan(tf, today, today + timedelta(days=rhythm.PLAN_DAYS))
    return tf


def _set_links(tf, units, members, enterprises) -> None:
    for table, col, rows in ((task_force_units, "unit_id", units),
                             (task_force_members, "user_id", members),
                             (task_force_enterprises, "enterprise_id", enterprises)):
        db.session.execute(table.delete().where(table.c.task_force_id == tf.id))
        if rows:
            db.session.execute(table.insert(), [{"task_force_id": tf.id, col: r.id}
                                                for r in rows])
    db.session.flush()


def units_of(tf):
    return db.session.scalars(select(Unit).join(
        task_force_units, task_force_units.c.unit_id == Unit.id)
        .where(task_force_units.c.task_force_id == tf.id).order_by(Unit.id)).all()


def members_of(tf):
    return db.session.scalars(select(User).join(
        task_force_members, task_force_members.c.user_id == User.id)
        .where(task_force_members.c.task_force_id == tf.id).order_by(User.id)).all()


def enterprises_of(tf):
    return db.session.scalars(select(Enterprise).join(
        task_force_enterprises, task_force_enterprises.c.enterprise_id == Enterprise.id)
        .where(task_force_enterprises.c.task_force_id == tf.id).order_by(Enterprise.id)).all()


# -- the milestone template ------------------------------------------------------------------

def template() -> list[MilestoneKind]:
    """The admin's template in order (created from the default on first use)."""
    kinds = db.session.scalars(select(MilestoneKind).order_by(MilestoneKind.position,
                                                              MilestoneKind.id)).all()
    if not kinds:
        for i, name in enumerate(DEFAULT_TEMPLATE):
            db.session.add(MilestoneKind(name=name, position=i + 1, is_active=True))
        db.session.flush()
        return template()
    return kinds


def stage_rank() -> dict[str, int]:
    """{milestone name: place in the template} without writing anything (the default
    template when the admin has none yet)."""
    rows = db.session.execute(select(MilestoneKind.name, MilestoneKind.position)).all()
    if not rows:
        return {name: i + 1 for i, name in enumerate(DEFAULT_TEMPLATE)}
    return dict(rows)


def save_template(names: list[str], actor) -> list[MilestoneKind]:
    """Set the template to ``names`` in order: existing steps are kept (and reordered),
    new ones added, missing ones made inactive (milestones made from them keep their
    name)."""
    kinds = {k.name: k for k in template()}
    before = [k.name for k in kinds.values() if k.is_active]
    clean = []
    for name in names:
        name = (name or "").strip()[:40]
        if name and name not in clean:
            clean.append(name)
    for k in kinds.values():
        k.is_active = False
    for i, name in enumerate(clean):
        kind = kinds.get(name)
        if kind is None:
            kind = MilestoneKind(name=name)
            db.session.add(kind)
        kind.position, kind.is_active = i + 1, True
    db.session.flush()
    audit.record(actor, "update", object_type="milestone_kinds", object_id=None,
                 before={"template": before}, after={"template": clean},
                 summary="修改项目节点模板")
    return template()


# -- projects and milestones -------------------------------------------------------------

def save_project(tf: TaskForce, project: Project | None, data: dict, actor,
                 first_due: date | None = None) -> Project:
    """Create or change a key project. A new project gets the template's milestones
    (the lead unit responsible, due every ``TEMPLATE_SPACING`` days from ``first_due``)
    when ``first_due`` is given."""
    creating = project is None
    if creating:
        project = Project(task_force_id=tf.id)
        db.session.add(project)
    before = {} if creating else audit.snapshot(project, PROJECT_FIELDS)
    for key in PROJECT_FIELDS:
        if key in data:
            value = data[key]
            if isinstance(value, str):
                value = value.strip() or None
            setattr(project, key, value)
    project.enterprise_id = project.enterprise_id or None
    db.session.flush()
    if creating and first_due is not None:
        for i, kind in enumerate(k for k in template() if k.is_active):
            db.session.add(Milestone(project_id=project.id, kind_id=kind.id, name=kind.name,
                                     position=kind.position, unit_id=tf.lead_unit_id,
                                     due_date=first_due + timedelta(days=TEMPLATE_SPACING * i)))
        db.session.flush()
    after = audit.snapshot(project, PROJECT_FIELDS)
    b, a = audit.diff(before, after)
    if creating or a:
        audit.record(actor, "create" if creating else "update", project, before=b or None,
                     after=a, summary=f"{'新增' if creating else '修改'}重点项目 {project.name}")
    return project


def save_milestone(project: Project, milestone: Milestone | None, data: dict, actor) -> Milestone:
    """Add a free milestone (or one from the template, ``kind_id``) or change one."""
    creating = milestone is None
    if creating:
        position = (db.session.scalar(select(func.max(Milestone.position)).where(
            Milestone.project_id == project.id)) or 0) + 1
        milestone = Milestone(project_id=project.id, position=position,
                              kind_id=data.get("kind_id") or None)
        db.session.add(milestone)
    before = {} if creating else audit.snapshot(milestone, MILESTONE_FIELDS)
    for key in MILESTONE_FIELDS:
        if key in data:
            value = data[key]
            setattr(milestone, key, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    b, a = audit.diff(before, audit.snapshot(milestone, MILESTONE_FIELDS))
    if creating or a:
        audit.record(actor, "create" if creating else "update", milestone, before=b or None,
                     after=a, summary=f"{project.name} 节点 {milestone.name}")
    return milestone


def instruct(milestone: Milestone, tf: TaskForce, text: str, actor,
             now: datetime | None = None) -> MilestoneNote:
    """A 批示 on a milestone: stored, audited, sent to the unit's handlers and the
    coordinators."""
    now = now or utcnow()
    note = MilestoneNote(milestone_id=milestone.id, kind="instruction", author_id=actor.id,
                         at=now, text=text.strip())
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "instruct", milestone, after={"note": note.id},
                 summary=f"批示：{note.text[:60]}")
    project = db.session.get(Project, milestone.project_id)
    who = unit_handler_ids([milestone.unit_id]).get(milestone.unit_id, set()) | coordinator_ids()
    who.discard(actor.id)
    notify(who, "milestone_instruction",
           zh(f"{actor.display_name}对{project.name}“{milestone.name}”节点批示：{note.text}"),
           link=f"/taskforces/projects/{project.id}")
    return note
