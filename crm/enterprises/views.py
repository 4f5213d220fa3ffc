"""Enterprise registry pages."""
from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import login_required

from crm.auth.permissions import role_required

bp = Blueprint("enterprises", __name__)


@bp.route("/")
@login_required
def index():
    """The enterprise list (filled in by the registry issue)."""
    return render_template("home/placeholder.html", heading=_("Enterprises"))


@bp.route("/mine")
@role_required("leader")
def portfolio():
    """The leader's home: my enterprises."""
    return render_template("home/placeholder.html", heading=_("My enterprises"))
