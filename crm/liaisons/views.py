"""Visits: the commissioner's week and the visit form."""
from flask import Blueprint, render_template
from flask_babel import gettext as _

from crm.auth.permissions import role_required

bp = Blueprint("liaisons", __name__)


@bp.route("/week")
@role_required("commissioner")
def my_week():
    """The commissioner's home: this week's enterprises."""
    return render_template("home/placeholder.html", heading=_("My week"))
