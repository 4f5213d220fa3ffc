"""Creating, editing and deleting enterprises and contacts; audit trail; edit conflicts."""
from crm.core.models import AuditLog
from crm.enterprises import services
from crm.enterprises.models import Contact, Enterprise
from crm.extensions import db
from tests import factories


def form_data(**overrides):
    data = {"name": "宏达机械有限公司", "credit_code": "91350100M000100Y43", "legal_rep": "陈宏达",
            "industry": "C", "cluster": "先进制造", "scale": "above", "size": "medium",
            "ownership": "private", "town_id": "0", "park": "高新区", "address": "工业路 8 号",
            "employees": "320", "annual_output": "12500.5", "status": "normal", "tags": "专精特新"}
    data.update(overrides)
    return data


def audit_rows(object_type=None):
    stmt = db.select(AuditLog).order_by(AuditLog.id)
    if object_type:
        stmt = stmt.where(AuditLog.object_type == object_type)
    return db.session.scalars(stmt).all()


def test_coordinator_registers_an_enterprise_with_its_primary_contact(client, login_as):
    town = factories.unit("城关镇", kind="town")
    db.session.commit()
    coordinator = login_as("coordinator")
    response = client.post_form("/enterprises/new", form_data(
        town_id=str(town.id), contact_name="陈经理", contact_title="办公室主任",
        contact_phone="13912345678"), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "已登记企业：宏达机械有限公司" in html
    ent = db.session.scalar(db.select(Enterprise))
    assert (ent.name_pinyin, ent.name_initials) == ("hongdajixieyouxiangongsi", "hdjxyxgs")
    assert ent.town_id == town.id and ent.employees == 320 and str(ent.annual_output) == "12500.50"
    contact = db.session.scalar(db.select(Contact))
    assert (contact.name, contact.phone, contact.is_primary) == ("陈经理", "13912345678", True)
    created = audit_rows()
    assert [(r.object_type, r.action) for r in created] == [("enterprises", "create"),
                                                             ("contacts", "create")]
    assert created[0].actor_id == coordinator.id
    assert created[0].after["credit_code"] == "91350100M000100Y43"
    assert "陈经理" in html and "13912345678" in html


def test_bad_phone_and_numbers_are_explained_and_nothing_is_saved(client, login_as):
    login_as("coordinator")
    response = client.post_form("/enterprises/new", form_data(
        contact_name="陈经理", contact_phone="12345", employees="很多", annual_output="-5"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请输入 11 位手机号码" in html
    assert "不是有效的整数" in html
    assert "请输入不小于 0 的金额" in html
    assert 'value="陈经理"' in html and 'value="很多"' in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Enterprise)) == 0


def test_contact_phone_without_a_name_is_refused(client, login_as):
    login_as("coordinator")
    response = client.post_form("/enterprises/new", form_data(contact_phone="13912345678"))
    assert "请填写联系人姓名" in response.get_data(as_text=True)


def test_edit_is_audited_with_before_and_after(client, login_as):
    ent = factories.enterprise("宏达机械有限公司", credit_code="91350100M000100Y43",
                               status="normal", employees=100)
    db.session.commit()
    login_as("coordinator")
    response = client.post_form(f"/enterprises/{ent.id}/edit", form_data(
        name="宏达重工有限公司", employees="150", status="reduced", version=str(ent.version)))
    assert response.status_code == 302
    db.session.expire_all()
    assert ent.name == "宏达重工有限公司" and ent.name_initials == "hdzgyxgs"
    row = audit_rows("enterprises")[-1]
    assert row.action == "update"
    assert row.before["name"] == "宏达机械有限公司" and row.after["name"] == "宏达重工有限公司"
    assert row.before["employees"] == 100 and row.after["employees"] == 150
    page = client.get(f"/enterprises/{ent.id}").get_data(as_text=True)
    assert "变更记录" in page and "宏达机械有限公司 → 宏达重工有限公司" in page
    assert "正常生产 → 减产" in page


def test_a_stale_edit_is_refused_and_keeps_the_typing(client, login_as):
    ent = factories.enterprise("宏达机械有限公司", credit_code="91350100M000100Y43")
    db.session.commit()
    loaded_version = ent.version
    other = factories.user(roles=["coordinator"], display_name="周协调")
    db.session.commit()
    services.update_enterprise(ent, {"address": "新城大道 1 号"}, other)
    db.session.commit()
    login_as("coordinator")
    response = client.post_form(f"/enterprises/{ent.id}/edit", form_data(
        address="工业路 9 号", version=str(loaded_version)))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "已被他人修改" in html and "周协调" in html
    assert "新城大道 1 号" in html          # what is stored now
    assert 'value="工业路 9 号"' in html     # what this user typed
    db.session.expire_all()
    assert ent.address == "新城大道 1 号"
    # Saving again, with the other person's values in view, is deliberate and goes through.
    current = db.session.get(Enterprise, ent.id).version
    assert f'name="version" type="hidden" value="{current}"' in html
    again = client.post_form(f"/enterprises/{ent.id}/edit", form_data(
        address="工业路 9 号", version=str(current)))
    assert again.status_code == 302
    db.session.expire_all()
    assert ent.address == "工业路 9 号"


def test_version_column_catches_a_race_between_read_and_write(app):
    coordinator = factories.user(roles=["coordinator"])
    ent = factories.enterprise()
    db.session.commit()
    # Another transaction saves between our read and our write.
    with db.engine.begin() as conn:
        conn.execute(db.update(Enterprise).where(Enterprise.id == ent.id)
                     .values(version=Enterprise.version + 1, address="抢先保存"))
    try:
        services.update_enterprise(ent, {"address": "后保存"}, coordinator,
                                   expected_version=ent.version)
        raise AssertionError("the stale write went through")
    except services.EditConflict:
        db.session.rollback()
    assert db.session.get(Enterprise, ent.id).address == "抢先保存"


def test_delete_is_refused_once_there_is_history_and_audited_otherwise(client, login_as):
    commissioner = factories.user(roles=["commissioner"])
    used = factories.enterprise("有走访企业有限公司")
    factories.visit(used, commissioner)
    spare = factories.enterprise("误录企业有限公司")
    factories.contact(spare)
    factories.assignment(spare, commissioner)
    db.session.commit()
    spare_id = spare.id
    login_as("coordinator")
    refused = client.post_form(f"/enterprises/{used.id}/delete", follow_redirects=True)
    assert "不能删除" in refused.get_data(as_text=True)
    assert db.session.get(Enterprise, used.id) is not None
    done = client.post_form(f"/enterprises/{spare_id}/delete", follow_redirects=True)
    assert "已删除企业：误录企业有限公司" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Enterprise, spare_id) is None
    actions = {(r.object_type, r.action) for r in audit_rows()}
    assert {("enterprises", "delete"), ("assignments", "delete")} <= actions
    deleted = [r for r in audit_rows("enterprises") if r.action == "delete"][0]
    assert deleted.before["name"] == "误录企业有限公司" and deleted.before["contacts"]


def test_contacts_add_edit_primary_and_remove_are_audited(client, login_as):
    ent = factories.enterprise()
    first = factories.contact(ent, name="甲", is_primary=True)
    db.session.commit()
    login_as("coordinator")
    response = client.post_form(f"/enterprises/{ent.id}/contacts/new",
                                {"name": "乙", "phone": "0931-1234567", "is_primary": "y"})
    assert response.status_code == 302
    second = db.session.scalar(db.select(Contact).where(Contact.name == "乙"))
    db.session.refresh(first)
    assert second.is_primary and not first.is_primary
    bad = client.post_form(f"/enterprises/{ent.id}/contacts/{first.id}",
                           {"name": "甲", "phone": "abc"})
    assert bad.status_code == 400 and "请输入 11 位手机号码" in bad.get_data(as_text=True)
    client.post_form(f"/enterprises/{ent.id}/contacts/{first.id}",
                     {"name": "甲", "title": "总经理", "phone": "13800000000"})
    client.post_form(f"/enterprises/{ent.id}/contacts/{second.id}/delete")
    rows = audit_rows("contacts")
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert rows[1].after["title"] == "总经理" and rows[2].before["name"] == "乙"
    page = client.get(f"/enterprises/{ent.id}").get_data(as_text=True)
    # Also the deleted contact's trail stays visible on the enterprise page.
    assert page.count('data-testid="audit-row"') == 3


def test_contact_of_another_enterprise_is_not_found(client, login_as):
    ent, other = factories.enterprise(), factories.enterprise()
    contact = factories.contact(other)
    db.session.commit()
    login_as("coordinator")
    assert client.get(f"/enterprises/{ent.id}/contacts/{contact.id}").status_code == 404


def test_audit_is_shown_to_coordinators_only(client, login_as):
    leader = factories.user(roles=["leader"])
    ent = factories.enterprise()
    factories.assignment(ent, leader, "leader_a")
    coordinator = factories.user(roles=["coordinator"])
    services.update_enterprise(ent, {"address": "新地址"}, coordinator)
    db.session.commit()
    login_as(leader)
    assert 'data-testid="audit"' not in client.get(f"/enterprises/{ent.id}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login_as(coordinator)
    assert 'data-testid="audit"' in client.get(f"/enterprises/{ent.id}").get_data(as_text=True)
