"""WTForms' own messages read in Chinese, also the few its Chinese catalogue lacks."""
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, SelectMultipleField

from crm.core.forms import BaseForm


class _Form(BaseForm):
    class Meta:
        csrf = False

    roles = SelectMultipleField(choices=[("leader", "领导"), ("commissioner", "特派员")])
    count = IntegerField()


def _errors(app, data, locale="zh_Hans_CN"):
    with app.test_request_context(headers={"Accept-Language": locale}):
        form = _Form(formdata=MultiDict(data))
        form.validate()
        return form.errors


def test_messages_wtforms_lacks_come_from_our_catalogue(app):
    errors = _errors(app, [("roles", "admin"), ("count", "12")])
    assert errors == {"roles": ["“admin”不是此字段的有效选项。"]}


def test_wtforms_own_chinese_messages_still_apply(app):
    errors = _errors(app, [("roles", "leader"), ("count", "十二")])
    assert list(errors) == ["count"] and "整数" in errors["count"][0]
