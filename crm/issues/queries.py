"""Problem lists: loader options and rows with their light and countdown (the filters
are ``crm.issues.list_filters``).

Every list starts from ``permissions.visible`` so that lists and the problem page
agree, and loads what it shows in a fixed number of queries.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from crm.auth.models import User
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues import permissions
from crm.issues.list_filters import ListFilter, apply_filter
from crm.issues.models import CLOCK_STATES, Category, Issue, IssueEvent

LIST_OPTIONS = (
    # A list row names the enterprise, the lead unit, the category and (in the export)
    # the handler; the town, the category's default unit and the handler's unit and
    # roles, which those relationships would join by default, are never shown: fewer
    # joins for PostgreSQL to plan on every board.
    joinedload(Issue.enterprise).lazyload(Enterprise.town),
    joinedload(Issue.lead_unit),
    joinedload(Issue.category).lazyload(Category.lead_unit),
    joinedload(Issue.handler).options(lazyload(User.role_rows), lazyload(User.unit)),
)

DETAIL_OPTIONS = (
    joinedload(Issue.enterprise),
    joinedload(Issue.lead_unit),
    joinedload(Issue.category),
    # The handler's roles are never shown: don't fetch them (User's default).
    joinedload(Issue.handler).lazyload(User.role_rows),
    joinedload(Issue.raised_by),
    selectinload(Issue.coop_units),
    selectinload(Issue.events).joinedload(IssueEvent.actor).lazyload(User.role_rows),
)


def urgency_order(now: datetime):
    """Red first, then yellow, then by due time; problems without a clock last."""
    light = Issue.light_expr(now)
    rank = db.case((light == "red", 0), (light == "yellow", 1), (light == "green", 2), else_=3)
    return (rank, Issue.due_at.is_(None), Issue.due_at, Issue.id.desc())


def list_query(user, f: ListFilter, now: datetime):
    """The filtered, visible problems, newest first, with what a row shows loaded."""
    stmt = apply_filter(permissions.visible(select(Issue), user), f, now)
    return stmt.options(*LIST_OPTIONS).order_by(Issue.raised_at.desc(), Issue.id.desc())


@dataclass
class BoardPage:
    """A page of the problem list by keyset: the rows, the filtered total and the
    cursors to the pages either side (None at either end)."""

    rows: list
    total: int
    after: int | None = None  # the next page: problems listed after this one
    before: int | None = None  # the previous page: problems listed before this one

    @property
    def first(self) -> bool:
        """Whether this is the first page (the newest problems)."""
        return self.before is None


def board_page(user, f: ListFilter, now: datetime, *, after: int | None = None,
               before: int | None = None, per_page: int = 50) -> BoardPage:
    """One page of the filtered, visible problems, newest first, by keyset: the page
    after the problem ``after`` or before the problem ``before`` (their ids), or the
    first page. The page's rows and the filtered total come in one statement; the
    page is found among the problems' ids alone (an index walk by ``raised_at`` that
    stops after a page, whatever page it is), then joined to what a row shows. A
    cursor that names no visible problem gives an empty page (and one statement more
    for the total)."""
    ids = apply_filter(permissions.visible(select(Issue.id), user), f, now)
    total = select(func.count()).select_from(ids.order_by(None).subquery()).scalar_subquery()
    cursor = after if after is not None else before
    if cursor is not None:
        at = select(Issue.raised_at).where(Issue.id == cursor).scalar_subquery()
        if after is not None:
            ids = ids.where(Issue.raised_at <= at, or_(Issue.raised_at < at, Issue.id < cursor))
        else:
            ids = ids.where(Issue.raised_at >= at, or_(Issue.raised_at > at, Issue.id > cursor))
    backwards = before is not None and after is None
    order = ((Issue.raised_at.asc(), Issue.id.asc()) if backwards
             else (Issue.raised_at.desc(), Issue.id.desc()))
    page = ids.order_by(*order).limit(per_page + 1).subquery()
    found = db.session.execute(
        select(Issue, total.label("total")).join(page, page.c.id == Issue.id)
        .options(*LIST_OPTIONS).order_by(*order)).unique().all()
    count = found[0].total if found else db.session.scalar(select(total))
    issues = [row[0] for row in found]
    more = len(issues) > per_page
    issues = issues[:per_page]
    if backwards:
        issues.reverse()
    out = BoardPage(rows=rows_for(issues, now), total=int(count or 0))
    if issues:
        has_next = True if backwards else more
        has_prev = more if backwards else after is not None
        out.after = issues[-1].id if has_next else None
        out.before = issues[0].id if has_prev else None
    return out


@dataclass
class Row:
    """A problem with its light and countdown, for templates."""

    issue: Issue
    light: str | None
    countdown: dl.Countdown | None


def rows_for(issues, now: datetime) -> list[Row]:
    """Rows with lights and countdowns; the holiday overrides are read once."""
    issues = list(issues)
    dues = [dl.local_date(i.due_at) for i in issues if i.due_at and i.state in CLOCK_STATES]
    cal = dl.WorkCalendar.around(dl.local_date(now), *dues) if dues else None
    return [Row(i, i.light(now), dl.countdown(i, now, cal) if cal else
                (dl.Countdown("paused") if i.state == "paused" else None)) for i in issues]


def last_events(issue_ids, action: str) -> dict[int, IssueEvent]:
    """The latest event of ``action`` for each problem (e.g. the return reason)."""
    ids = list(issue_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(IssueEvent).options(joinedload(IssueEvent.actor).lazyload(User.role_rows))
        .where(IssueEvent.issue_id.in_(ids), IssueEvent.action == action)
        .order_by(IssueEvent.id))
    return {e.issue_id: e for e in rows}



@dataclass
class Section:
    """One board section: its first rows and how many problems it holds in all."""

    rows: list[Row]
    total: int

    def __len__(self) -> int:  # templates count a section like a list
        return self.total

    def __iter__(self):
        return iter(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    @property
    def truncated(self) -> bool:
        """True when the section shows fewer rows than it holds."""
        return self.total > len(self.rows)


def sections_for(parts: dict[str, tuple], now: datetime, limit: int = 50) -> dict[str, Section]:
    """Several board sections in one query: ``parts`` maps a section name to
    ``(condition, order)`` on ``Issue``; each section keeps its first ``limit`` rows and
    its total. ``order`` is ``"raised"`` (oldest raised first), ``"due"`` (earliest due
    first: for sections that are all red, where the light adds nothing) or
    ``"urgency"`` (red, yellow, green, then by due time); ``True`` / ``False`` mean
    ``"raised"`` / ``"urgency"``.

    Each section is its own ``ORDER BY … LIMIT`` (an index walk for the large red
    sections, not a ranking of every overdue problem) with its total as an
    uncorrelated scalar subquery, computed once. A problem may belong to several
    sections (e.g. red and waiting for an extension); the union keeps it in each. One
    more query reads the holiday overrides for the countdowns.
    """
    light = Issue.light_expr(now)
    rank = db.case((light == "red", 0), (light == "yellow", 1), (light == "green", 2), else_=3)
    zero = db.literal(0)
    selects = []
    for name, (cond, order) in parts.items():
        order = {True: "raised", False: "urgency"}.get(order, order)
        if order == "raised":
            keys, by = (zero, zero, Issue.raised_at), (Issue.raised_at,)
        elif order == "due":
            keys, by = (zero, zero, Issue.due_at), (Issue.due_at,)
        else:
            keys = (rank, db.case((Issue.due_at.is_(None), 1), else_=0), Issue.due_at)
            by = keys
        total = select(db.func.count()).select_from(Issue).where(cond).scalar_subquery()
        first = (select(Issue.id.label("id"), db.literal(name).label("section"),
                        keys[0].label("k1"), keys[1].label("k2"), keys[2].label("k3"),
                        total.label("total"))
                 .where(cond).order_by(*by, Issue.id.desc()).limit(limit).subquery())
        selects.append(select(first))
    union = db.union_all(*selects).subquery()
    ranked = select(
        union.c.id, union.c.section, union.c.total,
        db.func.row_number().over(partition_by=union.c.section, order_by=(
            union.c.k1, union.c.k2, union.c.k3, union.c.id.desc())).label("rn"),
    ).subquery()
    stmt = (select(Issue, ranked.c.section, ranked.c.total)
            .join(ranked, ranked.c.id == Issue.id)
            .options(*LIST_OPTIONS).order_by(ranked.c.section, ranked.c.rn))
    found = db.session.execute(stmt).all()
    rows = rows_for([issue for issue, _s, _t in found], now)
    out = {name: Section([], 0) for name in parts}
    for row, (_issue, name, total) in zip(rows, found):
        out[name].rows.append(row)
        out[name].total = total
    return out
