"""What people see: the coordinator registers and pushes a need, the bank answers on
its phone pages, the visit offers the need form, and a bank sees nothing else."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.financing import services
from crm.financing.models import BankResponse, FinancingNeed
from crm.liaisons.models import VisitFactor
from tests import factories
from tests.financing.helpers import bank, need
from tests.security.test_permission_matrix import _xlsx_text


def test_coordinator_registers_a_need_by_credit_code(app, client, login_as):
    ent = factories.enterprise("登记测试有限公司")
    db.session.commit()
    login_as("coordinator")
    response = client.post_form("/financing/new", {
        "credit_code": ent.credit_code, "amount": "800", "purpose": "upgrade",
        "term_months": "24", "urgency": "urgent", "offers": ["mortgage", "ip"],
        "tax_grade": "A", "tax_paid": "52.3", "has_consent": "y", "note": "技改设备"})
    assert response.status_code == 302
    row = db.session.scalar(select(FinancingNeed))
    assert (row.amount, row.purpose, row.offers, row.tax_grade, row.has_consent) == (
        Decimal("800.00"), "upgrade", "mortgage,ip", "A", True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "登记测试有限公司" in page and "技改设备" in page


@pytest.mark.parametrize("field,value", [
    ("amount", "abc"), ("amount", "-5"), ("amount", "1e30"), ("term_months", "0"),
    ("purpose", "<script>"), ("tax_grade", "Z"), ("credit_code", "91350100M000000000"),
])
def test_bad_input_is_refused_next_to_the_field(app, client, login_as, field, value):
    ent = factories.enterprise()
    db.session.commit()
    login_as("coordinator")
    data = {"credit_code": ent.credit_code, "amount": "100", "purpose": "other",
            "term_months": "12", "urgency": "normal", "has_consent": "y", field: value}
    response = client.post_form("/financing/new", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-field="{field}"' in html
    assert db.session.scalar(select(db.func.count()).select_from(FinancingNeed)) == 0


def test_push_screen_flags_credit_loans_and_pushes(app, client, login_as):
    a, b = bank("甲银行"), bank("乙银行")
    n = need(factories.enterprise("信用企业"), offers="credit", tax_grade="A")
    plain = need(factories.enterprise("抵押企业"), offers="mortgage", tax_grade="A")
    db.session.commit()
    login_as("coordinator")
    page = client.get(f"/financing/{n.id}/push").get_data(as_text=True)
    assert 'data-testid="credit-loan-hint"' in page
    assert 'data-testid="credit-loan-hint"' not in client.get(
        f"/financing/{plain.id}/push").get_data(as_text=True)
    response = client.post_form(f"/financing/{n.id}/push", {"banks": [a[0].id, b[0].id]})
    assert response.status_code == 302
    assert db.session.scalar(select(db.func.count()).select_from(BankResponse).where(
        BankResponse.need_id == n.id)) == 2


def test_push_screen_refuses_without_consent(app, client, login_as):
    a = bank("丙银行")
    n = need(consent=False)
    db.session.commit()
    login_as("coordinator")
    page = client.get(f"/financing/{n.id}/push").get_data(as_text=True)
    assert 'data-testid="consent-missing"' in page and 'data-testid="push-form"' not in page
    client.post_form(f"/financing/{n.id}/push", {"banks": [a[0].id]})
    assert db.session.scalar(select(db.func.count()).select_from(BankResponse)) == 0


def test_bank_answers_from_its_queue(app, client, login_as):
    unit, manager = bank("丁银行")
    other_unit, _other = bank("戊银行")
    coordinator = factories.user(roles=["coordinator"])
    mine = need(factories.enterprise("推给丁行的企业"), coordinator, amount="200")
    theirs = need(factories.enterprise("推给戊行的企业"), coordinator)
    [resp] = services.push_need(mine, [unit], coordinator)
    services.push_need(theirs, [other_unit], coordinator)
    db.session.commit()
    login_as(manager)
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "推给丁行的企业" in home and "推给戊行的企业" not in home
    client.post_form(f"/financing/bank/{resp.id}", {"action": "accept"})
    page = client.post_form(f"/financing/bank/{resp.id}", {
        "action": "grant", "amount": "abc", "rate": "3.5"}).get_data(as_text=True)
    assert 'data-field="amount"' in page
    client.post_form(f"/financing/bank/{resp.id}", {"action": "grant", "amount": "200",
                                                   "rate": "3.65"})
    client.post_form(f"/financing/bank/{resp.id}", {"action": "disburse", "amount": "200",
                                                   "on": "2026-11-25"})
    db.session.expire_all()
    resp = db.session.get(BankResponse, resp.id)
    assert (resp.state, resp.rate, resp.disbursed_on) == ("disbursed", Decimal("3.650"),
                                                          date(2026, 11, 25))
    assert db.session.get(FinancingNeed, mine.id).state == "met"
    sheet = _xlsx_text(client.get(f"/financing/banks/{unit.id}/list.xlsx").data)
    assert "推给丁行的企业" in sheet and "推给戊行的企业" not in sheet
    assert client.get(f"/financing/banks/{other_unit.id}/list.xlsx").status_code == 403


@pytest.mark.parametrize("url", ["/enterprises/", "/problems/", "/visits/",
                                 "/enterprises/export.xlsx", "/problems/export.xlsx",
                                 "/meetings/figures", "/financing/"])
def test_bank_manager_sees_nothing_else(app, client, login_as, url):
    _unit, manager = bank("己银行")
    db.session.commit()
    login_as(manager)
    assert client.get(url).status_code == 403
    nav = client.get("/financing/bank/").get_data(as_text=True)
    assert "/enterprises/" not in nav and "/problems/" not in nav


def test_visit_with_a_finance_factor_offers_the_need_form(app, client, login_as):
    commissioner = factories.user(roles=["commissioner"])
    ent = factories.enterprise("走访融资企业")
    factories.assignment(ent, commissioner, "commissioner")
    visit = factories.visit(ent, commissioner)
    db.session.add(VisitFactor(visit_id=visit.id, factor="finance", note="需流动资金500万"))
    plain = factories.visit(ent, commissioner, visit_date=date(2026, 11, 20))
    db.session.commit()
    login_as(commissioner)
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert 'data-testid="financing-offer"' in page
    assert 'data-testid="financing-offer"' not in client.get(
        f"/visits/{plain.id}").get_data(as_text=True)
    form = client.get(f"/financing/new?enterprise_id={ent.id}&visit_id={visit.id}"
                      f"&note=需流动资金500万").get_data(as_text=True)
    assert "走访融资企业" in form and "需流动资金500万" in form
    response = client.post_form(f"/financing/new?enterprise_id={ent.id}&visit_id={visit.id}", {
        "amount": "500", "purpose": "working_capital", "term_months": "12",
        "urgency": "soon", "has_consent": "y"})
    assert response.status_code == 302
    row = db.session.scalar(select(FinancingNeed))
    assert (row.source, row.visit_id, row.raised_by_id) == ("visit", visit.id, commissioner.id)
    # Registered once: the visit no longer offers it.
    assert 'data-testid="financing-offer"' not in client.get(
        f"/visits/{visit.id}").get_data(as_text=True)


def test_commissioner_cannot_raise_for_another_enterprise(app, client, login_as):
    ent = factories.enterprise()
    db.session.commit()
    login_as("commissioner")
    assert client.get(f"/financing/new?enterprise_id={ent.id}").status_code == 403


ANSWER_VALUES = ["", "0", "-1", "1e309", "NaN", "abc", "9" * 40, "2026-02-30", "\x00",
                 "<script>", "99999999999999999999999", "3.456789", "𬌗" * 300]


@pytest.mark.parametrize("action", ["accept", "diligence", "grant", "disburse", "decline",
                                    "", "nonsense"])
def test_bank_answer_form_survives_hostile_values(app, client, login_as, action):
    unit, manager = bank("庚银行")
    coordinator = factories.user(roles=["coordinator"])
    [resp] = services.push_need(need(actor=coordinator), [unit], coordinator)
    services.answer(resp, "accept", manager)
    db.session.commit()
    login_as(manager)
    for value in ANSWER_VALUES:
        response = client.post_form(f"/financing/bank/{resp.id}", {
            "action": action, "amount": value, "rate": value, "on": value,
            "reason": value, "note": value})
        assert response.status_code < 500, (action, value)
    db.session.expire_all()
    assert db.session.get(BankResponse, resp.id).state in ("accepted", "diligence", "declined")
