"""Forms of the policy catalogue (送政策)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, InputRequired, Length, Optional, ValidationError

from crm.core.forms import BaseForm
from crm.enterprises.models import CLUSTERS, INDUSTRIES, OWNERSHIPS, SCALES
from crm.liaisons.forms import LocalDateField, MultiCheckboxField, _strip
from crm.liaisons.models import POLICY_CATEGORIES


def _codes(value) -> str:
    return ",".join(value or [])


class PolicyForm(BaseForm):
    """A policy in the catalogue (送政策)."""

    title = StringField(_l("Title"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter the title of the policy.")),
        Length(max=200, message=_l("At most 200 characters."))])
    category = SelectField(_l("Category"), choices=list(POLICY_CATEGORIES.items()),
                           invalid_choice_message=_l("Choose a category from the list."),
                           validators=[InputRequired()])
    issuer = StringField(_l("Issued by"), filters=[_strip],
                         validators=[Length(max=100, message=_l("At most 100 characters."))])
    summary = TextAreaField(_l("Summary"), filters=[_strip],
                            validators=[Length(max=4000, message=_l("At most 4000 characters."))])
    link = StringField(_l("Link to the full text"), filters=[_strip], validators=[
        Optional(), Length(max=300, message=_l("At most 300 characters.")),
        URL(require_tld=False, message=_l("Enter a web address starting with http:// or "
                                          "https://."))])
    industries = MultiCheckboxField(_l("Industries"), choices=list(INDUSTRIES.items()))
    scales = MultiCheckboxField(_l("Scale"), choices=list(SCALES.items()))
    ownerships = MultiCheckboxField(_l("Ownership"), choices=list(OWNERSHIPS.items()))
    clusters = MultiCheckboxField(_l("Cluster"), choices=[(c, c) for c in CLUSTERS])
    valid_from = LocalDateField(_l("Valid from"), validators=[Optional()])
    valid_to = LocalDateField(_l("Valid until"), validators=[Optional()])
    is_active = BooleanField(_l("In use"), default=True)

    def validate_link(self, field):
        """Only web links (never ``javascript:`` and the like)."""
        if field.data and not field.data.lower().startswith(("http://", "https://")):
            raise ValidationError(_l("Enter a web address starting with http:// or https://."))

    def validate_valid_to(self, field):
        """The end of validity is not before its start."""
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def to_data(self) -> dict:
        """Values for ``catalogue.save_policy``; eligibility lists become code strings."""
        return {
            "title": self.title.data,
            "category": self.category.data,
            "issuer": self.issuer.data or None,
            "summary": self.summary.data or None,
            "link": self.link.data or None,
            "industries": _codes(self.industries.data),
            "scales": _codes(self.scales.data),
            "ownerships": _codes(self.ownerships.data),
            "clusters": _codes(self.clusters.data),
            "valid_from": self.valid_from.data,
            "valid_to": self.valid_to.data,
            "is_active": bool(self.is_active.data),
        }

    def load(self, policy) -> None:
        """Pre-fill the eligibility lists from ``policy`` (GET)."""
        for name in ("industries", "scales", "ownerships", "clusters"):
            self[name].data = [c for c in (getattr(policy, name) or "").split(",") if c]


class PolicyFilterForm(BaseForm):
    """Filters of the policy catalogue."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), filters=[_strip], validators=[Length(max=100)])
    category = SelectField(_l("Category"), choices=[("", _l("Any"))]
                           + list(POLICY_CATEGORIES.items()), validators=[Optional()])
    validity = SelectField(_l("Validity"), choices=[("valid", _l("Valid now")),
                                                    ("expired", _l("Expired or not in use")),
                                                    ("all", _l("All"))],
                           default="valid", validators=[Optional()])
