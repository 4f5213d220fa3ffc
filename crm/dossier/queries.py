"""The enterprise list with its problem and visit facts: filters, sort orders, counts,
per-row facts and the export rows.

The registry's part of a list (visibility, search and its own filters) comes from
``crm.enterprises.queries``; problem and visit facts go through
``issues.permissions`` / ``liaisons.permissions`` as well. Aggregates are computed in
SQL for a whole page at once: a page costs the same number of queries whatever its
size.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.orm import selectinload

from crm.core.timeutil import utcnow
from crm.enterprises import queries as registry
from crm.enterprises.assignments import active_assignments
from crm.enterprises.models import Enterprise
from crm.enterprises.queries import ListFilters, week_bounds
from crm.extensions import db
from crm.issues import permissions as issue_permissions
from crm.issues.models import OPEN_STATES, Issue
from crm.liaisons import permissions as visit_permissions
from crm.liaisons.models import Visit


def red_issue_exists(user, now: datetime):
    """EXISTS a red (overdue) problem, visible to ``user``, of the outer enterprise."""
    return exists().where(Issue.enterprise_id == Enterprise.id,
                          Issue.red_expr(now), issue_permissions.visibility(user))


def visited_this_week(user, today: date | None = None):
    """EXISTS a visit, visible to ``user``, to the outer enterprise in this ISO week."""
    monday, sunday = week_bounds(today)
    return exists().where(Visit.enterprise_id == Enterprise.id,
                          Visit.visit_date.between(monday, sunday),
                          visit_permissions.visibility(user))


def _red_count(user, now):
    return (select(func.count()).select_from(Issue)
            .where(Issue.enterprise_id == Enterprise.id, Issue.red_expr(now),
                   issue_permissions.visibility(user))
            .correlate(Enterprise).scalar_subquery())


def _last_visit(user):
    return (select(func.max(Visit.visit_date))
            .where(Visit.enterprise_id == Enterprise.id, visit_permissions.visibility(user))
            .correlate(Enterprise).scalar_subquery())


# Sort orders on stored columns page by keyset: the next page starts after the last
# row's sort key and id (an index range on the name order), so a page deep in a
# province's list costs what the first does. Each key: (column, descending, nullable);
# a nullable key puts its NULLs last.
KEYSET_ORDERS = {
    "name": ((Enterprise.name_pinyin, False, False), (Enterprise.id, False, False)),
    "updated": ((Enterprise.updated_at, True, False), (Enterprise.id, True, False)),
    "employees": ((Enterprise.employees, True, True), (Enterprise.id, False, False)),
    "output": ((Enterprise.annual_output, True, True), (Enterprise.id, False, False)),
}


def _order_clause(key, reverse: bool = False):
    column, desc, nullable = key
    clause = column.desc() if desc != reverse else column.asc()
    if nullable:
        clause = clause.nulls_first() if reverse else clause.nulls_last()
    return clause


def filtered(user, flt: ListFilters, now: datetime | None = None, today: date | None = None):
    """``select(Enterprise)`` for the list: visibility, filters and the sort order."""
    now = now or utcnow()
    stmt = registry.matching(user, flt)
    if flt.red:
        stmt = stmt.where(red_issue_exists(user, now))
    if flt.unvisited:
        stmt = stmt.where(~visited_this_week(user, today))
    if flt.sort in KEYSET_ORDERS:
        return stmt.order_by(*(_order_clause(k) for k in KEYSET_ORDERS[flt.sort]))
    # Orders by a figure computed for this request rank the whole filtered set anyway:
    # they page by OFFSET.
    order = {
        "red": [_red_count(user, now).desc(), Enterprise.name_pinyin, Enterprise.id],
        "visit": [_last_visit(user).asc().nulls_first(), Enterprise.name_pinyin, Enterprise.id],
    }[flt.sort]
    return stmt.order_by(*order)


def _after(key, value, reverse: bool):
    """Rows whose ``key`` comes strictly after ``value`` in the order (before it when
    ``reverse``); ``None`` when none can."""
    column, desc, nullable = key
    nulls_after = nullable and not reverse
    if value is None:
        return None if nulls_after else column.is_not(None)
    beyond = column < value if desc != reverse else column > value
    return (beyond | column.is_(None)) if nulls_after else beyond


def _same(column, value):
    return column.is_(None) if value is None else column == value


def keyset_where(sort: str, values: tuple, reverse: bool = False):
    """The condition for the rows after (``reverse``: before) the row whose sort key
    and id are ``values``, in the order of ``sort``."""
    keys = KEYSET_ORDERS[sort]
    arms = []
    for i, key in enumerate(keys):
        step = _after(key, values[i], reverse)
        if step is not None:
            arms.append(and_(*(_same(k[0], v) for k, v in zip(keys[:i], values[:i])), step))
    cond = or_(*arms) if arms else false()
    # The first key's own bound as well, which an index on it can start from.
    first, value = keys[0], values[0]
    if value is not None:
        column, desc, nullable = first
        bound = column <= value if desc != reverse else column >= value
        cond = and_((bound | column.is_(None)) if nullable and not reverse else bound, cond)
    return cond


def cursor_values(sort: str, ent: Enterprise) -> tuple:
    """The sort key and id of ``ent`` for ``sort`` (what a page link carries)."""
    return tuple(getattr(ent, key[0].key) for key in KEYSET_ORDERS[sort])


_CURSOR_TYPES = {"name": (str, int), "updated": (datetime.fromisoformat, int),
                 "employees": (int, int), "output": (Decimal, int)}
_MAX_INT = 2**31


def encode_cursor(sort: str, ent: Enterprise) -> str:
    """``ent``'s place in the order as URL text: its sort key and id, ``~``-separated
    (the keys are pinyin letters, numbers and ISO times: none contains ``~``)."""
    return "~".join("" if v is None else v.isoformat() if isinstance(v, datetime) else str(v)
                    for v in cursor_values(sort, ent))


def decode_cursor(sort: str, raw: str | None) -> tuple | None:
    """The values of ``encode_cursor``; ``None`` for anything else (a hand-edited link
    shows the first page rather than an error)."""
    if not raw or sort not in KEYSET_ORDERS:
        return None
    parts = raw.split("~")
    keys, types = KEYSET_ORDERS[sort], _CURSOR_TYPES[sort]
    if len(parts) != len(keys):
        return None
    values = []
    try:
        for part, (_column, _desc, nullable), kind in zip(parts, keys, types):
            if part == "" and nullable:
                values.append(None)
                continue
            value = kind(part)
            if kind is int and not -_MAX_INT < value < _MAX_INT:
                return None
            if kind is Decimal and not (value.is_finite() and abs(value) < 10**14):
                return None  # beyond the column (numeric(14, 2)): not one of ours
            values.append(value)
    except (ValueError, ArithmeticError):
        return None
    return tuple(values)


def keyset_page(stmt, sort: str, values: tuple | None, per_page: int, reverse: bool = False):
    """One page of ``stmt`` (ordered by ``filtered``) after / before ``values``: the
    rows in list order, and whether there are more beyond them in that direction."""
    if values is not None:
        stmt = stmt.where(keyset_where(sort, values, reverse))
    if reverse:
        stmt = stmt.order_by(None).order_by(
            *(_order_clause(k, reverse=True) for k in KEYSET_ORDERS[sort]))
    rows = list(db.session.scalars(stmt.limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    return (rows[::-1] if reverse else rows), more


def list_counts(user, stmt, now: datetime | None = None, today: date | None = None,
                whole: bool = False) -> dict:
    """Total, with red problems and not visited this week, over the filtered set: one query.

    The red and visited counts start from the (small) sets of red problems and of this
    week's visits, each read from its index, and count distinct enterprises among them;
    ``whole`` (nothing narrows a list that sees everything) skips the set membership.
    """
    now = now or utcnow()
    monday, sunday = week_bounds(today)
    # The filtered ids once (a CTE used three times is computed once): a search by a
    # name fragment is a scan of every name, not to be repeated per figure.
    listed = stmt.order_by(None).with_only_columns(Enterprise.id).cte("listed")
    ids = select(listed.c.id)
    red = (select(func.count(Issue.enterprise_id.distinct()))
           .where(Issue.red_expr(now), issue_permissions.visibility(user)))
    visited = (select(func.count(Visit.enterprise_id.distinct()))
               .where(Visit.visit_date.between(monday, sunday), visit_permissions.visibility(user)))
    if whole:
        total = select(func.count()).select_from(Enterprise)
    else:
        total = select(func.count()).select_from(listed)
        red = red.where(Issue.enterprise_id.in_(ids))
        visited = visited.where(Visit.enterprise_id.in_(ids))
    row = db.session.execute(select(total.scalar_subquery(), red.scalar_subquery(),
                                    visited.scalar_subquery())).one()
    total, red_n, visited_n = (int(v or 0) for v in row)
    return {"total": total, "red": red_n, "unvisited": total - visited_n}


@dataclass
class RowFacts:
    """What a list row or card shows besides the enterprise's own columns."""

    open_count: int = 0
    red_count: int = 0
    yellow_count: int = 0
    last_visit: date | None = None
    visited_this_week: bool = False
    leaders: list = field(default_factory=list)  # [(role, User)]
    commissioners: list = field(default_factory=list)


def row_facts(user, enterprise_ids: list[int], now: datetime | None = None,
              today: date | None = None) -> dict[int, RowFacts]:
    """Problem counts, last visit and current people for a page of enterprises (3 queries)."""
    now = now or utcnow()
    facts = {eid: RowFacts() for eid in enterprise_ids}
    if not enterprise_ids:
        return facts
    light = Issue.light_expr(now)
    issue_rows = db.session.execute(
        select(Issue.enterprise_id, func.count(),
               func.sum(db.case((light == "red", 1), else_=0)),
               func.sum(db.case((light == "yellow", 1), else_=0)))
        .where(Issue.enterprise_id.in_(enterprise_ids), Issue.state.in_(OPEN_STATES),
               issue_permissions.visibility(user))
        .group_by(Issue.enterprise_id))
    for eid, total, red, yellow in issue_rows:
        facts[eid].open_count, facts[eid].red_count = total, int(red or 0)
        facts[eid].yellow_count = int(yellow or 0)
    monday, _sunday = week_bounds(today)
    for eid, last in db.session.execute(
            select(Visit.enterprise_id, func.max(Visit.visit_date))
            .where(Visit.enterprise_id.in_(enterprise_ids), visit_permissions.visibility(user))
            .group_by(Visit.enterprise_id)):
        facts[eid].last_visit = last
        facts[eid].visited_this_week = last is not None and last >= monday
    for row in active_assignments(enterprise_ids):
        if row.role == "commissioner":
            facts[row.enterprise_id].commissioners.append(row.user)
        else:
            facts[row.enterprise_id].leaders.append((row.role, row.user))
    return facts


def export_rows(user, stmt, now: datetime | None = None, today: date | None = None):
    """Every enterprise of ``stmt`` with contacts and facts, for the Excel export.

    Enterprises are read in chunks so a large county does not sit in memory twice;
    each chunk costs a fixed number of queries.
    """
    ids = list(db.session.scalars(stmt.with_only_columns(Enterprise.id)))
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        ents = {e.id: e for e in db.session.scalars(
            select(Enterprise).options(selectinload(Enterprise.contacts))
            .where(Enterprise.id.in_(chunk)))}
        facts = row_facts(user, chunk, now, today)
        for eid in chunk:
            yield ents[eid], facts[eid]
