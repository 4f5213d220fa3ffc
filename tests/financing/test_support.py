"""停减产帮扶: the support card on the enterprise page, the coordinator's list by town
with the days stopped, production resumed, and the month's figures."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.financing import support
from crm.financing.models import SupportCase
from crm.financing.services import FinancingError
from tests import factories
from tests.financing.helpers import need


@pytest.mark.now("2026-11-25 14:30")
def test_card_records_since_and_shows_measures_and_days(app, client, login_as):
    town = factories.unit("东镇", kind="town")
    ent = factories.enterprise("停产企业", status="halted", town_id=town.id)
    coordinator = factories.user(roles=["coordinator"])
    db.session.commit()
    login_as(coordinator)
    page = client.get(f"/enterprises/{ent.id}").get_data(as_text=True)
    assert 'data-testid="support-card"' in page and 'data-testid="support-edit"' in page
    response = client.post_form(f"/financing/support/{ent.id}", {
        "since": "2026-11-05", "reason": "funds", "reason_note": "回款慢"})
    assert response.status_code == 302
    factories.issue(ent, coordinator, title="资金周转困难")
    need(ent, coordinator, amount="120")
    db.session.commit()
    page = client.get(f"/enterprises/{ent.id}").get_data(as_text=True)
    assert "20" in page and "回款慢" in page    # 5 → 25 November: 20 days
    measures = page.split('data-testid="support-measures"')[1].split("</ul>")[0]
    assert "资金周转困难" in measures and "120" in measures
    listing = client.get("/financing/support/").get_data(as_text=True)
    assert "东镇" in listing and "停产企业" in listing
    assert '<td data-testid="days-stopped">20</td>' in listing


def test_normal_enterprise_has_no_card_and_no_case(app, client, login_as):
    ent = factories.enterprise("正常企业")
    db.session.commit()
    login_as("coordinator")
    assert 'data-testid="support-card"' not in client.get(
        f"/enterprises/{ent.id}").get_data(as_text=True)
    with pytest.raises(FinancingError):
        support.record_case(ent, {"since": date(2026, 11, 1), "reason": "orders"},
                            factories.user(roles=["coordinator"]))


@pytest.mark.now("2026-11-25 14:30")
def test_resume_closes_the_card_and_sets_the_status_normal(app, client, login_as):
    ent = factories.enterprise("减产企业", status="reduced")
    coordinator = factories.user(roles=["coordinator"])
    support.record_case(ent, {"since": date(2026, 10, 20), "reason": "orders"}, coordinator)
    db.session.commit()
    login_as(coordinator)
    bad = client.post_form(f"/financing/support/{ent.id}/resume", {"resumed_on": "2026-10-01"})
    assert bad.status_code == 302 and db.session.scalar(
        select(SupportCase.resumed_on)) is None
    client.post_form(f"/financing/support/{ent.id}/resume", {"resumed_on": "2026-11-20"})
    db.session.expire_all()
    case = db.session.scalar(select(SupportCase))
    assert case.resumed_on == date(2026, 11, 20)
    assert db.session.get(type(ent), ent.id).status == "normal"
    page = client.get(f"/enterprises/{ent.id}").get_data(as_text=True)
    assert 'data-testid="resumed"' in page
    assert support.month_figures(date(2026, 11, 1), date(2026, 11, 30))["resumed"] == 1
    assert support.month_figures(date(2026, 10, 1), date(2026, 10, 31))["stopped"] == 1


def test_list_names_enterprises_without_a_card(app, client, login_as):
    factories.enterprise("无卡企业", status="halted")
    db.session.commit()
    login_as("coordinator")
    listing = client.get("/financing/support/").get_data(as_text=True)
    assert "无卡企业" in listing and "/financing/support/" in listing
