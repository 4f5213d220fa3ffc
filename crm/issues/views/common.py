"""Helpers shared by the problem pages."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from crm.extensions import db
from crm.issues import permissions
from crm.issues.models import Issue
from crm.issues.queries import DETAIL_OPTIONS

PER_PAGE = 25  # rows per page of the problem list (pages by keyset)


def load_issue(issue_id: int) -> Issue | None:
    """A problem with everything its page shows (fresh from the database)."""
    return db.session.scalar(select(Issue).where(Issue.id == issue_id)
                             .options(*DETAIL_OPTIONS).execution_options(populate_existing=True))


def visible_issue_or_404(issue_id: int) -> Issue:
    """The problem if the current user may see it; 404 otherwise (no hint that it exists)."""
    issue = load_issue(issue_id)
    if issue is None or not permissions.can_view(current_user, issue):
        abort(404)
    return issue


def safe_next(target: str | None) -> str | None:
    """A site-relative path to go back to, or None (never another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
