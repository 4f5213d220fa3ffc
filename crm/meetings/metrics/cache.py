"""A small cache for the overview's figures, invalidated by writes.

Each process keeps the few latest results (``METRICS_CACHE_SECONDS``, 60 s by default;
0 turns the cache off). An entry is valid while the *data version* is unchanged and
its time-to-live has not run out — the time limit bounds how stale a snapshot figure
such as "overdue now" can get, since a problem turns red without any write.

Data versions are kept per *domain* — ``problems`` (problems, their events and
units, categories, workday overrides), ``visits`` (assignments; a visit itself
only touches the month of its date, ``visits:YYYY-MM``) and ``sections`` (what the
overview's added sections read); names of units and enterprises belong to all — so
that a visit logged does not throw away the problem figures, the costlier half, nor
last month's visit figures. A domain's version moves whenever a transaction that
wrote one of its tables commits (SQLAlchemy session events). With Redis
(``REDIS_URL``) the versions live in Redis, so a write on any host invalidates every
process; without Redis they are local to the process (the
embedded single-host setup). Writes that bypass the ORM session (bulk loads on a raw
connection) call ``invalidate()`` themselves.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, defaultdict
from itertools import chain
from typing import Any, Callable, Hashable

from flask import current_app, has_app_context
from redis import Redis
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from crm.core.timeutil import to_local

log = logging.getLogger(__name__)

# "problems:any" stands for every month's problem figures (``problem_month_domain``):
# bumped by writes that can change any month — categories and workday overrides (the
# working-day counts), names, and problem writes the session could not date.
PROBLEM_HISTORY = "problems:any"
# "sections": what the sections added to the overview read (``crm.meetings.sections``):
# follow-up calls, financing, task forces.
SECTIONS = "sections"
DOMAINS = ("problems", "visits", PROBLEM_HISTORY, SECTIONS)
WATCHED_TABLES = {
    "issues": ("problems",), "issue_events": ("problems",), "issue_units": ("problems",),
    "categories": ("problems", PROBLEM_HISTORY),
    "workday_overrides": ("problems", PROBLEM_HISTORY),
    "visits": ("visits",), "assignments": ("visits",),
    "units": DOMAINS, "enterprises": DOMAINS,
    # An upheld appeal takes a rating of any month out of the figures (issue 18).
    "appeals": ("problems", PROBLEM_HISTORY),
    **{table: (SECTIONS,) for table in (
        "follow_ups", "financing_needs", "bank_responses", "task_forces", "projects",
        "milestones", "rhythm_meetings", "meetings")},
}
# The working days of the task forces' milestones follow the overrides too.
WATCHED_TABLES["workday_overrides"] += (SECTIONS,)
# Called with (session, table name, row) for each row a flush writes, and with (session,
# table name, None) for a bulk statement: ``crm.meetings.rollups`` notes there which
# closed months a write touches, from the same events that move the versions.
WRITE_LISTENERS: list[Callable] = []
REDIS_KEY = "crm:metrics:version:{}"
MAX_ENTRIES = 24
_DIRTY = "crm_metrics_dirty"


class _State:
    """Per-application cache state (apps never share entries)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries: OrderedDict[Hashable, tuple[Any, float, Any]] = OrderedDict()
        self.local_versions: defaultdict[str, int] = defaultdict(int)
        self.redis = None
        self.redis_url = None


def _state(app) -> _State:
    state = app.extensions.get("crm_metrics_cache")
    if state is None:
        state = app.extensions.setdefault("crm_metrics_cache", _State())
    return state


def _redis(app, state: _State):
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    if state.redis is None or state.redis_url != url:
        state.redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        state.redis_url = url
    return state.redis


def _version(app, state: _State, domains):
    """The data version of ``domains``, or None when it cannot be read (no caching)."""
    local = tuple(state.local_versions[d] for d in domains)
    conn = _redis(app, state)
    if conn is None:
        return local
    try:
        shared = conn.mget([REDIS_KEY.format(d) for d in domains])
    except Exception:  # noqa: BLE001 - Redis down: compute, do not fail the page
        log.warning("metrics cache: Redis unavailable, computing without cache")
        return None
    return tuple(int(v or 0) for v in shared) + local


def invalidate(app=None, domains=DOMAINS) -> None:
    """Mark the cached figures of ``domains`` stale (here, and with Redis in every
    process)."""
    app = app or current_app._get_current_object()
    state = _state(app)
    with state.lock:
        for d in domains:
            state.local_versions[d] += 1
    conn = _redis(app, state)
    if conn is not None:
        try:
            pipe = conn.pipeline(transaction=False)
            for d in domains:
                pipe.incr(REDIS_KEY.format(d))
            pipe.execute()
        except Exception:  # noqa: BLE001 - a lost bump only costs one TTL of staleness
            log.warning("metrics cache: could not bump the version in Redis")


def cached(key: Hashable, compute: Callable[[], Any], domains=DOMAINS,
           ttl: float | None = None) -> Any:
    """``compute()``'s result for ``key``, reused while no write has touched
    ``domains`` and the entry is younger than ``ttl`` seconds (by default
    ``METRICS_CACHE_SECONDS``; ``METRICS_CACHE_SECONDS`` = 0 turns every cache off)."""
    app = current_app._get_current_object()
    base = float(app.config.get("METRICS_CACHE_SECONDS", 60) or 0)
    if base <= 0:
        return compute()
    ttl = base if ttl is None else float(ttl)
    state = _state(app)
    version = _version(app, state, tuple(domains))
    if version is None:
        return compute()
    now = time.monotonic()
    with state.lock:
        entry = state.entries.get(key)
        if entry is not None and entry[0] == version and entry[1] > now:
            state.entries.move_to_end(key)
            return entry[2]
    value = compute()
    with state.lock:
        state.entries[key] = (version, now + ttl, value)
        state.entries.move_to_end(key)
        while len(state.entries) > MAX_ENTRIES:
            state.entries.popitem(last=False)
    return value


def visit_month_domain(month_key: str) -> str:
    """The domain of one month's visit figures (``visits:2026-10``)."""
    return f"visits:{month_key}"


def problem_month_domain(month_key: str) -> str:
    """The domain of one month's problem figures (``problems:2026-10``): a problem
    counts in the months it was raised, dispatched, resolved, rated and closed in
    (events are written now, in the current month)."""
    return f"problems:{month_key}"


def _local_month(value) -> str:
    return f"{to_local(value):%Y-%m}"


def _problem_months(obj, new: bool = False) -> set[str]:
    """The month domains a write of the problem ``obj`` can change: the months of its
    raise, dispatch, resolution, rating and closing, before and after the change.

    A resolution undone or moved (a reopen clears ``resolved_at``) changes every month
    from the old resolution on: the problem was pending at each of their ends."""
    state = inspect(obj)
    months = set()
    for name in ("raised_at", "dispatched_at", "resolved_at", "rated_at", "closed_at"):
        if name in state.unloaded:
            if new and name != "raised_at":
                continue  # never set on a new row
            return {PROBLEM_HISTORY}  # not read in this session: any month
        history = state.attrs[name].history
        if name == "resolved_at" and any(v is not None for v in history.deleted):
            return {PROBLEM_HISTORY}
        months.update(problem_month_domain(_local_month(v))
                      for v in chain(history.added, history.deleted, history.unchanged) if v)
    return months


def _mark(session, table_name, obj=None) -> None:
    domains = set(WATCHED_TABLES.get(table_name, ()))
    if table_name == "issues":
        # The current month's figures are under "problems"; a write that cannot be dated
        # (a bulk statement, a deleted row) may change any month.
        if obj is None or obj in session.deleted:
            domains.add(PROBLEM_HISTORY)
        else:
            domains.update(_problem_months(obj, new=obj in session.new))
    if table_name == "visits" and obj is not None:
        # A visit only changes the figures of the month(s) of its date, before and
        # after the change; without a date to go by, every month.
        history = inspect(obj).attrs.visit_date.history
        days = [d for d in chain(history.added, history.deleted, history.unchanged) if d]
        if days:
            domains = {visit_month_domain(f"{d:%Y-%m}") for d in days}
    session.info.setdefault(_DIRTY, set()).update(domains)


def _table_name(obj) -> str | None:
    table = getattr(obj, "__table__", None)
    return getattr(table, "name", None)


@event.listens_for(Session, "after_flush")
def _note_flush(session, _flush_context):
    # ``new``/``dirty``/``deleted`` still hold the pre-flush state here.
    for obj in chain(session.new, session.dirty, session.deleted):
        _mark(session, _table_name(obj), obj)
        for listener in WRITE_LISTENERS:
            listener(session, _table_name(obj), obj)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(orm_execute_state):
    # ORM-enabled INSERT/UPDATE/DELETE statements skip the flush.
    if orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete:
        table = getattr(orm_execute_state.statement, "table", None)
        _mark(orm_execute_state.session, getattr(table, "name", None))
        for listener in WRITE_LISTENERS:
            listener(orm_execute_state.session, getattr(table, "name", None), None)


@event.listens_for(Session, "after_commit")
def _bump_on_commit(session):
    domains = session.info.pop(_DIRTY, None)
    if domains and has_app_context():
        invalidate(current_app._get_current_object(), tuple(sorted(domains)))
