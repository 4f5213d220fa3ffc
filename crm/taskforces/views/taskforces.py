"""Task force pages: the list, create and edit, the task force's page (red milestones
first, projects, the rhythm calendar, packets), a unit's milestones, the template."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import defer, joinedload, selectinload

from crm.auth.models import User
from crm.auth.permissions import role_required
from crm.core.timeutil import utcnow, week_start
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.meetings.models import MEETING_STATES, BRIEFING_STATES, Briefing, Meeting
from crm.meetings.packets import versions
from crm.taskforces import milestones, permissions, rhythm, services
from crm.taskforces.forms import TaskForceForm, TemplateForm
from crm.taskforces.models import (
    RHYTHMS,
    TASKFORCE_KINDS,
    TASKFORCE_STATES,
    Milestone,
    Project,
    RhythmMeeting,
    TaskForce,
    task_force_members,
)
from crm.taskforces.packets import sheet_key, stage_of
from crm.taskforces.views import bp
from crm.taskforces.views.common import dispatch_after_commit, task_force_or_404

CALENDAR_DAYS = 56  # the rhythm calendar shows the next eight weeks


@bp.route("/")
@login_required
def index():
    """The task forces the viewer may see (coordinators: all), with their red and
    yellow milestones; handlers also find their unit's milestones from here."""
    today = dl.local_date(utcnow())
    cut = milestones.Cutoffs.on(today)
    tfs = db.session.scalars(permissions.visible(
        select(TaskForce).options(joinedload(TaskForce.leader), joinedload(TaskForce.lead_unit))
        .order_by(TaskForce.state, TaskForce.kind.desc(), TaskForce.id), current_user)).all()
    lit = milestones.light_expr(cut)
    counts = {}
    if tfs:
        for tf_id, light, n in db.session.execute(
                select(Project.task_force_id, lit, func.count())
                .join(Project, Project.id == Milestone.project_id)
                .where(Project.task_force_id.in_([t.id for t in tfs]),
                       Milestone.state == "open")
                .group_by(Project.task_force_id, lit)):
            counts.setdefault(tf_id, {})[light] = n
    return render_template("taskforces/index.html", tfs=tfs, counts=counts,
                           kinds=TASKFORCE_KINDS, states=TASKFORCE_STATES)


def _form_page(form, tf=None):
    return render_template("taskforces/form.html", form=form, tf=tf)


@bp.route("/new", methods=["GET", "POST"])
@role_required("coordinator")
def new():
    """Create a task force."""
    form = TaskForceForm()
    form.fill_choices()
    if form.validate_on_submit():
        if db.session.scalar(select(TaskForce.id).where(TaskForce.name == form.name.data.strip())):
            form.name.errors.append(_("A task force with this name exists already."))
        else:
            tf = services.save_task_force(None, form.data_dict(), current_user)
            flash(_("Task force %(name)s created.", name=tf.name), "success")
            return redirect(url_for("taskforces.detail", tf_id=tf.id))
    elif not form.is_submitted():
        form.start_date.data = dl.local_date(utcnow())
        form.weekly_on.data = True
    return _form_page(form)


@bp.route("/<int:tf_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def edit(tf_id: int):
    """Change a task force: people, units, enterprises, period, state, rhythm."""
    tf = task_force_or_404(tf_id)
    form = TaskForceForm(obj=tf)
    form.fill_choices()
    if not form.is_submitted():
        form.unit_ids.data = [u.id for u in services.units_of(tf)]
        form.member_ids.data = [u.id for u in services.members_of(tf)]
        form.enterprise_ids.data = [e.id for e in services.enterprises_of(tf)]
        form.deputy_id.data = tf.deputy_id or 0
    if form.validate_on_submit():
        clash = db.session.scalar(select(TaskForce.id).where(
            TaskForce.name == form.name.data.strip(), TaskForce.id != tf.id))
        if clash:
            form.name.errors.append(_("A task force with this name exists already."))
        else:
            services.save_task_force(tf, form.data_dict(), current_user)
            flash(_("Saved."), "success")
            return redirect(url_for("taskforces.detail", tf_id=tf.id))
    return _form_page(form, tf)


@bp.route("/<int:tf_id>")
@login_required
def detail(tf_id: int):
    """The task force: its red milestones first (then yellow, green, done), its projects
    by stage, the rhythm calendar of the coming weeks, recent meetings, progress
    sheets."""
    now = utcnow()
    today = dl.local_date(now)
    tf = db.session.scalar(select(TaskForce).where(TaskForce.id == tf_id).options(
        joinedload(TaskForce.lead_unit), selectinload(TaskForce.units),
        selectinload(TaskForce.projects).selectinload(Project.milestones)
        .joinedload(Milestone.unit)))
    if tf is None or not permissions.can_view(current_user, tf):
        abort(404)
    # Names only: loading User rows would also load each one's roles.
    members = select(task_force_members.c.user_id).where(
        task_force_members.c.task_force_id == tf.id)
    people = db.session.execute(
        select(User.id, User.display_name, User.id.in_(members).label("is_member"))
        .where(User.id.in_([tf.leader_id, tf.deputy_id or 0]) | User.id.in_(members))
        .order_by(User.id)).all()
    names = {uid: name for uid, name, _m in people}
    member_names = [name for _uid, name, is_member in people if is_member]
    cal = dl.WorkCalendar.around(today - timedelta(days=31),
                                 today + timedelta(days=CALENDAR_DAYS + 40))
    all_ms = [m for p in tf.projects for m in p.milestones]
    rows = milestones.annotate(all_ms, today, cal)
    projects = {p.id: p for p in tf.projects}
    upcoming = rhythm.occurrences(tf, today, today + timedelta(days=CALENDAR_DAYS), cal) \
        if tf.state == "active" else []
    held = db.session.execute(
        select(RhythmMeeting, Meeting).join(Meeting, Meeting.id == RhythmMeeting.meeting_id)
        .where(RhythmMeeting.task_force_id == tf.id,
               RhythmMeeting.day.between(today - timedelta(days=42),
                                         today + timedelta(days=CALENDAR_DAYS)))
        .order_by(RhythmMeeting.day)).all()
    by_day = {rm.day: (rm, m) for rm, m in held}
    sheets = db.session.scalars(
        select(Briefing).options(defer(Briefing.pdf))
        .where(Briefing.kind == "taskforce",
               Briefing.subject_key.like(f"taskforce:{tf.id}:%"))
        .order_by(Briefing.id.desc()).limit(5)).all()
    return render_template(
        "taskforces/detail.html", tf=tf, rows=rows, projects=projects, upcoming=upcoming,
        by_day=by_day, recent=[(rm, m) for rm, m in held if rm.day < today][-6:],
        sheets=sheets, today=today, kinds=TASKFORCE_KINDS, states=TASKFORCE_STATES,
        rhythms=rhythm.LABELS, meeting_states=MEETING_STATES, briefing_states=BRIEFING_STATES,
        stage_of=stage_of, can_edit=permissions.can_edit(current_user),
        leader_name=names.get(tf.leader_id), deputy_name=names.get(tf.deputy_id),
        member_names=member_names,
        can_instruct=permissions.can_instruct(current_user, tf), rhythm_names=RHYTHMS)


@bp.route("/<int:tf_id>/sheet", methods=["POST"])
@login_required
def sheet(tf_id: int):
    """Make this week's progress sheet (周进度表) as a new version."""
    tf = task_force_or_404(tf_id)
    monday = week_start(dl.local_date(utcnow()))
    briefing = versions.request_briefing("taskforce", current_user,
                                         subject_key=sheet_key(tf.id, monday))
    dispatch_after_commit(briefing.id)
    return redirect(url_for("briefings.detail", briefing_id=briefing.id))


@bp.route("/milestones")
@role_required("handler", "coordinator")
def unit_milestones():
    """The milestones the viewer's unit is responsible for (coordinators: all open
    ones), red first."""
    today = dl.local_date(utcnow())
    stmt = (select(Milestone).options(joinedload(Milestone.project).joinedload(Project.task_force),
                                      joinedload(Milestone.unit))
            .where(Milestone.state == "open"))
    if not current_user.sees_all:
        stmt = stmt.where(Milestone.unit_id == (current_user.unit_id or -1))
    light = request.args.get("light")
    if light in ("red", "yellow", "green"):
        stmt = stmt.where(milestones.light_expr(milestones.Cutoffs.on(today)) == light)
    rows = milestones.annotate(db.session.scalars(stmt.order_by(Milestone.due_date)
                                                  .limit(500)).all(), today)
    return render_template("taskforces/unit_milestones.html", rows=rows)


@bp.route("/template", methods=["GET", "POST"])
@role_required("admin")
def template():
    """The admin's milestone template (立项, 用地 … 投产): the milestones every new key
    project starts with."""
    form = TemplateForm()
    if form.validate_on_submit():
        names = [line for line in form.names.data.splitlines() if line.strip()]
        services.save_template(names, current_user)
        flash(_("Saved."), "success")
        return redirect(url_for("taskforces.template"))
    kinds = services.template()
    if not form.is_submitted():
        form.names.data = "\n".join(k.name for k in kinds if k.is_active)
    return render_template("taskforces/template.html", form=form, kinds=kinds)


@bp.route("/projects")
@login_required
def projects():
    """Key projects of the task forces the viewer may see, with their stage; ``stage``
    narrows to the projects at that stage (the overview's figures link here)."""
    stage = (request.args.get("stage") or "").strip()
    tfs = select(TaskForce.id).where(permissions.visibility(current_user))
    rows = db.session.scalars(
        select(Project).where(Project.task_force_id.in_(tfs))
        .options(joinedload(Project.task_force), selectinload(Project.milestones))
        .order_by(Project.task_force_id, Project.id)).all()
    listed = [(p, stage_of(p.milestones)) for p in rows]
    if stage:
        listed = [(p, s) for p, s in listed if s == stage]
    return render_template("taskforces/projects.html", rows=listed, stage=stage)
