"""Administration of users and units: create, edit roles, deactivate, reset password."""
from sqlalchemy import select

from crm.auth.models import Unit, User
from crm.core.models import AuditLog
from crm.extensions import db
from tests import factories


def test_admin_creates_a_user_who_can_sign_in(client, login_as, app):
    admin = login_as("admin")
    unit = factories.unit("青石镇人民政府", kind="town")
    db.session.commit()
    r = client.post_form("/admin/users/new", {
        "username": "chen", "display_name": "陈明", "phone": "13912345678",
        "unit_id": unit.id, "roles": ["commissioner", "handler"], "is_active": "y",
        "password": "Qingshi2026",
    })
    assert r.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "chen"))
    assert user.roles == {"commissioner", "handler"} and user.unit_id == unit.id
    log = db.session.scalar(select(AuditLog).where(AuditLog.object_type == "users",
                                                   AuditLog.object_id == user.id))
    assert log.actor_id == admin.id and log.action == "create"
    assert log.after["roles"] == ["commissioner", "handler"]
    other = app.test_client()
    assert other.post_form("/login", {"username": "chen", "password": "Qingshi2026"}).status_code == 302


def test_bad_user_form_keeps_typing_and_explains_in_chinese(client, login_as):
    login_as("admin")
    factories.user(username="taken")
    db.session.commit()
    r = client.post_form("/admin/users/new", {
        "username": "taken", "display_name": "张三", "phone": "12345",
        "unit_id": 0, "password": "short",
    })
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "该用户名已被使用" in html
    assert "请输入 11 位手机号" in html
    assert "至少 8 个字符" in html
    assert 'value="张三"' in html
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 2  # nothing written


def test_admin_changes_roles_and_deactivates(client, login_as):
    login_as("admin")
    user = factories.user(roles=["commissioner"], username="sun")
    db.session.commit()
    r = client.post_form(f"/admin/users/{user.id}", {
        "username": "sun", "display_name": "孙立", "unit_id": 0, "roles": ["leader"],
    })
    assert r.status_code == 302
    db.session.refresh(user)
    assert user.roles == {"leader"} and user.is_active is False
    log = db.session.scalars(select(AuditLog).where(AuditLog.object_id == user.id,
                                                    AuditLog.object_type == "users")).all()[-1]
    assert log.before["roles"] == ["commissioner"] and log.after["roles"] == ["leader"]
    assert log.before["is_active"] is True and log.after["is_active"] is False


def test_admin_cannot_lock_themselves_out(client, login_as):
    admin = login_as("admin")
    r = client.post_form(f"/admin/users/{admin.id}", {
        "username": admin.username, "display_name": "x", "unit_id": 0, "roles": ["leader"],
        "is_active": "y",
    })
    assert r.status_code == 200
    db.session.refresh(admin)
    assert "admin" in admin.roles


def test_reset_password_ends_sessions_and_enforces_policy(client, login_as, app):
    login_as("admin")
    user = factories.user(username="zhou")
    db.session.commit()
    other = app.test_client()
    assert other.post_form("/login", {"username": "zhou",
                                      "password": factories.PASSWORD}).status_code == 302
    weak = client.post_form(f"/admin/users/{user.id}/password", {"password": "abc"})
    assert weak.status_code == 400 and "至少 8 个字符" in weak.get_data(as_text=True)
    ok = client.post_form(f"/admin/users/{user.id}/password", {"password": "NewPass2026"})
    assert ok.status_code == 302
    assert other.get("/visits/week").status_code == 302  # signed out
    assert other.post_form("/login", {"username": "zhou",
                                      "password": "NewPass2026"}).status_code == 302


def test_units_are_created_and_renamed_with_audit(client, login_as):
    login_as("admin")
    r = client.post_form("/admin/units/new", {"name": "水务集团", "kind": "department",
                                              "is_active": "y"})
    assert r.status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.name == "水务集团"))
    r = client.post_form(f"/admin/units/{unit.id}", {"name": "市水务集团", "kind": "department"})
    db.session.refresh(unit)
    assert unit.name == "市水务集团" and unit.is_active is False
    dup = client.post_form("/admin/units/new", {"name": "市水务集团", "kind": "town"})
    assert "已存在" in dup.get_data(as_text=True)
    actions = db.session.scalars(select(AuditLog.action).where(
        AuditLog.object_type == "units", AuditLog.object_id == unit.id)).all()
    assert actions[0] == "create" and "update" in actions


def test_admin_pages_are_admin_only(client, login_as):
    login_as("coordinator")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/units").status_code == 403
