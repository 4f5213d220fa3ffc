"""Who sees and keeps which enterprises (DESIGN.md §1), in the shape of
``crm.auth.permissions``.

Coordinators and admins see all; commissioners and leaders the enterprises they are
or were assigned to (past ones read-only). Packages above the registry may widen
what a person sees through ``grant``: the problems package lets a handler see the
enterprises of the problems dispatched to their unit. The registry knows the rule
only as a function, so it never imports the packages above it.
"""
from __future__ import annotations

from collections.abc import Callable

from crm.auth.permissions import matches
from crm.enterprises.models import Assignment, Enterprise
from crm.extensions import db

# Functions user -> ``select`` of enterprise ids the user may also see, or None.
_GRANTS: list[Callable] = []


def grant(func: Callable) -> Callable:
    """Register ``func(user)`` as a further reason to see an enterprise (a decorator,
    used at import by the package that owns the reason)."""
    _GRANTS.append(func)
    return func


def assigned_enterprise_ids(user, active_only: bool = False):
    """``select`` of the ids of the enterprises ``user`` is (or, unless ``active_only``,
    was) assigned to."""
    q = db.select(Assignment.enterprise_id).where(Assignment.user_id == user.id)
    if active_only:
        q = q.where(Assignment.end_date.is_(None))
    return q


def visibility(user):
    """SQL condition on ``Enterprise`` for what ``user`` may see."""
    if user.sees_all:
        return db.true()
    cond = Enterprise.id.in_(assigned_enterprise_ids(user))
    for extra in _GRANTS:
        ids = extra(user)
        if ids is not None:
            cond = cond | Enterprise.id.in_(ids)
    return cond


def visible(query, user):
    """``query`` (a ``select`` of ``Enterprise``) narrowed to what ``user`` may see."""
    return query.where(visibility(user))


def can_view(user, enterprise: Enterprise) -> bool:
    """Record-level check used by detail pages; agrees with ``visible``."""
    return matches(Enterprise, enterprise, visibility(user))


def can_edit(user, enterprise: Enterprise | None = None) -> bool:
    """Only coordinators and admins keep the registry."""
    return user.sees_all
