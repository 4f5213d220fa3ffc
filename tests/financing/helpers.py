"""Small builders for the financing tests: banks with managers, needs."""
from __future__ import annotations

from decimal import Decimal

from crm.financing import services
from tests import factories


def bank(name: str):
    """A bank unit with one account manager; returns (unit, manager)."""
    unit = factories.unit(name, kind="bank")
    manager = factories.user(roles=["bank"], unit=unit, display_name=f"{name}经理")
    return unit, manager


def need(enterprise=None, actor=None, *, amount="500", consent=True, offers="mortgage",
         tax_grade="B", **kw):
    """A need registered through the service."""
    enterprise = enterprise or factories.enterprise()
    actor = actor or factories.user(roles=["coordinator"])
    data = {"amount": Decimal(amount), "purpose": "working_capital", "term_months": 12,
            "urgency": "normal", "offers": offers, "tax_grade": tax_grade,
            "tax_paid": Decimal("36.5"), "has_consent": consent, **kw}
    return services.raise_need(enterprise, data, actor)
