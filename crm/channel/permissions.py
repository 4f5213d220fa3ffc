"""Who may keep the enterprise codes, and what a code opens.

The public pages are opened by the code alone: what they show is selected by the
enterprise the code belongs to, never by an id in the request. A code is kept (shown,
rotated, printed) by those who see the enterprise in the registry's sense: the
coordinators and admins rotate it; whoever may see the enterprise may print its card.
"""
from __future__ import annotations

from crm.enterprises import permissions as registry

ROTATORS = ("coordinator",)


def visibility(user):
    """Codes are the enterprises' own: the registry's rule."""
    return registry.visibility(user)


def visible(query, user):
    """Enterprises whose code ``user`` may see."""
    return registry.visible(query, user)


def can_view(user, enterprise) -> bool:
    """Whether ``user`` may see (and print) the enterprise's code."""
    return registry.can_view(user, enterprise)


def can_rotate(user, enterprise) -> bool:
    """Only a coordinator gives an enterprise a new code."""
    return user.has_role(*ROTATORS) and can_view(user, enterprise)
