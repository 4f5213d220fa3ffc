"""The enterprise page: problems with lights and links, visits, policies, people, QR code."""
import io
from datetime import timedelta

from openpyxl import load_workbook

from crm.core.timeutil import local_today, utcnow
from crm.enterprises.links import qr_svg
from crm.extensions import db
from tests import factories


def test_enterprise_page_shows_what_people_work_with(client, login_as):
    commissioner = factories.user(roles=["commissioner"], display_name="张特派")
    old_commissioner = factories.user(roles=["commissioner"], display_name="刘特派")
    unit = factories.unit("市供电公司")
    ent = factories.enterprise("兴发制管有限公司", industry="C", scale="above")
    factories.assignment(ent, commissioner)
    factories.assignment(ent, old_commissioner, start=local_today() - timedelta(days=400),
                         end=local_today() - timedelta(days=200))
    factories.contact(ent, name="陈经理", phone="13912345678", title="办公室主任")
    factories.visit(ent, commissioner, summary="了解用电增容进展")
    red = factories.red_issue(ent, commissioner, title="用电增容审批超期", lead_unit_id=unit.id)
    green = factories.issue(ent, commissioner, state="in_progress", title="招工需求",
                            due_at=utcnow() + timedelta(days=9),
                            warn_at=utcnow() + timedelta(days=7))
    closed = factories.issue(ent, commissioner, state="closed", title="排污许可", rating=5)
    factories.policy(title="技改专项补助", industries="C", scales="above")
    factories.policy(title="农业保险补贴", industries="A")
    db.session.commit()
    login_as(commissioner)
    html = client.get(f"/enterprises/{ent.id}").get_data(as_text=True)
    open_part = html.split('data-testid="open-problems"')[1]
    open_part = open_part.split('data-testid="closed-problems"')[0]
    assert open_part.index("用电增容审批超期") < open_part.index("招工需求")
    assert f'href="/problems/{red.id}"' in open_part and f'href="/problems/{green.id}"' in open_part
    assert 'data-light="red"' in open_part and 'data-light="green"' in open_part
    assert "办理时限" in open_part and "市供电公司" in open_part
    assert "排污许可" in html.split('data-testid="closed-problems"')[1] and "★★★★★" in html
    assert f'href="/problems/{closed.id}"' in html
    assert "了解用电增容进展" in html and "张特派" in html
    assert "技改专项补助" in html and "农业保险补贴" not in html
    assert "陈经理" in html and 'href="tel:13912345678"' in html
    assert 'data-testid="past-assignment"' in html and "刘特派" in html
    assert f'href="/visits/new/{ent.id}"' in html  # a current commissioner logs visits from here


def test_qr_code_opens_the_visit_form_of_this_enterprise(client, login_as, app):
    ent = factories.enterprise("兴发制管有限公司")
    db.session.commit()
    login_as("coordinator")
    html = client.get(f"/enterprises/{ent.id}/qr").get_data(as_text=True)
    url = f"http://localhost/visits/new/{ent.id}"
    assert url in html
    assert str(qr_svg(url, ent.name)) in html  # the very code for that address, inline SVG
    assert "<script" not in html.split("</nav>", 1)[1].split("<script src=", 1)[0]
    app.config["PUBLIC_URL"] = "https://crm.example.gov.cn"
    try:
        html = client.get(f"/enterprises/{ent.id}/qr").get_data(as_text=True)
        assert f"https://crm.example.gov.cn/visits/new/{ent.id}" in html
    finally:
        app.config["PUBLIC_URL"] = None


def test_list_marks_enterprises_no_longer_assigned(client, login_as):
    commissioner = factories.user(roles=["commissioner"])
    now = factories.enterprise("现包联有限公司")
    before = factories.enterprise("原包联有限公司")
    factories.assignment(now, commissioner)
    factories.assignment(before, commissioner, end=local_today())
    db.session.commit()
    login_as(commissioner)
    html = client.get("/enterprises/").get_data(as_text=True)
    rows = html.split('data-testid="enterprise-row"')[1:]
    marked = {r.split("</a>")[0].rsplit(">", 1)[1]: 'data-testid="former-badge"' in r for r in rows}
    assert marked == {"现包联有限公司": False, "原包联有限公司": True}


def test_export_keeps_formula_like_text_as_text(client, login_as):
    factories.enterprise('=HYPERLINK("http://evil.example","点我")')
    db.session.commit()
    login_as("coordinator")
    book = load_workbook(io.BytesIO(client.get("/enterprises/export.xlsx").data))
    cell = book.worksheets[0]["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
