"""Roles that see nothing of the product but their own pages (the bank's account
manager, DESIGN.md §1: "sees only the financing needs pushed to his bank").

A user whose every role is in ``ISOLATED_ROLES`` may reach the sign-in and sign-out,
the home redirect, the language switch, his notifications and the static files, and
the views marked with ``isolated_page`` — every other route answers 403, even those
open to "any signed-in user" (the enterprise list, the problem list …). One rule at the
front door, so a page added later is closed to the bank unless it says otherwise.
"""
from __future__ import annotations

from flask import abort, current_app, request
from flask_login import current_user

from crm.auth.roles import ISOLATED_ROLES

# Blueprints of the plumbing every signed-in user has (sign-in, home, language,
# notifications) and the static files.
OPEN_BLUEPRINTS = {"auth", "main"}
OPEN_ENDPOINTS = {"static"}
_MARK = "isolated_page"


def isolated_page(view):
    """Mark ``view`` as open to the isolated roles (its own gate still applies)."""
    setattr(view, _MARK, True)
    return view


def is_isolated(user) -> bool:
    """True when ``user`` holds roles and all of them are isolated ones."""
    roles = user.roles
    return bool(roles) and roles <= {r.value for r in ISOLATED_ROLES}


def allowed(endpoint: str | None) -> bool:
    """Whether an isolated user may reach ``endpoint``."""
    if endpoint is None or endpoint in OPEN_ENDPOINTS:
        return True
    if endpoint.partition(".")[0] in OPEN_BLUEPRINTS and "." in endpoint:
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(view is not None and getattr(view, _MARK, False))


def init_app(app) -> None:
    """Refuse every other route to isolated users (403)."""

    @app.before_request
    def _isolate():
        if (request.endpoint is not None and not allowed(request.endpoint)
                and current_user.is_authenticated and is_isolated(current_user)):
            abort(403)
