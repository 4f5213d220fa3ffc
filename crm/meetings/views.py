"""Meetings and the coordinator's overview."""
from flask import Blueprint, render_template
from flask_babel import gettext as _

from crm.auth.permissions import role_required

bp = Blueprint("meetings", __name__)


@bp.route("/overview")
@role_required("coordinator")
def overview():
    """The coordinator's home: this month at a glance."""
    return render_template("home/placeholder.html", heading=_("Overview"))


@bp.route("/")
@role_required("coordinator", "leader")
def index():
    """Meetings list."""
    return render_template("home/placeholder.html", heading=_("Meetings"))
