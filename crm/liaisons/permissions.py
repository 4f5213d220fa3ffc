"""Who sees, logs and corrects which visits, in the shape of ``crm.auth.permissions``.

Coordinators and admins see all visits; everyone else the visits of the enterprises
they are or were assigned to, and their own.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from crm.auth.permissions import matches
from crm.core.timeutil import utcnow
from crm.enterprises import permissions as enterprise_permissions
from crm.enterprises.assignments import is_current_assignee
from crm.extensions import db
from crm.liaisons.models import Visit

EDIT_DAYS = 7  # the author may correct a visit for a week; a coordinator at any time
LOGGING_ROLES = ("commissioner", "leader_a", "leader_b")


def visibility(user):
    """SQL condition on ``Visit`` for what ``user`` may see."""
    if user.sees_all:
        return db.true()
    assigned = enterprise_permissions.assigned_enterprise_ids(user)
    return Visit.enterprise_id.in_(assigned) | (Visit.author_id == user.id)


def visible(query, user):
    """``query`` (a ``select`` of ``Visit``) narrowed to what ``user`` may see."""
    return query.where(visibility(user))


def can_view(user, visit: Visit) -> bool:
    """Record-level check for a visit page or photo; agrees with ``visible``."""
    return matches(Visit, visit, visibility(user))


def can_log(user, enterprise) -> bool:
    """Commissioners and leaders currently assigned to ``enterprise`` log its visits;
    coordinators may enter one on paper's behalf."""
    return user.has_role("coordinator") or is_current_assignee(user, enterprise,
                                                                roles=LOGGING_ROLES)


def can_edit(user, visit: Visit, now: datetime | None = None) -> bool:
    """The author within ``EDIT_DAYS`` days of entering it; a coordinator at any time."""
    if user.has_role("coordinator"):
        return True
    now = now or utcnow()
    return visit.author_id == user.id and now - visit.created_at <= timedelta(days=EDIT_DAYS)
