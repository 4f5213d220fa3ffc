"""Forms: the visit form (four deliveries, problems inline, photos) and the filters of the
visit list. The policy catalogue's forms are in ``policy_forms``."""
from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from crm.core.forms import BaseForm, chosen_files, clean_each
from crm.core.timeutil import local_today
from crm.enterprises.models import STATUSES
from crm.liaisons.models import FACTORS, HEALTH_FLAGS, SAME_DAY_CHOICES, VISIT_MODES
from crm.liaisons.photos import MAX_PHOTOS, PhotoError, clean_photo
from crm.liaisons.policies import search_key

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
LATE_DAYS = 7  # a visit dated further back needs a reason (补录原因)
MAX_PROBLEMS = 10
EARLIEST_DAYS = 366  # further back than this is almost certainly a typing slip
TOP_POLICIES = 5  # best-matching policies shown on the form; a search box finds the rest


class MultiCheckboxField(SelectMultipleField):
    """A multi-select rendered as checkboxes (large tap targets on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LocalDateField(DateField):
    """A date field whose parse error is our own (translated) message."""

    def process_formdata(self, valuelist):
        """Parse ``YYYY-MM-DD``; an unreadable value becomes a field error."""
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(_l("Enter a date such as 2026-03-18."))) from exc


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ProblemForm(Form):
    """One problem raised during the visit (解难题); a blank row is ignored."""

    title = StringField(_l("What is the problem"), filters=[_strip],
                        validators=[Length(max=200, message=_l("At most 200 characters."))])
    description = TextAreaField(_l("Details"), filters=[_strip],
                                validators=[Length(max=2000,
                                                   message=_l("At most 2000 characters."))])
    category_id = SelectField(_l("Category"), coerce=_optional_int, choices=[],
                              validate_choice=False)

    @property
    def is_blank(self) -> bool:
        """True when nothing was typed in this row."""
        return not (self.title.data or self.description.data)


class VisitForm(BaseForm):
    """The one-minute visit form. ``setup()`` fills the choices for one enterprise."""

    client_uuid = HiddenField(filters=[_strip])
    queued_on = HiddenField()
    version_token = HiddenField()
    visit_date = LocalDateField(
        _l("Date of the visit"), default=local_today,
        validators=[InputRequired(message=_l("Enter the date of the visit."))])
    late_reason = StringField(_l("Reason for the late entry"), filters=[_strip],
                              validators=[Length(max=200, message=_l("At most 200 characters."))])
    mode = RadioField(_l("How"), choices=list(VISIT_MODES.items()), default="onsite",
                      invalid_choice_message=_l("Choose how the visit took place."),
                      validators=[InputRequired(message=_l("Choose how the visit took place."))])
    companions = StringField(_l("Companions"), filters=[_strip],
                             validators=[Length(max=200, message=_l("At most 200 characters."))])
    policies = MultiCheckboxField(
        _l("Policies delivered"), coerce=int, choices=[],
        invalid_choice_message=_l("A chosen policy is no longer in the catalogue. Reload the "
                                  "page and choose again."),
        invalid_value_message=_l("Choose policies from the list."))
    services = TextAreaField(_l("Services rendered"), filters=[_strip],
                             validators=[Length(max=2000, message=_l("At most 2000 characters."))])
    factors = MultiCheckboxField(_l("Factors"), choices=list(FACTORS.items()),
                                 invalid_choice_message=_l("Choose factors from the list."))
    problems = FieldList(FormField(ProblemForm), min_entries=1)
    health_flags = MultiCheckboxField(_l("Health flags"), choices=list(HEALTH_FLAGS.items()),
                                      invalid_choice_message=_l("Choose flags from the list."))
    # The answer to "already visited today: add to that record or record another?"
    same_day = HiddenField(filters=[_strip])
    status_seen = RadioField(_l("Operating status seen"), choices=list(STATUSES.items()),
                             validate_choice=False)
    summary = TextAreaField(_l("What we saw and discussed"), filters=[_strip],
                            validators=[Length(max=4000, message=_l("At most 4000 characters."))])
    next_step = TextAreaField(_l("Next step"), filters=[_strip],
                              validators=[Length(max=2000, message=_l("At most 2000 characters."))])
    photos = MultipleFileField(_l("Photos (optional)"))
    remove_photos = MultiCheckboxField(_l("Remove"), coerce=int, choices=[],
                                       invalid_choice_message=_l("Reload the page and try again."),
                                       invalid_value_message=_l("Reload the page and try again."))
    latitude = HiddenField()
    longitude = HiddenField()

    # Set by ``setup``.
    categories_required = False
    reference_date: date | None = None
    clean_photos: tuple = ()

    def policy_options(self, group: str) -> Markup:
        """The policy checkboxes of ``group``, written here rather than one macro call
        each (a province's catalogue is a thousand): ``"top"`` – the best-matching few,
        shown; ``"rest"`` – every other valid policy, hidden until the search box finds
        it (by title, issuer or pinyin initials) or it is chosen."""
        until = _("valid until %(date)s", date="{}")
        out, selected = [], set(self.policies.data or ())
        for i, (value, _label) in enumerate(self.policies.choices):
            if (value in self.top_ids) != (group == "top"):
                continue
            p = self.policy_info[value]
            fid = f"{self.policies.id}-{i}"
            details = escape(p.issuer or "")
            if p.valid_to:
                details += Markup(" · ") + escape(until.format(p.valid_to.isoformat()))
            extra = ""
            if group != "top":
                hidden = "" if value in selected else " d-none"
                key = search_key(f"{p.title} {p.issuer or ''}")
                extra = f'{hidden}" data-policy-search="{escape(key)}'
            out.append(
                f'<div class="policy-option{extra}"><input class="form-check-input" '
                f'data-testid="policy-option" id="{fid}" name="{self.policies.name}" '
                f'type="checkbox" value="{value}"{" checked" if value in selected else ""}>'
                f'<label for="{fid}">{escape(p.title)}'
                f'<span class="d-block small text-muted">{details}</span></label></div>')
        return Markup("\n".join(out))

    def chosen_labels(self, name: str) -> list[str]:
        """Labels of what is chosen in the choice field ``name`` (the folded line)."""
        field = self[name]
        data = field.data if isinstance(field.data, list) else [field.data]
        return [str(label) for value, label in field.choices if value in (data or [])]

    def setup(self, *, policies_matching, policies_other, categories, reference_date,
              existing_photo_ids=(), kept_policy_choices=()) -> VisitForm:
        """Fill choices: policies (matching first), categories, photos that can be removed."""
        self.offer_policies(policies_matching, policies_other, kept_policy_choices)
        self.category_choices = [("", _l("Choose a category"))] + [(c.id, c.name)
                                                                   for c in categories]
        self.categories_required = bool(categories)
        for entry in self.problems:
            entry.form.category_id.choices = self.category_choices
        self.remove_photos.choices = [(i, str(i)) for i in existing_photo_ids]
        self.existing_photo_ids = list(existing_photo_ids)
        self.reference_date = reference_date
        if not self.is_submitted() and not self.client_uuid.data:
            self.client_uuid.data = str(uuid.uuid4())
        return self

    def offer_policies(self, matching, other, kept=()) -> None:
        """The policy choices: ``matching`` first (the best few shown), then ``other``
        and the ``kept`` ones no longer valid that the visit already holds."""
        offered = [*matching, *other, *kept]
        self.policies.choices = [(p.id, p.title) for p in offered]
        self.policy_info = {p.id: p for p in offered}
        self.matching_ids = {p.id for p in matching}
        self.top_ids = {p.id for p in matching[:TOP_POLICIES]}

    def blank_problem(self) -> ProblemForm:
        """An unbound problem row for the browser to copy (``__i__`` is the index)."""
        form = ProblemForm(prefix="problems-__i__-")
        form.category_id.choices = self.category_choices
        return form

    def factor_note(self, code: str):
        """The note field that belongs to factor ``code``."""
        return self[f"factor_note_{code}"]

    # -- validation ----------------------------------------------------------
    def validate_client_uuid(self, field):
        """The browser-made id of this submission (idempotent submit)."""
        if not UUID_RE.match((field.data or "").lower()):
            raise ValidationError(_l("This form is out of date. Reload the page and try again."))
        field.data = field.data.lower()

    def _reference(self) -> date:
        """The day the visit was entered: today, or the day a queued offline submit was
        made (up to 30 days back), so a visit kept offline is not called late."""
        ref = self.reference_date or local_today()
        try:
            queued = date.fromisoformat(self.queued_on.data or "")
        except ValueError:
            return ref
        if ref - timedelta(days=30) <= queued <= ref:
            return queued
        return ref

    def validate_visit_date(self, field):
        """Not in the future; a year back at most."""
        if field.data is None:
            return
        today = local_today()
        if field.data > today:
            raise ValidationError(_l("The visit date cannot be in the future."))
        if field.data < today - timedelta(days=EARLIEST_DAYS):
            raise ValidationError(_l("The date is more than a year ago. Please check it."))

    def validate_same_day(self, field):
        """Empty (ask when needed), "append" or "separate"."""
        if field.data and field.data not in SAME_DAY_CHOICES:
            field.data = ""

    def validate_status_seen(self, field):
        """One of the operating statuses, or nothing."""
        if field.data and field.data not in STATUSES:
            raise ValidationError(_l("Choose an operating status from the list."))
        field.data = field.data or None

    def validate_latitude(self, field):
        """Both coordinates or none, within range."""
        lat, lon = _float(field.data), _float(self.longitude.data)
        if (field.data or self.longitude.data) and (
            lat is None or lon is None or not -90 <= lat <= 90 or not -180 <= lon <= 180
        ):
            raise ValidationError(_l("The location could not be read. Tap the button again "
                                     "or clear it."))

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the rules that involve several fields."""
        ok = super().validate(extra_validators)
        ref = self._reference()
        if (self.visit_date.data and not self.visit_date.errors
                and (ref - self.visit_date.data).days > LATE_DAYS and not self.late_reason.data):
            self.late_reason.errors.append(
                _l("The visit was more than %(days)d days ago: give the reason for the late "
                   "entry.", days=LATE_DAYS))
            ok = False
        for code in FACTORS:  # a note typed for a factor means the factor was delivered
            if self.factor_note(code).data and code not in (self.factors.data or []):
                self.factors.data = [*(self.factors.data or []), code]
        ok = self._validate_problems() and ok
        ok = self._validate_photos() and ok
        if ok and not self.has_content():
            self.summary.errors.append(_l("Write what happened, or record at least one of the "
                                          "four deliveries."))
            ok = False
        return ok

    def _validate_problems(self) -> bool:
        ok = True
        rows = [e.form for e in self.problems if not e.form.is_blank]
        if len(rows) > MAX_PROBLEMS:
            self.problems.errors.append(_l("At most %(n)d problems per visit.", n=MAX_PROBLEMS))
            return False
        for row in rows:
            if not row.title.data:
                row.title.errors.append(_l("Give the problem a short title."))
                ok = False
            if self.categories_required and not row.category_id.data:
                row.category_id.errors.append(_l("Choose a category."))
                ok = False
            elif row.category_id.data and row.category_id.data not in {
                    c for c, _label in self.category_choices if c}:
                row.category_id.errors.append(_l("Choose a category from the list."))
                ok = False
        return ok

    def _validate_photos(self) -> bool:
        files = chosen_files(self.photos)
        removing = set(self.remove_photos.data or [])
        kept = len([i for i in getattr(self, "existing_photo_ids", []) if i not in removing])
        if kept + len(files) > MAX_PHOTOS:
            self.photos.errors.append(_l("At most %(n)d photos per visit.", n=MAX_PHOTOS))
            return False
        cleaned, errors = clean_each(files, lambda f: clean_photo(f.stream, f.filename),
                                     PhotoError)
        self.clean_photos = cleaned
        self.photos.errors.extend(errors)
        return not errors

    def problem_rows(self) -> list[ProblemForm]:
        """The non-blank problem rows."""
        return [e.form for e in self.problems if not e.form.is_blank]

    def has_content(self) -> bool:
        """A visit records something: a summary or at least one delivery."""
        return bool(self.summary.data or self.services.data or self.policies.data
                    or self.factors.data or self.problem_rows() or self.next_step.data
                    or self.health_flags.data)

    def field_errors(self) -> dict[str, list[str]]:
        """Errors by the HTML name of each field (problem rows included), for JSON."""
        out: dict[str, list[str]] = {}
        for field in self:
            if isinstance(field, FieldList):
                for entry in field:
                    for sub in entry.form:
                        if sub.errors:
                            out[sub.name] = [str(e) for e in sub.errors]
                own = [str(e) for e in field.errors if not isinstance(e, dict)]
                if own:
                    out[field.name] = own
            elif field.errors:
                out[field.name] = [str(e) for e in field.errors]
        return out

    def to_data(self) -> dict:
        """The cleaned values as the dict ``services.record_visit`` takes."""
        return {
            "client_uuid": self.client_uuid.data,
            "visit_date": self.visit_date.data,
            "mode": self.mode.data,
            "companions": self.companions.data or None,
            "policy_ids": list(dict.fromkeys(self.policies.data or [])),
            "services": self.services.data or None,
            "factors": {code: (self.factor_note(code).data or None)
                        for code in FACTORS if code in (self.factors.data or [])},
            "problems": [{"title": r.title.data, "description": r.description.data,
                          "category_id": r.category_id.data} for r in self.problem_rows()],
            "flags": list(dict.fromkeys(self.health_flags.data or [])),
            "status_seen": self.status_seen.data or None,
            "summary": self.summary.data or None,
            "next_step": self.next_step.data or None,
            "late_reason": self.late_reason.data or None,
            "latitude": _float(self.latitude.data),
            "longitude": _float(self.longitude.data),
            "photos": list(self.clean_photos),
            "remove_photo_ids": list(self.remove_photos.data or []),
        }


for _code in FACTORS:
    setattr(VisitForm, f"factor_note_{_code}", StringField(
        _l("Note"), filters=[_strip],
        validators=[Length(max=300, message=_l("At most 300 characters."))]))


def _float(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN is not a place


class VisitCapForm(BaseForm):
    """The coordinator's visit cap for one enterprise; an empty number removes it."""

    per_week = IntegerField(_l("At most this many visits a week"),
                            validators=[Optional(), NumberRange(min=1, max=7, message=_l(
                                "Enter a number from 1 to 7, or leave it empty for no cap."))])
    unless_problem = BooleanField(_l("More when a problem is open"), default=True)


class VisitFilterForm(BaseForm):
    """Filters of the visit list (GET; anything unreadable is ignored with a message)."""

    class Meta:
        csrf = False

    q = StringField(_l("Enterprise"), filters=[_strip], validators=[Length(max=100)])
    date_from = LocalDateField(_l("From"), validators=[Optional()])
    date_to = LocalDateField(_l("To"), validators=[Optional()])
    unit = SelectField(_l("Unit"), coerce=_optional_int, choices=[], validate_choice=False)
    author = SelectField(_l("Recorded by"), coerce=_optional_int, choices=[],
                         validate_choice=False)
    mode = SelectField(_l("How"), choices=[("", _l("Any"))] + list(VISIT_MODES.items()),
                       validators=[Optional()])
    problems = SelectField(_l("Problems raised"),
                           choices=[("", _l("Any")), ("yes", _l("With problems")),
                                    ("no", _l("Without problems"))], validators=[Optional()])
    enterprise = HiddenField()
    policy = HiddenField()
    flag = HiddenField()  # a health flag: the overview's flag figures link here
    town = HiddenField()  # the enterprise's town (a unit id)

    def values(self) -> dict:
        """The filters that validated, as plain values."""
        out = {}
        for name in ("q", "date_from", "date_to", "mode", "problems"):
            field = self[name]
            if not field.errors and field.data:
                out[name] = field.data
        for name in ("unit", "author"):
            if self[name].data:
                out[name] = self[name].data
        for name in ("enterprise", "policy", "town"):
            value = _optional_int(self[name].data)
            if value:
                out[name] = value
        if self.flag.data in HEALTH_FLAGS:
            out["flag"] = self.flag.data
        return out
