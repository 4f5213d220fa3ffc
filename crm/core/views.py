"""The ``main`` blueprint's plumbing routes: the health check, the language switch and
the notification bell. The home redirect joins it from ``crm.auth.navigation``."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from redis import Redis
from sqlalchemy import select, text

from crm.core.models import Notification
from crm.core.timeutil import utcnow
from crm.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Switch the interface language (stored on the user when signed in)."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    return redirect(target)


@bp.route("/healthz")
def healthz():
    """Database and Redis state and the version, without signing in."""
    state = {"version": current_app.config["APP_VERSION"]}
    try:
        db.session.execute(text("SELECT 1"))
        state["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means "down" (503: rolled back)
        state["database"] = "down"
    url = current_app.config.get("REDIS_URL")
    if not url:
        state["redis"] = "absent"
    else:
        try:
            Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
            state["redis"] = "ok"
        except Exception:  # noqa: BLE001
            state["redis"] = "down"
    healthy = state["database"] == "ok" and state["redis"] != "down"
    state["status"] = "ok" if healthy else "degraded"
    return jsonify(state), 200 if state["database"] == "ok" else 503


@bp.route("/notifications")
@login_required
def notifications():
    """The bell: the user's notifications, newest first."""
    stmt = (select(Notification).where(Notification.user_id == current_user.id)
            .order_by(Notification.id.desc()))
    page = db.paginate(stmt, per_page=30, error_out=False)
    return render_template("notifications.html", page=page)


@bp.route("/notifications/<int:notification_id>")
@login_required
def notification_open(notification_id: int):
    """Mark one notification read and follow its link."""
    n = db.get_or_404(Notification, notification_id)
    if n.user_id != current_user.id:
        abort(404)
    if n.read_at is None:
        n.read_at = utcnow()
    link = n.link if n.link and n.link.startswith("/") and not n.link.startswith("//") else None
    return redirect(link or url_for("main.notifications"))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def notifications_read():
    """Mark all of the user's notifications read."""
    db.session.execute(
        db.update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    flash(_("All notifications marked as read."), "info")
    return redirect(url_for("main.notifications"))
