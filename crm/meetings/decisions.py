"""Decisions (议定事项): each is backed by a problem of source ``decision`` so that it is
dispatched, tracked, lit and reported exactly like a problem."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from crm.core import audit
from crm.extensions import db
from crm.issues.models import Issue
from crm.issues.services import raise_issue
from crm.issues.workflow import transition  # the only writer of state
from crm.meetings.models import Decision, Meeting


def decisions_of(meeting: Meeting) -> list[Decision]:
    """The meeting's decisions with their problems and units, in order (one query)."""
    return db.session.scalars(
        select(Decision).where(Decision.meeting_id == meeting.id)
        .options(joinedload(Decision.issue), joinedload(Decision.unit))
        .order_by(Decision.position, Decision.id)
    ).all()


def add_decision(meeting: Meeting, text: str, unit, due_date: date, actor) -> Decision:
    """Record a decision and open its tracking problem, dispatched to ``unit`` with the
    decision's deadline."""
    text = text.strip()
    issue = raise_issue(None, {"title": text[:200], "description": text}, actor,
                        source="decision")
    dispatch_decision(issue, unit, due_date, actor)
    position = (db.session.scalar(select(func.max(Decision.position)).where(
        Decision.meeting_id == meeting.id)) or 0) + 1
    decision = Decision(meeting_id=meeting.id, issue_id=issue.id, text=text, unit_id=unit.id,
                        due_date=due_date, position=position)
    db.session.add(decision)
    db.session.flush()
    audit.record(actor, "decision", meeting, after={"decision": decision.id, "unit": unit.id,
                                                    "due": due_date.isoformat()},
                 summary=f"议定事项：{text[:60]}")
    return decision


def dispatch_decision(issue: Issue, unit, due_date: date, actor) -> None:
    """Dispatch the decision's problem to ``unit`` due at the end of ``due_date``."""
    transition(issue, "dispatch", actor, unit_id=unit.id, due_date=due_date)
