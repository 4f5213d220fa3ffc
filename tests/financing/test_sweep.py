"""The banks' deadline notices: due soon to the bank, overdue to the bank and the
coordinators, once per step and light."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from crm.core.models import Notification
from crm.extensions import db
from crm.financing import services
from crm.financing.sweep import sweep
from tests import factories
from tests.financing.helpers import bank, need


def _kinds(user_id):
    return sorted(db.session.scalars(select(Notification.kind).where(
        Notification.user_id == user_id, Notification.kind.like("financing_%due%")
        | Notification.kind.like("financing_overdue"))))


@pytest.mark.now("2026-11-25 14:30")
def test_due_soon_then_overdue_once_each(app):
    unit, manager = bank("壬银行")
    coordinator = factories.user(roles=["coordinator"])
    [resp] = services.push_need(need(actor=coordinator), [unit], coordinator)
    assert sweep(datetime(2026, 11, 26, 3, 0)) == {}            # green: nothing
    assert sweep(datetime(2026, 11, 30, 9, 0)) == {"financing_due_soon": 1}
    assert sweep(datetime(2026, 11, 30, 9, 30)) == {"financing_due_soon": 0}
    counts = sweep(datetime(2026, 11, 30, 11, 0))
    assert counts == {"financing_overdue": 2}                    # manager + coordinator
    assert _kinds(manager.id) == ["financing_due_soon", "financing_overdue"]
    assert _kinds(coordinator.id) == ["financing_overdue"]
    assert sweep(datetime(2026, 12, 1, 2, 0)) == {"financing_overdue": 0}
    # A new step has a new deadline and notices of its own; an answered step none.
    services.answer(resp, "accept", manager)
    assert sweep(datetime(2026, 12, 1, 2, 0)) == {}


@pytest.mark.now("2026-11-25 14:30")
def test_no_notice_after_the_need_is_closed(app):
    unit, manager = bank("癸银行")
    coordinator = factories.user(roles=["coordinator"])
    n = need(actor=coordinator)
    services.push_need(n, [unit], coordinator)
    services.close_need(n, "withdrawn", None, coordinator)
    assert sweep(datetime(2026, 12, 10, 2, 0)) == {}
