"""Sign-in and administration forms. Messages are Chinese through gettext."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from crm.auth.models import UNIT_KINDS, Unit, User
from crm.auth.roles import ROLE_LABELS
from crm.core.forms import BaseForm
from crm.extensions import db

PHONE_RE = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"
PHONE_MESSAGE = _l("Enter an 11-digit mobile number or a landline such as 0931-1234567.")


def password_policy(form, field):
    """At least 8 characters with letters and digits."""
    value = field.data or ""
    if len(value) < 8 or not any(c.isdigit() for c in value) or not any(
        c.isalpha() for c in value
    ):
        raise ValidationError(_l("Use at least 8 characters with both letters and digits."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(BaseForm):
    username = StringField(_l("User name"), validators=[DataRequired(_l("Enter your user name.")),
                                                        Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                         Length(max=128)])
    remember = BooleanField(_l("Keep me signed in on this device"))


def _unit_choices():
    units = db.session.scalars(select(Unit).where(Unit.is_active).order_by(Unit.kind, Unit.name))
    return [(0, _l("— none —"))] + [(u.id, u.name) for u in units]


class UserForm(BaseForm):
    username = StringField(_l("User name"), validators=[
        DataRequired(_l("Enter a user name.")), Length(min=2, max=64),
        Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, dot, dash or underscore."))])
    display_name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the name.")),
                                                       Length(max=64)])
    title = StringField(_l("Post"), validators=[Optional(), Length(max=64)])
    protocol_order = IntegerField(
        _l("Protocol order"), validators=[Optional(), NumberRange(
            min=1, max=999, message=_l("Enter a whole number from 1 to 999."))],
        description=_l("City leaders only: their place in the packets’ lists "
                       "(1 = 市委书记, 2 = 市长 …)."))
    phone = StringField(_l("Phone"), validators=[Optional(), Regexp(PHONE_RE, message=PHONE_MESSAGE)])
    unit_id = SelectField(_l("Unit"), coerce=int)
    roles = MultiCheckboxField(_l("Roles"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    is_active = BooleanField(_l("Active"), default=True)
    # No Optional(): it would end validation on an empty or all-blank password, and the
    # policy below would never run (the field only exists when creating a user).
    password = PasswordField(_l("Initial password"), validators=[Length(max=128)])

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user
        self.unit_id.choices = _unit_choices()
        if user is not None:
            del self.password
            self.username.render_kw = {"readonly": True}

    def validate_username(self, field):
        if self._user is not None:
            field.data = self._user.username
            return
        exists = db.session.scalar(
            select(func.count()).select_from(User).where(
                func.lower(User.username) == field.data.strip().lower())
        )
        if exists:
            raise ValidationError(_l("This user name is already taken."))

    def validate_password(self, field):
        if self._user is None:
            if not field.data:
                raise ValidationError(_l("Enter an initial password."))
            password_policy(self, field)


class ResetPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a password.")),
                                                            Length(max=128), password_policy])


class UnitForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the unit's name.")),
                                               Length(max=100)])
    kind = SelectField(_l("Kind"), choices=[("town", _l("Town office")),
                                            ("department", _l("Department")),
                                            ("bank", _l("Bank"))])
    short_name = StringField(_l("Short name"), validators=[Optional(), Length(max=20)],
                             description=_l("Printed in charts and narrow tables, e.g. 人社局."))
    is_active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, unit: Unit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._unit = unit

    def validate_kind(self, field):
        if field.data not in UNIT_KINDS:
            raise ValidationError(_l("Choose a kind."))

    def validate_name(self, field):
        q = select(func.count()).select_from(Unit).where(Unit.name == field.data.strip())
        if self._unit is not None:
            q = q.where(Unit.id != self._unit.id)
        if db.session.scalar(q):
            raise ValidationError(_l("A unit with this name exists already."))


class WebhookForm(BaseForm):
    """A unit's group-robot webhook (政务钉钉 or 企业微信); an empty URL removes it."""

    kind = SelectField(_l("Group chat"), choices=[("dingtalk", _l("DingTalk (政务钉钉) robot")),
                                                   ("wecom", _l("WeCom (企业微信) robot"))])
    url = StringField(_l("Webhook address"), validators=[Optional(), Length(max=500)],
                      description=_l("The robot's address as the group settings show it, "
                                     "starting with https://. Leave empty to send nothing."))
    secret = StringField(_l("Signing secret (DingTalk 加签)"),
                         validators=[Optional(), Length(max=200)],
                         description=_l("DingTalk only: the SEC… secret of the robot's "
                                        "加签 setting. Leave empty to keep the one stored."))
    is_active = BooleanField(_l("Send notices to this group"), default=True)

    def validate_url(self, field):
        """An http(s) address without spaces."""
        value = (field.data or "").strip()
        field.data = value
        if value and (not value.lower().startswith(("https://", "http://"))
                      or any(c.isspace() for c in value)):
            raise ValidationError(_l("Enter the robot's address, starting with https://."))
