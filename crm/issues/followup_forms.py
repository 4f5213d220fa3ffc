"""Forms of the 回访 queue and of appeals (申诉). The services check what the rules
require and name the field; the forms parse types and lengths."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (IntegerField, MultipleFileField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from crm.core.forms import BaseForm, LongSelect, chosen_files, clean_each
from crm.issues.appeals import MAX_FILES, EvidenceError, clean_evidence
from crm.issues.forms import safe_int, unit_choices

YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]


def yes_no(value):
    """"yes"/"no" as True/False; anything else None."""
    return {"yes": True, "no": False}.get(value)


class CallForm(BaseForm):
    """The coordinator's record of a follow-up call."""

    reached = RadioField(_l("Was the enterprise reached?"), choices=YES_NO,
                         validate_choice=False)
    said = TextAreaField(_l("What the enterprise said"), validators=[Optional(),
                                                                     Length(max=2000)])
    verdict = RadioField(_l("Is the enterprise satisfied?"),
                         choices=[("satisfied", _l("Satisfied")),
                                  ("dissatisfied", _l("Dissatisfied"))],
                         validate_choice=False)
    self_confirmed = RadioField(_l("Did the enterprise give the rating itself?"),
                                choices=[*YES_NO, ("", _l("Not asked"))], default="",
                                validate_choice=False)
    unit_id = SelectField(_l("If not satisfied: unit that handles it again"), coerce=safe_int,
                          validate_choice=False, widget=LongSelect())
    reason = TextAreaField(_l("Instruction for handling it again (optional)"),
                           validators=[Optional(), Length(max=2000)])

    def setup(self, current_unit_id: int | None) -> CallForm:
        self.unit_id.choices = unit_choices()
        if not self.is_submitted():
            self.unit_id.data = current_unit_id or 0
        return self

    def data_for_service(self) -> dict:
        return {"reached": yes_no(self.reached.data), "said": self.said.data,
                "verdict": self.verdict.data or None,
                "self_confirmed": yes_no(self.self_confirmed.data),
                "unit_id": self.unit_id.data or None, "reason": self.reason.data}


class AppealForm(BaseForm):
    """The lead unit's appeal against a rating."""

    reason = TextAreaField(_l("Why the rating is not fair"), validators=[Length(max=4000)])
    evidence = TextAreaField(_l("Evidence (call records, documents, what was handed over)"),
                             validators=[Length(max=4000)])
    files = MultipleFileField(_l("Files of evidence (optional: up to 3 photos or PDF, "
                                 "5 MB each)"))

    clean_files: list = []

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        uploads = chosen_files(self.files)
        if len(uploads) > MAX_FILES:
            self.files.errors = [_l("At most %(n)d files.", n=MAX_FILES)]
            return False
        cleaned, errors = clean_each(uploads, lambda f: clean_evidence(f.stream, f.filename),
                                     EvidenceError)
        self.clean_files = cleaned
        if errors:
            self.files.errors = errors
            return False
        return ok


class DecisionForm(BaseForm):
    """The coordinator's decision on an appeal."""

    upheld = RadioField(_l("Your decision"), choices=[("yes", _l("Uphold: the rating does not "
                                                            "count")),
                                                 ("no", _l("Reject: the rating counts"))],
                        validate_choice=False)
    decision = TextAreaField(_l("Reason"), validators=[Length(max=4000)])


class SampleForm(BaseForm):
    """The admin's share of good ratings called back."""

    percent = IntegerField(_l("Share of ratings of 4 or 5 called back (%)"), validators=[
        InputRequired(_l("Enter a share between 0 and 100.")),
        NumberRange(0, 100, _l("Enter a share between 0 and 100."))])


class CaseGroupForm(BaseForm):
    """A new case group."""

    title = StringField(_l("Title"), validators=[Length(max=200)])
    cause = TextAreaField(_l("Shared cause"), validators=[Length(max=4000)])
    lead_unit_id = SelectField(_l("Lead unit"), coerce=safe_int, validate_choice=False,
                               widget=LongSelect())
    numbers = TextAreaField(_l("Problem numbers (one per line or separated by spaces)"),
                            validators=[Length(max=4000)])

    def setup(self) -> CaseGroupForm:
        self.lead_unit_id.choices = unit_choices()
        return self

    def number_list(self) -> list[str]:
        return [n for n in (self.numbers.data or "").replace(",", " ").replace("，", " ")
                .split() if n][:200]


class CaseUpdateForm(BaseForm):
    """A progress note or the answer of a case group."""

    text = TextAreaField(_l("Progress or answer"), validators=[Length(max=4000)])
    kind = RadioField(_l("This is"), choices=[("progress", _l("Progress")),
                                              ("answer", _l("The policy-level answer"))],
                      default="progress", validate_choice=False)


class CaseMembersForm(BaseForm):
    """More problems for a case group."""

    numbers = TextAreaField(_l("Problem numbers to add"), validators=[Length(max=4000)])

    def number_list(self) -> list[str]:
        return [n for n in (self.numbers.data or "").replace(",", " ").replace("，", " ")
                .split() if n][:200]
