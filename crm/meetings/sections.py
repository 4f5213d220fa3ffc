"""Sections that packages above ``meetings`` add to the coordinator's overview and to
the meeting packets (the 专班 section, financing, 停减产 …), registered at app build so
that ``meetings`` never imports them.

An overview section's ``context(period, now)`` and a packet section's
``context(meeting, now)`` return the variables of its template, or None when the
section has nothing to show; the template is included with them as ``section``.

The overview keeps each section, rendered, in the figures' cache
(``crm.meetings.metrics.cache``) beside the month's figures: reused until a write to
what the section reads — ``domains``, by default ``sections``: follow-up calls,
financing needs and the banks' answers, task forces, projects, milestones and their
meetings, unit and enterprise names, workday overrides — or the cache's time limit (a
light turns red without a write). A section whose figures come with the month's own
(``with_figures``: the health flags) gets the month's snapshot as a third argument and
no statement of its own; it is kept under the domains of those figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup

from crm.core.timeutil import to_local
from crm.meetings.metrics.cache import SECTIONS, cached


@dataclass(frozen=True)
class Section:
    key: str            # unique, also the HTML id
    order: int          # place among the added sections (lower first)
    template: str
    context: Callable
    # What its figures are cached under: domains, or a function of the period giving them.
    domains: tuple | Callable = (SECTIONS,)
    with_figures: bool = False  # context(period, now, snapshot)


OVERVIEW: dict[str, Section] = {}
PACKET: dict[str, dict[str, Section]] = {}   # packet kind → key → section


def add_overview(section: Section) -> Section:
    OVERVIEW[section.key] = section
    return section


def add_packet(kind: str, section: Section) -> Section:
    PACKET.setdefault(kind, {})[section.key] = section
    return section


def render_fragment(template: str, **context) -> Markup:
    """A part of a page rendered on its own, to be kept in the cache: the template sees
    what it is given and the application's globals and filters, not the per-request
    context (the navigation, the unread count and their queries)."""
    return Markup(current_app.jinja_env.get_template(template).render(**context))


def _built(sections, *args) -> list[tuple[Section, dict]]:
    out = []
    for section in sorted(sections, key=lambda s: (s.order, s.key)):
        ctx = section.context(*args)
        if ctx is not None:
            out.append((section, ctx))
    return out


def overview_sections(period, now, snapshot=None) -> list[tuple[Section, Markup]]:
    """The added overview sections rendered, in order, each kept in the cache while
    nothing it reads was written (the day and the language are part of the key: a
    section's lights are those of the day)."""
    out = []
    for section in sorted(OVERVIEW.values(), key=lambda s: (s.order, s.key)):
        if section.with_figures:
            def context(s=section):
                return s.context(period, now, snapshot)
        else:
            def context(s=section):
                return s.context(period, now)

        def render(context=context, s=section):
            ctx = context()
            return None if ctx is None else render_fragment(s.template, section=ctx)

        domains = section.domains(period) if callable(section.domains) else section.domains
        html = cached(("section", section.key, period, to_local(now).date(), str(get_locale())),
                      render, domains=domains)
        if html is not None:
            out.append((section, html))
    return out


def packet_sections(kind: str, meeting, now) -> list[tuple[Section, dict]]:
    """The sections added to packets of ``kind`` with their variables, in order."""
    return _built(PACKET.get(kind, {}).values(), meeting, now)
