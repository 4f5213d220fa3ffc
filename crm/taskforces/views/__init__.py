"""Task forces blueprint (/taskforces): task forces, key projects and milestones, rhythm
meetings, inspection groups, the milestone template. Importing it registers the packet
kinds and the sections (``crm.taskforces.packets``) and the problem page's link."""
from flask import Blueprint
from sqlalchemy import select

from crm.extensions import db
from crm.taskforces.models import Milestone, Project

bp = Blueprint("taskforces", __name__)

from crm.taskforces import packets  # noqa: E402,F401  (packet kinds and sections register)
from crm.taskforces.views import (  # noqa: E402,F401  (routes register on bp)
    groups,
    meetings,
    projects,
    taskforces,
)


@bp.app_template_global("milestone_link")
def milestone_link(issue):
    """(milestone, project) a problem was made from, for the problem page's link back
    (one query); None for other problems."""
    return db.session.execute(
        select(Milestone, Project).join(Project, Project.id == Milestone.project_id)
        .where(Milestone.issue_id == issue.id)).first()
