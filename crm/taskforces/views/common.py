"""What the task force views share: loading a record the viewer may see, or 404."""
from __future__ import annotations

from flask import abort, flash
from flask_login import current_user

from crm.core import transactions
from crm.extensions import db
from crm.meetings.packets import job
from crm.meetings.views.packets import DISPATCH_MESSAGES
from crm.taskforces import permissions
from crm.taskforces.models import Milestone, Project, TaskForce


def task_force_or_404(tf_id: int) -> TaskForce:
    tf = db.session.get(TaskForce, tf_id)
    if tf is None or not permissions.can_view(current_user, tf):
        abort(404)
    return tf


def project_or_404(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or not permissions.can_view_project(current_user, project):
        abort(404)
    return project


def milestone_or_404(milestone_id: int) -> Milestone:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or not permissions.can_view_milestone(current_user, milestone):
        abort(404)
    return milestone


def _dispatch(briefing_id: int) -> None:
    message = DISPATCH_MESSAGES[job.dispatch(briefing_id)]()
    if message:
        flash(message, "info")


def dispatch_after_commit(briefing_id: int) -> None:
    """Send the packet to the queue once the request has committed its row."""
    transactions.after_commit(_dispatch, briefing_id)
