"""Problem pages: the handler's inbox, the list, the problem page."""
from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import login_required

from crm.auth.permissions import role_required

bp = Blueprint("issues", __name__)


@bp.route("/")
@login_required
def index():
    """All problems the user may see."""
    return render_template("home/placeholder.html", heading=_("Problems"))


@bp.route("/inbox")
@role_required("handler")
def inbox():
    """The handler's home: problems dispatched to my unit."""
    return render_template("home/placeholder.html", heading=_("Inbox"))
