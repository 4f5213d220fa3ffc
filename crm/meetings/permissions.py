"""Who sees which packets (briefings), in the shape of ``crm.auth.permissions``.

Coordinators and admins see every packet; a leader sees their own portfolio and the
meeting packets (leaders attend the meetings). The meeting pages themselves are open
to coordinators and leaders by role (``role_required`` on the routes).
"""
from __future__ import annotations

from crm.extensions import db
from crm.meetings.models import Briefing


def visibility(user):
    """SQL condition on ``Briefing`` for what ``user`` may see."""
    if user.sees_all:
        return db.true()
    cond = (Briefing.kind == "portfolio") & (Briefing.leader_id == user.id)
    if user.has_role("leader"):
        cond = cond | (Briefing.kind != "portfolio")
    return cond


def visible(query, user):
    """``query`` (a ``select`` of ``Briefing``) narrowed to what ``user`` may see."""
    return query.where(visibility(user))


def can_view(user, briefing: Briefing) -> bool:
    """The same rule for one packet, decided from its own columns (no query)."""
    if user.sees_all:
        return True
    if briefing.kind == "portfolio":
        return briefing.leader_id == user.id
    return user.has_role("leader")
