"""The monthly packet at any scale: a section whose rows pass its limit is printed in
summary form, and the full list stays in the packet's Excel tables (``tables.py``).

A county packet is a few dozen pages and prints every row. A province has thousands of
overdue problems, tens of thousands of leader × enterprise rows and over ten thousand
enterprises with open problems: printed in full that is more than 11,000 pages, which
nobody carries into a meeting. The data decides, section by section, against the limits
in ``crm.config.Config`` (``PACKET_*``):

* red list by unit → one row per unit: its overdue count, the most overdue in working
  days and its few most overdue problems;
* each leader's enterprises → one row per leader: enterprises, visited in the period,
  open and overdue problems, naming only the enterprises with an overdue problem or a
  problem on this meeting's agenda, most urgent first;
* the appendix → pages only for the enterprises on the agenda or with an overdue
  problem, most urgent first, up to the limit.

Every function here runs a fixed number of queries whatever the data size.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import case, func, select

from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.issues.models import OPEN_STATES, Issue
from crm.meetings import metrics


@dataclass(frozen=True)
class PacketLimits:
    """The row limits of the monthly packet's sections (see ``Config.PACKET_*``)."""

    red_rows: int
    red_oldest: int
    leader_rows: int
    leader_named: int
    appendix_pages: int

    @classmethod
    def from_config(cls, config) -> "PacketLimits":
        """The limits set in the application's configuration."""
        return cls(red_rows=config["PACKET_RED_ROWS"], red_oldest=config["PACKET_RED_OLDEST"],
                   leader_rows=config["PACKET_LEADER_ROWS"],
                   leader_named=config["PACKET_LEADER_NAMED"],
                   appendix_pages=config["PACKET_APPENDIX_PAGES"])


@dataclass
class OpenEnterprise:
    """An enterprise with open problems, as the appendix and its Excel table list it."""

    id: int
    name: str
    credit_code: str
    open: int
    red: int
    oldest_red_due: Optional[datetime]
    on_agenda: bool

    @property
    def is_urgent(self) -> bool:
        """On this meeting's agenda or with an overdue problem."""
        return self.on_agenda or self.red > 0

    @property
    def urgency(self) -> tuple:
        """Sort key, most urgent first: on the agenda (the meeting discusses it), then the
        longest overdue, then the most overdue problems, then by name."""
        return (not self.on_agenda, self.oldest_red_due is None,
                self.oldest_red_due or datetime.max, -self.red, self.name, self.id)


def red_count(now: datetime) -> int:
    """How many open problems are overdue now (the rows of the red list)."""
    return db.session.scalar(
        select(func.count()).select_from(Issue).where(Issue.light_expr(now) == "red"))


def open_enterprises(now: datetime, agenda_enterprise_ids: set[int]) -> list[OpenEnterprise]:
    """Every enterprise with an open problem, with its open and overdue counts, most
    urgent first (one query)."""
    is_red = Issue.light_expr(now) == "red"
    rows = db.session.execute(
        select(Enterprise.id, Enterprise.name, Enterprise.credit_code,
               func.count().label("open"),
               func.sum(case((is_red, 1), else_=0)).label("red"),
               func.min(case((is_red, Issue.due_at), else_=None)).label("oldest_red_due"))
        .join(Enterprise, Enterprise.id == Issue.enterprise_id)
        .where(Issue.state.in_(OPEN_STATES))
        .group_by(Enterprise.id, Enterprise.name, Enterprise.credit_code)
    ).all()
    out = [OpenEnterprise(r.id, r.name, r.credit_code, r.open, int(r.red or 0),
                          r.oldest_red_due, r.id in agenda_enterprise_ids) for r in rows]
    out.sort(key=lambda e: e.urgency)
    return out


def appendix_selection(enterprises: list[OpenEnterprise],
                       limit: int) -> tuple[list[int], dict | None]:
    """The enterprises that get an appendix page, in print order, and the summary
    figures when the appendix is cut (``None`` when every enterprise has its page).

    Within the limit the appendix is every enterprise with open problems (printed by
    name, as always). Beyond it, only the urgent ones, most urgent first, ``limit`` at
    most."""
    if len(enterprises) <= limit:
        return [e.id for e in enterprises], None
    urgent = [e for e in enterprises if e.is_urgent]
    shown = urgent[:limit]
    return [e.id for e in shown], {"total": len(enterprises), "urgent": len(urgent),
                                   "shown": len(shown)}


def red_summary(now: datetime, oldest: int):
    """The per-unit summary of the red list: each lead unit's overdue count and its
    ``oldest`` most overdue problems (with working days overdue), most red first."""
    return metrics.red_list(now, per_unit=oldest)


def leader_summary(sections: list[dict], enterprises: list[OpenEnterprise],
                   agenda_enterprise_ids: set[int], named: int) -> list[dict]:
    """One row per leader from ``packets.leader_sections``: their totals and the names
    of their overdue or agenda enterprises, most urgent first, ``named`` at most."""
    urgency = {e.id: e.urgency for e in enterprises}
    out = []
    for s in sections:
        urgent = [r for r in s["rows"] if r["red"] or r["id"] in agenda_enterprise_ids]
        urgent.sort(key=lambda r: urgency.get(r["id"], (r["id"] not in agenda_enterprise_ids,
                                                         True, datetime.max, 0, r["name"],
                                                         r["id"])))
        out.append({"leader": s["leader"], "enterprises": s["enterprises"],
                    "visited": s["visited"], "open": s["open"], "red": s["red"],
                    "urgent": len(urgent), "named": [r["name"] for r in urgent[:named]],
                    "more": max(0, len(urgent) - named)})
    return out
