"""Packet kinds: what a kind of packet (Briefing) is built from, its title, its template
and who may see a version of it.

The meeting packets (``joint``, ``review``) and the leader's ``portfolio`` are
registered by ``crm.meetings.packets.context``. Packages above ``meetings`` (task forces,
financing, the weekly bulletin …) register their own kinds from their ``packets`` module
when the app is built, so the pipeline (versions, the rq job, the PDF, the pages under
/briefings) serves them without ``meetings`` importing them. A kind without a meeting or
a leader names its subject in ``Briefing.subject_key`` (e.g. ``taskforce:3:2026-12-07``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

# Kinds the database accepts (CheckConstraint ``kind`` on briefings): a new kind is
# added here and in a migration.
MEETING_KINDS = ("joint", "review", "minutes")
LEADER_KINDS = ("portfolio",)
KEYED_KINDS = ("taskforce", "matching", "bulletin", "inspection")
ALL_KINDS = MEETING_KINDS + LEADER_KINDS + KEYED_KINDS


@dataclass(frozen=True)
class PacketKind:
    """One kind of packet.

    ``context(briefing, full_lists)`` returns the template's variables (``full_lists``:
    the Excel tables want every row); ``title(briefing)`` the cover and file title;
    ``can_view(user, briefing)`` decides from the briefing's own columns; ``template``
    is rendered with the context; ``workbook(briefing)`` (optional) gives the .xlsx
    bytes of its tables; ``back(briefing)`` (optional) the URL of the page the packet
    belongs to; ``check_final(briefing)`` (optional) the messages saying what must be
    done before a version can be made final (none: it can).
    """

    name: str
    context: Callable
    title: Callable
    can_view: Callable
    template: str
    workbook: Callable | None = None
    back: Callable | None = None
    check_final: Callable | None = None


KINDS: dict[str, PacketKind] = {}


def register(kind: PacketKind) -> PacketKind:
    """Make ``kind`` known to the pipeline (at import of its module)."""
    if kind.name not in ALL_KINDS:
        raise ValueError(f"packet kind {kind.name!r} is not in ALL_KINDS (and the "
                         "briefings table's kind constraint)")
    KINDS[kind.name] = kind
    return kind


def get(name: str) -> PacketKind:
    """The registered kind ``name`` (KeyError when its package was not loaded)."""
    return KINDS[name]
