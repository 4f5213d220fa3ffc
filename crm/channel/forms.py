"""The form an enterprise fills on its own phone to raise a problem."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crm.core.forms import BaseForm, chosen_files, clean_each
from crm.liaisons.photos import PhotoError, clean_photo
from crm.channel.services import MAX_PHOTOS

PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")
# Control characters other than line breaks and tabs are refused.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _int_or_zero(value) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return 0
    return n if 0 < n < 2 ** 31 else 0


class RaiseForm(BaseForm):
    """Title, description, category from a short list, up to three photos, contact."""

    title = StringField(_l("What is the problem? (a short title)"), validators=[
        DataRequired(_l("Give the problem a short title.")), Length(max=100)])
    description = TextAreaField(_l("Describe it"), validators=[Optional(), Length(max=2000)])
    category_id = SelectField(_l("What is it about?"), coerce=_int_or_zero, validate_choice=False)
    photos = MultipleFileField(_l("Photos (optional, at most 3)"))
    contact_name = StringField(_l("Your name"), validators=[
        DataRequired(_l("Enter your name.")), Length(max=64)])
    contact_phone = StringField(_l("Your phone"), validators=[
        DataRequired(_l("Enter a phone number we can call.")), Length(max=20)])

    clean_photos: list = []

    def setup(self, categories: list[tuple[int, str]]) -> RaiseForm:
        """The category choices (the active categories, plus "not sure")."""
        self.category_choices = categories
        self.category_id.choices = [(0, _l("Not sure"))] + categories
        return self

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for f in (self.title, self.description, self.contact_name, self.contact_phone):
            if f.data and CONTROL.search(f.data):
                f.errors = [*f.errors, _l("Remove the special characters.")]
                ok = False
        if self.contact_phone.data and not PHONE.match(self.contact_phone.data.strip()):
            self.contact_phone.errors = [*self.contact_phone.errors,
                                         _l("Enter a phone number such as 13800138000.")]
            ok = False
        if self.category_id.data and self.category_id.data not in {
                c for c, _label in self.category_choices}:
            self.category_id.errors = [_l("Choose a category from the list.")]
            ok = False
        return self._validate_photos() and ok

    def _validate_photos(self) -> bool:
        files = chosen_files(self.photos)
        if len(files) > MAX_PHOTOS:
            self.photos.errors = [_l("At most %(n)d photos.", n=MAX_PHOTOS)]
            return False
        cleaned, errors = clean_each(files, lambda f: clean_photo(f.stream, f.filename[:60]),
                                     PhotoError)
        self.clean_photos = cleaned
        if errors:
            self.photos.errors = errors
            return False
        return True

    def data_for_service(self) -> dict:
        """The checked values for ``services.raise_problem``."""
        return {"title": self.title.data.strip(),
                "description": (self.description.data or "").strip() or None,
                "category_id": self.category_id.data or None,
                "contact_name": self.contact_name.data.strip(),
                "contact_phone": self.contact_phone.data.strip()}
