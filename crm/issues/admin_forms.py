"""Forms of the admin's holiday calendar page that read more than one day at a time."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField, ValidationError
from wtforms.validators import Length, Optional

from crm.core.forms import BaseForm
from crm.issues.holiday_notice import Notice, NoticeError, parse_notice

MAX_PASTE = 20_000


class HolidayNoticeForm(BaseForm):
    """The dates of the State Council's holiday notice for one year, pasted in one go
    (the format is in ``crm.issues.holiday_notice``), and the confirmation that the
    year's arrangement is then complete."""

    lines = TextAreaField(_l("Dates from the notice"),
                          validators=[Length(max=MAX_PASTE)], render_kw={"rows": 8})
    notice = StringField(_l("Notice (number or title)"),
                         validators=[Optional(), Length(max=120)])
    confirm = BooleanField(_l("This is the whole arrangement of the notice for this year"))

    def __init__(self, *args, year: int, can_confirm: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.page_year = year
        self.can_confirm = can_confirm
        self.parsed: Notice | None = None
        if not can_confirm:  # a year the package knows: the paste only corrects it
            del self.confirm
            del self.notice

    def validate_lines(self, field):
        """Every line must read; the message names the first one that does not."""
        text = field.data or ""
        if len(text) > MAX_PASTE:
            return  # the length validator has said so
        confirming = self.can_confirm and self.confirm.data
        if not text.strip():
            if not confirming:
                raise ValidationError(_l("Paste the dates of the notice, one line each."))
            self.parsed = Notice()
            return
        try:
            self.parsed = parse_notice(text, self.page_year)
        except NoticeError as exc:
            raise ValidationError(str(exc)) from None
