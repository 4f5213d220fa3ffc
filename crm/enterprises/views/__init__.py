"""Registry pages under /enterprises: editing, contacts, 包联 people, import. One
blueprint, split by subject. The list, the enterprise page and the leader's home also
live on this blueprint but compose problems and visits, so ``crm.dossier.views``
registers them from above."""
from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy import select

from crm.enterprises import permissions
from crm.enterprises.links import problem_path, visit_form_path
from crm.enterprises.models import (
    ASSIGNMENT_ROLES,
    INDUSTRIES,
    OWNERSHIPS,
    SCALES,
    SIZES,
    STATUSES,
    Enterprise,
)
from crm.extensions import db

bp = Blueprint("enterprises", __name__)


def registry_labels() -> dict:
    """Label tables of the registry's codes, for the templates."""
    return {"industry": INDUSTRIES, "scale": SCALES, "size": SIZES, "ownership": OWNERSHIPS,
            "status": STATUSES, "role": ASSIGNMENT_ROLES}


@bp.context_processor
def _template_context():
    return {"visit_form_path": visit_form_path, "problem_path": problem_path,
            "labels": registry_labels()}


def load_visible(enterprise_id: int) -> Enterprise:
    """The enterprise if the user may see it; 404 otherwise (its existence stays private)."""
    ent = db.session.scalar(permissions.visible(
        select(Enterprise).where(Enterprise.id == enterprise_id), current_user))
    if ent is None:
        abort(404)
    return ent


def require_editor(ent: Enterprise | None = None) -> None:
    """403 unless the user keeps the registry (coordinators and admins)."""
    if not permissions.can_edit(current_user, ent):
        abort(403)


from crm.enterprises.views import imports, people, registry  # noqa: E402,F401
