"""A bank's account manager on a 390×844 phone: signs in, lands on the bank's 推荐清单,
opens the need pushed to the bank, accepts it and records a credit decision."""
from __future__ import annotations

from decimal import Decimal

import pytest

from crm.extensions import db
from crm.financing import services
from crm.financing.models import BankResponse
from tests import factories

pytestmark = pytest.mark.e2e


def test_bank_manager_records_a_credit_decision_on_a_phone(live_app, phone):
    with live_app.app_context():
        bank = factories.unit("云岭农村商业银行", kind="bank")
        manager = factories.user(["bank"], username="zhaolh", unit=bank, display_name="赵丽华")
        coordinator = factories.user(["coordinator"])
        ent = factories.enterprise("青石精密铸造有限公司")
        need = services.raise_need(ent, {
            "amount": Decimal("300"), "purpose": "working_capital", "term_months": 12,
            "urgency": "urgent", "offers": "credit", "tax_grade": "A",
            "tax_paid": Decimal("45"), "has_consent": True}, coordinator)
        [resp] = services.push_need(need, [bank], coordinator)
        other = factories.enterprise("别家银行的企业有限公司")
        services.push_need(services.raise_need(other, {
            "amount": Decimal("100"), "purpose": "other", "term_months": 6,
            "urgency": "normal", "offers": "mortgage", "has_consent": True}, coordinator),
            [factories.unit("另一家银行", kind="bank")], coordinator)
        resp_id = resp.id
        db.session.commit()
    phone.goto("/login")
    phone.get_by_label("用户名").fill("zhaolh")
    phone.get_by_label("密码").fill(factories.PASSWORD)
    phone.get_by_role("button", name="登录").tap()
    phone.wait_for_load_state("networkidle")
    # Home: the bank's queue, only its own need, and nothing else of the product.
    assert phone.get_by_test_id("home-heading").inner_text() == "推荐清单"
    rows = phone.get_by_test_id("queue-row")
    assert rows.count() == 1 and "青石精密铸造有限公司" in rows.first.inner_text()
    assert "别家银行的企业有限公司" not in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    rows.first.tap()
    phone.wait_for_load_state("networkidle")
    assert phone.get_by_test_id("response-enterprise").inner_text() == "青石精密铸造有限公司"
    assert phone.get_by_test_id("credit-flag").is_visible()   # 银税互动
    phone.get_by_test_id("do-accept").tap()
    phone.wait_for_load_state("networkidle")
    phone.get_by_test_id("grant-panel").locator("summary").tap()
    phone.get_by_label("金额（万元）").first.fill("280")
    phone.get_by_label("年利率（%）").fill("3.45")
    button = phone.get_by_test_id("do-grant")
    box = button.bounding_box()
    assert box["height"] >= 44
    button.tap()
    phone.wait_for_load_state("networkidle")
    assert "280" in phone.get_by_test_id("granted").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    with live_app.app_context():
        row = db.session.get(BankResponse, resp_id)
        assert (row.state, row.granted_amount, row.rate) == ("granted", Decimal("280.00"),
                                                            Decimal("3.450"))
