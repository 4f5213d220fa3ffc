"""The demo county and the province seed hold 政银企 data in every state, reached by the
product's rules and never later than the generator's clock."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from crm.auth.models import Unit, User
from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.financing.models import (
    BankResponse,
    FinancingEvent,
    FinancingNeed,
    MatchOutcome,
    SupportCase,
)
from crm.seed.county import populate
from crm.seed.province import populate_province


def _invariants(now):
    needs = list(db.session.scalars(select(FinancingNeed)))
    disbursed = dict(db.session.execute(
        select(BankResponse.need_id, func.sum(BankResponse.disbursed_amount))
        .where(BankResponse.state == "disbursed").group_by(BankResponse.need_id)).all())
    for need in needs:
        covered = Decimal(disbursed.get(need.id) or 0) >= need.amount
        assert (need.state == "met") == covered, need.id
        assert need.raised_at <= now
    pushed = db.session.scalars(select(BankResponse.need_id)).all()
    assert all(n.has_consent for n in needs if n.id in set(pushed))
    assert db.session.scalar(select(func.max(FinancingEvent.at))) <= now
    assert db.session.scalar(select(func.count()).select_from(BankResponse).where(
        BankResponse.state.in_(("disbursed", "declined", "withdrawn")),
        BankResponse.due_at.is_not(None))) == 0


def test_demo_county_has_every_state(app):
    counts = populate()
    db.session.commit()
    now = utcnow()
    assert counts["banks"] == 6
    assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.kind == "bank")) == 6
    managers = db.session.scalars(select(User).where(User.username.like("bank%"))).all()
    assert len(managers) == 6 and all(m.roles == {"bank"} and m.unit_id for m in managers)
    states = set(db.session.scalars(select(BankResponse.state)))
    assert states >= {"pushed", "accepted", "diligence", "granted", "disbursed", "declined",
                      "withdrawn"}
    assert set(db.session.scalars(select(FinancingNeed.state))) == {"open", "met", "closed"}
    lights = set(db.session.scalars(select(BankResponse.light_expr(now))))
    assert lights >= {"green", "yellow", "red"}
    # Two banks on one need, needs without consent, 银税互动 candidates, from visits.
    assert db.session.scalar(select(func.count()).select_from(
        select(BankResponse.need_id).group_by(BankResponse.need_id)
        .having(func.count() > 1).subquery())) >= 2
    needs = db.session.scalars(select(FinancingNeed)).all()
    assert any(not n.has_consent for n in needs) and any(n.credit_loan_flag for n in needs)
    assert any(n.source == "visit" and n.visit_id for n in needs)
    assert db.session.scalar(select(func.count()).select_from(SupportCase)) >= 1
    assert db.session.scalar(select(func.count()).select_from(MatchOutcome)) >= 6
    _invariants(now)


def test_province_scales_financing(app):
    populate_province(0.002, seed=3)
    small = db.session.scalar(select(func.count()).select_from(FinancingNeed))
    _invariants(utcnow())
    assert set(db.session.scalars(select(BankResponse.state))) >= {
        "pushed", "accepted", "granted", "disbursed", "declined"}
    assert db.session.scalar(select(User.unit_id).where(User.username == "bank")) is not None
    from tests.conftest import _clean
    _clean(app)
    populate_province(0.008, seed=3)
    assert db.session.scalar(select(func.count()).select_from(FinancingNeed)) > small
    _invariants(utcnow())
