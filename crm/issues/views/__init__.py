"""Problem pages. ``bp`` (under /problems): the list and export, the handler's inbox,
the coordinator's triage board, the leader's view, the problem page with its actions
and a cooperating unit's opinion, raising a problem directly, and the admin's reference
data. ``rating_bp`` (at the site root): the enterprise's public rating page behind its
one-time link."""
from flask import Blueprint

bp = Blueprint("issues", __name__)
rating_bp = Blueprint("rating", __name__)

from crm.issues.views import admin, boards, cooperation, pages, rating  # noqa: F401  (routes)
from crm.issues.views import appeals, case_groups, followups  # noqa: F401,E402  (routes)
