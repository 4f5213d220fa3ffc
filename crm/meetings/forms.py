"""Meeting forms. Messages are Chinese through gettext."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, ValidationError
from wtforms.validators import Optional

MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


class MonthForm(FlaskForm):
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
        match = MONTH_RE.match(field.data or "")
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            raise ValidationError(_l("Enter a month such as 2026-10."))
        if (int(match.group(1)), int(match.group(2))) > (self.today.year, self.today.month):
            raise ValidationError(_l("Choose the current month or an earlier one."))

    def chosen(self) -> tuple[int, int]:
        """(year, month) asked for; the current month when none or an invalid one."""
        match = MONTH_RE.match(self.month.data or "")
        if match and not self.month.errors:
            return int(match.group(1)), int(match.group(2))
        return self.today.year, self.today.month
