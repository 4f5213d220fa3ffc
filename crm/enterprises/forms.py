"""Registry forms: enterprise, contact, assignments, away periods, import upload."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from wtforms import widgets
from wtforms import (
    BooleanField,
    Field,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)

from crm.auth.forms import PHONE_MESSAGE, PHONE_RE
from crm.core.forms import BaseForm
from crm.core.timeutil import local_today
from crm.enterprises import credit_code as cc
from crm.enterprises import permissions, services
from crm.enterprises.assignments import REQUIRED_ROLE
from crm.enterprises.models import (
    ASSIGNMENT_ROLES,
    CLUSTERS,
    INDUSTRIES,
    OWNERSHIPS,
    SCALES,
    SIZES,
    STATUSES,
)
from crm.enterprises.queries import people_matching, person_label

NONE = ("", _l("— none —"))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def duplicate_message(existing, viewer) -> Markup:
    """"Already registered" with a link to the existing enterprise when ``viewer`` may
    open it (otherwise without naming it)."""
    if viewer is not None and permissions.can_view(viewer, existing):
        link = Markup('<a href="{}" data-testid="duplicate-link">{}</a>').format(
            url_for("enterprises.detail", enterprise_id=existing.id), existing.name)
        return escape(_("This credit code is already registered for %(link)s.")) % {"link": link}
    return escape(_("This credit code is already registered for another enterprise."))



class PersonPicker:
    """A search-as-you-type person field: a hidden input carries the id, a search box
    with a ``<datalist>`` filled from ``/enterprises/people.json`` carries the name
    (``crm/static/app.js``). A province has 4,000 commissioners: no page lists them
    all. Without script the typed name is resolved on the server (``PersonField``)."""

    def __call__(self, field, **kwargs):
        list_id = f"{field.id}-options"
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("class_", "form-control")
        search = widgets.html_params(
            name=f"{field.name}{PersonField.TEXT_SUFFIX}", type="search", value=field.typed,
            list=list_id, autocomplete="off", **{"data-person-picker": field.lookup_url(),
                                                 "data-person-target": f"{field.id}-id"},
            **kwargs)
        hidden = widgets.html_params(type="hidden", name=field.name, id=f"{field.id}-id",
                                     value=field.data or "")
        return Markup(f"<input {hidden}><input {search}><datalist id=\"{list_id}\"></datalist>")


class PersonField(Field):
    """An active person holding one of ``roles``, chosen with ``PersonPicker``.

    The form posts the id (hidden input) and the text typed in the search box; when
    the id is missing (no script) a name that matches exactly one person is accepted.
    Every error reads in Chinese next to the field, and the typed text is kept.
    """

    TEXT_SUFFIX = "-text"
    widget = PersonPicker()

    def __init__(self, label=None, validators=None, roles=("leader", "commissioner"),
                 **kwargs):
        super().__init__(label, validators, **kwargs)
        self.roles = tuple(roles)
        self.typed = ""

    def lookup_url(self) -> str:
        return url_for("enterprises.people_lookup", role=",".join(self.roles))

    def process(self, formdata, data=None, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            self.typed = (formdata.get(f"{self.name}{self.TEXT_SUFFIX}") or "").strip()[:100]
        elif self.data:
            self.typed = self._label_of(self.data) or ""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "") or ""
        self.data = int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None

    def _value(self):
        return str(self.data or "")

    def _label_of(self, user_id):
        rows = people_matching(self.roles, ids=[user_id])
        return person_label(rows[0].display_name, rows[0].unit_name) if rows else None

    def pre_validate(self, form):
        if self.data is None:
            if not self.typed:
                return
            name = self.typed.split("（")[0].split(" · ")[0].strip()
            rows = [r for r in people_matching(self.roles, name=name, limit=3)
                    if r.display_name == name]
            if len(rows) != 1:
                raise StopValidation(_("No one by that name can take this role.") if not rows
                                      else _("Several people have that name: choose one "
                                             "from the list."))
            self.data = rows[0].id
            return
        if not people_matching(self.roles, ids=[self.data]):
            self.data = None
            raise StopValidation(_("Choose an active person from the list."))


class EnterpriseForm(BaseForm):
    """Create or edit an enterprise's profile (and, on create, its primary contact)."""

    name = StringField(_l("Enterprise name"), filters=[_strip], validators=[
        DataRequired(_l("Enter the enterprise's name.")), Length(max=200)])
    credit_code = StringField(_l("Unified social credit code"), filters=[cc.normalise],
                              validators=[DataRequired(_l("Enter the unified social credit "
                                                          "code."))])
    legal_rep = StringField(_l("Legal representative"), filters=[_strip],
                            validators=[Optional(), Length(max=64)])
    industry = SelectField(_l("Industry"), choices=[NONE] + [
        (code, f"{code} {label}") for code, label in INDUSTRIES.items()])
    cluster = SelectField(_l("Cluster / industrial chain"),
                          choices=[NONE] + [(c, c) for c in CLUSTERS])
    is_chain_leader = BooleanField(_l("Chain leader"))
    scale = SelectField(_l("Above/below designated size"), choices=[NONE] + list(SCALES.items()))
    size = SelectField(_l("Size class"), choices=[NONE] + list(SIZES.items()))
    ownership = SelectField(_l("Ownership"), choices=[NONE] + list(OWNERSHIPS.items()))
    town_id = SelectField(_l("Town or sub-district"), coerce=int)
    park = StringField(_l("Industrial park"), filters=[_strip],
                       validators=[Optional(), Length(max=100)])
    address = StringField(_l("Address"), filters=[_strip], validators=[Optional(), Length(max=300)])
    employees = IntegerField(_l("Employees"), validators=[
        Optional(), NumberRange(min=0, max=10_000_000, message=_l("Enter a number from 0 up."))])
    annual_output = DecimalField(_l("Annual output (10,000 yuan)"), places=2, validators=[
        Optional(), NumberRange(min=0, max=10**11, message=_l("Enter an amount from 0 up."))])
    status = SelectField(_l("Operating status"), choices=list(STATUSES.items()), default="normal")
    tags = StringField(_l("Tags"), filters=[_strip], validators=[Optional(), Length(max=300)])
    version = HiddenField()
    contact_name = StringField(_l("Contact person"), filters=[_strip],
                               validators=[Length(max=64)])
    contact_title = StringField(_l("Contact's post"), filters=[_strip],
                                validators=[Optional(), Length(max=64)])
    contact_phone = StringField(_l("Contact phone"), filters=[_strip], validators=[
        Optional(), Regexp(PHONE_RE, message=PHONE_MESSAGE)])

    def __init__(self, *args, enterprise=None, viewer=None, towns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._enterprise = enterprise
        self._viewer = viewer
        self.town_id.choices = [(0, _l("— none —"))] + [(u.id, u.name) for u in towns]
        if enterprise is not None:
            # Contacts are kept on the enterprise page once it exists.
            del self.contact_name, self.contact_title, self.contact_phone
            if enterprise.cluster and enterprise.cluster not in CLUSTERS:
                self.cluster.choices.append((enterprise.cluster, enterprise.cluster))
            if enterprise.town_id and all(c[0] != enterprise.town_id
                                          for c in self.town_id.choices):
                self.town_id.choices.append((enterprise.town_id, enterprise.town.name))

    def validate_credit_code(self, field):
        """GB 32100-2015 check digit, then uniqueness (with a link to the holder)."""
        if not cc.is_valid(field.data):
            raise ValidationError(services.credit_code_message(field.data))
        existing = services.find_by_credit_code(
            field.data, exclude_id=self._enterprise.id if self._enterprise else None)
        if existing is not None:
            raise ValidationError(duplicate_message(existing, self._viewer))

    def validate_contact_name(self, field):
        """A phone or post without a name would be a contact nobody can address."""
        if not field.data and (self.contact_phone.data or self.contact_title.data):
            raise ValidationError(_l("Enter the contact person's name."))

    def validate_version(self, field):
        """An edit must say which version it was made on (the lost-update guard)."""
        # raw_data, not data: a missing field would otherwise fall back to the stored version.
        if self._enterprise is not None and (not field.raw_data or self.loaded_version() is None):
            raise ValidationError(_l("The form is incomplete. Reload the page and try again."))

    def loaded_version(self) -> int | None:
        """The version the form was opened with (None if missing or tampered with)."""
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None

    def profile(self) -> dict:
        """The enterprise fields as the service takes them."""
        return {key: getattr(self, key).data for key in services.ENTERPRISE_FIELDS}

    def contact(self) -> dict | None:
        """The primary contact typed on the create form, if any."""
        if not getattr(self, "contact_name", None) or not self.contact_name.data:
            return None
        return {"name": self.contact_name.data, "title": self.contact_title.data,
                "phone": self.contact_phone.data}


class ContactForm(BaseForm):
    """A contact person at the enterprise."""

    name = StringField(_l("Name"), filters=[_strip], validators=[
        DataRequired(_l("Enter the contact person's name.")), Length(max=64)])
    title = StringField(_l("Post"), filters=[_strip], validators=[Optional(), Length(max=64)])
    phone = StringField(_l("Phone"), filters=[_strip], validators=[
        Optional(), Regexp(PHONE_RE, message=PHONE_MESSAGE)])
    is_primary = BooleanField(_l("Primary contact"))
    note = TextAreaField(_l("Note"), filters=[_strip], validators=[Optional(), Length(max=500)])


class ActionForm(BaseForm):
    """A button that changes data: only the CSRF token."""


def _not_future(form, field):
    if field.data and field.data > local_today():
        raise ValidationError(_l("The date cannot be in the future."))


class AssignForm(BaseForm):
    """Give one 包联 role of one enterprise to a person (``role`` picks who qualifies)."""

    user_id = PersonField(_l("Person"), validators=[DataRequired(_l("Choose a person."))])
    start_date = DateField(_l("From"), default=local_today,
                           validators=[DataRequired(_l("Enter a date.")), _not_future])

    def __init__(self, *args, role: str = "commissioner", **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id.roles = (REQUIRED_ROLE[role],)


class BulkAssignForm(BaseForm):
    """Give one role on every selected enterprise of the list to one person."""

    ids = SelectMultipleField(coerce=int, validate_choice=False,
                              validators=[DataRequired(_l("Select enterprises in the list "
                                                          "first."))])
    role = SelectField(_l("Liaison role"), choices=list(ASSIGNMENT_ROLES.items()))
    user_id = PersonField(_l("Person"), validators=[DataRequired(_l("Choose a person."))])
    start_date = DateField(_l("From"), default=local_today,
                           validators=[DataRequired(_l("Enter a date.")), _not_future])


class AwayForm(BaseForm):
    """A period during which the leader is away and leader B acts."""

    start_date = DateField(_l("First day"), default=local_today,
                           validators=[DataRequired(_l("Enter a date."))])
    end_date = DateField(_l("Last day"), validators=[DataRequired(_l("Enter a date."))])
    note = StringField(_l("Note"), filters=[_strip], validators=[Optional(), Length(max=200)])

    def validate_end_date(self, field):
        """The period must not end before it starts."""
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_l("The last day cannot be before the first day."))


class ImportForm(BaseForm):
    """Upload of an .xlsx or .csv file for the preview."""

    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to upload."))])
