"""Forms of the problem pages. What an action requires (a reason, a unit…) is checked by
the workflow, which names the field; the forms only parse types and lengths."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from crm.auth.models import Unit
from crm.core.forms import BaseForm
from crm.extensions import db
from crm.issues.actions import ACTIONS, RATING_LABELS
from crm.issues.models import LEVELS, Category
from crm.issues.notices import NOTICE_LOCALE

DATE_MESSAGE = _l("Enter a date such as 2026-03-02.")


def safe_int(value) -> int:
    """An id from a form: anything that is not a positive integer becomes 0 (none), so
    a tampered select never raises; the workflow then names the field."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return 0
    return n if 0 < n < 2**31 else 0


def unit_choices(blank=True):
    """Active units, towns first (for selects)."""
    units = db.session.execute(select(Unit.id, Unit.name).where(Unit.is_active)
                               .order_by(Unit.kind.desc(), Unit.name))  # rows, not objects:
    head = [(0, _l("— choose —"))] if blank else []  # a province has 3,000 units
    return head + [(i, name) for i, name in units]


def category_choices(blank_label=None):
    """Active categories in their order (for selects)."""
    cats = db.session.scalars(select(Category).where(Category.is_active)
                              .order_by(Category.position, Category.id))
    return [(0, blank_label or _l("— not classified —"))] + [(c.id, c.name) for c in cats]


def level_choices():
    """咨询类 / 一般类 / 复杂类."""
    return [(k, v) for k, v in LEVELS.items()]


def rating_choices():
    """5 · 非常满意 … 1 · 非常不满意, best first."""
    return [(str(k), f"{k} · {v}") for k, v in RATING_LABELS.items()]


class RatingField(RadioField):
    """1–5 as radio buttons, with our own message for anything else."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "RadioField"  # rendered like any radio group by the ``field`` macro

    def pre_validate(self, form):
        """Only 1–5."""
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError(_l("Choose a rating from 1 to 5."))


class RaiseForm(BaseForm):
    """A problem raised directly (not in a visit)."""

    title = StringField(_l("Problem"), validators=[
        DataRequired(_l("Say in a few words what the problem is.")), Length(max=200)])
    description = TextAreaField(_l("Details"), validators=[Optional(), Length(max=4000)])
    category_id = SelectField(_l("Category"), coerce=int, validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = category_choices()

    def data_for_service(self) -> dict:
        """The data ``raise_issue`` takes."""
        return {"title": self.title.data, "description": self.description.data,
                "category_id": self.category_id.data or None}


class ActionForm(BaseForm):
    """Base of every action form: the version the person saw and where to go back.

    Several of these share a page under per-action prefixes; the site-wide CSRFProtect
    checks the one unprefixed ``csrf_token`` of each submission, so the forms do not
    carry their own.
    """

    class Meta:
        """No per-form CSRF token (see the class docstring)."""

        csrf = False

    version = HiddenField()
    next = HiddenField()
    text = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])

    def payload(self) -> dict:
        """The data passed to ``transition``."""
        return {"text": self.text.data}


class DispatchForm(ActionForm):
    """Dispatch: lead and cooperating units, level, category, optional due date."""

    # Choices are checked by the workflow (with a message naming the field).
    unit_id = SelectField(_l("Lead unit"), coerce=safe_int, validate_choice=False)
    level = SelectField(_l("Level"), validate_choice=False)
    category_id = SelectField(_l("Category"), coerce=safe_int, validate_choice=False)
    coop_unit_ids = SelectMultipleField(_l("Cooperating units"), coerce=safe_int,
                                        validate_choice=False, validators=[Optional()])
    due_date = DateField(_l("Due date (leave empty for the standard limit)"),
                         validators=[Optional()], render_kw={"type": "date"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = unit_choices()
        self.unit_id.choices = units
        self.coop_unit_ids.choices = units[1:]
        self.level.choices = level_choices()
        self.category_id.choices = category_choices()

    def payload(self) -> dict:
        """The data passed to ``transition``."""
        return {"text": self.text.data, "unit_id": self.unit_id.data, "level": self.level.data,
                "category_id": self.category_id.data, "coop_unit_ids": self.coop_unit_ids.data,
                "due_date": self.due_date.data}


class RedispatchForm(DispatchForm):
    """Re-dispatch of a returned problem: no unit chosen in advance (the unit that
    returned it is marked), and the due day as an editable date, filled in with the
    proposal (the original due day: a return does not reset the clock)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = [("", _l("Choose the unit to handle it"))] + self.unit_id.choices[1:]
        self.due_date.label.text = _l("Resolve by (the proposed day is filled in; you may "
                                      "change it)")

    def mark_returning_unit(self, unit_id: int | None) -> None:
        """Label the unit that returned the problem in the unit list; it stays a choice,
        since the coordinator's re-dispatch is final even back to that unit."""
        self.unit_id.choices = [
            (value, _l("%(unit)s (returned it)", unit=label) if value == unit_id else label)
            for value, label in self.unit_id.choices]


class ExtensionForm(ActionForm):
    """Ask for, or grant, a new due date."""

    until = DateField(_l("New due date"), validators=[Optional()], render_kw={"type": "date"})

    def payload(self) -> dict:
        """The data passed to ``transition``."""
        return {"text": self.text.data, "until": self.until.data}


class RateForm(ActionForm):
    """A rating a cadre took by phone (channel ``recorded``)."""

    rating = RatingField(_l("Rating"), validators=[InputRequired(_l("Choose a rating from 1 to 5."))])
    contact = StringField(_l("Enterprise contact who gave the rating"),
                          validators=[Optional(), Length(max=64)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rating.choices = rating_choices()

    def payload(self) -> dict:
        """The data passed to ``transition``."""
        return {"text": self.text.data, "rating": self.rating.data, "contact": self.contact.data}


# Why an enterprise is not satisfied: one tap each on the public rating page (a rating of
# 1–2 needs at least one of them or a written reason, so the unit learns what to fix).
RATING_REASONS = {
    "slow": _l("It took too long"),
    "unsolved": _l("The problem is not really solved"),
    "passed_on": _l("We were passed from office to office"),
    "no_contact": _l("Nobody kept us informed"),
    "attitude": _l("Unfriendly or impatient"),
    "burden": _l("It cost us extra money or paperwork"),
}
LOW_RATING = 2  # this rating and below need a reason


class PublicRateForm(BaseForm):
    """The enterprise's own rating through its one-time link."""

    rating = RatingField(_l("How satisfied are you with how the problem was handled?"),
                        validators=[InputRequired(_l("Choose a rating from 1 to 5."))])
    reasons = SelectMultipleField(
        _l("What was not good? (tap all that apply)"), choices=list(RATING_REASONS.items()),
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validate_choice=False)
    text = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=2000)])
    contact = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=64)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rating.choices = rating_choices()

    def is_low(self) -> bool:
        """A rating of 1 or 2 was chosen."""
        return str(self.rating.data or "") in {str(n) for n in range(1, LOW_RATING + 1)}

    def validate(self, extra_validators=None) -> bool:
        """A rating of 1–2 needs a reason: one tapped or a few words written."""
        ok = super().validate(extra_validators)
        self.reasons.data = [r for r in (self.reasons.data or []) if r in RATING_REASONS]
        if ok and self.is_low() and not self.reasons.data and len(
                (self.text.data or "").strip()) < 2:
            self.reasons.errors = [_l("Tell the unit what was not good: tap a reason or "
                                      "write a few words.")]
            ok = False
        return ok

    def comment(self) -> str | None:
        """The stored comment: the reasons tapped (in Chinese, for the unit) and the text."""
        text = (self.text.data or "").strip()
        if not self.reasons.data:
            return text or None
        with force_locale(NOTICE_LOCALE):
            chosen = str(_l("Reasons: %(reasons)s.", reasons=str(_l(", ")).join(
                str(RATING_REASONS[r]) for r in self.reasons.data)))
        return f"{chosen}\n{text}" if text else chosen


# Which form each action with more than a text uses.
ACTION_FORMS = {
    "dispatch": DispatchForm,
    "redispatch": RedispatchForm,
    "request_extension": ExtensionForm,
    "grant_extension": ExtensionForm,
    "rate": RateForm,
}

# The label of each action's text field (the action objects say it).
TEXT_LABELS = {a.name: a.text_label for a in ACTIONS if a.text_label is not None}


def action_form(action: str, **kwargs) -> ActionForm:
    """The form of ``action``, prefixed with the action so that several forms can share
    a page."""
    form = ACTION_FORMS.get(action, ActionForm)(prefix=action, **kwargs)
    form.text.label.text = TEXT_LABELS.get(action, form.text.label.text)
    return form


class CategoryForm(BaseForm):
    """A category with its default lead unit and level."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the category's name.")),
                                               Length(max=60)])
    lead_unit_id = SelectField(_l("Default lead unit"), coerce=int)
    default_level = SelectField(_l("Default level"))
    position = IntegerField(_l("Order"), default=0, validators=[
        Optional(), NumberRange(min=0, max=999, message=_l("Enter a number from 0 to 999."))])
    is_active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, category: Category | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._category = category
        self.lead_unit_id.choices = unit_choices()
        self.default_level.choices = level_choices()

    def validate_name(self, field):
        """Names are unique."""
        q = select(Category.id).where(Category.name == (field.data or "").strip())
        if self._category is not None:
            q = q.where(Category.id != self._category.id)
        if db.session.scalar(q):
            raise ValidationError(_l("A category with this name exists already."))


def _days(label):
    return IntegerField(label, validators=[
        InputRequired(_l("Enter a number of days.")),
        NumberRange(min=1, max=365, message=_l("Enter a number from 1 to 365."))])


def _required_if_sent(form, field):
    """A field added to a form later: required when the form sends it; a submission
    without it (an older page, a script) keeps the record's value or the default."""
    if field.raw_data and not str(field.raw_data[0]).strip():
        field.errors[:] = []
        raise StopValidation(_l("Enter a number of days."))


class RuleForm(BaseForm):
    """Stage limits for a level, optionally for one category, and the cooperating
    units' reply limit."""

    category_id = SelectField(_l("Category"), coerce=int)
    level = SelectField(_l("Level"))
    sign_days = _days(_l("Sign within (working days)"))
    progress_days = _days(_l("First progress within (working days)"))
    resolve_days = _days(_l("Resolve within (days)"))
    resolve_calendar = BooleanField(_l("Resolve limit counts calendar days"))
    coop_days = IntegerField(_l("Cooperating units reply within (working days)"), default=2,
                             validators=[
                                 _required_if_sent,
                                 NumberRange(min=1, max=365,
                                             message=_l("Enter a number from 1 to 365."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = category_choices(_l("— default for the level —"))
        self.level.choices = level_choices()


class CoopReplyForm(BaseForm):
    """A cooperating unit's opinion to the lead unit (协办意见). It shares the problem
    page with the action forms, so like them it leaves CSRF to the site-wide check."""

    class Meta:
        """No per-form CSRF token (see ``ActionForm``)."""

        csrf = False

    text = TextAreaField(_l("Your unit's cooperation opinion"), validators=[
        DataRequired(_l("Write your unit's cooperation opinion.")), Length(max=4000)])


class OverrideForm(BaseForm):
    """A holiday or make-up working day entered by the admin."""

    day = DateField(_l("Day"), validators=[InputRequired(DATE_MESSAGE)], render_kw={"type": "date"})
    is_workday = SelectField(_l("The day is"), choices=[
        ("0", _l("a holiday (no work)")), ("1", _l("a make-up working day"))])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=100)])
