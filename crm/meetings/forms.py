"""Meeting forms. Chinese messages through gettext; typing kept on error."""
from __future__ import annotations

import re

from datetime import date

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from crm.auth.models import Unit
from crm.core.forms import BaseForm, LocalDateTimeField, LongSelect
from crm.extensions import db
from crm.meetings.services import Period, month_period, quarter_period

MONTH_RE = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")
QUARTER_RE = re.compile(r"^(20\d\d)-Q([1-4])$")
# The overview's month picker is lenient about spaces and a one-digit month.
PICKER_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


class MeetingForm(BaseForm):
    kind = SelectField(_l("Kind"), choices=[("joint", _l("Monthly joint meeting")),
                                            ("review", _l("Quarterly review meeting")),
                                            ("special", _l("Special meeting"))])
    month = StringField(_l("Month"), validators=[Optional()],
                        description=_l("For a joint meeting, e.g. 2026-11"))
    quarter = StringField(_l("Quarter"), validators=[Optional()],
                          description=_l("For a review meeting, e.g. 2026-Q4"))
    period_start = DateField(_l("From"), validators=[Optional()])
    period_end = DateField(_l("To"), validators=[Optional()])
    title = StringField(_l("Meeting title"), validators=[Optional(), Length(max=200)])
    starts_at = LocalDateTimeField(_l("Time"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    attendees = TextAreaField(_l("Attendees"), validators=[Optional(), Length(max=4000)])
    confirm_duplicate = BooleanField(_l("This is another meeting: create it anyway"))

    # Which field a duplicate warning sits next to (set by ``flag_duplicates``).
    duplicate_field = None

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then what depends on the kind (Optional() would otherwise stop
        the per-field validators of empty fields)."""
        ok = super().validate(extra_validators)
        if self.kind.data == "joint" and not MONTH_RE.match((self.month.data or "").strip()):
            self.month.errors.append(_l("Enter the month as YYYY-MM, e.g. 2026-11."))
            ok = False
        if self.kind.data == "review" and not QUARTER_RE.match(
                (self.quarter.data or "").strip().upper()):
            self.quarter.errors.append(_l("Enter the quarter as YYYY-Qn, e.g. 2026-Q4."))
            ok = False
        if self.kind.data == "special":
            if not (self.title.data or "").strip():
                self.title.errors.append(_l("A special meeting needs a title."))
                ok = False
            start, end = self.period_start.data, self.period_end.data
            if not start or not end:
                self.period_end.errors.append(_l("Enter the first and last day of the period."))
                ok = False
            elif end < start:
                self.period_end.errors.append(_l("The period cannot end before it starts."))
                ok = False
        return ok

    def period_field(self):
        """The field the kind's period is typed in."""
        return {"joint": self.month, "review": self.quarter}.get(self.kind.data,
                                                                 self.period_start)

    def refused(self, exc) -> None:
        """Put the message of a refused creation (``MeetingError``) next to the field it
        is about; a meeting without a time is dated by its period, so then the period."""
        name = exc.field if self.starts_at.data else None
        target = self._fields[name] if name in self._fields else self.period_field()
        target.errors.append(str(exc))

    def flag_duplicates(self, duplicates, period: Period) -> bool:
        """When meetings of this kind already exist in the month and the person has not
        confirmed, put the warning next to the field that makes them clash (the
        period, or the time) and return True: nothing is to be created yet."""
        if not duplicates or self.confirm_duplicate.data:
            return False
        by_period = any(m.period_start.replace(day=1) == period.start.replace(day=1)
                        for m in duplicates)
        target = self.period_field() if by_period or not self.starts_at.data else self.starts_at
        target.errors.append(_l("A meeting of this kind is already entered for this month "
                                "(see below). If this is another meeting, tick the box "
                                "below and submit again."))
        self.duplicate_field = target.name
        return True

    def period(self) -> Period:
        """The meeting's period from whichever field its kind uses."""
        if self.kind.data == "joint":
            year, month = MONTH_RE.match(self.month.data.strip()).groups()
            return month_period(int(year), int(month))
        if self.kind.data == "review":
            year, q = QUARTER_RE.match(self.quarter.data.strip().upper()).groups()
            return quarter_period(int(year), int(q))
        return Period(self.period_start.data, self.period_end.data)


class MeetingEditForm(BaseForm):
    title = StringField(_l("Meeting title"), validators=[DataRequired(_l("Enter a title.")),
                                                 Length(max=200)])
    starts_at = LocalDateTimeField(_l("Time"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    chair = StringField(_l("Chair"), validators=[Optional(), Length(max=100)],
                        description=_l("e.g. 马思远（市委副书记、市长）"))
    copies = IntegerField(_l("Copies printed"), validators=[Optional(), NumberRange(
        min=1, max=9999, message=_l("Enter a whole number from 1 to 9999."))],
        description=_l("Printed in the issuing block: 共印 N 份."))
    attendees = TextAreaField(_l("Other attendees"), validators=[Optional(), Length(max=4000)],
                              description=_l("Anyone not listed under attendance below."))


ATTENDANCE_CHOICES = [("", _l("— not listed —")), ("present", _l("Present")),
                      ("attending", _l("Sitting in")), ("absent", _l("Excused"))]


class AttendanceChoice:
    """One city leader's or member unit's select on the attendance form: what the page
    writes out (``id``, ``name``, ``label.text``, ``data``, ``errors``, ``choices``, as a
    WTForms field has them) and what was chosen. A province lists 2,000 leaders and 500
    units: building as many WTForms fields took half a second a page."""

    __slots__ = ("name", "label", "data", "errors")
    choices = ATTENDANCE_CHOICES

    def __init__(self, name: str, label: str, data: str) -> None:
        self.name, self.label, self.data, self.errors = name, _Label(label), data, []

    @property
    def id(self) -> str:
        return self.name


class _Label:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class AttendanceForm(BaseForm):
    """Who is at the meeting: one choice per city leader (in protocol order) and per
    member unit. Built for the leaders and units of the day (``build``)."""

    leader_ids: list[int] = []
    unit_ids: list[int] = []

    @classmethod
    def build(cls, leaders, units, current: dict | None = None, formdata=None):
        """A form with a ``leader_<id>`` choice per leader and a ``unit_<id>`` choice per
        unit; ``current`` maps those names to the stored roles."""
        form = cls(formdata=formdata)
        values = formdata if formdata is not None else (current or {})

        def choice(name, label):
            value = values.get(name, "")
            return AttendanceChoice(name, label, "" if value is None else value)
        form.leader_ids = [u.id for u in leaders]
        form.unit_ids = [u.id for u in units]
        form._leaders = [choice(f"leader_{u.id}", u.display_name
                                + (f"（{u.title}）" if u.title else "")) for u in leaders]
        form._units = [choice(f"unit_{u.id}", u.name) for u in units]
        return form

    def render_choices(self, fields) -> Markup:
        """The selects of ``fields``, each as the ``field`` macro writes a select (label,
        select, errors), in one pass: a province has thousands of them."""
        labels = [(value, escape(str(label))) for value, label in ATTENDANCE_CHOICES]
        options = {chosen: "".join(
            f'<option{" selected" if value == chosen else ""} value="{value}">{label}</option>'
            for value, label in labels) for chosen in [None, *(v for v, _l in labels)]}
        out = []
        for f in fields:
            name = escape(f.name)
            errors = "".join(f'<div class="invalid-feedback d-block" data-field="{name}">'
                             f'{escape(str(e))}</div>' for e in f.errors)
            out.append(
                f'<div class="col"><div class="mb-3 "><label class="form-label" for="{name}">'
                f'{escape(f.label.text)}</label>\n    <select class="form-select'
                f'{" is-invalid" if f.errors else ""}" id="{name}" name="{name}">'
                f'{options.get(f.data, options[None])}</select>{errors}</div></div>')
        return Markup("".join(out))

    def leader_fields(self):
        return self._leaders

    def unit_fields(self):
        return self._units

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        allowed = {value for value, _label in ATTENDANCE_CHOICES}
        for f in (*self._leaders, *self._units):
            if f.data not in allowed:
                f.errors.append(self.meta.get_translations(self).gettext("Not a valid choice."))
                ok = False
        return ok

    def roles(self) -> tuple[dict, dict]:
        """(user id → role or None, unit id → role or None) as chosen."""
        return ({i: f.data or None for i, f in zip(self.leader_ids, self._leaders)},
                {i: f.data or None for i, f in zip(self.unit_ids, self._units)})


class AgendaItemForm(BaseForm):
    """The question put to the meeting, the presenting unit and the minutes allotted."""

    question = TextAreaField(_l("What the meeting is asked to decide"),
                             validators=[Optional(), Length(max=4000)])
    presenting_unit_id = SelectField(_l("Presenting unit"), coerce=int, validate_choice=False,
                                     default=0, widget=LongSelect())
    minutes_allotted = IntegerField(_l("Minutes allotted"), validators=[
        Optional(), NumberRange(min=1, max=240,
                                message=_l("Enter the minutes, from 1 to 240."))])

    def __init__(self, *args, units=None, **kwargs):
        """``units``: the active units when the page has them already."""
        super().__init__(*args, **kwargs)
        self.presenting_unit_id.choices = _unit_choices(_l("— the lead unit —"), units)

    def validate_presenting_unit_id(self, field):
        if field.data and field.data not in {v for v, _label in field.choices}:
            raise ValidationError(_l("Choose the presenting unit from the list."))


class AnalysisForm(BaseForm):
    """The packet's 存在问题 and 下步工作 paragraphs (a generated draft to edit)."""

    problems_text = TextAreaField(_l("Problems found"),
                                  validators=[Optional(), Length(max=20000)])
    next_steps_text = TextAreaField(_l("Next steps"),
                                    validators=[Optional(), Length(max=20000)])


def active_units() -> list:
    """The active units, town offices first, by name (one query): rows of ``id``,
    ``name`` and ``kind`` (a province has 3,270; objects cost more than the query)."""
    return db.session.execute(select(Unit.id, Unit.name, Unit.kind).where(Unit.is_active)
                              .order_by(Unit.kind, Unit.name)).all()


def _unit_choices(empty_label, units=None):
    units = active_units() if units is None else units
    return [(0, empty_label)] + [(u.id, u.name) for u in units]


class MinutesForm(BaseForm):
    minutes = TextAreaField(_l("Minutes"), validators=[Optional(), Length(max=50000)])
    review_remarks = TextAreaField(_l("Review remarks"), validators=[Optional(),
                                                                     Length(max=20000)])


class ProposalForm(BaseForm):
    issue_number = StringField(_l("Problem number (optional)"),
                               validators=[Optional(), Length(max=12)])
    title = StringField(_l("Subject"), validators=[Optional(), Length(max=200)])
    question = TextAreaField(_l("What the meeting is asked to decide"),
                             validators=[Optional(), Length(max=4000)])

    def validate(self, extra_validators=None):
        """A subject or a problem number is needed. (An inline ``validate_title`` never
        ran for an empty title: ``Optional`` stops the chain first, and the empty item
        then hit the database's CHECK constraint as a 500.)"""
        if not super().validate(extra_validators):
            return False
        if not (self.title.data or "").strip() and not (self.issue_number.data or "").strip():
            self.title.errors = [*self.title.errors, str(_l("Give a subject or a problem number."))]
            return False
        return True


class TypicalCaseForm(BaseForm):
    issue_number = StringField(_l("Problem number"), validators=[
        DataRequired(_l("Enter the problem number, e.g. 2026-0137.")), Length(max=12)])
    note = TextAreaField(_l("Why it is typical"), validators=[Optional(), Length(max=4000)])


class DecisionForm(BaseForm):
    text = TextAreaField(_l("Decision"), validators=[
        DataRequired(_l("Enter what was decided.")), Length(max=4000)])
    unit_id = SelectField(_l("Responsible unit"), coerce=int, validate_choice=False,
                          widget=LongSelect())
    due_date = DateField(_l("Deadline"), validators=[InputRequired(_l("Enter a deadline."))])

    def __init__(self, *args, units=None, **kwargs):
        """``units``: the active units when the page has them already."""
        super().__init__(*args, **kwargs)
        self.unit_id.choices = _unit_choices(_l("— choose —"), units)

    def validate_unit_id(self, field):
        if field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError(_l("Choose the responsible unit."))


class MonthForm(BaseForm):
    """The overview's month picker. Sent by GET (a bookmarkable address), so no CSRF
    token; ``today`` is the local date the latest month allowed is taken from."""

    class Meta:
        csrf = False

    month = StringField(_l("Month"), validators=[Optional()])

    def __init__(self, formdata, today: date, **kwargs):
        super().__init__(formdata=formdata, **kwargs)
        self.today = today

    def validate_month(self, field) -> None:
        """YYYY-MM, a real month, not after the current one."""
        match = PICKER_MONTH_RE.match(field.data or "")
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            raise ValidationError(_l("Enter a month such as 2026-10."))
        if (int(match.group(1)), int(match.group(2))) > (self.today.year, self.today.month):
            raise ValidationError(_l("Choose the current month or an earlier one."))

    def chosen(self) -> tuple[int, int]:
        """(year, month) asked for; the current month when none or an invalid one."""
        match = PICKER_MONTH_RE.match(self.month.data or "")
        if match and not self.month.errors:
            return int(match.group(1)), int(match.group(2))
        return self.today.year, self.today.month
