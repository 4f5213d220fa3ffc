"""Small badges used on many rows (lights, statuses, stars), as template globals.

Written in Python rather than as Jinja macros: a leader's home shows a hundred-odd
cards with half a dozen badges each, and a macro call costs ten times a function call.
The HTML is the same as the macros it replaces.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from crm.enterprises.models import STATUSES

_LIGHTS = {"red": ("danger", _l("Overdue")), "yellow": ("warning", _l("Due soon")),
           "green": ("success", _l("On track"))}
_STATUS_CLASSES = {"normal": "text-bg-success", "reduced": "text-bg-warning",
                   "halted": "text-bg-danger", "deregistered": "text-bg-secondary"}


def light_badge(light) -> Markup:
    """The traffic light of a problem (nothing when its clock does not run)."""
    if light not in _LIGHTS:
        return Markup("")
    colour, text = _LIGHTS[light]
    return Markup(f'<span class="badge text-bg-{colour}" data-light="{light}">'
                  f"{escape(str(text))}</span>")


def status_badge(status) -> Markup:
    """An enterprise's operating status."""
    return Markup(f'<span class="badge {_STATUS_CLASSES[status]}" data-status="{status}">'
                  f"{escape(str(STATUSES[status]))}</span>")


def chain_badge(ent) -> Markup:
    """"Chain leader" for the leading enterprise of an industrial chain."""
    if not ent.is_chain_leader:
        return Markup("")
    return Markup(f'<span class="badge text-bg-info">{escape(_("Chain leader"))}</span>')


def week_badge(visited: bool) -> Markup:
    """Visited this week, or not."""
    if visited:
        return Markup('<span class="badge text-bg-success" data-testid="visited-week">'
                      f'{escape(_("Visited this week"))}</span>')
    return Markup('<span class="badge text-bg-light border text-body" '
                  f'data-testid="not-visited-week">{escape(_("Not visited this week"))}</span>')


def stars(n: int) -> Markup:
    """A rating of 1–5 as stars, with the number for screen readers."""
    return Markup(f'<span class="text-warning" aria-label="{escape(_("%(n)d of 5", n=n))}">'
                  f'{"★" * n}{"☆" * (5 - n)}</span>')


GLOBALS = {f.__name__: f for f in (light_badge, status_badge, chain_badge, week_badge, stars)}
