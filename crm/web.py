"""App-wide web plumbing: locale, login loader, navigation, filters, error pages,
security headers, the home redirect and the health check."""
from __future__ import annotations

from datetime import date, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import format_date, format_datetime, get_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from redis import Redis
from sqlalchemy import select, text
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from crm.auth.models import User
from crm.auth.roles import HOME_ORDER, ROLE_LABELS, Role
from crm.badges import GLOBALS
from crm.core import transactions
from crm.core.models import Notification
from crm.core.notify import unread_count
from crm.core.timeutil import to_local, utcnow
from crm.extensions import db

bp = Blueprint("main", __name__)

HOME_ENDPOINTS = {
    Role.COORDINATOR: "meetings.overview",
    Role.LEADER: "enterprises.portfolio",
    Role.COMMISSIONER: "liaisons.my_week",
    Role.HANDLER: "issues.inbox",
    Role.ADMIN: "admin.users",
}

# (label, endpoint, roles that see it). The first matching item is the home.
NAV = [
    (_l("My week"), "liaisons.my_week", {Role.COMMISSIONER}),
    (_l("My enterprises"), "enterprises.portfolio", {Role.LEADER}),
    (_l("Inbox"), "issues.inbox", {Role.HANDLER}),
    (_l("Overview"), "meetings.overview", {Role.COORDINATOR}),
    (_l("Triage"), "issues.triage", {Role.COORDINATOR}),
    (_l("Enterprises"), "enterprises.index", {Role.COORDINATOR, Role.ADMIN, Role.LEADER,
                                              Role.COMMISSIONER}),
    (_l("Problems"), "issues.index", set(Role)),
    (_l("Visit records"), "liaisons.index", {Role.COORDINATOR, Role.LEADER}),
    (_l("Policy catalogue"), "liaisons.policies", {Role.COORDINATOR}),
    (_l("Meetings"), "meetings.index", {Role.COORDINATOR, Role.LEADER}),
    (_l("Administration"), "admin.users", {Role.ADMIN}),
]


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, whose cookie is also ``Secure`` on every request
    that came over HTTPS (directly, or through a trusted proxy: TRUSTED_PROXIES), even
    where SESSION_COOKIE_SECURE was not set."""

    def get_cookie_secure(self, app) -> bool:
        return bool(super().get_cookie_secure(app)
                    or (has_request_context() and request.is_secure))


def select_locale() -> str:
    """The user's chosen language, else the session's, else Chinese (also outside
    requests: jobs and the CLI render in Chinese)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated:
        return current_user.locale
    lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_login(login_manager) -> None:
    """Wire Flask-Login: the loader checks the session token and the active flag."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        uid, _sep, token = user_id.partition(":")
        if not uid.isdigit():
            return None
        # Roles come in the same statement: every request needs them.
        user = db.session.get(User, int(uid), options=[joinedload(User.role_rows)])
        if user is None or not user.is_active or user.session_token != token:
            return None
        return user


def home_endpoint(user) -> str:
    """The landing page of the user's most specific role."""
    for role in HOME_ORDER:
        if user.has_role(role):
            return HOME_ENDPOINTS[role]
    return "main.no_role"


def nav_items(user) -> list[tuple[str, str]]:
    """Navigation entries the user's roles allow."""
    return [(label, ep) for label, ep, roles in NAV if user.has_role(*roles)]


@bp.route("/")
def index():
    """Send a signed-in user to the home page of their role."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(home_endpoint(current_user)))


@bp.route("/no-role")
@login_required
def no_role():
    """A user without any role can only sign out."""
    return render_template("errors/no_role.html"), 403


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


# Numeric patterns read the same in every locale: formatted with strftime, Babel is
# kept for the others. A leader's home shows hundreds of dates.
_NUMERIC = {"yyyy-MM-dd HH:mm": "%Y-%m-%d %H:%M", "yyyy-MM-dd": "%Y-%m-%d", "MM-dd": "%m-%d",
            "MM-dd HH:mm": "%m-%d %H:%M", "HH:mm": "%H:%M", "yyyy-MM": "%Y-%m"}


def _localdt(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A stored instant (naive UTC) as Asia/Shanghai wall-clock text. The conversion is
    ``to_local`` for every pattern, so the page, the PDF (rendered outside a request)
    and the edit form cannot disagree."""
    if not value:
        return ""
    local = to_local(value)
    if fmt in _NUMERIC:
        return local.strftime(_NUMERIC[fmt])
    return format_datetime(local, fmt, rebase=False)


def _localdate(value: date | None, fmt: str = "yyyy-MM-dd") -> str:
    """A local date as text; a stored instant (naive UTC) is first taken to its
    Asia/Shanghai day."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    if fmt in _NUMERIC:
        return value.strftime(_NUMERIC[fmt])
    return format_date(value, fmt, rebase=False)


def _install_fast_gettext(app) -> None:
    """Templates translate through the request's Babel translations looked up once per
    locale, not once per string (Flask-Babel negotiates on every call: ~7 µs, a
    thousand times on a leader's home). ``force_locale`` still works: the key is the
    locale Babel holds for the request at the time of the call."""
    cache: dict = {}

    def translations():
        ns = g.get("_flask_babel") if g else None
        locale = getattr(ns, "babel_locale", None)
        if locale is None:
            return get_translations()
        key = (locale.language, locale.territory, locale.script)  # str() is slow
        found = cache.get(key)
        if found is None:
            found = cache[key] = get_translations()
        return found

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n))


def init_app(app) -> None:
    """Filters, context, error pages and response headers."""
    app.add_template_filter(_localdt, "localdt")
    app.add_template_filter(_localdate, "localdate")
    app.jinja_env.globals.update(GLOBALS)
    _install_fast_gettext(app)

    @app.context_processor
    def inject_nav():
        ctx = {"languages": app.config["LANGUAGES"], "now_utc": utcnow(), "get_locale": get_locale,
               "role_labels": {r.value: label for r, label in ROLE_LABELS.items()}}
        if has_request_context() and current_user.is_authenticated:
            ctx["nav"] = nav_items(current_user)
            ctx["unread_count"] = unread_count(current_user.id)
        return ctx

    def render_error(code: int, title: str, message: str):
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(
            400,
            _("This page has expired"),
            _("The form was open too long or was sent twice. Go back, reload the page and "
              "submit again; what you typed may need to be entered again."),
        )

    @app.errorhandler(403)
    def forbidden(exc):
        return render_error(403, _("Not allowed"), _("You do not have access to this page."))

    @app.errorhandler(404)
    def not_found(exc):
        return render_error(404, _("Page not found"),
                            _("The page or record does not exist, or it was removed."))

    @app.errorhandler(413)
    def too_large(exc):
        return render_error(413, _("File too large"),
                            _("The upload is larger than the server accepts."))

    @app.errorhandler(429)
    def too_many(exc):
        return render_error(429, _("Too many attempts"),
                            _("Too many requests in a short time. Wait a minute and try again."))

    @app.errorhandler(500)
    def server_error(exc):
        # Before the page is rendered: the failed unit of work may have left the
        # session unusable, and the page reads the signed-in user's notices.
        transactions.discard()
        return render_error(500, _("Something went wrong"),
                            _("The request could not be completed. Nothing was saved. "
                              "Please try again; if it happens again, tell the administrator."))

    @app.errorhandler(HTTPException)
    def other_http(exc):
        return render_error(exc.code or 500, exc.name, exc.description or "")

    @app.before_request
    def refuse_nul_bytes():
        # No keyboard types a NUL byte, and PostgreSQL cannot store one in text: a
        # value carrying it would end as a 500 wherever it reaches a query.
        # In a query string they are dropped, as any unreadable filter is ignored.
        if b"%00" in request.query_string or b"\x00" in request.query_string:
            request.args = ImmutableMultiDict(
                [(k.replace("\x00", ""), v.replace("\x00", ""))
                 for k, vs in request.args.lists() for v in vs])
        values = [request.path]
        if request.method == "POST":
            values += [v for _k, vs in request.form.lists() for v in vs]
            values += [f.filename or "" for _k, fs in request.files.lists() for f in fs]
        if any("\x00" in v for v in values):
            return render_error(400, _("Invalid characters"),
                                _("The request contained characters that cannot be stored. "
                                  "Nothing was saved. Go back and type the text again."))
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; object-src 'none'; frame-ancestors 'none'; "
            "base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


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
