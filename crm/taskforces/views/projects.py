"""Key projects and their milestones: the project page, create and edit, milestones
(add, edit, done, reopen), instructions (批示), a late milestone turned into a problem."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from crm.auth.permissions import role_required
from crm.core import transactions
from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.errors import WorkflowError
from crm.taskforces import milestones, permissions, services
from crm.taskforces.forms import DoneForm, InstructionForm, MilestoneForm, ProblemForm, ProjectForm
from crm.taskforces.models import COUNT_MODES, Milestone, MilestoneNote, Project, TaskForce
from crm.taskforces.packets import stage_of
from crm.taskforces.views import bp
from crm.taskforces.views.common import milestone_or_404, project_or_404, task_force_or_404


@bp.route("/<int:tf_id>/projects/new", methods=["GET", "POST"])
@role_required("coordinator")
def project_new(tf_id: int):
    """Add a key project to a task force (with the template's milestones when a first
    due day is given)."""
    tf = task_force_or_404(tf_id)
    form = ProjectForm()
    form.fill_choices()
    if form.validate_on_submit():
        project = services.save_project(tf, None, form.data_dict(), current_user,
                                        first_due=form.first_due.data)
        flash(_("Key project %(name)s added.", name=project.name), "success")
        return redirect(url_for("taskforces.project", project_id=project.id))
    return render_template("taskforces/project_form.html", form=form, tf=tf, project=None)


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def project_edit(project_id: int):
    """Change a key project's name, owner, investment or location."""
    project = project_or_404(project_id)
    tf = db.session.get(TaskForce, project.task_force_id)
    form = ProjectForm(obj=project)
    form.fill_choices()
    if not form.is_submitted():
        form.enterprise_id.data = project.enterprise_id or 0
    if form.validate_on_submit():
        services.save_project(tf, project, form.data_dict(), current_user)
        flash(_("Saved."), "success")
        return redirect(url_for("taskforces.project", project_id=project.id))
    return render_template("taskforces/project_form.html", form=form, tf=tf, project=project)


def render_project(project: Project, milestone_form=None, status: int = 200):
    now = utcnow()
    today = dl.local_date(now)
    project = db.session.scalar(select(Project).where(Project.id == project.id).options(
        joinedload(Project.task_force), joinedload(Project.enterprise),
        selectinload(Project.milestones).joinedload(Milestone.unit),
        selectinload(Project.milestones).joinedload(Milestone.issue)))
    rows = milestones.annotate(project.milestones, today)
    notes = {}
    ids = [m.id for m in project.milestones]
    if ids:
        for note in db.session.scalars(select(MilestoneNote).where(
                MilestoneNote.milestone_id.in_(ids)).options(joinedload(MilestoneNote.author))
                .order_by(MilestoneNote.at.desc())):
            notes.setdefault(note.milestone_id, []).append(note)
    if milestone_form is None:
        milestone_form = MilestoneForm(formdata=None)
        milestone_form.count_mode.data = "working"
    milestone_form.fill_choices()
    tf = project.task_force
    return render_template(
        "taskforces/project.html", project=project, tf=tf, rows=rows, notes=notes,
        stage=stage_of(project.milestones), today=today, count_modes=COUNT_MODES,
        milestone_form=milestone_form, instruction_form=InstructionForm(formdata=None),
        done_form=DoneForm(formdata=None, done_on=today), problem_form=ProblemForm(formdata=None),
        can_edit=permissions.can_edit(current_user),
        can_instruct=permissions.can_instruct(current_user, tf),
        can_done=lambda m: permissions.can_mark_done(current_user, m)), status


@bp.route("/projects/<int:project_id>")
@login_required
def project(project_id: int):
    """A key project: its stage, its milestones with lights and countdowns (red first),
    their instructions and problems."""
    return render_project(project_or_404(project_id))


@bp.route("/projects/<int:project_id>/milestones", methods=["POST"])
@role_required("coordinator")
def milestone_add(project_id: int):
    """Add a free milestone to a project."""
    project = project_or_404(project_id)
    form = MilestoneForm()
    form.fill_choices()
    if not form.validate_on_submit():
        return render_project(project, form, status=400)
    services.save_milestone(project, None, form.data_dict(), current_user)
    flash(_("Milestone added."), "success")
    return redirect(url_for("taskforces.project", project_id=project.id))


@bp.route("/milestones/<int:milestone_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def milestone_edit(milestone_id: int):
    """Change a milestone: name, unit, due day, how it counts."""
    milestone = milestone_or_404(milestone_id)
    form = MilestoneForm(obj=milestone)
    form.fill_choices()
    project = db.session.get(Project, milestone.project_id)
    if form.validate_on_submit():
        services.save_milestone(project, milestone, form.data_dict(), current_user)
        flash(_("Saved."), "success")
        return redirect(url_for("taskforces.project", project_id=project.id))
    return render_template("taskforces/milestone_form.html", form=form, milestone=milestone,
                           project=project)


@bp.route("/milestones/<int:milestone_id>/done", methods=["POST"])
@role_required("coordinator", "handler")
def milestone_done(milestone_id: int):
    """Mark a milestone reached (coordinators, and handlers of its unit)."""
    milestone = milestone_or_404(milestone_id)
    if not permissions.can_mark_done(current_user, milestone):
        abort(403)
    form = DoneForm()
    if not form.validate_on_submit():
        flash(_("Enter the day the milestone was reached."), "danger")
    elif form.done_on.data > dl.local_date(utcnow()):
        flash(_("The day cannot be in the future."), "danger")
    else:
        milestones.mark_done(milestone, form.done_on.data, current_user)
        flash(_("Milestone %(name)s done.", name=milestone.name), "success")
    return redirect(url_for("taskforces.project", project_id=milestone.project_id))


@bp.route("/milestones/<int:milestone_id>/reopen", methods=["POST"])
@role_required("coordinator")
def milestone_reopen(milestone_id: int):
    """Undo a done mark."""
    milestone = milestone_or_404(milestone_id)
    milestones.reopen(milestone, current_user)
    return redirect(url_for("taskforces.project", project_id=milestone.project_id))


@bp.route("/milestones/<int:milestone_id>/instruct", methods=["POST"])
@role_required("leader", "coordinator")
def milestone_instruct(milestone_id: int):
    """A 批示 on a milestone by the task force's leader or deputy (or a coordinator);
    back to the task force's page at the milestone."""
    milestone = milestone_or_404(milestone_id)
    project = db.session.get(Project, milestone.project_id)
    tf = db.session.get(TaskForce, project.task_force_id)
    if not permissions.can_instruct(current_user, tf):
        abort(403)
    form = InstructionForm()
    if not form.validate_on_submit():
        flash(_("Write the instruction."), "danger")
    else:
        services.instruct(milestone, tf, form.text.data, current_user)
        flash(_("Instruction sent."), "success")
    return redirect(url_for("taskforces.detail", tf_id=tf.id) + f"#m-{milestone.id}")


@bp.route("/milestones/<int:milestone_id>/problem", methods=["POST"])
@role_required("coordinator")
def milestone_problem(milestone_id: int):
    """Turn a late milestone into a problem dispatched to its unit."""
    milestone = milestone_or_404(milestone_id)
    form = ProblemForm()
    if form.validate_on_submit():
        try:
            issue = milestones.to_problem(milestone, current_user, note=form.note.data)
        except (milestones.MilestoneError, WorkflowError) as exc:
            transactions.discard()
            flash(str(getattr(exc, "message", exc)), "danger")
        else:
            flash(_("Problem %(number)s raised and dispatched.", number=issue.number), "success")
            return redirect(url_for("issues.detail", issue_id=issue.id))
    return redirect(url_for("taskforces.project", project_id=milestone.project_id))
