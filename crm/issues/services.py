"""Creating problems. State changes after creation go through ``crm.issues.workflow``."""
from __future__ import annotations

from crm.core.counters import next_value
from crm.core.timeutil import to_local, utcnow
from crm.extensions import db
from crm.issues.models import Issue, IssueEvent


def next_issue_number(now=None) -> str:
    """The next readable number for the local year, e.g. ``2026-0137``."""
    year = to_local(now or utcnow()).year
    return f"{year}-{next_value(f'issue:{year}'):04d}"


def raise_issue(enterprise, data: dict, actor, *, visit=None, source: str | None = None) -> Issue:
    """Record a problem raised for ``enterprise`` (state ``new``) with its first event.

    ``data`` holds ``title`` and optionally ``description``, ``category_id``, ``level``.
    """
    now = utcnow()
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
    )
    db.session.add(issue)
    db.session.flush()
    db.session.add(IssueEvent(issue_id=issue.id, at=now, actor_id=issue.raised_by_id,
                              action="raise", to_state="new",
                              data={"visit_id": visit.id} if visit is not None else None))
    db.session.flush()
    return issue
