"""Registry pages: the list, the enterprise page, editing, 包联 people, import and export,
and the leader's portfolio. One blueprint, split by subject."""
from flask import Blueprint, abort
from flask_login import current_user

from crm.enterprises.links import problem_path, visit_form_path
from sqlalchemy import select

from crm.enterprises.models import Enterprise, can_edit_enterprise, enterprise_visibility
from crm.extensions import db

bp = Blueprint("enterprises", __name__)


@bp.context_processor
def _template_context():
    from crm.enterprises.models import INDUSTRIES, OWNERSHIPS, SCALES, SIZES, STATUSES
    from crm.issues.models import STATES
    from crm.liaisons.models import ASSIGNMENT_ROLES, POLICY_CATEGORIES, VISIT_MODES

    return {"visit_form_path": visit_form_path, "problem_path": problem_path,
            "labels": {"industry": INDUSTRIES, "scale": SCALES, "size": SIZES,
                       "ownership": OWNERSHIPS, "status": STATUSES, "role": ASSIGNMENT_ROLES,
                       "issue_state": STATES, "visit_mode": VISIT_MODES,
                       "policy_category": POLICY_CATEGORIES}}


def load_visible(enterprise_id: int) -> Enterprise:
    """The enterprise if the user may see it; 404 otherwise (its existence stays private)."""
    ent = db.session.scalar(select(Enterprise).where(
        Enterprise.id == enterprise_id, enterprise_visibility(current_user)))
    if ent is None:
        abort(404)
    return ent


def require_editor(ent: Enterprise | None = None) -> None:
    """403 unless the user keeps the registry (coordinators and admins)."""
    if not can_edit_enterprise(current_user, ent):
        abort(403)


from crm.enterprises.views import imports, people, portfolio, registry  # noqa: E402,F401
