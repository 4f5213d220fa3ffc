"""Coverage rollups: each week's coverage figures by scope, written once and kept in step
by the writes (what the figures mean: ``crm.liaisons.coverage``).

A week's rows (``coverage_rows``) hold its assigned and visited enterprise-weeks overall
(``all``), by unit, by commissioner and by leader, counted up to ``built_on``. The
coverage page reads them for every week whose rows hold for the day it shows
(``coverage.rollup_fresh``: a closed week's rows hold for good, a running week's for the
day they were counted) and counts the other weeks live, so the figures are the same
either way; only the time differs.

* **Written**: ``build_week`` counts a week from the same queries the page uses live.
  The worker's periodic job ``periodic_coverage`` (every 15 minutes) writes the weeks
  of the last year that have no rows holding for today: the running week once a day
  (an assignment that begins on a later day of the week counts from that day), a week
  just closed once, and any week a write made stale. The seeds call ``rebuild_all()``.
* **A visit logged** (the frequent write) is added in the same transaction: when it is
  the enterprise's first visit of its week, every scope the enterprise is assigned to
  in that week gains one visited enterprise-week (``_count_new_visits``).
* **Other writes** — a visit deleted, moved to another date or enterprise, an
  assignment added, ended or changed, a cadre moved to another unit — delete the rows
  of the weeks they touch (in the same transaction, so nothing stale is ever read);
  those weeks are counted live until the periodic job writes them again.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import (
    Float,
    and_,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from crm.auth.models import User
from crm.core.timeutil import local_today, week_start
from crm.enterprises.models import Assignment
from crm.extensions import db
from crm.jobs import reschedule
from crm.liaisons.coverage import (
    COMMISSIONER_ROLES,
    LEADER_ROLES,
    Coverage,
    ROLLUP_TABLES,
    _grouped,
    _week_counts,
    rollup_fresh,
)
from crm.liaisons.models import CoverageRow, Visit

log = logging.getLogger(__name__)

JOB = "crm.liaisons.rollups.periodic_coverage"
INTERVAL = 15 * 60  # seconds between two runs of the periodic job
WEEKS_KEPT = 53  # weeks back from the running one that have rollups; older ones count live


# -- writing ------------------------------------------------------------------------------
def build_week(monday: date, today: date | None = None) -> int:
    """(Re)write the rows of the week starting ``monday``, counted up to ``today``.
    Returns the number of rows; flushes, the caller commits."""
    today = today or local_today()
    db.session.execute(delete(CoverageRow).where(CoverageRow.week == monday))
    rows = []
    total = _week_counts([monday], today, COMMISSIONER_ROLES, [], False)
    visited, assigned = (total[0].visited, total[0].assigned) if total else (0, 0)
    tables = {by: _grouped([monday], today, by) for by in ROLLUP_TABLES}
    db.session.add(CoverageRow(
        week=monday, scope="all", key=0, assigned=assigned, visited=visited,
        rate=Coverage(visited, assigned).rate or 0.0, built_on=today,
        units=len(tables["unit"]), commissioners=len(tables["commissioner"]),
        leaders=len(tables["leader"])))
    db.session.flush()
    rows = [{"week": monday, "scope": by, "key": key, "assigned": cov.assigned,
             "visited": cov.visited, "rate": cov.rate or 0.0, "built_on": today}
            for by, table in tables.items() for key, cov in table.items()]
    if rows:
        db.session.execute(insert(CoverageRow), rows)
    return len(rows) + 1


def weeks_due(today: date | None = None) -> list[date]:
    """Mondays of the kept weeks (the running one and ``WEEKS_KEPT`` before it, none
    before the first assignment) whose rows are missing or do not hold for ``today``."""
    today = today or local_today()
    first = db.session.scalar(select(func.min(Assignment.start_date)))
    if first is None:
        return []
    running = week_start(today)
    oldest = max(running - timedelta(weeks=WEEKS_KEPT), week_start(first))
    built = dict(db.session.execute(
        select(CoverageRow.week, CoverageRow.built_on)
        .where(CoverageRow.scope == "all", CoverageRow.week >= oldest)).all())
    due, monday = [], oldest
    while monday <= running:
        if monday not in built or not rollup_fresh(monday, built[monday], today):
            due.append(monday)
        monday += timedelta(weeks=1)
    return due


def rebuild_all(today: date | None = None) -> list[date]:
    """Write every kept week that is due, committing after each. Returns the weeks."""
    weeks = weeks_due(today)
    for monday in weeks:
        build_week(monday, today)
        db.session.commit()
    return weeks


def periodic_coverage() -> list[date]:
    """The rq job: write the weeks that are due and schedule the next run."""
    weeks = rebuild_all()
    reschedule(JOB, INTERVAL)
    log.info("coverage rollups written: %s", [m.isoformat() for m in weeks])
    return weeks


# -- keeping in step with the writes -------------------------------------------------------
def _count_new_visits(session, visits: list[Visit]) -> None:
    """Add the newly visited enterprise-weeks of ``visits`` (just flushed) to the weeks'
    rows, where those rows exist: one UPDATE per enterprise-week, which changes nothing
    when the enterprise had a visit that week already or the week has no rows."""
    new_ids = [v.id for v in visits]
    for enterprise_id, monday in sorted({(v.enterprise_id, week_start(v.visit_date))
                                         for v in visits}):
        sunday = monday + timedelta(days=6)
        seen_before = (select(Visit.id)
                       .where(Visit.enterprise_id == enterprise_id,
                              Visit.visit_date.between(monday, sunday),
                              Visit.id.not_in(new_ids)).exists())
        # The assignments the row counted: active in the week and begun by its build day.
        held = and_(Assignment.enterprise_id == enterprise_id,
                    Assignment.start_date <= sunday,
                    Assignment.start_date <= CoverageRow.built_on,
                    or_(Assignment.end_date.is_(None), Assignment.end_date >= monday))
        commissioners = and_(held, Assignment.role.in_(COMMISSIONER_ROLES))
        session.execute(
            update(CoverageRow)
            .where(CoverageRow.week == monday, ~seen_before, or_(
                and_(CoverageRow.scope == "all", select(Assignment.id)
                     .where(commissioners).exists()),
                and_(CoverageRow.scope == "commissioner", CoverageRow.key.in_(
                    select(Assignment.user_id).where(commissioners))),
                and_(CoverageRow.scope == "unit", CoverageRow.key.in_(
                    select(User.unit_id).join(Assignment, Assignment.user_id == User.id)
                    .where(commissioners))),
                and_(CoverageRow.scope == "leader", CoverageRow.key.in_(
                    select(Assignment.user_id)
                    .where(held, Assignment.role.in_(LEADER_ROLES)))),
            ))
            .values(visited=CoverageRow.visited + 1,
                    rate=cast(CoverageRow.visited + 1, Float) / CoverageRow.assigned)
            .execution_options(synchronize_session=False))


_EVERY_WEEK = date(1900, 1, 1)


def _weeks_of(*days) -> set[date]:
    return {week_start(d) for d in days if isinstance(d, date)}


def _history_values(obj, attr) -> list:
    hist = inspect(obj).attrs[attr].history
    return [*hist.added, *hist.deleted, *hist.unchanged]


def _drop_weeks(session, weeks: set[date] | None, since: date | None = None) -> None:
    """Delete the rows of ``weeks`` and, with ``since``, of every week from its week on."""
    conditions = []
    if weeks:
        conditions.append(CoverageRow.week.in_(weeks))
    if since is not None:
        conditions.append(CoverageRow.week >= week_start(since))
    if conditions:
        session.execute(delete(CoverageRow).where(or_(*conditions))
                        .execution_options(synchronize_session=False))


@event.listens_for(Session, "after_flush")
def _keep_in_step(session, _flush_context):
    # ``new``/``dirty``/``deleted`` still hold the pre-flush state here.
    new_visits, weeks, since = [], set(), []
    for obj in session.new:
        if isinstance(obj, Visit):
            new_visits.append(obj)
        elif isinstance(obj, Assignment):
            since.append(obj.start_date)
    for obj in session.deleted:
        if isinstance(obj, Visit):
            weeks |= _weeks_of(*_history_values(obj, "visit_date"))
        elif isinstance(obj, Assignment):
            since.append(obj.start_date)
    for obj in session.dirty:
        if isinstance(obj, Visit):
            state = inspect(obj)
            if (state.attrs.visit_date.history.has_changes()
                    or state.attrs.enterprise_id.history.has_changes()):
                weeks |= _weeks_of(*_history_values(obj, "visit_date"))
        elif isinstance(obj, Assignment):
            state = inspect(obj)
            if any(state.attrs[a].history.has_changes()
                   for a in ("start_date", "end_date", "role", "user_id", "enterprise_id")):
                since.extend(d for a in ("start_date", "end_date")
                             for d in _history_values(obj, a) if isinstance(d, date))
        elif isinstance(obj, User) and inspect(obj).attrs.unit_id.history.has_changes():
            since.append(_EVERY_WEEK)  # the unit tables of every week
    if weeks or since:
        _drop_weeks(session, weeks, min(since) if since else None)
    if new_visits:
        _count_new_visits(session, new_visits)
