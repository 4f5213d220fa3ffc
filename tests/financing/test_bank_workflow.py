"""The bank's answer as a state machine: 已受理 → 尽调中 → 已授信 → 已放款 or 未通过; two
banks on one need; the need is met when the loans cover it; deadlines and lights."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.core.models import AuditLog, Notification
from crm.extensions import db
from crm.financing import services
from crm.financing.models import BankResponse, FinancingEvent
from crm.core.timeutil import utcnow
from tests import factories
from tests.financing.helpers import bank, need


def _push(n, *banks_, actor=None):
    actor = actor or factories.user(roles=["coordinator"])
    return services.push_need(n, [b for b, _m in banks_], actor)


def test_full_path_to_disbursement_marks_the_need_met(app):
    icbc = bank("工商银行城关支行")
    n = need(amount="300")
    [resp] = _push(n, icbc)
    manager = icbc[1]
    assert resp.state == "pushed" and resp.due_at is not None
    services.answer(resp, "accept", manager)
    services.answer(resp, "diligence", manager)
    services.answer(resp, "grant", manager, {"amount": Decimal("300"), "rate": Decimal("3.45")})
    assert resp.state == "granted" and resp.granted_amount == Decimal("300")
    services.answer(resp, "disburse", manager, {"amount": Decimal("300"),
                                                "on": date(2026, 11, 25)})
    assert resp.state == "disbursed" and resp.due_at is None
    assert n.state == "met" and n.closed_at is not None
    steps = [e.to_state for e in db.session.scalars(
        select(FinancingEvent).where(FinancingEvent.response_id == resp.id)
        .order_by(FinancingEvent.id))]
    assert steps == ["pushed", "accepted", "diligence", "granted", "disbursed"]
    assert db.session.scalar(select(db.func.count()).select_from(AuditLog).where(
        AuditLog.object_type == "bank_responses")) == 4


def test_two_banks_on_one_need_each_answer_on_their_own(app):
    a, b = bank("农业银行"), bank("农商银行")
    n = need(amount="800")
    ra, rb = _push(n, a, b)
    services.answer(ra, "accept", a[1])
    services.answer(rb, "decline", b[1], {"reason": "collateral", "note": "抵押物不足"})
    assert (ra.state, rb.state) == ("accepted", "declined")
    assert rb.decline_reason == "collateral" and rb.due_at is None
    services.answer(ra, "grant", a[1], {"amount": Decimal("500"), "rate": Decimal("3.9")})
    services.answer(ra, "disburse", a[1], {"amount": Decimal("500"), "on": date(2026, 11, 25)})
    # 500 of 800 disbursed: the need stays open.
    assert n.state == "open"


def test_need_met_when_two_banks_together_cover_it(app):
    a, b = bank("建设银行"), bank("邮储银行")
    n = need(amount="600")
    ra, rb = _push(n, a, b)
    for resp, (_unit, manager), amount in ((ra, a, "400"), (rb, b, "200")):
        services.answer(resp, "accept", manager)
        services.answer(resp, "grant", manager, {"amount": Decimal(amount), "rate": Decimal("4")})
    services.answer(ra, "disburse", a[1], {"amount": Decimal("400"), "on": date(2026, 11, 25)})
    assert n.state == "open"
    services.answer(rb, "disburse", b[1], {"amount": Decimal("200"), "on": date(2026, 11, 25)})
    assert n.state == "met"


def test_another_bank_cannot_answer(app):
    a, b = bank("甲银行"), bank("乙银行")
    [ra] = _push(need(), a)
    with pytest.raises(services.FinancingError):
        services.answer(ra, "accept", b[1])
    assert ra.state == "pushed"


@pytest.mark.parametrize("state_path,action", [
    ((), "grant"),                      # not accepted yet
    ((), "disburse"),
    (("accept",), "accept"),
    (("accept",), "disburse"),          # no credit granted
])
def test_steps_out_of_order_are_refused(app, state_path, action):
    a = bank("丙银行")
    [resp] = _push(need(), a)
    for step in state_path:
        services.answer(resp, step, a[1])
    before = resp.state
    with pytest.raises(services.FinancingError):
        services.answer(resp, action, a[1], {"amount": Decimal("10"), "rate": Decimal("3"),
                                             "on": date(2026, 11, 25)})
    assert resp.state == before


def test_grant_and_disburse_need_their_facts(app):
    a = bank("丁银行")
    [resp] = _push(need(amount="100"), a)
    services.answer(resp, "accept", a[1])
    with pytest.raises(services.FinancingError):
        services.answer(resp, "grant", a[1], {"amount": Decimal("100")})   # no rate
    services.answer(resp, "grant", a[1], {"amount": Decimal("80"), "rate": Decimal("3.2")})
    with pytest.raises(services.FinancingError):   # more than granted
        services.answer(resp, "disburse", a[1], {"amount": Decimal("90"),
                                                 "on": date(2026, 11, 25)})
    with pytest.raises(services.FinancingError):   # in the future
        services.answer(resp, "disburse", a[1], {"amount": Decimal("80"),
                                                 "on": date(2026, 12, 25)})
    with pytest.raises(services.FinancingError):   # decline without a listed reason
        services.answer(resp, "decline", a[1], {"reason": "because"})
    assert resp.state == "granted"


def test_closing_a_need_withdraws_open_answers_and_tells_the_bank(app):
    a, b = bank("戊银行"), bank("己银行")
    n = need()
    ra, rb = _push(n, a, b)
    services.answer(rb, "decline", b[1], {"reason": "debt"})
    services.close_need(n, "self_funded", "企业自筹解决", factories.user(roles=["coordinator"]))
    assert (n.state, ra.state, rb.state) == ("closed", "withdrawn", "declined")
    assert ra.light(utcnow()) is None
    told = db.session.execute(select(Notification.kind, Notification.link).where(
        Notification.user_id == a[1].id)).all()
    assert ("financing_withdrawn", f"/financing/bank/{ra.id}") in told
    assert not db.session.scalar(select(db.func.count()).select_from(Notification).where(
        Notification.user_id == b[1].id, Notification.kind == "financing_withdrawn"))
    with pytest.raises(services.FinancingError):
        services.answer(ra, "accept", a[1])


@pytest.mark.now("2026-11-25 14:30")   # a Wednesday
def test_deadlines_follow_working_days_and_the_light_turns(app, clock):
    a = bank("庚银行")
    [resp] = _push(need(), a)
    # Accept within 3 working days: Thu, Fri, Mon → Monday 30 Nov 18:00 local = 10:00 UTC.
    assert resp.due_at == datetime(2026, 11, 30, 10, 0)
    assert resp.light(datetime(2026, 11, 26, 3, 0)) == "green"
    assert resp.light(datetime(2026, 11, 30, 9, 0)) == "yellow"   # after Fri 18:00
    assert resp.light(datetime(2026, 11, 30, 11, 0)) == "red"
    light = db.session.scalar(select(BankResponse.light_expr(datetime(2026, 11, 30, 11, 0)))
                              .where(BankResponse.id == resp.id))
    assert light == "red"
    clock.travel("2026-11-27 09:00")
    services.answer(resp, "accept", a[1])
    # The decision is due 15 working days after the acceptance day (Fri 27 Nov).
    assert resp.due_at == datetime(2026, 12, 18, 10, 0)


@pytest.mark.now("2026-11-25 14:30")
def test_deadline_is_configurable(app):
    before = app.config.get("FINANCING_ACCEPT_DAYS")
    app.config["FINANCING_ACCEPT_DAYS"] = 1
    try:
        a = bank("辛银行")
        [resp] = _push(need(), a)
        assert resp.due_at == datetime(2026, 11, 26, 10, 0)
    finally:
        app.config["FINANCING_ACCEPT_DAYS"] = before
