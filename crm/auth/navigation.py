"""Where each role lands and what its menu holds, and the home redirect. Endpoints of
the packages above are named as strings, so nothing here imports them."""
from __future__ import annotations

from flask import has_request_context, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from crm.auth.roles import HOME_ORDER, ROLE_LABELS, Role
from crm.core.notify import unread_count
from crm.core.timeutil import utcnow
from crm.core.views import bp

HOME_ENDPOINTS = {
    Role.COORDINATOR: "meetings.overview",
    Role.LEADER: "enterprises.portfolio",
    Role.COMMISSIONER: "liaisons.my_week",
    Role.HANDLER: "issues.inbox",
    Role.ADMIN: "admin.users",
    Role.BANK: "financing.queue",
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
    (_l("Problems"), "issues.index", set(Role) - {Role.BANK}),
    (_l("Visit records"), "liaisons.index", {Role.COORDINATOR, Role.LEADER, Role.COMMISSIONER}),
    (_l("Policy catalogue"), "liaisons.policies", {Role.COORDINATOR}),
    (_l("Meetings"), "meetings.index", {Role.COORDINATOR, Role.LEADER}),
    (_l("Task forces"), "taskforces.index", {Role.COORDINATOR, Role.LEADER, Role.HANDLER,
                                             Role.COMMISSIONER, Role.ADMIN}),
    (_l("Financing"), "financing.index", {Role.COORDINATOR}),
    (_l("Recommendation list"), "financing.queue", {Role.BANK}),
    (_l("Administration"), "admin.users", {Role.ADMIN}),
]


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


def init_app(app) -> None:
    """The menu, the unread count and the role labels in every template."""

    @app.context_processor
    def inject_nav():
        ctx = {"languages": app.config["LANGUAGES"], "now_utc": utcnow(), "get_locale": get_locale,
               "role_labels": {r.value: label for r, label in ROLE_LABELS.items()}}
        if has_request_context() and current_user.is_authenticated:
            ctx["nav"] = nav_items(current_user)
            ctx["unread_count"] = unread_count(current_user.id)
        return ctx
