"""Inspection groups (督查组): the list, a group's page with its inspections, creating a
group, recording an inspection (findings → problems or 督办), the monthly 督查通报."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
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
from crm.meetings.packets import versions
from crm.taskforces import inspections, permissions
from crm.taskforces.forms import GroupForm, InspectionForm
from crm.taskforces.models import Finding, Inspection, InspectionGroup, TaskForce
from crm.taskforces.packets import report_key
from crm.taskforces.views import bp
from crm.taskforces.views.common import dispatch_after_commit


def _group_or_404(group_id: int) -> InspectionGroup:
    group = db.session.get(InspectionGroup, group_id)
    if group is None or not permissions.can_view_group(current_user, group):
        abort(404)
    return group


def _task_forces():
    return db.session.scalars(select(TaskForce).order_by(TaskForce.id)).all()


@bp.route("/groups")
@login_required
def groups():
    """The inspection groups the viewer may see (coordinators: all)."""
    rows = db.session.scalars(
        select(InspectionGroup).where(permissions.group_visibility(current_user))
        .options(joinedload(InspectionGroup.head), selectinload(InspectionGroup.members))
        .order_by(InspectionGroup.id)).all()
    return render_template("taskforces/groups.html", groups=rows)


@bp.route("/groups/new", methods=["GET", "POST"])
@role_required("coordinator")
def group_new():
    """Create an inspection group."""
    form = GroupForm()
    form.fill_choices(_task_forces())
    if form.validate_on_submit():
        if db.session.scalar(select(InspectionGroup.id).where(
                InspectionGroup.name == form.name.data.strip())):
            form.name.errors.append(_("A group with this name exists already."))
        else:
            group = inspections.save_group(None, {**form.data, "head_id": form.head_id.data},
                                           current_user)
            return redirect(url_for("taskforces.group", group_id=group.id))
    return render_template("taskforces/group_form.html", form=form)


def _group_page(group: InspectionGroup, form=None, status: int = 200):
    group = db.session.scalar(select(InspectionGroup).where(InspectionGroup.id == group.id)
                              .options(joinedload(InspectionGroup.head),
                                       selectinload(InspectionGroup.members)))
    visits = db.session.scalars(
        select(Inspection).where(Inspection.group_id == group.id)
        .options(joinedload(Inspection.task_force), joinedload(Inspection.project),
                 joinedload(Inspection.unit),
                 selectinload(Inspection.findings).joinedload(Finding.issue))
        .order_by(Inspection.day.desc(), Inspection.id.desc()).limit(30)).all()
    if form is None and permissions.can_edit(current_user):
        form = InspectionForm(formdata=None)
        form.day.data = dl.local_date(utcnow())
    if form is not None:
        form.fill_choices(_task_forces())
    return render_template("taskforces/group.html", group=group, visits=visits, form=form,
                           month=dl.local_date(utcnow()).strftime("%Y-%m"),
                           fixed_states=inspections.FIXED_STATES), status


@bp.route("/groups/<int:group_id>")
@login_required
def group(group_id: int):
    """A group: its people, scope and inspections with what each found and whether it
    was fixed."""
    return _group_page(_group_or_404(group_id))


@bp.route("/groups/<int:group_id>/inspections", methods=["POST"])
@role_required("coordinator")
def inspection_add(group_id: int):
    """Record an inspection; each finding becomes a problem for the unit named or a 督办
    on the problem numbered."""
    group_ = _group_or_404(group_id)
    form = InspectionForm()
    form.fill_choices(_task_forces())
    if not form.validate_on_submit():
        return _group_page(group_, form, 400)
    findings = [inspections.FindingInput(e.form.text.data or "", e.form.unit_id.data or None,
                                         (e.form.issue_number.data or "").strip() or None)
                for e in form.findings]
    try:
        inspections.record_inspection(group_, form.day.data,
                                      {"task_force_id": form.task_force_id.data},
                                      form.summary.data, findings, current_user)
    except (inspections.InspectionError, WorkflowError) as exc:
        transactions.discard()
        form.summary.errors.append(exc.message)
        return _group_page(_group_or_404(group_id), form, 400)
    flash(_("Inspection recorded."), "success")
    return redirect(url_for("taskforces.group", group_id=group_id))


@bp.route("/groups/<int:group_id>/report", methods=["POST"])
@role_required("coordinator")
def group_report(group_id: int):
    """Make the group's 督查通报 of this month (or ``month``=YYYY-MM) as a new version."""
    group_ = _group_or_404(group_id)
    month = (request.form.get("month") or "").strip()
    if not re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", month):
        month = dl.local_date(utcnow()).strftime("%Y-%m")
    briefing = versions.request_briefing("inspection", current_user,
                                         subject_key=report_key(group_.id, month))
    dispatch_after_commit(briefing.id)
    return redirect(url_for("briefings.detail", briefing_id=briefing.id))
