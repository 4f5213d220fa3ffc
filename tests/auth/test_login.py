"""Sign-in, lockout, sign-out, role homes and the Chinese error pages."""
from datetime import timedelta

import pytest

from crm.core.timeutil import utcnow
from crm.extensions import db
from tests import factories

HOMES = {
    "commissioner": ("/visits/week", "我的本周"),
    "leader": ("/enterprises/mine", "我包联的企业"),
    "handler": ("/problems/inbox", "待办"),
    "coordinator": ("/meetings/overview", "工作概览"),
    "admin": ("/admin/users", "用户管理"),
}


@pytest.mark.parametrize("role", sorted(HOMES))
def test_each_role_lands_on_its_chinese_home(client, login_as, role):
    login_as(role)
    response = client.get("/", follow_redirects=True)
    path, heading = HOMES[role]
    assert response.request.path == path
    html = response.get_data(as_text=True)
    assert heading in html
    assert "退出" in html  # the Chinese navigation


def test_coordinator_who_is_also_admin_lands_on_overview(client, login_as):
    user = factories.user(roles=["coordinator", "admin"])
    db.session.commit()
    login_as(user)
    assert client.get("/").headers["Location"].endswith("/meetings/overview")


def test_wrong_password_message_does_not_reveal_whether_user_exists(client):
    factories.user(username="zhang")
    db.session.commit()
    known = client.post_form("/login", {"username": "zhang", "password": "nope"})
    unknown = client.post_form("/login", {"username": "nobody", "password": "nope"})
    assert known.status_code == unknown.status_code == 200
    msg = "用户名或密码错误"
    assert msg in known.get_data(as_text=True) and msg in unknown.get_data(as_text=True)
    assert "zhang" in known.get_data(as_text=True)  # the typed user name is kept


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(client, app):
    user = factories.user(username="li")
    db.session.commit()
    for _ in range(4):
        r = client.post_form("/login", {"username": "li", "password": "bad"})
        assert "用户名或密码错误" in r.get_data(as_text=True)
    r = client.post_form("/login", {"username": "li", "password": "bad"})
    assert "锁定" in r.get_data(as_text=True)
    # Even the right password is refused while locked.
    r = client.post_form("/login", {"username": "li", "password": factories.PASSWORD})
    assert r.status_code == 200 and "锁定" in r.get_data(as_text=True)
    db.session.refresh(user)
    assert user.locked_until > utcnow() + timedelta(minutes=14)
    # After the lock expires the right password works again.
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    r = client.post_form("/login", {"username": "li", "password": factories.PASSWORD})
    assert r.status_code == 302


def test_unknown_user_is_locked_the_same_way(client):
    for _ in range(5):
        r = client.post_form("/login", {"username": "ghost", "password": "bad"})
    assert "锁定" in r.get_data(as_text=True)


def test_deactivated_user_cannot_sign_in_and_is_told_so(client):
    factories.user(username="wang", is_active=False)
    db.session.commit()
    r = client.post_form("/login", {"username": "wang", "password": factories.PASSWORD})
    assert "停用" in r.get_data(as_text=True)


def test_deactivation_ends_an_open_session(client, login_as, app):
    from crm.auth import services

    user = login_as("commissioner")
    assert client.get("/visits/week").status_code == 200
    services.update_user(user, {"is_active": False}, None)
    db.session.commit()
    r = client.get("/visits/week")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_empty_form_shows_chinese_messages_next_to_fields(client):
    r = client.post_form("/login", {"username": "", "password": ""})
    html = r.get_data(as_text=True)
    assert "请输入用户名" in html and "请输入密码" in html


def test_post_without_csrf_token_gets_a_clear_page(client):
    factories.user(username="zhao")
    db.session.commit()
    r = client.post("/login", data={"username": "zhao", "password": factories.PASSWORD})
    assert r.status_code == 400
    assert "页面已过期" in r.get_data(as_text=True)


def test_sign_out(client, login_as):
    login_as("leader")
    r = client.post_form("/logout", follow_redirects=True)
    assert "您已退出" in r.get_data(as_text=True)
    assert client.get("/enterprises/mine").status_code == 302


def test_role_gate_answers_403_in_chinese(client, login_as):
    login_as("commissioner")
    r = client.get("/admin/users")
    assert r.status_code == 403
    assert "无权访问" in r.get_data(as_text=True)


def test_unknown_url_answers_404_in_chinese(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404
    assert "页面不存在" in r.get_data(as_text=True)


def test_anonymous_user_is_sent_to_sign_in(client):
    r = client.get("/problems/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_open_redirect_after_login_is_refused(client):
    factories.user(username="qian")
    db.session.commit()
    r = client.post_form("/login?next=//evil.example/x",
                         {"username": "qian", "password": factories.PASSWORD})
    assert r.headers["Location"] == "/"


def test_english_can_be_selected_and_sticks_to_the_user(client, login_as):
    user = login_as("commissioner")
    client.post_form("/lang/en", {"next": "/visits/week"})
    assert "My week" in client.get("/visits/week").get_data(as_text=True)
    db.session.refresh(user)
    assert user.locale == "en"
    client.post_form("/lang/zh_Hans_CN", {"next": "/visits/week"})
    assert "我的本周" in client.get("/visits/week").get_data(as_text=True)
