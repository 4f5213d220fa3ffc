"""Sections that packages above ``meetings`` add to the coordinator's overview and to
the meeting packets (the 专班 section, financing, 停减产 …), registered at app build so
that ``meetings`` never imports them.

An overview section's ``context(period, now)`` and a packet section's
``context(meeting, now)`` return the variables of its template, or None when the
section has nothing to show; the template is included with them as ``section``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Section:
    key: str            # unique, also the HTML id
    order: int          # place among the added sections (lower first)
    template: str
    context: Callable


OVERVIEW: dict[str, Section] = {}
PACKET: dict[str, dict[str, Section]] = {}   # packet kind → key → section


def add_overview(section: Section) -> Section:
    OVERVIEW[section.key] = section
    return section


def add_packet(kind: str, section: Section) -> Section:
    PACKET.setdefault(kind, {})[section.key] = section
    return section


def _built(sections, *args) -> list[tuple[Section, dict]]:
    out = []
    for section in sorted(sections, key=lambda s: (s.order, s.key)):
        ctx = section.context(*args)
        if ctx is not None:
            out.append((section, ctx))
    return out


def overview_sections(period, now) -> list[tuple[Section, dict]]:
    """The added overview sections with their variables, in order."""
    return _built(OVERVIEW.values(), period, now)


def packet_sections(kind: str, meeting, now) -> list[tuple[Section, dict]]:
    """The sections added to packets of ``kind`` with their variables, in order."""
    return _built(PACKET.get(kind, {}).values(), meeting, now)
