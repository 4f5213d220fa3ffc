"""Task force forms. Chinese messages through gettext; what was typed is kept on error."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from crm.auth.models import Unit, User, UserRole
from crm.core.forms import BaseForm
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.taskforces.models import COUNT_MODES, TASKFORCE_KINDS, TASKFORCE_STATES, WEEKDAYS

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
WEEKDAY_CHOICES = [(i, label) for i, label in enumerate(WEEKDAYS)]


def _in_range(form, field):
    if field.data is not None and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(_l("Enter a date between 2000 and 2100."))


def _finite(form, field):
    """Decimal('NaN') compares with nothing: refuse it before the range check does."""
    if field.data is not None and not field.data.is_finite():
        raise ValidationError(_l("Enter a number."))


def unit_choices(blank: bool = False):
    rows = db.session.execute(select(Unit.id, Unit.name).where(Unit.is_active.is_(True))
                              .order_by(Unit.kind, Unit.name)).all()
    return ([(0, _l("— choose —"))] if blank else []) + [(i, n) for i, n in rows]


def people_choices(*roles, blank: bool = False):
    stmt = (select(User.id, User.display_name).where(User.is_active.is_(True))
            .order_by(User.display_name, User.id))
    if roles:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles))))
    return ([(0, _l("— none —"))] if blank else []) + [(i, n) for i, n in db.session.execute(stmt)]


def enterprise_choices(blank: bool = False):
    rows = db.session.execute(select(Enterprise.id, Enterprise.name)
                              .order_by(Enterprise.name).limit(2000)).tuples()
    return ([(0, _l("— none —"))] if blank else []) + [(i, n) for i, n in rows]


class TaskForceForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=list(TASKFORCE_KINDS.items()))
    leader_id = SelectField(_l("Leading leader (挂帅)"), coerce=int,
                            validators=[NumberRange(min=1, message=_l("Choose the leader."))])
    deputy_id = SelectField(_l("Deputy"), coerce=int)
    lead_unit_id = SelectField(_l("Lead unit"), coerce=int,
                               validators=[NumberRange(min=1, message=_l("Choose the lead unit."))])
    unit_ids = SelectMultipleField(_l("Member units"), coerce=int)
    member_ids = SelectMultipleField(_l("Member people"), coerce=int)
    enterprise_ids = SelectMultipleField(_l("Enterprises covered"), coerce=int)
    description = TextAreaField(_l("Tasks"), validators=[Optional(), Length(max=4000)])
    start_date = DateField(_l("Start"), validators=[InputRequired(), _in_range])
    end_date = DateField(_l("End"), validators=[Optional(), _in_range])
    state = SelectField(_l("State"), choices=list(TASKFORCE_STATES.items()))
    weekly_on = BooleanField(_l("Weekly meeting (碰头)"))
    weekly_day = SelectField(_l("on"), coerce=int, choices=WEEKDAY_CHOICES)
    fortnightly_on = BooleanField(_l("Fortnightly dispatch (调度)"))
    fortnightly_day = SelectField(_l("on"), coerce=int, choices=WEEKDAY_CHOICES)
    monthly_on = BooleanField(_l("Monthly push (推进)"))
    monthly_day = SelectField(_l("on"), coerce=int, choices=WEEKDAY_CHOICES)

    def fill_choices(self) -> None:
        self.leader_id.choices = people_choices("leader", blank=True)
        self.deputy_id.choices = people_choices("leader", blank=True)
        self.lead_unit_id.choices = unit_choices(blank=True)
        self.unit_ids.choices = unit_choices()
        self.member_ids.choices = people_choices("leader", "handler", "coordinator",
                                                 "commissioner")
        self.enterprise_ids.choices = enterprise_choices()

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and self.end_date.data and self.end_date.data < self.start_date.data:
            self.end_date.errors.append(_l("The end cannot be before the start."))
            ok = False
        if ok and self.deputy_id.data and self.deputy_id.data == self.leader_id.data:
            self.deputy_id.errors.append(_l("The deputy must be another leader."))
            ok = False
        return ok

    def data_dict(self) -> dict:
        fields = ("name", "kind", "leader_id", "deputy_id", "lead_unit_id", "unit_ids",
                  "member_ids", "enterprise_ids", "description", "start_date", "end_date",
                  "state", "weekly_on", "weekly_day", "fortnightly_on", "fortnightly_day",
                  "monthly_on", "monthly_day")
        return {f: getattr(self, f).data for f in fields}


class ProjectForm(BaseForm):
    name = StringField(_l("Project name"), validators=[DataRequired(), Length(max=120)])
    enterprise_id = SelectField(_l("Owner enterprise"), coerce=int)
    investment = DecimalField(_l("Investment (100 million yuan)"), places=2,
                              validators=[Optional(), _finite, NumberRange(min=0, max=99999999)])
    location = StringField(_l("Project location"), validators=[Optional(), Length(max=120)])
    first_due = DateField(_l("First milestone due (template milestones every 45 days)"),
                          validators=[Optional(), _in_range])

    def fill_choices(self) -> None:
        self.enterprise_id.choices = enterprise_choices(blank=True)

    def data_dict(self) -> dict:
        return {"name": self.name.data, "enterprise_id": self.enterprise_id.data or None,
                "investment": self.investment.data, "location": self.location.data}


class MilestoneForm(BaseForm):
    name = StringField(_l("Milestone"), validators=[DataRequired(), Length(max=60)])
    unit_id = SelectField(_l("Responsible unit"), coerce=int,
                          validators=[NumberRange(min=1, message=_l("Choose the unit."))])
    due_date = DateField(_l("Due day"), validators=[InputRequired(), _in_range])
    count_mode = SelectField(_l("Count in"), choices=list(COUNT_MODES.items()))

    def fill_choices(self) -> None:
        self.unit_id.choices = unit_choices(blank=True)

    def data_dict(self) -> dict:
        return {"name": self.name.data, "unit_id": self.unit_id.data,
                "due_date": self.due_date.data, "count_mode": self.count_mode.data}


class InstructionForm(BaseForm):
    text = TextAreaField(_l("Instruction"), validators=[DataRequired(), Length(max=2000)])


class ProblemForm(BaseForm):
    note = TextAreaField(_l("Note for the unit (optional)"), validators=[Optional(),
                                                                        Length(max=2000)])


class DoneForm(BaseForm):
    done_on = DateField(_l("Reached on"), validators=[InputRequired(), _in_range])


class DecisionForm(BaseForm):
    text = TextAreaField(_l("Decision"), validators=[DataRequired(), Length(max=2000)])
    unit_id = SelectField(_l("Responsible unit"), coerce=int,
                          validators=[NumberRange(min=1, message=_l("Choose the unit."))])
    due_date = DateField(_l("Deadline"), validators=[InputRequired(), _in_range])

    def fill_choices(self) -> None:
        self.unit_id.choices = unit_choices(blank=True)


class TemplateForm(BaseForm):
    names = TextAreaField(_l("Milestones, one a line, in order"),
                          validators=[DataRequired(), Length(max=2000)])


class GroupForm(BaseForm):
    name = StringField(_l("Group name"), validators=[DataRequired(), Length(max=100)])
    head_id = SelectField(_l("Head"), coerce=int)
    member_ids = SelectMultipleField(_l("Members"), coerce=int)
    scope = TextAreaField(_l("Scope"), validators=[Optional(), Length(max=2000)])
    task_force_ids = SelectMultipleField(_l("Task forces in scope"), coerce=int)
    unit_ids = SelectMultipleField(_l("Units in scope"), coerce=int)

    def fill_choices(self, task_forces) -> None:
        people = people_choices("leader", "handler", "coordinator", "commissioner")
        self.head_id.choices = [(0, _l("— none —"))] + people
        self.member_ids.choices = people
        self.task_force_ids.choices = [(tf.id, tf.name) for tf in task_forces]
        self.unit_ids.choices = unit_choices()


class FindingForm(BaseForm):
    class Meta:
        csrf = False

    text = StringField(_l("Finding"), validators=[Optional(), Length(max=500)])
    unit_id = SelectField(_l("New problem for"), coerce=int)
    issue_number = StringField(_l("or 督办 on problem no."), validators=[Optional(),
                                                                       Length(max=12)])


class InspectionForm(BaseForm):
    day = DateField(_l("Day"), validators=[InputRequired(), _in_range])
    task_force_id = SelectField(_l("Task force inspected"), coerce=int)
    summary = TextAreaField(_l("Inspection summary"), validators=[Optional(), Length(max=4000)])
    findings = FieldList(FormField(FindingForm), min_entries=3, max_entries=10)

    def fill_choices(self, task_forces) -> None:
        self.task_force_id.choices = [(tf.id, tf.name) for tf in task_forces]
        units = unit_choices(blank=True)
        for entry in self.findings:
            entry.form.unit_id.choices = units
