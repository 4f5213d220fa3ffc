"""Export of the filtered list to .xlsx, and back in through the import."""
import io

from openpyxl import load_workbook

from crm.extensions import db
from tests import factories


def read(response):
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    return rows[0], rows[1:]


def test_export_has_chinese_headers_and_only_the_filtered_rows(client, login_as):
    town = factories.unit("城关镇", kind="town")
    leader = factories.user(roles=["leader"], username="lishizhang")
    commissioner = factories.user(roles=["commissioner"], username="zhangtp")
    xingfa = factories.enterprise("兴发制管有限公司", town_id=town.id, status="reduced",
                                  industry="C", scale="above", is_chain_leader=True)
    factories.enterprise("绿源食品有限公司")
    factories.contact(xingfa, name="陈经理", phone="13912345678")
    factories.assignment(xingfa, leader, "leader_a")
    factories.assignment(xingfa, commissioner, "commissioner")
    factories.red_issue(xingfa)
    factories.visit(xingfa, commissioner)
    db.session.commit()
    login_as("coordinator")
    response = client.get("/enterprises/export.xlsx?q=xfzg")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    headers, rows = read(response)
    assert headers[:2] == ("企业名称", "统一社会信用代码")
    assert "未办结问题" in headers and "最近走访" in headers
    assert len(rows) == 1
    row = dict(zip(headers, rows[0]))
    assert row["企业名称"] == "兴发制管有限公司"
    assert row["经营状态"] == "减产" and row["所属行业"] == "C 制造业"
    assert row["链主企业"] == "是" and row["所在镇办"] == "城关镇"
    assert row["联系人"] == "陈经理" and row["联系电话"] == "13912345678"
    assert row["A角领导（用户名）"] == "lishizhang" and row["帮扶特派员（用户名）"] == "zhangtp"
    assert row["未办结问题"] == 1 and row["超期问题"] == 1 and row["本周已走访"] == "是"


def test_export_never_contains_what_the_user_may_not_see(client, login_as):
    commissioner = factories.user(roles=["commissioner"])
    mine = factories.enterprise("我的企业有限公司")
    factories.enterprise("别人的企业有限公司")
    factories.assignment(mine, commissioner)
    db.session.commit()
    login_as(commissioner)
    _headers, rows = read(client.get("/enterprises/export.xlsx"))
    assert [r[0] for r in rows] == ["我的企业有限公司"]


def test_an_export_can_be_imported_again(client, login_as):
    ent = factories.enterprise("兴发制管有限公司", employees=10, ownership="private")
    factories.contact(ent, name="陈经理")
    db.session.commit()
    login_as("coordinator")
    data = client.get("/enterprises/export.xlsx").data
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=headers.index("从业人数") + 1, value=25)
    out = io.BytesIO()
    book.save(out)
    response = client.post_form("/enterprises/import", {"file": (io.BytesIO(out.getvalue()),
                                                                  "导出.xlsx")},
                                content_type="multipart/form-data")
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 家将更新" in preview and "0 个错误" in preview
    client.post_form(response.headers["Location"] + "/confirm")
    db.session.expire_all()
    assert ent.employees == 25 and ent.ownership == "private"
