"""The visit list with its filters and .xlsx export, a visit's page, an enterprise's visit
history (the partial the enterprise page includes) and the coverage page."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from crm.extensions import db
from crm.liaisons.models import VisitFactor, VisitPolicy
from tests import factories
from tests.clock import DEFAULT_NOW, local_instant
from tests.conftest import count_queries

TODAY = local_instant(DEFAULT_NOW).date()  # the suite's clock, not the import day


@pytest.fixture
def visits(county):
    """Three visits: two by 王 (one with a problem, a policy, a factor), one by 李."""
    v1 = factories.visit(county.ent, county.com, TODAY - timedelta(days=1), mode="onsite",
                         summary="=HYPERLINK(\"http://evil\")")
    db.session.add(VisitPolicy(visit_id=v1.id, policy_id=county.fits.id))
    db.session.add(VisitFactor(visit_id=v1.id, factor="power", note="协调增容"))
    problem = factories.issue(county.ent, county.com, visit_id=v1.id, title="用电容量不足",
                              source="visit")
    v2 = factories.visit(county.ent, county.com, TODAY - timedelta(days=20), mode="phone",
                         summary="电话回访")
    v3 = factories.visit(county.spare, county.other, TODAY, summary="走访恒昌食品")
    db.session.commit()
    return {"v1": v1, "v2": v2, "v3": v3, "problem": problem}


def rows(html: str) -> int:
    return html.count('data-testid="visit-row"')


def test_coordinator_sees_all_visits_newest_first(county, visits, client, login_as):
    login_as(county.coord)
    html = client.get("/visits/").get_data(as_text=True)
    assert rows(html) == 3 and "共 3 次走访" in html
    assert html.index("走访恒昌食品") < html.index("电话回访")
    assert "王小明" in html and "城关镇" in html and "用电" in html


@pytest.mark.parametrize("query,expected", [
    ("q=兴发", 2), ("q=xfzg", 2), ("q=hengchang", 1), ("mode=phone", 1), ("problems=yes", 1),
    ("problems=no", 2), ("unit=UNIT", 2), ("author=AUTHOR", 1), ("enterprise=SPARE", 1),
    ("policy=POLICY", 1), (f"date_from={(TODAY - timedelta(days=5)).isoformat()}", 2),
    (f"date_to={(TODAY - timedelta(days=5)).isoformat()}", 1),
    # Unreadable filters are ignored (and said so), never a 500.
    ("unit=xyz", 3), ("author=9999999", 3), ("page=abc", 3), ("page=-4", 3),
    ("date_from=yesterday", 3), ("mode=flying", 3), ("enterprise=abc", 3), ("policy=%00", 3),
])
def test_filters(county, visits, client, login_as, query, expected):
    query = (query.replace("UNIT", str(county.town.id)).replace("AUTHOR", str(county.other.id))
             .replace("SPARE", str(county.spare.id)).replace("POLICY", str(county.fits.id)))
    login_as(county.coord)
    response = client.get(f"/visits/?{query}")
    assert response.status_code == 200
    assert rows(response.get_data(as_text=True)) == expected
    if query.startswith("date_from=yesterday"):
        assert "请按“2026-03-18”的格式填写日期" in response.get_data(as_text=True)


def test_the_list_follows_visibility(county, visits, client, login_as):
    login_as(county.leader)  # leader A of 兴发 only
    html = client.get("/visits/").get_data(as_text=True)
    assert rows(html) == 2 and "走访恒昌食品" not in html
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login_as("handler")
    assert client.get("/visits/").status_code == 403


def test_export_xlsx(county, visits, client, login_as):
    login_as(county.coord)
    response = client.get("/visits/export.xlsx?mode=onsite")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("走访日期", "企业", "统一社会信用代码", "记录人")
    assert len(values) == 3  # header + the two on-site visits
    first = dict(zip(values[0], values[2], strict=True))  # the older on-site visit: v1
    assert first["企业"] == "兴发制管有限公司" and first["走访方式"] == "实地走访"
    assert first["送政策"] == "制造业技术改造专项补贴" and first["要素"] == "用电：协调增容"
    assert first["提出问题"] == f"{visits['problem'].number} 用电容量不足"
    # Text that looks like a formula stays text.
    assert first["走访情况"] == '=HYPERLINK("http://evil")'
    cell = [c for c in sheet[3] if c.value == '=HYPERLINK("http://evil")'][0]
    assert cell.data_type == "s"


def test_visit_page(county, visits, client, login_as):
    login_as(county.com)
    html = client.get(f"/visits/{visits['v1'].id}").get_data(as_text=True)
    assert "兴发制管有限公司" in html and "制造业技术改造专项补贴" in html
    assert "协调增容" in html and visits["problem"].number in html and "用电容量不足" in html
    assert 'data-testid="edit-visit"' in html


def test_enterprise_visits_page_with_history_and_policies(county, visits, client, login_as):
    login_as(county.com)
    html = client.get(f"/visits/enterprise/{county.ent.id}").get_data(as_text=True)
    assert html.count('data-testid="history-row"') == 2
    assert 'data-testid="history-log-visit"' in html
    assert "政策 1 项" in html and "问题 1 个" in html
    assert 'data-testid="policy-panel"' in html and "已送达 1 次" in html
    assert "累计送达 1 次" in html
    # Not someone else's enterprise.
    assert client.get(f"/visits/enterprise/{county.spare.id}").status_code == 404
    assert client.get("/visits/enterprise/999999").status_code == 404


def test_history_partial_renders_on_its_own(county, visits, app):
    """The lead includes the partial on the enterprise page: it needs only its context."""
    from flask import render_template_string
    from flask_login import login_user

    from crm.liaisons.queries import visit_history

    with app.test_request_context():
        login_user(county.com)
        history, total = visit_history(county.ent, county.com, limit=1)
        html = render_template_string('{% include "liaisons/_visit_history.html" %}',
                                      visit_history=history, visit_total=total,
                                      enterprise=county.ent, can_log=True)
    assert html.count('data-testid="history-row"') == 1
    assert "查看全部 2 次走访" in html


def _more_visits(county, n):
    for i in range(n):
        ent = factories.enterprise()
        factories.assignment(ent, county.com)
        visit = factories.visit(ent, county.com, TODAY - timedelta(days=i % 30))
        db.session.add(VisitFactor(visit_id=visit.id, factor="land"))
        db.session.add(VisitPolicy(visit_id=visit.id, policy_id=county.fits.id))
        factories.issue(ent, county.com, visit_id=visit.id)
    db.session.commit()


@pytest.mark.parametrize("url", ["/visits/", "/visits/?unit=UNIT", "/visits/coverage",
                                 "/visits/enterprise/ENT", "/visits/policies/"])
def test_pages_load_in_a_fixed_number_of_queries(county, visits, client, login_as, url):
    url = url.replace("UNIT", str(county.town.id)).replace("ENT", str(county.ent.id))
    login_as(county.coord)

    def measure():
        with count_queries() as q:
            assert client.get(url).status_code == 200
        return q.count

    small = measure()
    _more_visits(county, 15)
    for i in range(5):
        factories.visit(county.ent, county.com, TODAY - timedelta(days=i))
    db.session.commit()
    assert measure() == small


def test_coverage_page_for_coordinators(county, visits, client, login_as):
    login_as(county.coord)
    html = client.get("/visits/coverage?period=week").get_data(as_text=True)
    assert 'data-testid="coverage-overall"' in html
    assert 'data-testid="coverage-units"' in html and "城关镇" in html
    assert 'data-testid="coverage-commissioners"' in html and "王小明" in html and "李四" in html
    assert 'data-testid="coverage-leaders"' in html and "陈市长" in html
    assert "第" in html and "周" in html
    for bad in ("period=decade", "date=abc", "period=month&date=2999-01-01", "date=0001-01-01"):
        assert client.get(f"/visits/coverage?{bad}").status_code == 200


def test_coverage_page_for_a_leader_shows_the_portfolio(county, visits, client, login_as):
    stale = factories.enterprise("久未走访企业有限公司")
    factories.assignment(stale, county.leader, "leader_b", start=TODAY - timedelta(days=40))
    db.session.commit()
    login_as(county.leader)
    html = client.get("/visits/coverage?period=quarter").get_data(as_text=True)
    assert 'data-testid="coverage-portfolio"' in html
    assert 'data-testid="stale-list"' in html and "久未走访企业有限公司" in html
    assert "王小明" not in html  # no commissioner table for a leader
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login_as(county.com)
    assert client.get("/visits/coverage").status_code == 403
