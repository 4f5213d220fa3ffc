"""Forms of 政银企: a financing need, the push to banks, closing a need, a bank's answer."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from crm.auth.forms import MultiCheckboxField
from crm.core.forms import BaseForm
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.financing.models import (
    CLOSE_REASONS,
    DECLINE_REASONS,
    MATCH_RESULTS,
    OFFERS,
    PURPOSES,
    SUPPORT_REASONS,
    TAX_GRADES,
    URGENCIES,
)

MAX_WAN = Decimal("10000000")  # 1000 亿元: more is a typing slip


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LocalDateField(DateField):
    """A date whose parse error is our own (translated) message."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(_l("Enter a date such as 2026-03-18."))) from exc


class NeedForm(BaseForm):
    """A financing need as the enterprise states it."""

    credit_code = StringField(_l("Enterprise (unified social credit code)"),
                              filters=[_strip])
    amount = DecimalField(_l("Amount (万元)"), places=2, validators=[
        InputRequired(message=_l("Enter the amount in 万元.")),
        NumberRange(min=Decimal("0.01"), max=MAX_WAN,
                    message=_l("Enter an amount between 0.01 and 10,000,000 万元."))])
    purpose = SelectField(_l("Purpose"), choices=list(PURPOSES.items()), default="working_capital",
                          invalid_choice_message=_l("Choose a purpose from the list."))
    term_months = IntegerField(_l("Term (months)"), validators=[
        InputRequired(message=_l("Enter the term in months.")),
        NumberRange(min=1, max=360, message=_l("Enter a term from 1 to 360 months."))])
    urgency = SelectField(_l("Urgency"), choices=list(URGENCIES.items()), default="normal",
                          invalid_choice_message=_l("Choose from the list."))
    offers = MultiCheckboxField(_l("What it can offer"), choices=list(OFFERS.items()))
    tax_grade = SelectField(_l("Tax credit grade (纳税信用等级)"),
                            choices=[("", _l("Not stated"))] + [(g, g) for g in TAX_GRADES],
                            default="",
                            invalid_choice_message=_l("Choose from the list."))
    tax_paid = DecimalField(_l("Tax paid last year (万元, as stated)"), places=2, validators=[
        Optional(), NumberRange(min=Decimal("0"), max=MAX_WAN,
                                message=_l("Enter an amount between 0 and 10,000,000 万元."))])
    has_consent = BooleanField(_l("The enterprise agrees that these data may be sent to the "
                                  "banks chosen for it"))
    note = TextAreaField(_l("Note"), filters=[_strip], validators=[
        Length(max=2000, message=_l("At most 2000 characters."))])

    def __init__(self, *args, enterprise=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise

    def validate_credit_code(self, field):
        """Without an enterprise from the page, the code names one in the registry."""
        if self.enterprise is not None:
            return
        if not field.data:
            raise ValidationError(_l("Enter the enterprise's unified social credit code."))
        found = db.session.scalar(select(Enterprise).where(
            Enterprise.credit_code == field.data.upper()[:18]))
        if found is None:
            raise ValidationError(_l("No enterprise with this code is in the registry."))
        self.enterprise = found

    def to_data(self) -> dict:
        """Values for ``services.raise_need`` / ``update_need``."""
        return {"amount": self.amount.data, "purpose": self.purpose.data,
                "term_months": self.term_months.data, "urgency": self.urgency.data,
                "offers": ",".join(c for c in OFFERS if c in (self.offers.data or [])),
                "tax_grade": self.tax_grade.data or None, "tax_paid": self.tax_paid.data,
                "has_consent": bool(self.has_consent.data), "note": self.note.data or None}

    def load(self, need) -> None:
        """Fill the form from ``need``."""
        self.offers.data = need.offer_codes
        self.tax_grade.data = need.tax_grade or ""


class PushForm(BaseForm):
    """The banks a need goes to (推荐清单)."""

    banks = MultiCheckboxField(_l("Banks"), coerce=int,
                               validators=[InputRequired(message=_l("Choose at least one bank."))])


class CloseForm(BaseForm):
    """Closing a need that was not met by loans."""

    reason = SelectField(_l("Reason"), choices=list(CLOSE_REASONS.items()),
                         invalid_choice_message=_l("Choose a reason from the list."))
    note = StringField(_l("Note"), filters=[_strip], validators=[
        Length(max=500, message=_l("At most 500 characters."))])


class AnswerForm(BaseForm):
    """One step of a bank's answer; which fields count depends on ``action``."""

    action = HiddenField()
    amount = DecimalField(_l("Amount (万元)"), places=2, validators=[
        Optional(), NumberRange(min=Decimal("0.01"), max=MAX_WAN,
                                message=_l("Enter an amount between 0.01 and 10,000,000 万元."))])
    rate = DecimalField(_l("Annual interest rate (%)"), places=3, validators=[
        Optional(), NumberRange(min=Decimal("0.01"), max=Decimal("35.99"),
                                message=_l("Enter a rate between 0.01 and 35.99 per cent."))])
    on = LocalDateField(_l("Date of disbursement"), validators=[Optional()])
    reason = SelectField(_l("Reason"), choices=[("", "—")] + list(DECLINE_REASONS.items()),
                         default="",
                         invalid_choice_message=_l("Choose a reason from the list."))
    note = StringField(_l("Note"), filters=[_strip], validators=[
        Length(max=500, message=_l("At most 500 characters."))])

    def to_data(self) -> dict:
        """Values for ``services.answer``."""
        return {"amount": self.amount.data, "rate": self.rate.data, "on": self.on.data,
                "reason": self.reason.data or None, "note": self.note.data or None}


class SupportForm(BaseForm):
    """The 停减产 support card: since when and why."""

    since = LocalDateField(_l("Stopped or reduced since"), validators=[
        InputRequired(message=_l("Enter the day production stopped."))])
    reason = SelectField(_l("Reason"), choices=list(SUPPORT_REASONS.items()), default="orders",
                         invalid_choice_message=_l("Choose a reason from the list."))
    reason_note = StringField(_l("Details"), filters=[_strip], validators=[
        Length(max=500, message=_l("At most 500 characters."))])

    def to_data(self) -> dict:
        """Values for ``support.record_case``."""
        return {"since": self.since.data, "reason": self.reason.data,
                "reason_note": self.reason_note.data or None}


class ResumeForm(BaseForm):
    """The day production resumed."""

    resumed_on = LocalDateField(_l("Production resumed on"), validators=[
        InputRequired(message=_l("Enter the day production resumed."))])


class SessionForm(BaseForm):
    """A 政银企座谈会: title, day, place, banks."""

    title = StringField(_l("Title"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter a title.")),
        Length(max=200, message=_l("At most 200 characters."))])
    held_on = LocalDateField(_l("Day"), validators=[
        InputRequired(message=_l("Enter the day of the session."))])
    place = StringField(_l("Place"), filters=[_strip], validators=[
        Length(max=200, message=_l("At most 200 characters."))])
    note = TextAreaField(_l("Note"), filters=[_strip], validators=[
        Length(max=2000, message=_l("At most 2000 characters."))])
    banks = MultiCheckboxField(_l("Banks"), coerce=int,
                               validators=[InputRequired(message=_l("Choose at least one bank."))])


class OutcomeForm(BaseForm):
    """One outcome of the session: an invited need × a bank."""

    need_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    bank_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    result = SelectField(_l("Result"), choices=[("", "—")] + list(MATCH_RESULTS.items()),
                         default="", invalid_choice_message=_l("Choose a result from the list."))
    amount = DecimalField(_l("Amount (万元)"), places=2, validators=[
        Optional(), NumberRange(min=Decimal("0.01"), max=MAX_WAN,
                                message=_l("Enter an amount between 0.01 and 10,000,000 万元."))])
    note = StringField(_l("Note"), filters=[_strip], validators=[
        Length(max=300, message=_l("At most 300 characters."))])
