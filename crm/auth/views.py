"""Sign-in and sign-out."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from crm.auth.forms import LoginForm
from crm.auth.services import SignInError, authenticate
from crm.core import transactions
from crm.extensions import limiter

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    """Sign in; five wrong passwords lock the account for fifteen minutes."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except SignInError as exc:
            transactions.keep()  # the failure count stays, whatever the answer's status
            error = str(exc)
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (POST, so a link cannot sign someone out)."""
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
