"""The base of every form: Flask-WTF's, with WTForms' own messages in the user's language.

Flask-WTF translates WTForms' built-in messages ("Not a valid choice", …) from the
catalogue WTForms ships; its Chinese one leaves a few untranslated or fuzzy. Those fall
back to the application's catalogue, which carries them (listed below so that the
extraction keeps them).
"""
from __future__ import annotations

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from markupsafe import escape
from wtforms import DateTimeLocalField
from wtforms.widgets import Select

from crm.core.timeutil import to_local, to_utc

# WTForms messages missing from its Chinese catalogue (WTForms 3.1–3.3).
MISSING_FROM_WTFORMS = (
    _l("This field cannot be edited."),
    _l("This field is disabled and cannot have a value."),
    _l("Not a valid week value."),
    lazy_ngettext("'%(value)s' is not a valid choice for this field.",
                  "'%(value)s' are not valid choices for this field.", 1),
)


class _Translations:
    """WTForms' catalogue first, then the application's (untranslated strings come back
    as they are, so the comparison tells a miss; WTForms fills the placeholders)."""

    def gettext(self, string):
        found = wtforms_translations.gettext(string)
        return get_translations().ugettext(string) if found == string else found

    def ngettext(self, singular, plural, n):
        found = wtforms_translations.ngettext(singular, plural, n)
        if found in (singular, plural):
            return get_translations().ungettext(singular, plural, n)
        return found


TRANSLATIONS = _Translations()


class BaseForm(FlaskForm):
    """``FlaskForm`` whose built-in messages are all in the user's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return TRANSLATIONS


class LocalDateTimeField(DateTimeLocalField):
    """A date and time as people type and read it (Asia/Shanghai), stored as naive UTC.

    ``data`` is always naive UTC: a submitted wall-clock time is converted on input, and
    a stored value (``obj=``, ``data=``, a default) is shown in local time in the input.
    So a view passes ``field.data`` to a service, and fills the form from the object,
    without converting anything by hand. What was typed is shown back unchanged when the
    form is redisplayed with an error.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        # The first format is the one the browser's datetime-local input reads.
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
                                     "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
        kwargs.setdefault("invalid_value_message",
                          _l("Enter a date and time such as 2026-12-01 09:30."))
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if not self.data:
            return ""
        return to_local(self.data).strftime(self.format[0])

    def process_formdata(self, valuelist) -> None:
        """Parse the local wall-clock time and keep it as naive UTC."""
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = to_utc(self.data)


class LongSelect(Select):
    """A select of thousands of options (a province's 3,000 units): each option written
    with one format string instead of WTForms' attribute builder, ten times faster,
    the same HTML (``<option selected value="…">label</option>``)."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        label = choice.label if choice.label is not None else value
        selected = "selected " if choice.selected else ""
        return f'<option {selected}value="{escape(value)}">{escape(label)}</option>'


def chosen_files(field) -> list:
    """The files actually chosen in a file field (a form with none sends an empty part)."""
    return [f for f in (field.data or []) if getattr(f, "filename", None)]


def clean_each(files, clean, error_type) -> tuple[list, list[str]]:
    """``clean(f)`` of every upload: (the cleaned ones, the messages of those refused with
    ``error_type``), so that every bad file is named at once, next to the field."""
    cleaned, errors = [], []
    for f in files:
        try:
            cleaned.append(clean(f))
        except error_type as exc:
            errors.append(str(exc))
    return cleaned, errors
