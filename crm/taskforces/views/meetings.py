"""A rhythm meeting's page: its short agenda (red milestones, open problems, the last
meeting's open decisions) and its decisions, tracked with the joint meeting's model and
workflow (``crm.meetings.decisions``); marking it held."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.auth.models import Unit
from crm.auth.permissions import role_required
from crm.core import audit, transactions
from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.errors import WorkflowError
from crm.meetings.decisions import add_decision, decisions_of
from crm.meetings.models import MEETING_STATES, Meeting
from crm.taskforces import permissions, rhythm
from crm.taskforces.forms import DecisionForm
from crm.taskforces.models import RhythmMeeting, TaskForce
from crm.taskforces.views import bp


def _load(rm_id: int) -> tuple[RhythmMeeting, Meeting, TaskForce]:
    rm = db.session.get(RhythmMeeting, rm_id)
    if rm is None:
        abort(404)
    tf = db.session.get(TaskForce, rm.task_force_id)
    if not permissions.can_view(current_user, tf):
        abort(404)
    return rm, db.session.get(Meeting, rm.meeting_id), tf


def _page(rm_id: int, form=None, status: int = 200):
    rm, meeting, tf = _load(rm_id)
    today = dl.local_date(utcnow())
    if form is None:
        form = DecisionForm(formdata=None)
    form.fill_choices()
    return render_template(
        "taskforces/meeting.html", rm=rm, meeting=meeting, tf=tf,
        agenda=rhythm.agenda(rm, today), decisions=decisions_of(meeting), form=form,
        rhythms=rhythm.LABELS, states=MEETING_STATES, today=today,
        can_edit=permissions.can_edit(current_user), now=utcnow()), status


@bp.route("/meetings/<int:rm_id>")
@login_required
def meeting(rm_id: int):
    """The rhythm meeting with its agenda and decisions."""
    return _page(rm_id)


@bp.route("/meetings/<int:rm_id>/decisions", methods=["POST"])
@role_required("coordinator")
def decision_add(rm_id: int):
    """Record a decision (议定事项): dispatched to its unit and tracked like a problem."""
    rm, meeting_, _tf = _load(rm_id)
    form = DecisionForm()
    form.fill_choices()
    if not form.validate_on_submit():
        return _page(rm_id, form, 400)
    unit = db.session.get(Unit, form.unit_id.data)
    try:
        add_decision(meeting_, form.text.data, unit, form.due_date.data, current_user)
    except WorkflowError as exc:
        transactions.discard()
        form.due_date.errors.append(exc.message)
        return _page(rm_id, form, 400)
    flash(_("Decision recorded and dispatched."), "success")
    return redirect(url_for("taskforces.meeting", rm_id=rm_id))


@bp.route("/meetings/<int:rm_id>/held", methods=["POST"])
@role_required("coordinator")
def meeting_held(rm_id: int):
    """Mark the rhythm meeting held (it has no packet to issue first)."""
    rm, meeting_, _tf = _load(rm_id)
    if rm.day > dl.local_date(utcnow()):
        flash(_("A meeting cannot be marked held before its day."), "warning")
    elif meeting_.state == "planning":
        meeting_.state = "held"
        db.session.flush()
        audit.record(current_user, "state", meeting_, before={"state": "planning"},
                     after={"state": "held"}, summary=f"专班会议已召开 {meeting_.title}")
        flash(_("Marked as held."), "success")
    return redirect(url_for("taskforces.meeting", rm_id=rm_id))
