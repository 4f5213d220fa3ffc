"""Problem services: raising, dispatch proposals and bulk dispatch, rating links.

State changes after creation go through ``crm.issues.workflow.transition``. Reference
data (categories, deadline rules, the holiday calendar) is kept by
``crm.issues.admin_services``.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from crm.core.counters import next_value
from crm.core.timeutil import to_local, utcnow
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.actions import redispatch_due_day
from crm.issues.errors import NotAllowed
from crm.issues.models import Category, DeadlineRule, Issue, IssueEvent, RatingToken
from crm.issues.workflow import EnterpriseRater, check, transition

RATING_TOKEN_DAYS = 7


def next_issue_number(now=None) -> str:
    """The next readable number for the local year, e.g. ``2026-0137``."""
    year = to_local(now or utcnow()).year
    return f"{year}-{next_value(f'issue:{year}'):04d}"


def raise_issue(enterprise, data: dict, actor, *, visit=None, source: str | None = None,
                now: datetime | None = None) -> Issue:
    """Record a problem raised for ``enterprise`` (state ``new``) with its first event.

    ``data`` holds ``title`` and optionally ``description``, ``category_id``, ``level``.
    ``now`` is the instant it was raised (default: the clock; a generator passes its own).
    """
    now = now or utcnow()
    issue = Issue(
        number=next_issue_number(now),
        source=source or ("visit" if visit is not None else "direct"),
        enterprise_id=enterprise.id if enterprise is not None else None,
        visit_id=visit.id if visit is not None else None,
        raised_by_id=actor.id if actor is not None else None,
        raised_at=now,
        title=data["title"].strip(),
        description=(data.get("description") or "").strip() or None,
        category_id=data.get("category_id") or None,
        level=data.get("level") or "ordinary",
        state="new",
        updated_at=now,
    )
    if issue.category_id and not data.get("level"):
        category = db.session.get(Category, issue.category_id)
        if category is not None:
            issue.level = category.default_level
    db.session.add(issue)
    db.session.flush()
    db.session.add(IssueEvent(issue_id=issue.id, at=now, actor_id=issue.raised_by_id,
                              action="raise", to_state="new",
                              data={"visit_id": visit.id} if visit is not None else None))
    db.session.flush()
    return issue


# -- dispatch proposals ------------------------------------------------------------------

@dataclass
class Proposal:
    """What the dispatch form proposes for a problem: unit and level from its category,
    the due day from the deadline rules. For a returned problem no unit is proposed
    (the category's unit is most often the one that returned it, and the coordinator's
    choice is final) and the due day is the re-dispatch one (the clock runs on)."""

    unit_id: int | None
    unit_name: str | None
    level: str
    due_day: date | None
    returned_by_unit_id: int | None = None


class Proposer:
    """Dispatch proposals for many problems with a fixed number of queries."""

    def __init__(self, now: datetime | None = None):
        self.now = now or utcnow()
        self.categories = {c.id: c for c in db.session.scalars(select(Category))}
        self.rules = list(db.session.scalars(select(DeadlineRule)))
        today = dl.local_date(self.now)
        self.cal = dl.WorkCalendar.load(today, today + timedelta(days=60))

    def propose(self, issue: Issue) -> Proposal:
        """Unit, level and due day proposed for dispatching ``issue`` now."""
        category = self.categories.get(issue.category_id)
        level = issue.level or (category.default_level if category else "ordinary")
        limits = dl.limits_for(issue.category_id, level, self.rules)
        today = dl.local_date(self.now)
        if issue.state == "returned":
            return Proposal(None, None, level, redispatch_due_day(issue, today, limits, self.cal),
                            returned_by_unit_id=issue.lead_unit_id)
        due = dl.resolve_due_day(today, limits, self.cal)
        unit = category.lead_unit if category is not None else None
        return Proposal(unit.id if unit else None, unit.name if unit else None, level, due)


def bulk_dispatch(issues: list[Issue], versions: dict[int, int], actor,
                  now: datetime | None = None) -> tuple[list[Issue], list[Issue]]:
    """Dispatch each problem to its proposed unit and level (the triage board's bulk
    action). Problems without a proposed unit are skipped and returned as such.

    All-or-nothing for the dispatched ones: a conflict or refusal raises the workflow's
    error and the caller rolls back. Returns (dispatched, skipped).
    """
    proposer = Proposer(now)
    done, skipped = [], []
    for issue in issues:
        proposal = proposer.propose(issue)
        if proposal.unit_id is None:
            skipped.append(issue)
            continue
        transition(issue, "dispatch", actor, expected_version=versions.get(issue.id),
                   now=now, unit_id=proposal.unit_id, level=proposal.level,
                   category_id=issue.category_id)
        done.append(issue)
    return done, skipped


# -- rating links ------------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_rating_token(issue: Issue, actor, now: datetime | None = None) -> str:
    """A new one-time rating link token for a resolved problem (valid 7 days).

    Only its SHA-256 is stored; earlier unused links of the problem stop working. The
    event records that a link was handed out (not the token).
    """
    now = now or utcnow()
    if issue.state != "resolved":
        raise NotAllowed(_("A rating link can only be issued for a resolved problem."))
    check(issue, "rate", actor, now)
    db.session.execute(update(RatingToken).where(
        RatingToken.issue_id == issue.id, RatingToken.used_at.is_(None),
        RatingToken.expires_at > now).values(expires_at=now))
    token = secrets.token_urlsafe(24)
    db.session.add(RatingToken(issue_id=issue.id, token_hash=_hash(token), created_at=now,
                               created_by_id=actor.id,
                               expires_at=now + timedelta(days=RATING_TOKEN_DAYS)))
    db.session.add(IssueEvent(issue_id=issue.id, at=now, actor_id=actor.id,
                              action="rating_link"))
    db.session.flush()
    return token


def find_rating_token(token: str, now: datetime | None = None) -> tuple[RatingToken | None, str]:
    """The token row for a link and its status: ``ok``, ``unknown``, ``used``,
    ``expired`` or ``not_resolved``."""
    now = now or utcnow()
    if not token or len(token) > 100:
        return None, "unknown"
    row = db.session.scalar(select(RatingToken).where(RatingToken.token_hash == _hash(token)))
    if row is None:
        return None, "unknown"
    if row.used_at is not None:
        return row, "used"
    if row.expires_at <= now:
        return row, "expired"
    issue = db.session.get(Issue, row.issue_id)
    if issue is None or issue.state != "resolved":
        return row, "not_resolved"
    return row, "ok"


def rate_by_token(token: str, data: dict, now: datetime | None = None) -> Issue:
    """The enterprise rates through its link (channel ``self``); the token is used up.

    Raises NotAllowed when the link is not (or no longer) valid.
    """
    now = now or utcnow()
    row, status = find_rating_token(token, now)
    if status != "ok":
        raise NotAllowed(_("This rating link is no longer valid."))
    issue = rate_by_enterprise(db.session.get(Issue, row.issue_id), data, now)
    row.used_at = now
    db.session.flush()
    return issue


def rate_by_enterprise(issue: Issue, data: dict, now: datetime | None = None) -> Issue:
    """The enterprise's own rating of a resolved problem (channel ``self``), through the
    workflow's ``rate``: 3 or more closes it, 1–2 reopen it, and the 回访 rules apply
    (``crm.issues.followups``). ``data``: ``rating``, ``text``, ``contact``. Used by the
    one-time link and by the enterprise's code page (``crm.channel``)."""
    now = now or utcnow()
    rater = EnterpriseRater((data.get("contact") or "").strip()[:64] or None)
    transition(issue, "rate", rater, now=now, rating=data.get("rating"),
               text=data.get("text"), contact=rater.name)
    return issue
