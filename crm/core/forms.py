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
