"""Who sees which packets (briefings), in the shape of ``crm.auth.permissions``.

Coordinators and admins see every packet; a leader sees their own portfolio and the
meeting packets (leaders attend the meetings). The meeting pages themselves are open
to coordinators and leaders by role (``role_required`` on the routes).
"""
from __future__ import annotations

from crm.extensions import db
from crm.meetings.models import Briefing
from crm.meetings.packets import kinds
from crm.meetings.packets.kinds import LEADER_KINDS, MEETING_KINDS


def visibility(user):
    """SQL condition on ``Briefing`` for what ``user`` may see."""
    if user.sees_all:
        return db.true()
    cond = (Briefing.kind.in_(LEADER_KINDS)) & (Briefing.leader_id == user.id)
    if user.has_role("leader"):
        cond = cond | Briefing.kind.in_(MEETING_KINDS)
    # Packets of the other kinds are listed on their own pages, for those who see them.
    return cond


def visible(query, user):
    """``query`` (a ``select`` of ``Briefing``) narrowed to what ``user`` may see."""
    return query.where(visibility(user))


def can_view(user, briefing: Briefing) -> bool:
    """The same rule for one packet, decided from its own columns (no query)."""
    if user.sees_all:
        return True
    return kinds.get(briefing.kind).can_view(user, briefing)
