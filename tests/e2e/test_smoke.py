"""The first browser test: a commissioner signs in on a phone and sees the Chinese home."""
from crm.extensions import db
from tests import factories
from tests.e2e.conftest import sign_in


def test_commissioner_signs_in_on_a_phone_and_sees_chinese_home(live_app, phone):
    with live_app.app_context():
        factories.user(roles=["commissioner"], username="commissioner", display_name="王小明")
        db.session.commit()
    sign_in(phone, "commissioner", factories.PASSWORD)
    assert phone.url.endswith("/visits/week")
    assert phone.get_by_test_id("home-heading").inner_text() == "我的本周"
    assert "王小明" in phone.content()
    # The navigation collapses behind the menu button on a phone and opens on tap.
    menu = phone.get_by_role("button", name="菜单")
    assert menu.is_visible()
    menu.click()
    assert phone.get_by_role("button", name="退出").is_visible()


def test_wrong_password_shows_chinese_message_on_a_phone(live_app, phone):
    sign_in(phone, "nobody", "wrong")
    assert "用户名或密码错误" in phone.get_by_test_id("login-error").inner_text()
