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

from sqlalchemy import and_, case, exists, literal, or_, select, true

from crm.auth.models import User
from crm.issues.appeals import upheld_rating
from crm.issues.followups import FollowUp
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


def rating_given_in(start, end):
    """Problems whose (latest) rating was given in the range, before the appeals are
    looked at: ``rated_in`` differs from it only on problems with an upheld appeal."""
    return and_(in_range(Issue.rated_at, start, end), Issue.rating.is_not(None))


def rated_in(start, end):
    """Problems whose (latest) rating was given in the range — unless a unit's appeal
    against that rating was upheld (``crm.issues.appeals``): it no longer counts."""
    return and_(rating_given_in(start, end), ~upheld_rating())


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


# -- the unit scorecard's sets (``crm.meetings.scorecards``) --------------------------------

def signed_on_time():
    """Signed for (签收) no later than the sign deadline."""
    return and_(Issue.signed_at.is_not(None), Issue.sign_due_at.is_not(None),
                Issue.signed_at <= Issue.sign_due_at)


def signed_late():
    """Dispatched but not signed for by the sign deadline (signed late, or not yet):
    with ``signed_on_time`` it splits the dispatched problems in two."""
    return and_(Issue.dispatched_at.is_not(None), or_(
        Issue.signed_at.is_(None), Issue.sign_due_at.is_(None),
        Issue.signed_at > Issue.sign_due_at))


def returned_in(start, end, unit_id: int | None = None):
    """Problems returned (退回) in the range by a handler of the unit ``unit_id`` (by
    anyone when None); a problem returned twice is one problem."""
    conds = [IssueEvent.issue_id == Issue.id, IssueEvent.action == "return",
             in_range(IssueEvent.at, start, end)]
    if unit_id is not None:
        conds.append(IssueEvent.actor_id.in_(select(User.id).where(User.unit_id == unit_id)))
    return exists().where(*conds)


def return_base(start, end, unit_id: int):
    """The base of the unit's return rate: problems it returned in the range, and those
    first dispatched in the range with it as the lead unit (each problem once)."""
    return or_(returned_in(start, end, unit_id),
               and_(dispatched_in(start, end), Issue.lead_unit_id == unit_id))


def open_late_at(cut: datetime):
    """Problems dispatched before ``cut`` and past their due time at ``cut`` without
    having been resolved or closed by then (a paused clock does not run)."""
    return and_(Issue.dispatched_at < cut, Issue.due_at < cut, Issue.state != "paused",
                or_(Issue.resolved_at.is_(None), Issue.resolved_at >= cut),
                or_(Issue.closed_at.is_(None), Issue.closed_at >= cut))


def overdue_in(start, end, now: datetime):
    """The scorecard's 超期 set for the range: problems resolved late in it, and those
    still past their due time at its end (or now, for a range still running). The two
    never overlap (a late resolution lies before the cut)."""
    cut = min(end, now) if end is not None else now
    return or_(and_(resolved_in(start, end), ~on_time()), open_late_at(cut))


def verified_satisfied():
    """A rating counts as satisfied when it is 4 or 5, unless a follow-up call on that
    rating contradicted it (``crm.issues.followups``): then as the call found it."""
    contradicting = select(FollowUp.verdict).where(
        FollowUp.issue_id == Issue.id, FollowUp.rated_at == Issue.rated_at,
        FollowUp.is_contradiction.is_(True)).order_by(FollowUp.id.desc()).limit(1) \
        .scalar_subquery()
    return case((contradicting.is_not(None), contradicting == "satisfied"),
                else_=Issue.rating >= SATISFIED)
