"""Who is told about a problem, and the stored text of the notice.

Notices are stored in Chinese whatever the actor's interface language, since the
recipient reads them later in the bell. Recipients are named by audience:

* ``unit`` – the active handlers of the lead unit (or only the handler who signed, for
  ``handler``), ``coop`` – the handlers of the cooperating units;
* ``coordinators`` – every active coordinator;
* ``leaders`` – the enterprise's leader A, or leader B while A is away (LeaderAbsence),
  or B when there is no A;
* ``commissioners`` – the enterprise's current commissioners, ``raiser`` – who raised it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from sqlalchemy import select

from crm.auth.models import User, UserRole
from crm.core.notify import notify, notify_unit
from crm.core.timeutil import local_today, to_local
from crm.enterprises.assignments import leader_recipients_by_enterprise
from crm.enterprises.models import Assignment
from crm.extensions import db
from crm.issues.models import IssueUnit

NOTICE_LOCALE = "zh_Hans_CN"


@dataclass
class Notice:
    """One notice to send about a problem: kind, audiences and the (Chinese) text."""

    kind: str
    audiences: tuple[str, ...]
    text: str
    extra_user_ids: set[int] = field(default_factory=set)


def zh(message) -> str:
    """A lazy string (``_l(...)``) rendered in Chinese, for text stored for someone else
    to read later."""
    with force_locale(NOTICE_LOCALE):
        return str(message)


def local_dt(value) -> str:
    """A stored naive-UTC instant as local "2026-03-02 18:00" (for notice texts)."""
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _active_role_users(role: str):
    return (select(User.id, User.unit_id).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.is_active.is_(True)))


def unit_handler_ids(unit_ids: Iterable[int]) -> dict[int, set[int]]:
    """{unit id: active handler ids} for the given units (one query)."""
    ids = {u for u in unit_ids if u}
    out: dict[int, set[int]] = defaultdict(set)
    if ids:
        for uid, unit_id in db.session.execute(
                _active_role_users("handler").where(User.unit_id.in_(ids))):
            out[unit_id].add(uid)
    return out


def coordinator_ids() -> set[int]:
    """Every active coordinator."""
    return {uid for uid, _unit in db.session.execute(_active_role_users("coordinator"))}


def _active_on(on: date):
    return (Assignment.start_date <= on) & (
        Assignment.end_date.is_(None) | (Assignment.end_date >= on))


def commissioner_ids(enterprise_ids: Iterable[int], on: date | None = None) -> dict[int, set[int]]:
    """{enterprise id: its commissioners on ``on``} (one query)."""
    ids = {e for e in enterprise_ids if e}
    out: dict[int, set[int]] = defaultdict(set)
    if ids:
        rows = db.session.execute(
            select(Assignment.enterprise_id, Assignment.user_id).where(
                Assignment.enterprise_id.in_(ids), Assignment.role == "commissioner",
                _active_on(on or local_today())))
        for eid, uid in rows:
            out[eid].add(uid)
    return out


def leaders_for(enterprise_ids: Iterable[int], on: date | None = None) -> dict[int, set[int]]:
    """{enterprise id: the leaders to tell on ``on``}: leader A, plus leader B while A is
    away; B alone when there is no A (``crm.enterprises.assignments`` owns the rule)."""
    return leader_recipients_by_enterprise(enterprise_ids, on)


def leaders_to_notify(enterprise, on: date | None = None) -> set[int]:
    """The leaders who receive ``enterprise``'s notices on ``on``: leader A, or leader B
    while A is away (LeaderAbsence) or when there is no leader A."""
    if enterprise is None:
        return set()
    eid = enterprise if isinstance(enterprise, int) else enterprise.id
    return leaders_for([eid], on).get(eid, set())


class Audience:
    """Resolves audiences for a batch of problems with a fixed number of queries."""

    def __init__(self, issues, on: date | None = None):
        self.on = on or local_today()
        issues = list(issues)
        issue_ids = [i.id for i in issues]
        self.coop: dict[int, set[int]] = defaultdict(set)
        if issue_ids:
            for iid, unit_id in db.session.execute(
                    select(IssueUnit.issue_id, IssueUnit.unit_id).where(
                        IssueUnit.issue_id.in_(issue_ids))):
                self.coop[iid].add(unit_id)
        units = {i.lead_unit_id for i in issues} | {u for s in self.coop.values() for u in s}
        self.handlers = unit_handler_ids(units)
        ents = {i.enterprise_id for i in issues}
        self._ents = ents
        self._coordinators: set[int] | None = None
        self._leaders: dict[int, set[int]] | None = None
        self._commissioners: dict[int, set[int]] | None = None

    @property
    def coordinators(self) -> set[int]:
        """Every active coordinator (read once)."""
        if self._coordinators is None:
            self._coordinators = coordinator_ids()
        return self._coordinators

    def leaders(self, issue) -> set[int]:
        """The leaders to tell about ``issue`` (A, or B while A is away)."""
        if self._leaders is None:
            self._leaders = leaders_for(self._ents, self.on)
        return self._leaders.get(issue.enterprise_id, set())

    def commissioners(self, issue) -> set[int]:
        """The current commissioners of ``issue``'s enterprise."""
        if self._commissioners is None:
            self._commissioners = commissioner_ids(self._ents, self.on)
        return self._commissioners.get(issue.enterprise_id, set())

    def resolve(self, issue, audiences: Iterable[str]) -> set[int]:
        """User ids for ``audiences`` of ``issue``."""
        ids: set[int] = set()
        for aud in audiences:
            if aud == "unit":
                ids |= self.handlers.get(issue.lead_unit_id, set())
            elif aud == "handler":
                ids |= ({issue.handler_id} if issue.handler_id
                        else self.handlers.get(issue.lead_unit_id, set()))
            elif aud == "coop":
                for unit_id in self.coop.get(issue.id, ()):
                    ids |= self.handlers.get(unit_id, set())
            elif aud == "coordinators":
                ids |= self.coordinators
            elif aud == "leaders":
                ids |= self.leaders(issue)
            elif aud == "commissioners":
                ids |= self.commissioners(issue)
            elif aud == "raiser" and issue.raised_by_id:
                ids.add(issue.raised_by_id)
            else:
                raise ValueError(f"unknown audience {aud}")
        return ids


def issue_link(issue) -> str:
    """The problem page, as a site-relative link for the bell."""
    return f"/problems/{issue.id}"


def send(issue, notices: Iterable[Notice], *, key: str, exclude: set[int] | None = None,
         audience: Audience | None = None) -> int:
    """Send ``notices`` about ``issue``; ``key`` makes each (notice kind, key) unique per
    user. Returns how many notifications were added."""
    notices = list(notices)
    if not notices:
        return 0
    audience = audience or Audience([issue])
    added = 0
    for n in notices:
        ids = (audience.resolve(issue, n.audiences) | n.extra_user_ids) - (exclude or set())
        added += notify(ids, n.kind, n.text, link=issue_link(issue), issue_id=issue.id,
                        dedupe_key=f"{key}:{n.kind}"[:120])
        if "unit" in n.audiences:  # also to the lead unit's group chat, when it has a robot
            notify_unit(issue.lead_unit_id, n.text, link=issue_link(issue))
    return added
