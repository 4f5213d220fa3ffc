"""The sets of problems that the figures count, as SQL conditions on ``Issue``.

The coordinator's overview and the meeting packets count these sets
(``crm.meetings.metrics``) and the problem list filters by the very same conditions
(``crm.issues.list_filters.ListFilter``), so that every figure opens a list of exactly the
problems it counts. Instants are naive UTC; a range is ``[start, end)`` and either end
may be None (open).

The resolution instant of a problem is its *latest* resolution (``resolved_at``):
a reopen clears it, so a problem reopened and not resolved again is not resolved, and
one resolved again counts when it was resolved again.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, literal, or_, true

from crm.issues.appeals import upheld_rating
from crm.issues.models import OPEN_STATES, Issue, IssueEvent

RESOLVED_STATES = ("resolved", "closed")
# Ratings of 4 and 5 are satisfied (满意); the enterprise rates 1–5.
SATISFIED = 4


def _states(states):
    # Written into the SQL (not bound) so that SQLite can use the state indexes.
    return [literal(s, literal_execute=True) for s in states]


def in_range(column, start: datetime | None, end: datetime | None):
    """``start <= column < end`` (either bound may be None)."""
    conds = []
    if start is not None:
        conds.append(column >= start)
    if end is not None:
        conds.append(column < end)
    if not conds:
        return column.is_not(None)
    return and_(*conds)


def raised_in(start, end):
    """Problems raised (registered) in the range, dispatched or not."""
    return in_range(Issue.raised_at, start, end)


def dispatched_in(start, end):
    """Problems first dispatched to a unit in the range (a re-dispatch after a return
    keeps the first dispatch's instant)."""
    return in_range(Issue.dispatched_at, start, end)


def resolved_in(start, end):
    """Problems whose latest resolution falls in the range and which are still resolved
    (awaiting the rating, or closed after it)."""
    return and_(in_range(Issue.resolved_at, start, end),
                Issue.state.in_(_states(RESOLVED_STATES)))


def _not_resolved_before(at):
    return or_(Issue.resolved_at.is_(None), Issue.resolved_at >= at)


def pending_parts(at: datetime):
    """``pending_at(at)`` as three parts that never overlap (they differ in state),
    each served by an index: still open now; resolved after ``at`` and awaiting the
    rating; closed after ``at``. The figures count each part apart."""
    dispatched = Issue.dispatched_at < at
    return (
        and_(Issue.state.in_(_states(OPEN_STATES)), dispatched),
        and_(Issue.state == literal("resolved", literal_execute=True), dispatched,
             _not_resolved_before(at)),
        and_(Issue.state == literal("closed", literal_execute=True), Issue.closed_at >= at,
             dispatched, _not_resolved_before(at)),
    )


def pending_at(at: datetime):
    """Problems in a unit's hands at the instant ``at``: dispatched before it, and
    neither resolved (latest resolution) nor closed before it. For an instant in the
    future these are the problems open now (and dispatched)."""
    return or_(*pending_parts(at))


def handled_in(start, end):
    """The base of the resolution rate: problems resolved in the range, and those still
    pending at its end (the two never overlap)."""
    return or_(resolved_in(start, end), pending_at(end))


def rated_in(start, end):
    """Problems whose (latest) rating was given in the range — unless a unit's appeal
    against that rating was upheld (``crm.issues.appeals``): it no longer counts."""
    return and_(in_range(Issue.rated_at, start, end), Issue.rating.is_not(None),
                ~upheld_rating())


def supervised_in(start, end):
    """Problems that received a supervision notice (督办) in the range."""
    return exists().where(IssueEvent.issue_id == Issue.id, IssueEvent.action == "supervise",
                          in_range(IssueEvent.at, start, end))


def on_time():
    """Resolved no later than the due instant in force when it was resolved."""
    return Issue.resolved_on_time.is_(True)


def rating_at_least(n: int):
    """Rated ``n`` or better (satisfied: 4)."""
    return Issue.rating >= n


def rated_by(channel: str):
    """Rated through ``channel``: ``self`` (the enterprise itself) or ``recorded``."""
    return Issue.rating_channel == channel


def ever_reopened():
    """Reopened at least once (after a low rating or by a coordinator)."""
    return Issue.reopen_count > 0


def overdue_now(now: datetime):
    """Open problems whose clock runs and whose due instant has passed (red)."""
    return Issue.red_expr(now)


def lead_unit(unit_id):
    """Problems whose lead unit (主办) is ``unit_id`` (cooperating units not counted)."""
    return Issue.lead_unit_id == unit_id if unit_id is not None else true()
