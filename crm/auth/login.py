"""Flask-Login's wiring and the interface language of a request."""
from __future__ import annotations

from flask import current_app, has_request_context, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from crm.auth.models import User
from crm.extensions import db


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
