"""Import from .xlsx and .csv: template, preview with row errors, all-or-nothing commit."""
import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from crm.core.models import AuditLog
from crm.enterprises import importer
from crm.enterprises.models import Assignment, Contact, Enterprise, ImportBatch
from crm.extensions import db
from tests import factories

HEADERS = ["企业名称", "统一社会信用代码", "所属行业", "经营状态", "所在镇办", "从业人数",
           "联系人", "联系电话", "A角领导（用户名）", "B角领导（用户名）", "帮扶特派员（用户名）"]


def xlsx(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8", headers=HEADERS) -> bytes:
    lines = [",".join(headers)] + [",".join(str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(client, data: bytes, filename="企业.xlsx"):
    return client.post_form("/enterprises/import", {"file": (io.BytesIO(data), filename)},
                            content_type="multipart/form-data")


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.fixture
def people(app):
    town = factories.unit("城关镇", kind="town")
    leader = factories.user(roles=["leader"], username="lishizhang", display_name="李市长")
    deputy = factories.user(roles=["leader"], username="wangfu", display_name="王副市长")
    commissioner = factories.user(roles=["commissioner"], username="zhangtp",
                                  display_name="张特派")
    helper = factories.user(roles=["commissioner"], username="liutp", display_name="刘特派")
    db.session.commit()
    return {"town": town, "leader": leader, "deputy": deputy, "commissioner": commissioner,
            "helper": helper}


def good_rows():
    return [
        ["兴发制管有限公司", factories.code(101), "C", "正常", "城关镇", 320, "陈经理",
         "13912345678", "lishizhang", "wangfu", "zhangtp、liutp"],
        ["绿源食品有限公司", factories.code(102), "制造业", "减产", "", "", "", "", "", "",
         "zhangtp"],
    ]


def test_template_has_chinese_headers_and_instructions(client, login_as):
    login_as("coordinator")
    response = client.get("/enterprises/import/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    headers = [c.value for c in book.worksheets[0][1]]
    assert headers[:3] == ["企业名称", "统一社会信用代码", "法定代表人"]
    assert "A角领导（用户名）" in headers and "帮扶特派员（用户名）" in headers
    notes = [row[0] for row in book.worksheets[1].iter_rows(values_only=True)]
    assert book.worksheets[1].title == "填写说明"
    assert any("统一社会信用代码匹配" in (n or "") for n in notes)


def test_the_filled_in_template_imports(client, login_as, people):
    login_as("coordinator")
    template = load_workbook(io.BytesIO(client.get("/enterprises/import/template.xlsx").data))
    sheet = template.worksheets[0]
    sheet.append(["兴发制管有限公司", factories.code(7), None, "C 制造业", "先进制造", "是", "规上",
                  "中型", "民营", "城关镇"])
    out = io.BytesIO()
    template.save(out)
    response = upload(client, out.getvalue())
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 家将新登记" in html and "0 个错误" in html


def test_preview_shows_what_will_happen_and_writes_nothing(client, login_as, people):
    known = factories.enterprise("旧名称有限公司", credit_code=factories.code(102), status="normal")
    db.session.commit()
    login_as("coordinator")
    response = upload(client, xlsx(good_rows()))
    assert response.status_code == 302
    batch = db.session.scalar(db.select(ImportBatch))
    assert batch.state == "preview" and len(batch.rows) == 2  # kept in the database
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 家将新登记" in html and "1 家将更新" in html and "0 个错误" in html
    assert "确认导入" in html
    assert re.search(r'data-action="update".*?企业名称、所属行业、经营状态', html, re.S)
    assert count(Enterprise) == 1 and count(Assignment) == 0
    db.session.refresh(known)
    assert known.name == "旧名称有限公司"


def test_every_row_error_is_listed_with_row_and_column(client, login_as, people):
    factories.user(roles=["leader"], username="inactive", is_active=False)
    db.session.commit()
    login_as("coordinator")
    blank = [""] * 6
    rows = [
        ["好企业有限公司", factories.code(201), "C", *blank, "", ""],
        ["", factories.code(202), "", *blank, "", ""],
        ["坏代码有限公司", "91350100M000100Y44", "", *blank, "", ""],
        ["状态错有限公司", factories.code(203), "Q9", "倒闭", "不存在镇", "很多", "", "12345",
         "", "", ""],
        ["人员错有限公司", factories.code(204), *blank, "zhangtp", "nobody", "lishizhang"],
        ["重复代码有限公司", factories.code(201), *blank, "inactive", "", ""],
        ["同一领导有限公司", factories.code(205), *blank, "lishizhang", "lishizhang", ""],
    ]
    response = upload(client, xlsx(rows))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    errors = re.findall(
        r'data-testid="import-error-row"><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td>', html)
    by_row = {}
    for number, column, message in errors:
        by_row.setdefault(int(number), []).append((column, message))
    assert 2 not in by_row
    assert by_row[3] == [("企业名称", "请填写企业名称。")]
    assert by_row[4][0][0] == "统一社会信用代码" and "校验位" in by_row[4][0][1]
    columns_5 = [c for c, _m in by_row[5]]
    assert columns_5 == ["所属行业", "经营状态", "所在镇办", "从业人数", "联系电话", "联系人"]
    assert any("不存在镇" in m for _c, m in by_row[5])
    assert [c for c, _m in by_row[6]] == ["A角领导（用户名）", "B角领导（用户名）",
                                          "帮扶特派员（用户名）"]
    assert "不是包联市级领导" in by_row[6][0][1] and "nobody" in by_row[6][1][1]
    assert {c for c, _m in by_row[7]} == {"A角领导（用户名）", "统一社会信用代码"}
    assert any("第 2 行" in m for _c, m in by_row[7])
    assert by_row[8] == [("B角领导（用户名）", "A角和B角领导不能是同一人。")]
    assert "确认导入" not in html
    assert "文件有错误时不能导入" in html
    batch = db.session.scalar(db.select(ImportBatch))
    refused = client.post_form(f"/enterprises/import/{batch.id}/confirm")
    assert refused.status_code == 409
    assert count(Enterprise) == 0


def test_confirm_writes_everything_with_contacts_people_and_audit(client, login_as, people):
    coordinator = login_as("coordinator")
    location = upload(client, xlsx(good_rows())).headers["Location"]
    batch_id = int(location.rsplit("/", 1)[1])
    done = client.post_form(f"/enterprises/import/{batch_id}/confirm", follow_redirects=True)
    assert "导入完成：新登记 2 家，更新 0 家，未变化 0 家" in done.get_data(as_text=True)
    xingfa = db.session.scalar(db.select(Enterprise).where(Enterprise.name == "兴发制管有限公司"))
    assert xingfa.industry == "C" and xingfa.town_id == people["town"].id
    assert xingfa.employees == 320 and xingfa.name_initials == "xfzgyxgs"
    assert db.session.scalar(db.select(Enterprise.status).where(
        Enterprise.name == "绿源食品有限公司")) == "reduced"
    contact = db.session.scalar(db.select(Contact))
    assert (contact.name, contact.phone, contact.is_primary) == ("陈经理", "13912345678", True)
    roles = set(db.session.execute(db.select(Assignment.enterprise_id, Assignment.user_id,
                                             Assignment.role)).all())
    assert (xingfa.id, people["leader"].id, "leader_a") in roles
    assert (xingfa.id, people["deputy"].id, "leader_b") in roles
    assert (xingfa.id, people["helper"].id, "commissioner") in roles
    assert len(roles) == 5
    audit = db.session.scalars(db.select(AuditLog)).all()
    kinds = sorted((r.object_type, r.action) for r in audit)
    assert kinds.count(("enterprises", "create")) == 2
    assert kinds.count(("contacts", "create")) == 1
    assert kinds.count(("assignments", "create")) == 5
    assert ("import_batches", "import") in kinds
    assert all(r.actor_id == coordinator.id for r in audit)
    assert db.session.get(ImportBatch, batch_id).state == "committed"
    again = client.post_form(f"/enterprises/import/{batch_id}/confirm", follow_redirects=True)
    assert "已导入或已放弃" in again.get_data(as_text=True)
    assert count(Enterprise) == 2


def test_update_keeps_blank_cells_and_replaces_leader_a_with_history(client, login_as, people):
    ent = factories.enterprise("兴发制管有限公司", credit_code=factories.code(101),
                               legal_rep="陈宏达", employees=100)
    old = factories.assignment(ent, people["deputy"], "leader_a")
    db.session.commit()
    login_as("coordinator")
    rows = [["", factories.code(101), "", "", "", 150, "", "", "lishizhang", "", ""]]
    location = upload(client, xlsx(rows)).headers["Location"]
    client.post_form(location + "/confirm")
    db.session.expire_all()
    assert (ent.name, ent.legal_rep, ent.employees) == ("兴发制管有限公司", "陈宏达", 150)
    assert old.end_date is not None
    active = db.session.scalars(db.select(Assignment).where(
        Assignment.enterprise_id == ent.id, Assignment.end_date.is_(None))).all()
    assert [(a.user_id, a.role) for a in active] == [(people["leader"].id, "leader_a")]


def test_the_registry_changing_after_the_preview_blocks_the_whole_import(client, login_as,
                                                                          people):
    login_as("coordinator")
    location = upload(client, xlsx(good_rows())).headers["Location"]
    # Between preview and confirm the leader loses the role.
    people["leader"].roles = ["handler"]
    db.session.commit()
    response = client.post_form(location + "/confirm")
    assert response.status_code == 409
    assert "不是包联市级领导" in response.get_data(as_text=True)
    assert count(Enterprise) == 0 and count(Assignment) == 0 and count(Contact) == 0


def test_a_failure_while_writing_leaves_nothing_behind(client, login_as, people, monkeypatch):
    login_as("coordinator")
    ent = factories.enterprise("兴发制管有限公司", credit_code=factories.code(101))
    db.session.commit()
    location = upload(client, xlsx(good_rows())).headers["Location"]
    from crm.enterprises import assignments

    def broken(*args, **kwargs):
        raise assignments.AssignmentError("测试：写入中途失败")

    monkeypatch.setattr(assignments, "assign", broken)
    response = client.post_form(location + "/confirm", follow_redirects=True)
    assert "未导入任何数据" in response.get_data(as_text=True)
    assert count(Enterprise) == 1  # only the one that existed before
    assert count(Contact) == 0 and count(Assignment) == 0
    assert db.session.scalar(db.select(ImportBatch.state)) == "preview"
    db.session.refresh(ent)
    assert ent.employees is None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_the_encodings_chinese_excel_writes(client, login_as, people, encoding):
    login_as("coordinator")
    response = upload(client, csv_bytes(good_rows(), encoding), "企业.csv")
    assert response.status_code == 302
    client.post_form(response.headers["Location"] + "/confirm")
    assert sorted(db.session.scalars(db.select(Enterprise.name))) == ["兴发制管有限公司",
                                                                      "绿源食品有限公司"]


@pytest.mark.parametrize("filename, data, message", [
    ("企业.txt", b"hello", "请上传 .xlsx 或 .csv 文件"),
    ("企业.xls", b"\xd0\xcf\x11\xe0", "不支持旧版 .xls 格式"),
    ("企业.xlsx", b"PK\x03\x04 not really a zip", "不是有效的 .xlsx 文件"),
    ("企业.csv", b"\x81\x30\xff\xfe\x00\x01" * 10, "不像 CSV 文本文件"),
    ("企业.csv", "企业名称,信用代码\n".encode("utf-8") + b"\xff\xfe\xfd\x80\x80,x\n",
     "无法识别 CSV 文件的文字编码"),
    ("企业.csv", "名字,地址\n兴发,城关\n".encode(), "缺少必填列：企业名称、统一社会信用代码"),
    ("企业.csv", "企业名称,统一社会信用代码\n".encode("utf-8"), "只有表头，没有企业数据"),
    ("企业.csv", b"", "文件是空的"),
    ("企业.csv", "企业名称,名称,统一社会信用代码\n".encode("utf-8"), "出现了两次"),
])
def test_broken_files_get_a_clear_message(client, login_as, filename, data, message):
    login_as("coordinator")
    response = upload(client, data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(ImportBatch) == 0


def test_a_file_over_the_import_limit_is_refused(client, login_as):
    login_as("coordinator")
    response = upload(client, b"a" * (importer.MAX_BYTES + 10), "企业.csv")
    assert response.status_code == 400
    assert "文件超过 10 MB" in response.get_data(as_text=True)


def test_a_50_mb_upload_is_answered_on_the_upload_page(client, login_as):
    login_as("coordinator")
    response = upload(client, b"a" * (50 * 1024 * 1024), "企业.xlsx")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "文件超过 10 MB" in html and "下载导入模板" in html


def test_someone_elses_preview_cannot_be_opened_or_confirmed(client, login_as, people):
    owner = factories.user(roles=["coordinator"])
    db.session.commit()
    login_as(owner)
    location = upload(client, xlsx(good_rows())).headers["Location"]
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login_as("coordinator")
    assert client.get(location).status_code == 404
    assert client.post_form(location + "/confirm").status_code == 404
    assert count(Enterprise) == 0


@pytest.mark.parametrize("role", ["leader", "commissioner", "handler"])
def test_only_the_registry_keepers_import(client, login_as, role):
    login_as(role)
    assert client.get("/enterprises/import").status_code == 403
    assert client.get("/enterprises/import/template.xlsx").status_code == 403
    assert upload(client, xlsx([])).status_code == 403


def test_discard(client, login_as, people):
    login_as("coordinator")
    location = upload(client, xlsx(good_rows())).headers["Location"]
    response = client.post_form(location + "/discard", follow_redirects=True)
    assert "未导入任何数据" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(ImportBatch.state)) == "discarded"
    assert client.post_form(location + "/confirm").status_code == 302
    assert count(Enterprise) == 0
