"""Who sees which problems, in the shape of ``crm.auth.permissions``.

Coordinators and admins: all. Leaders and commissioners: problems of the enterprises
they are or were assigned to, and those they raised. Handlers: problems dispatched to
their unit as lead or cooperating unit — and, through ``enterprises.permissions.grant``,
the enterprises of those problems.
"""
from __future__ import annotations

from crm.auth.permissions import matches
from crm.enterprises import permissions as enterprise_permissions
from crm.enterprises.assignments import is_current_assignee
from crm.extensions import db
from crm.issues.models import Issue, IssueUnit


def _unit_condition(user):
    """Problems of the handler's unit (lead or cooperating), once dispatched; None for
    anyone else."""
    if not user.has_role("handler") or user.unit_id is None:
        return None
    coop = db.select(IssueUnit.issue_id).where(IssueUnit.unit_id == user.unit_id)
    return (Issue.state != "new") & ((Issue.lead_unit_id == user.unit_id) | Issue.id.in_(coop))


def visibility(user):
    """SQL condition on ``Issue`` for what ``user`` may see."""
    if user.sees_all:
        return db.true()
    assigned = enterprise_permissions.assigned_enterprise_ids(user)
    cond = Issue.enterprise_id.in_(assigned) | (Issue.raised_by_id == user.id)
    unit = _unit_condition(user)
    if unit is not None:
        cond = cond | unit
    return cond


def visible(query, user):
    """``query`` (a ``select`` of ``Issue``) narrowed to what ``user`` may see."""
    return query.where(visibility(user))


def can_view(user, issue: Issue) -> bool:
    """Record-level check; agrees with ``visible``."""
    return matches(Issue, issue, visibility(user))


def can_raise_for(user, enterprise) -> bool:
    """Coordinators raise for any enterprise; commissioners for those assigned to them."""
    if user.has_role("coordinator"):
        return True
    return user.has_role("commissioner") and is_current_assignee(user, enterprise)


@enterprise_permissions.grant
def _enterprises_of_unit_problems(user):
    """A handler also sees the enterprises of the problems dispatched to their unit."""
    unit = _unit_condition(user)
    if unit is None:
        return None
    return db.select(Issue.enterprise_id).where(Issue.enterprise_id.is_not(None), unit)
