"""The lists shown beside the figures: red problems by unit and problems escalated
to the next joint meeting."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

from sqlalchemy import DateTime, Integer, String, cast, func, literal, null, select, union_all

from crm.auth.models import Unit
from crm.core.timeutil import to_local, utcnow
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.issues.deadlines import overrides_between
from crm.issues.models import OPEN_STATES, Issue
from crm.meetings.metrics.figures import WorkdayIndex


@dataclass
class RedProblem:
    """An overdue problem on the red list."""

    id: int
    number: str
    title: str
    enterprise: Optional[str]
    due_at: datetime
    overdue_days: int  # working days past the due date, local dates


@dataclass
class RedUnit:
    """A lead unit with its red problems (``count`` in all, the most overdue first)."""

    key: Optional[int]
    label: Optional[str]
    count: int
    problems: list[RedProblem]


def red_list(now: datetime | None = None, per_unit: int = 5,
             overrides: dict[date, bool] | None = None) -> list[RedUnit]:
    """Red problems by lead unit, in one query: each unit's ``per_unit`` most overdue
    and its total; units with the most red problems first."""
    now = now or utcnow()
    # Rank first, join names afterwards: only the kept rows meet the other tables.
    inner = (
        select(Issue.id, Issue.number, Issue.title, Issue.due_at, Issue.lead_unit_id,
               Issue.enterprise_id,
               # "+ 0": SQLite would otherwise read the table in lead-unit order.
               func.row_number().over(partition_by=Issue.lead_unit_id + 0,
                                      order_by=(Issue.due_at, Issue.id)).label("rank"),
               func.count().over(partition_by=Issue.lead_unit_id + 0).label("total"))
        .where(Issue.red_expr(now))
        .subquery()
    )
    rows = db.session.execute(
        select(inner, Unit.name.label("unit"), Enterprise.name.label("enterprise"))
        .outerjoin(Unit, Unit.id == inner.c.lead_unit_id)
        .outerjoin(Enterprise, Enterprise.id == inner.c.enterprise_id)
        .where(inner.c.rank <= per_unit)
        .order_by(inner.c.total.desc(), Unit.name, inner.c.lead_unit_id, inner.c.rank)
    ).all()
    if not rows:
        return []
    return _red_units(rows, now, overrides)


@dataclass
class EscalatedProblem:
    """An open problem escalated to the next joint meeting."""

    id: int
    number: str
    title: str
    enterprise: Optional[str]
    unit_id: Optional[int]
    unit: Optional[str]
    state: str
    light: Optional[str]


def escalated_open(now: datetime | None = None, limit: int = 50) -> list[EscalatedProblem]:
    """Open problems escalated to the next joint meeting, oldest first (one query)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Issue.id, Issue.number, Issue.title, Enterprise.name, Issue.lead_unit_id,
               Unit.name, Issue.state, Issue.light_expr(now))
        .outerjoin(Unit, Unit.id == Issue.lead_unit_id)
        .outerjoin(Enterprise, Enterprise.id == Issue.enterprise_id)
        .where(Issue.is_escalated.is_(True), Issue.state.in_(OPEN_STATES))
        .order_by(Issue.raised_at, Issue.id).limit(limit)
    ).all()
    return [EscalatedProblem(*r) for r in rows]


def problem_lists(now: datetime | None = None, per_unit: int = 5,
                  overrides: dict[date, bool] | None = None, limit: int = 50
                  ) -> tuple[list[RedUnit], list[EscalatedProblem]]:
    """``red_list`` and ``escalated_open`` in one statement (the overview's): the two
    lists' rows in one UNION ALL, each in its own order."""
    now = now or utcnow()
    ranked = (
        select(Issue.id, Issue.number, Issue.title, Issue.due_at, Issue.lead_unit_id,
               Issue.enterprise_id,
               func.row_number().over(partition_by=Issue.lead_unit_id + 0,
                                      order_by=(Issue.due_at, Issue.id)).label("rank"),
               func.count().over(partition_by=Issue.lead_unit_id + 0).label("total"))
        .where(Issue.red_expr(now))
        .subquery()
    )
    escalated = (
        select(Issue.id, Issue.number, Issue.title, Issue.lead_unit_id, Issue.enterprise_id,
               Issue.state, Issue.light_expr(now).label("light"), Issue.raised_at)
        .where(Issue.is_escalated.is_(True), Issue.state.in_(OPEN_STATES))
        .order_by(Issue.raised_at, Issue.id).limit(limit)
        .subquery()
    )
    no_text, no_int = cast(null(), String), cast(null(), Integer)
    # Sort columns: (list, total desc, unit name, unit, rank) for the red list, (list,
    # raised, id) for the escalated problems — the orders of the two functions.
    red = (select(literal(0).label("list"), ranked.c.total.label("s_total"),
                  Unit.name.label("s_unit"), ranked.c.lead_unit_id.label("s_unit_id"),
                  ranked.c.rank.label("s_rank"), cast(null(), DateTime).label("s_raised"),
                  ranked.c.id, ranked.c.number, ranked.c.title,
                  Enterprise.name.label("enterprise"), ranked.c.due_at,
                  no_text.label("state"), no_text.label("light"),
                  Unit.name.label("unit"), ranked.c.lead_unit_id, ranked.c.total)
           .outerjoin(Unit, Unit.id == ranked.c.lead_unit_id)
           .outerjoin(Enterprise, Enterprise.id == ranked.c.enterprise_id)
           .where(ranked.c.rank <= per_unit))
    esc_unit = Unit.__table__.alias("esc_unit")
    esc_ent = Enterprise.__table__.alias("esc_ent")
    esc = (select(literal(1), no_int, no_text, no_int, no_int, escalated.c.raised_at,
                  escalated.c.id, escalated.c.number, escalated.c.title, esc_ent.c.name,
                  cast(null(), DateTime), escalated.c.state, escalated.c.light,
                  esc_unit.c.name, escalated.c.lead_unit_id, no_int)
           .select_from(escalated)
           .outerjoin(esc_unit, esc_unit.c.id == escalated.c.lead_unit_id)
           .outerjoin(esc_ent, esc_ent.c.id == escalated.c.enterprise_id))
    both = union_all(red, esc).subquery()
    rows = db.session.execute(select(both).order_by(
        both.c.list, both.c.s_total.desc(), both.c.s_unit, both.c.s_unit_id, both.c.s_rank,
        both.c.s_raised, both.c.id)).all()
    red_rows = [r for r in rows if r.list == 0]
    escalated_rows = [EscalatedProblem(r.id, r.number, r.title, r.enterprise,
                                       r.lead_unit_id, r.unit, r.state, r.light)
                      for r in rows if r.list == 1]
    if not red_rows:
        return [], escalated_rows
    return _red_units(red_rows, now, overrides), escalated_rows


def _red_units(rows, now: datetime, overrides) -> list[RedUnit]:
    """Red rows (ordered by unit) grouped into units, each problem with its working days
    overdue as of ``now``."""
    today = to_local(now).date()
    earliest = min(to_local(r.due_at).date() for r in rows)
    if overrides is None:
        overrides = overrides_between(earliest, today)
    index = WorkdayIndex(min(earliest, today), today, overrides)
    units: dict[Optional[int], RedUnit] = {}
    for r in rows:
        unit = units.setdefault(r.lead_unit_id, RedUnit(r.lead_unit_id, r.unit, r.total, []))
        unit.problems.append(RedProblem(r.id, r.number, r.title, r.enterprise, r.due_at,
                                        index.between(to_local(r.due_at).date(), today)))
    return list(units.values())
