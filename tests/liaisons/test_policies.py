"""The policy catalogue: coordinators keep it (audited), everyone who visits reads it, the
visit form and the enterprise page offer the valid matching policies, deliveries are
counted per policy and per enterprise."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.core.models import AuditLog
from crm.extensions import db
from crm.liaisons.catalogue import delivered_counts, enterprise_policies, form_policies
from crm.liaisons.models import Policy, VisitPolicy
from tests import factories
from tests.clock import DEFAULT_NOW, local_instant

TODAY = local_instant(DEFAULT_NOW).date()  # the suite's clock, not the import day


def _policy_form(**kw):
    data = {"title": "小微企业融资担保费补贴", "category": "finance", "issuer": "市财政局",
            "summary": "担保费率降至 1% 以下的部分给予补贴", "link": "https://example.gov.cn/p/1",
            "industries": ["C", "F"], "scales": ["below"], "ownerships": ["private"],
            "clusters": ["绿色食品"], "valid_from": "2026-01-01", "valid_to": "2026-12-31",
            "is_active": "y"}
    data.update(kw)
    return data


def test_coordinator_adds_a_policy_and_it_is_audited(county, client, login_as):
    login_as(county.coord)
    response = client.post_form("/visits/policies/new", _policy_form())
    assert response.status_code == 302
    policy = db.session.scalar(select(Policy).where(Policy.title == "小微企业融资担保费补贴"))
    assert (policy.industries, policy.scales, policy.ownerships, policy.clusters) == (
        "C,F", "below", "private", "绿色食品")
    assert policy.created_by_id == county.coord.id
    log = db.session.scalar(select(AuditLog).where(AuditLog.object_type == "policies"))
    assert log.action == "create" and log.after["title"] == "小微企业融资担保费补贴"
    page = client.get(response.location).get_data(as_text=True)
    assert "政策已加入政策库" in page and "市财政局" in page
    assert "制造业、批发和零售业" in page and "规下" in page
    assert "民营" in page and "绿色食品" in page


def test_editing_a_policy_is_audited_with_before_and_after(county, client, login_as):
    login_as(county.coord)
    html = client.get(f"/visits/policies/{county.fits.id}/edit").get_data(as_text=True)
    assert 'value="制造业技术改造专项补贴"' in html
    assert ('<input checked class="form-check-input" id="industries-2" name="industries" '
            'type="checkbox" value="C">') in html
    response = client.post_form(f"/visits/policies/{county.fits.id}/edit",
                                _policy_form(title="制造业技改补贴（2026 年修订）",
                                             industries=["C"], is_active=""))
    assert response.status_code == 302
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "update"))
    assert log.before["title"] == "制造业技术改造专项补贴"
    assert log.after["title"] == "制造业技改补贴（2026 年修订）"
    assert log.after["is_active"] is False


@pytest.mark.parametrize("changes,message", [
    ({"title": ""}, "请填写政策名称"),
    ({"link": "javascript:alert(1)"}, "请填写以 http:// 或 https:// 开头的网址"),
    ({"link": "ftp://x.cn/a"}, "请填写以 http:// 或 https:// 开头的网址"),
    ({"valid_from": "2026-06-01", "valid_to": "2026-01-01"}, "截止日期早于起始日期"),
    ({"valid_from": "June"}, "请按“2026-03-18”的格式填写日期"),
    ({"title": "政" * 201}, "最多 200 个字"),
    ({"category": "bribe"}, "请从列表中选择类别"),
])
def test_bad_policy_input(county, client, login_as, changes, message):
    login_as(county.coord)
    response = client.post_form("/visits/policies/new", _policy_form(**changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "invalid-feedback" in html
    assert message in html
    assert "担保费率降至 1% 以下的部分给予补贴" in html  # typing kept
    assert db.session.scalar(select(Policy).where(Policy.issuer == "市财政局")) is None


def test_only_coordinators_keep_the_catalogue(county, client, login_as):
    login_as(county.com)
    assert client.get("/visits/policies/").status_code == 200
    assert client.get(f"/visits/policies/{county.fits.id}").status_code == 200
    assert client.get("/visits/policies/new").status_code == 403
    assert client.post_form("/visits/policies/new", _policy_form()).status_code == 403
    assert client.get(f"/visits/policies/{county.fits.id}/edit").status_code == 403
    assert client.get("/visits/policies/999999").status_code == 404


def test_catalogue_list_filters_and_delivery_counts(county, client, login_as):
    expired = factories.policy("过期政策", valid_to=TODAY - timedelta(days=1))
    for ent in (county.ent, county.spare):
        visit = factories.visit(ent, county.com if ent is county.ent else county.other)
        db.session.add(VisitPolicy(visit_id=visit.id, policy_id=county.fits.id))
    visit = factories.visit(county.ent, county.com, TODAY - timedelta(days=3))
    db.session.add(VisitPolicy(visit_id=visit.id, policy_id=county.fits.id))
    db.session.commit()
    login_as(county.coord)
    html = client.get("/visits/policies/").get_data(as_text=True)
    assert "制造业技术改造专项补贴" in html and "过期政策" not in html
    assert "已送达 3 次，覆盖 2 家企业" in html
    html = client.get("/visits/policies/?validity=expired").get_data(as_text=True)
    assert "过期政策" in html and "制造业技术改造专项补贴" not in html
    html = client.get("/visits/policies/?q=外贸&category=finance").get_data(as_text=True)
    assert 'data-testid="no-policies"' in html
    for bad in ("validity=forever", "category=zzz", "page=abc"):
        assert client.get(f"/visits/policies/?{bad}").status_code == 200
    detail = client.get(f"/visits/policies/{county.fits.id}").get_data(as_text=True)
    assert "兴发制管有限公司" in detail and "恒昌食品股份有限公司" in detail
    assert delivered_counts([county.fits.id, expired.id])[county.fits.id].visits == 3


def test_matching_valid_policies_for_an_enterprise(county):
    factories.policy("尚未生效的政策", industries="C", valid_from=TODAY + timedelta(days=10))
    factories.policy("已停用的政策", industries="C", is_active=False)
    general = factories.policy("普惠性政策")
    visit = factories.visit(county.ent, county.com)
    db.session.add(VisitPolicy(visit_id=visit.id, policy_id=general.id))
    db.session.commit()
    matching, other = form_policies(county.ent)
    assert {p.title for p in matching} == {"制造业技术改造专项补贴", "普惠性政策"}
    assert [p.title for p in other] == ["外贸企业出口信用保险补贴"]
    rows = enterprise_policies(county.ent)
    # Not yet delivered first, then what was delivered, with how often.
    assert [(r.policy.title, r.times) for r in rows] == [("制造业技术改造专项补贴", 0),
                                                         ("普惠性政策", 1)]
