"""Month rollups: closed months' figures written once, at month end, and rewritten when a
late write touches a closed month (what the rows hold and how the overview reads them:
``crm.meetings.metrics.daily``).

* **At month end** the worker's periodic job ``periodic_rollups`` (``crm.scheduling``)
  writes every closed month that has no rollup yet, and rewrites the stale ones. The
  seeds call ``rebuild_all()`` after generating their data.
* **A late write** — a problem raised, dispatched, resolved, rated or closed in a
  closed month, a reopening that clears an old resolution, a lead unit changed, a
  督办 or a visit dated in a closed month, an assignment, a workday override, an
  upheld appeal — is seen by the same session hook that moves the figures' cache
  versions (``crm.meetings.metrics.cache``). Before the transaction commits, the months
  it touches are marked stale in ``rollup_months`` (in the same transaction, so a mark
  is never lost), then rebuilt: in the same transaction without Redis (the embedded
  setup), by a worker job (``rebuild_stale``) with it. Until then the overview counts
  a stale month live.

Which months a write touches is narrower than the cache's month domains: resolving
today a problem raised last month changes no figure of last month (its pending count
at last month's end already held it), so it leaves last month's rollup alone.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from itertools import chain

from flask import current_app, has_app_context
from sqlalchemy import delete, event, func, insert, inspect, or_, select, true, update
from sqlalchemy.orm import Session

from crm.core.timeutil import to_local, utcnow
from crm.extensions import db
from crm.issues.models import Issue
from crm.issues.problem_sets import RESOLVED_STATES
from crm.jobs import enqueue, reschedule
from crm.liaisons.models import Visit
from crm.meetings.metrics import cache
from crm.meetings.metrics.daily import ROW_COLUMNS, month_rows
from crm.meetings.metrics.figures import Period
from crm.meetings.metrics.queries import CALENDAR_YEARS, all_overrides, calendar_exceptions
from crm.meetings.models import RollupMonth, RollupRow

log = logging.getLogger(__name__)

JOB = "crm.meetings.rollups.periodic_rollups"
INTERVAL = 15 * 60  # seconds between two runs of the periodic job
ALL = "all"  # a mark: every month
_MARKS = "crm_rollup_marks"
_REBUILD = "crm_rollup_rebuild"


# -- writing ------------------------------------------------------------------------------
def running_month(now: datetime | None = None) -> date:
    """The first day of the local month running at ``now``."""
    return to_local(now or utcnow()).date().replace(day=1)


def build_month(month_start: date, overrides: dict[date, bool] | None = None) -> None:
    """(Re)write the rollup rows of the closed month starting ``month_start``: delete its
    rows, insert the month's rows from one SELECT, and mark it fresh — unless a write
    came while it counted (the ``version`` moved), which leaves it stale for the next
    run. Flushes; the caller commits."""
    month = Period.month(month_start.year, month_start.month)
    if month_start >= running_month():
        raise ValueError(f"{month_start:%Y-%m} is not closed")
    version = db.session.scalar(select(RollupMonth.version)
                                .where(RollupMonth.month == month_start))
    if version is None:
        version = 0
        db.session.add(RollupMonth(month=month_start, built_at=utcnow(), stale_at=utcnow(),
                                   version=version))
        db.session.flush()
    overrides = all_overrides() if overrides is None else overrides
    exceptions = calendar_exceptions(month.end - timedelta(days=366 * CALENDAR_YEARS),
                                     month.end, overrides)
    db.session.execute(delete(RollupRow).where(RollupRow.day.between(month.start, month.end)))
    db.session.execute(insert(RollupRow).from_select(ROW_COLUMNS, month_rows(month, exceptions)))
    db.session.execute(update(RollupMonth)
                       .where(RollupMonth.month == month_start, RollupMonth.version == version)
                       .values(built_at=utcnow(), stale_at=None)
                       .execution_options(synchronize_session=False))
    row = db.session.identity_map.get(db.session.identity_key(RollupMonth, (month_start,)))
    if row is not None:
        db.session.expire(row)


def _data_months(now: datetime) -> list[date]:
    """Closed months from the first problem or visit on (two index probes)."""
    first = db.session.execute(select(
        select(func.min(Issue.raised_at)).scalar_subquery(),
        select(func.min(Visit.visit_date)).scalar_subquery())).one()
    starts = [to_local(first[0]).date() if first[0] else None, first[1]]
    starts = [d if isinstance(d, date) else date.fromisoformat(d) for d in starts if d]
    if not starts:
        return []
    month, end, out = min(starts).replace(day=1), running_month(now), []
    while month < end:
        out.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return out


def close_months(now: datetime | None = None) -> list[date]:
    """Write every closed month that has no rollup yet and rewrite the stale ones, each
    in its own transaction (this commits). Returns the months written."""
    now = now or utcnow()
    done = {m: stale for m, stale in db.session.execute(
        select(RollupMonth.month, RollupMonth.stale_at))}
    todo = [m for m in _data_months(now) if m not in done or done[m] is not None]
    todo += [m for m, stale in done.items() if stale is not None and m not in todo
             and m < running_month(now)]
    overrides = all_overrides() if todo else {}
    for month in sorted(todo):
        build_month(month, overrides)
        db.session.commit()
    return sorted(todo)


def rebuild_all(now: datetime | None = None) -> list[date]:
    """Rewrite the rollup of every closed month (the seeds call this at their end; so can
    an operator after a bulk load that bypassed the session). Commits."""
    db.session.execute(update(RollupMonth).values(stale_at=utcnow()))
    db.session.commit()
    return close_months(now)


def rebuild_stale() -> list[date]:
    """The job a late write enqueues: rewrite the stale closed months. Commits."""
    months = [m for m in db.session.scalars(
        select(RollupMonth.month).where(RollupMonth.stale_at.is_not(None))
        .order_by(RollupMonth.month)) if m < running_month()]
    overrides = all_overrides() if months else {}
    for month in months:
        build_month(month, overrides)
        db.session.commit()
    return months


def periodic_rollups() -> list[date]:
    """The rq job: write the month just closed (and any stale month), commit, and
    schedule the next run."""
    months = close_months()
    reschedule(JOB, INTERVAL)
    log.info("month rollups written: %s", [f"{m:%Y-%m}" for m in months])
    return months


# -- which closed months a write touches ------------------------------------------------
def _month(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_local(value).date().replace(day=1)
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.replace(day=1)


def _since(value) -> str | None:
    month = _month(value)
    return f">={month.isoformat()}" if month else None


def _values(history) -> list:
    return [v for v in chain(history.added, history.deleted, history.unchanged) if v is not None]


_ISSUE_DATES = ("raised_at", "dispatched_at", "resolved_at", "rated_at", "closed_at")
# Attributes that change the figures of the months of these dates.
_ISSUE_DEPENDENT = {"rating": ("rated_at",), "rating_channel": ("rated_at",),
                    "resolved_on_time": ("resolved_at",), "reopen_count": ("resolved_at",),
                    "state": ("resolved_at", "closed_at")}
# Dates whose change moves a problem in or out of "pending" at every month end between
# the old and the new value.
_PENDING_DATES = ("dispatched_at", "resolved_at", "closed_at")


def _issue_marks(state, is_new: bool) -> set[str]:
    needed = set(_ISSUE_DATES) | set(_ISSUE_DEPENDENT) | {"lead_unit_id"}
    if not is_new and needed & state.unloaded:
        return {ALL}
    attrs = state.attrs
    if is_new:
        # Pending at each month end from its dispatch on, counted in its months.
        dates = [getattr(state.object, n) for n in _ISSUE_DATES if n not in state.unloaded]
        dates = [d for d in dates if d is not None]
        return {_since(min(dates))} if dates else set()
    marks: set[str] = set()
    for name in _ISSUE_DATES:
        history = attrs[name].history
        if history.added or history.deleted:
            changed = [v for v in chain(history.added, history.deleted) if v is not None]
            if name in _PENDING_DATES and changed:
                marks.add(_since(min(changed)))
            marks.update(f"{_month(v).isoformat()}" for v in changed)
    for name, dates in _ISSUE_DEPENDENT.items():
        history = attrs[name].history
        if name == "state":
            # Only in or out of resolved/closed changes a count (closing after the rating
            # moves neither the resolution nor the pending count of its month).
            ends = {s in RESOLVED_STATES for s in chain(history.added, history.deleted)}
            if len(ends) < 2:
                continue
        if history.added or history.deleted:
            for d in dates:
                marks.update(_month(v).isoformat() for v in _values(attrs[d].history))
    if attrs["lead_unit_id"].history.added or attrs["lead_unit_id"].history.deleted:
        dates = [v for n in _ISSUE_DATES for v in _values(attrs[n].history)]
        if dates:
            marks.add(_since(min(dates)))
    return marks


def _dated_marks(state, names, is_new: bool, deleted: bool, since: bool = False) -> set[str]:
    """Months of the date attributes ``names`` (old and new values) when the row is new
    or deleted or one of them changed; ``since``: every month from the earliest on."""
    if names[0] in state.unloaded:
        return {ALL}
    changed = is_new or deleted or any(
        state.attrs[n].history.added or state.attrs[n].history.deleted
        for n in names if n not in state.unloaded)
    if not changed:
        return set()
    values = [v for n in names if n not in state.unloaded for v in _values(state.attrs[n].history)]
    if not values:
        return set()
    if since:
        return {_since(min(values, key=lambda v: _month(v)))}
    return {_month(v).isoformat() for v in values}


def note_write(session, table_name, obj) -> None:
    """``cache.WRITE_LISTENERS``: note the closed months a written row touches."""
    if table_name not in _TABLES:
        return
    marks = session.info.setdefault(_MARKS, set())
    if obj is None:
        marks.add(ALL)
        return
    state = inspect(obj)
    is_new, deleted = obj in session.new, obj in session.deleted
    if table_name == "issues":
        marks.update({ALL} if deleted else _issue_marks(state, is_new))
    elif table_name == "issue_events":
        if is_new or deleted:
            if "action" in state.unloaded or "at" in state.unloaded:
                marks.add(ALL)
            elif obj.action == "supervise":
                marks.update(_dated_marks(state, ("at",), True, False))
    elif table_name == "visits":
        if not (is_new or deleted) and "enterprise_id" not in state.unloaded and \
                state.attrs.enterprise_id.history.deleted:
            is_new = True  # moved to another enterprise: its months change
        marks.update(_dated_marks(state, ("visit_date",), is_new, deleted))
    elif table_name == "assignments":
        marks.update(_dated_marks(state, ("start_date", "end_date"), is_new, deleted, since=True)
                     if not (state.attrs.enterprise_id.history.deleted
                             or state.attrs.role.history.deleted) else {ALL})
    elif table_name == "workday_overrides":
        marks.update(_dated_marks(state, ("day",), True, deleted, since=True))
    else:  # appeals: an upheld one takes a rating of any month out of the figures
        marks.add(ALL)
    marks.discard(None)


_TABLES = {"issues", "issue_events", "visits", "assignments", "workday_overrides", "appeals"}
cache.WRITE_LISTENERS.append(note_write)


def _condition(marks: set[str], running: date):
    """SQL: the rollup months ``marks`` names that are closed; None when none can be."""
    if ALL in marks:
        return true()
    months = [m for m in (date.fromisoformat(m) for m in marks if not m.startswith(">="))
              if m < running]
    since = [d for d in (date.fromisoformat(m[2:]) for m in marks if m.startswith(">="))
             if d < running]
    conds = ([RollupMonth.month.in_(months)] if months else []) + (
        [RollupMonth.month >= min(since)] if since else [])
    return or_(*conds) if conds else None


def _inline() -> bool:
    """Rebuild in the writing transaction: no Redis queue (the embedded setup)."""
    return not (has_app_context() and current_app.config.get("REDIS_URL"))


@event.listens_for(Session, "before_commit")
def _mark_stale(session):
    if session.new or session.dirty or session.deleted:
        session.flush()  # what the commit would flush next: its rows are noted too
    marks = session.info.pop(_MARKS, set())
    running = running_month()
    condition = _condition(marks, running) if marks and has_app_context() else None
    if condition is None:
        return  # only the running month: nothing rolled up to mark
    months = session.execute(
        update(RollupMonth).where(condition)
        .values(stale_at=utcnow(), version=RollupMonth.version + 1)
        .returning(RollupMonth.month).execution_options(synchronize_session=False)
    ).scalars().all()
    closed = sorted(m for m in months if m < running)
    if not closed:
        return
    if _inline():
        overrides = all_overrides()
        for month in closed:
            build_month(month, overrides)
        session.info.pop(_MARKS, None)
    else:
        session.info[_REBUILD] = True


@event.listens_for(Session, "after_commit")
def _enqueue_rebuild(session):
    if session.info.pop(_REBUILD, None) and has_app_context():
        try:
            enqueue(rebuild_stale)
        except Exception:  # noqa: BLE001 - the periodic job catches up; the page counts live
            log.warning("month rollups: could not enqueue the rebuild")


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop(_MARKS, None)
    session.info.pop(_REBUILD, None)
