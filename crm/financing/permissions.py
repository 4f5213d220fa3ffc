"""Who sees which financing needs, in the shape of ``crm.auth.permissions``.

Coordinators and admins see every need. A bank's account manager sees a need only when
it was pushed to his bank **and** the enterprise consented (a push needs the consent;
the condition is repeated here so that no path can show a bank a need without it).
Leaders and commissioners see the needs of the enterprises they see. Handlers none.
"""
from __future__ import annotations

from sqlalchemy import exists, false, select, true

from crm.auth.permissions import matches
from crm.enterprises import permissions as enterprise_permissions
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.financing.models import BankResponse, FinancingNeed

READERS = ("coordinator", "admin", "leader", "commissioner")


def response_visibility(user):
    """SQL condition on ``BankResponse`` (joined to its need) for ``user``."""
    if user.sees_all:
        return true()
    if user.has_role("bank") and user.unit_id:
        return (BankResponse.bank_id == user.unit_id) & FinancingNeed.has_consent.is_(True)
    return false()


def visibility(user):
    """SQL condition on ``FinancingNeed`` for what ``user`` may see."""
    if user.sees_all:
        return true()
    cond = false()
    if user.has_role("leader", "commissioner"):
        cond = cond | FinancingNeed.enterprise_id.in_(
            select(Enterprise.id).where(enterprise_permissions.visibility(user)))
    if user.has_role("bank") and user.unit_id:
        cond = cond | (FinancingNeed.has_consent.is_(True) & exists().where(
            BankResponse.need_id == FinancingNeed.id, BankResponse.bank_id == user.unit_id))
    return cond


def visible(query, user):
    """``query`` (a ``select`` of ``FinancingNeed``) narrowed to what ``user`` may see."""
    return query.where(visibility(user))


def can_view(user, need: FinancingNeed) -> bool:
    """Record-level check; agrees with ``visible``."""
    return matches(FinancingNeed, need, visibility(user))


def can_view_response(user, response: BankResponse) -> bool:
    """A bank's answer: coordinators and admins, and the bank it belongs to (with the
    enterprise's consent)."""
    if user.sees_all:
        return True
    from_db = select(BankResponse.id).join(FinancingNeed, FinancingNeed.id ==
                                           BankResponse.need_id).where(
        BankResponse.id == response.id, response_visibility(user))
    return db.session.scalar(from_db) is not None


def can_raise_for(user, enterprise) -> bool:
    """Coordinators for any enterprise; commissioners and leaders for those they are
    assigned to now (the visit form's link)."""
    if user.has_role("coordinator"):
        return True
    if not user.has_role("commissioner", "leader"):
        return False
    ids = enterprise_permissions.assigned_enterprise_ids(user, active_only=True)
    return db.session.scalar(select(Enterprise.id).where(
        Enterprise.id == enterprise.id, Enterprise.id.in_(ids))) is not None
