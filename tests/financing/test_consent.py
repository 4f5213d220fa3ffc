"""The push/consent rule: nothing of a need reaches a bank without the enterprise's
consent, and a bank sees only the needs pushed to it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.financing import permissions, services
from crm.financing.models import BankResponse, FinancingNeed
from tests import factories
from tests.financing.helpers import bank, need


def test_push_without_consent_is_refused(app):
    a = bank("无同意银行")
    n = need(consent=False)
    with pytest.raises(services.FinancingError):
        services.push_need(n, [a[0]], factories.user(roles=["coordinator"]))
    assert db.session.scalar(select(db.func.count()).select_from(BankResponse)) == 0


def test_bank_sees_only_needs_pushed_to_it_with_consent(app):
    a, b = bank("甲"), bank("乙")
    coordinator = factories.user(roles=["coordinator"])
    mine = need(factories.enterprise("推给甲的企业"))
    other = need(factories.enterprise("推给乙的企业"))
    services.push_need(mine, [a[0]], coordinator)
    services.push_need(other, [b[0]], coordinator)
    # Even a row that somehow exists without consent stays hidden from the bank.
    sneaky = need(factories.enterprise("未同意企业"), consent=False)
    db.session.add(BankResponse(need_id=sneaky.id, bank_id=a[0].id, state="pushed"))
    db.session.flush()
    seen = set(db.session.scalars(permissions.visible(select(FinancingNeed.id), a[1])))
    assert seen == {mine.id}
    assert not permissions.can_view(a[1], other)
    assert not permissions.can_view(a[1], sneaky)


def test_consent_cannot_be_withdrawn_after_a_push(app):
    a = bank("丙")
    coordinator = factories.user(roles=["coordinator"])
    n = need()
    services.push_need(n, [a[0]], coordinator)
    with pytest.raises(services.FinancingError):
        services.update_need(n, {"has_consent": False}, coordinator)
    assert n.has_consent


def test_pages_show_a_bank_nothing_without_consent(app, client, login_as):
    a = bank("丁")
    n = need(factories.enterprise("隐私企业"), consent=False)
    db.session.add(BankResponse(need_id=n.id, bank_id=a[0].id, state="pushed"))
    db.session.commit()
    resp_id = db.session.scalar(select(BankResponse.id))
    login_as(a[1])
    queue = client.get("/financing/bank/?state=all").get_data(as_text=True)
    assert "隐私企业" not in queue
    assert client.get(f"/financing/bank/{resp_id}").status_code == 404
    assert client.get(f"/financing/{n.id}").status_code in (403, 404)
    data = client.get(f"/financing/banks/{a[0].id}/list.xlsx").data
    from tests.security.test_permission_matrix import _xlsx_text
    assert "隐私企业" not in _xlsx_text(data)
