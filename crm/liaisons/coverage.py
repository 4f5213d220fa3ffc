"""Visit coverage (走访覆盖率) and the "not visited for two weeks" flags.

One definition, used by the commissioner's week, the coverage page and the meeting
packets, so that every figure on every screen and in every PDF agrees.

*Coverage* is visited enterprise-weeks divided by assigned enterprise-weeks:

- An **enterprise-week** is an (enterprise, ISO week) pair.
- It is **assigned** to a scope when an assignment of the scope's role was active on at
  least one day of that week (``start_date <= Sunday`` and ``end_date`` empty or
  ``>= Monday``): an assignment counts for the weeks it was active. Commissioners,
  units and the overall figure use ``commissioner`` assignments; a leader's portfolio
  uses that leader's ``leader_a``/``leader_b`` assignments. A unit is the current unit
  of the assigned commissioner.
- It is **visited** when the enterprise has at least one visit dated in that week, by
  anyone (a visit written up by the leader or a colleague serves the enterprise just
  the same, and nobody has to enter the same visit twice).
- Each pair counts once per scope, so two commissioners on one enterprise make one
  enterprise-week in the overall figure and one in each commissioner's own figure.

The **weeks of a period** are the ISO weeks whose Thursday falls in the period (the ISO
rule for weeks across a year end), so every week belongs to exactly one month and one
quarter and the months of a quarter add up to the quarter. Weeks that start after
``as_of`` (default today) are not counted yet: a month in progress is measured so far.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import (
    and_,
    case,
    distinct,
    exists,
    func,
    literal_column,
    or_,
    select,
    union_all,
)

from crm.auth.models import User
from crm.core.timeutil import local_today, week_start
from crm.enterprises.models import Assignment, Enterprise
from crm.extensions import db
from crm.liaisons.models import CoverageRow, Visit

PERIOD_KINDS = ("week", "month", "quarter")
COMMISSIONER_ROLES = ("commissioner",)
LEADER_ROLES = ("leader_a", "leader_b")
STALE_DAYS = 14  # "not visited for two weeks or more"
ROLLUP_TABLES = ("unit", "commissioner", "leader")  # the coverage page's tables


@dataclass(frozen=True)
class Period:
    """A week, month or quarter given by its first and last day."""

    kind: str
    start: date
    end: date

    @property
    def label(self) -> str:
        """Human label, e.g. 2026年第10周 / 2026年3月 / 2026年第1季度."""
        if self.kind == "week":
            year, week, _day = self.start.isocalendar()
            return _("Week %(week)d of %(year)d", week=week, year=year)
        if self.kind == "month":
            return _("%(month)d/%(year)d", month=self.start.month, year=self.start.year)
        return _("Q%(quarter)d %(year)d", quarter=(self.start.month - 1) // 3 + 1,
                 year=self.start.year)

    def weeks(self, as_of: date | None = None) -> list[date]:
        """Mondays of the ISO weeks that belong to this period and have begun by ``as_of``."""
        as_of = as_of or local_today()
        monday = week_start(self.start)
        if monday + timedelta(days=3) < self.start:
            monday += timedelta(days=7)
        weeks = []
        while monday + timedelta(days=3) <= self.end and monday <= as_of:
            weeks.append(monday)
            monday += timedelta(days=7)
        return weeks

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return period_for(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        """The period of the same kind just after this one."""
        return period_for(self.kind, self.end + timedelta(days=1))


def period_for(kind: str, day: date) -> Period:
    """The week, month or quarter that contains ``day``.

    For a week that is the ISO week (Monday to Sunday); for a month or quarter the
    calendar month or quarter.
    """
    if kind == "week":
        monday = week_start(day)
        return Period("week", monday, monday + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
    elif kind == "quarter":
        first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    else:
        raise ValueError(f"unknown period kind {kind!r}")
    months = 1 if kind == "month" else 3
    year, month = divmod(first.month - 1 + months, 12)
    last = date(first.year + year, month + 1, 1) - timedelta(days=1)
    return Period(kind, first, last)


def parse_period(kind: str | None, day: str | None, today: date | None = None) -> Period:
    """A period from query-string values; anything unreadable means "the current one"."""
    today = today or local_today()
    kind = kind if kind in PERIOD_KINDS else "month"
    try:
        when = date.fromisoformat(day) if day else today
    except ValueError:
        when = today
    if not date(2000, 1, 1) <= when <= date(2100, 12, 31):
        when = today
    return period_for(kind, when)


@dataclass(frozen=True)
class Coverage:
    """Visited and assigned enterprise-weeks; ``rate`` is None when nothing was assigned."""

    visited: int = 0
    assigned: int = 0

    @property
    def rate(self) -> float | None:
        """visited / assigned, or None when there is nothing to cover."""
        return self.visited / self.assigned if self.assigned else None

    @property
    def percent(self) -> int | None:
        """The rate as a whole percentage (rounded half up), or None."""
        if not self.assigned:
            return None
        return (200 * self.visited + self.assigned) // (2 * self.assigned)

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(self.visited + other.visited, self.assigned + other.assigned)


def _key(obj) -> int | None:
    return obj if obj is None or isinstance(obj, int) else obj.id


def _scope(commissioner=None, unit=None, leader=None):
    """(roles, extra WHERE conditions, whether users must be joined) for one scope."""
    if sum(x is not None for x in (commissioner, unit, leader)) > 1:
        raise ValueError("give at most one of commissioner, unit, leader")
    if leader is not None:
        return LEADER_ROLES, [Assignment.user_id == _key(leader)], False
    if commissioner is not None:
        return COMMISSIONER_ROLES, [Assignment.user_id == _key(commissioner)], False
    if unit is not None:
        return COMMISSIONER_ROLES, [User.unit_id == _key(unit)], True
    return COMMISSIONER_ROLES, [], False


def _week_counts(weeks: list[date], as_of: date | None, roles, conditions, join_users: bool,
                 group_col=None):
    """One UNION ALL query: per week (and group) the assigned and visited enterprises.

    An assignment that only starts after ``as_of`` does not count yet. Returns rows of
    (week index, group key or None, assigned, visited).
    """
    as_of = as_of or local_today()
    selects = []
    for index, monday in enumerate(weeks):
        sunday = monday + timedelta(days=6)
        # Correlated EXISTS: an index probe per assignment on (enterprise_id, visit_date)
        # instead of materialising every visit of the week (a million a year).
        was_visited = select(Visit.id).where(
            Visit.enterprise_id == Assignment.enterprise_id,
            Visit.visit_date.between(monday, sunday)).exists()
        visited = case((was_visited, Assignment.enterprise_id))
        key = group_col if group_col is not None else literal_column("NULL")
        stmt = select(
            literal_column(str(int(index))).label("week"),
            key.label("grp"),
            func.count(distinct(Assignment.enterprise_id)).label("assigned"),
            func.count(distinct(visited)).label("visited"),
        ).select_from(Assignment)
        if join_users:
            stmt = stmt.join(User, User.id == Assignment.user_id)
        stmt = stmt.where(
            Assignment.role.in_(roles),
            Assignment.start_date <= min(sunday, as_of),
            or_(Assignment.end_date.is_(None), Assignment.end_date >= monday),
            *conditions,
        )
        if group_col is not None:
            stmt = stmt.group_by(group_col)
        selects.append(stmt)
    if not selects:
        return []
    return db.session.execute(union_all(*selects)).all()


def coverage(period: Period, *, commissioner=None, unit=None, leader=None,
             as_of: date | None = None) -> Coverage:
    """Coverage of one scope over ``period``: a commissioner, a unit, a leader's
    portfolio, or overall when none is given. Accepts objects or ids."""
    roles, conditions, join_users = _scope(commissioner, unit, leader)
    rows = _week_counts(period.weeks(as_of), as_of, roles, conditions, join_users)
    return sum((Coverage(r.visited, r.assigned) for r in rows), Coverage())


def weekly_coverage(period: Period, *, commissioner=None, unit=None, leader=None,
                    as_of: date | None = None) -> list[tuple[date, Coverage]]:
    """Coverage week by week (for trends); weeks with nothing assigned are (monday, 0/0)."""
    weeks = period.weeks(as_of)
    roles, conditions, join_users = _scope(commissioner, unit, leader)
    found = {r.week: Coverage(r.visited, r.assigned)
             for r in _week_counts(weeks, as_of, roles, conditions, join_users)}
    return [(monday, found.get(i, Coverage())) for i, monday in enumerate(weeks)]


def coverage_by(period: Period, by: str, *, as_of: date | None = None,
                only: Iterable[int] | None = None) -> dict[int, Coverage]:
    """Coverage for every commissioner, unit or leader at once (one query).

    ``by`` is ``"commissioner"``, ``"unit"`` or ``"leader"``; keys are user or unit ids
    (commissioners without a unit are left out of the unit table). ``only`` restricts
    the result to those ids.
    """
    if by not in ROLLUP_TABLES:
        raise ValueError(f"unknown grouping {by!r}")
    return _grouped(period.weeks(as_of), as_of, by, only)


def _grouped(weeks: list[date], as_of: date | None, by: str,
             only: Iterable[int] | None = None) -> dict[int, Coverage]:
    """``coverage_by`` over the given weeks, counted live (one query)."""
    if by == "unit":
        roles, join_users, group_col = COMMISSIONER_ROLES, True, User.unit_id
    else:
        roles = COMMISSIONER_ROLES if by == "commissioner" else LEADER_ROLES
        join_users, group_col = False, Assignment.user_id
    conditions = []
    if only is not None:
        conditions.append(group_col.in_(list(only)))
    result: dict[int, Coverage] = {}
    for row in _week_counts(weeks, as_of, roles, conditions, join_users, group_col):
        if row.grp is None:
            continue
        result[row.grp] = result.get(row.grp, Coverage()) + Coverage(row.visited, row.assigned)
    return result


def rollup_fresh(week: date, built_on: date, as_of: date) -> bool:
    """Whether a week's rollup rows, counted up to ``built_on``, hold for ``as_of``: the
    same assignments have begun by both days (a closed week: by its Sunday)."""
    sunday = week + timedelta(days=6)
    return min(sunday, built_on) == min(sunday, as_of)


def overview_figures(period: Period, as_of: date | None = None, limit: int | None = None,
                     expand: str | None = None) -> dict:
    """The coverage page's figures: overall week by week, and the tables by unit, by
    commissioner and by leader with the weakest rows first (rate, then key), each cut to
    ``limit`` rows except the one named by ``expand``, and how many rows each has.

    Weeks with rollup rows that hold (``crm.liaisons.rollups``) are read from them, the
    others are counted live; the figures are the same either way. Two statements for a single week
    with its rollup, three for several, otherwise at most six.
    """
    as_of = as_of or local_today()
    weeks = period.weeks(as_of)
    tables: dict[str, dict[int, Coverage]] = {by: {} for by in ROLLUP_TABLES}
    if not weeks:
        return {"trend": [], "tables": {by: [] for by in ROLLUP_TABLES},
                "sizes": {by: 0 for by in ROLLUP_TABLES}}
    found, sizes = {}, {by: 0 for by in ROLLUP_TABLES}
    for row in db.session.execute(
            select(CoverageRow.week, CoverageRow.assigned, CoverageRow.visited,
                   CoverageRow.built_on, CoverageRow.units, CoverageRow.commissioners,
                   CoverageRow.leaders)
            .where(CoverageRow.scope == "all", CoverageRow.week.in_(weeks))):
        if rollup_fresh(row.week, row.built_on, as_of):
            found[row.week] = Coverage(row.visited, row.assigned)
            sizes = {"unit": row.units, "commissioner": row.commissioners,
                     "leader": row.leaders}  # used when the period is this one week
    fresh = [monday for monday in weeks if monday in found]
    missing = [monday for monday in weeks if monday not in found]
    if not missing:
        # Every week rolled up: each table's weakest rows (one statement; for a single
        # week read in order from the rate index) and each table's size.
        rate = (CoverageRow.rate if len(weeks) == 1 else literal_column(
            "sum(coverage_rows.visited) * 1.0 / sum(coverage_rows.assigned)"))
        selects = []
        for by in ROLLUP_TABLES:
            stmt = select(literal_column(f"'{by}'").label("scope"), CoverageRow.key)
            if len(weeks) == 1:
                stmt = stmt.add_columns(CoverageRow.visited, CoverageRow.assigned).where(
                    CoverageRow.week == weeks[0], CoverageRow.scope == by)
            else:
                stmt = (stmt.add_columns(func.sum(CoverageRow.visited).label("visited"),
                                         func.sum(CoverageRow.assigned).label("assigned"))
                        .where(CoverageRow.scope == by, CoverageRow.week.in_(weeks))
                        .group_by(CoverageRow.key))
            stmt = stmt.order_by(rate, CoverageRow.key)
            if limit is not None and by != expand:
                stmt = stmt.limit(limit)
            selects.append(select(stmt.subquery()))
        shown: dict[str, list] = {by: [] for by in ROLLUP_TABLES}
        for row in db.session.execute(union_all(*selects)):
            shown[row.scope].append((row.key, Coverage(int(row.visited), int(row.assigned))))
        for rows in shown.values():  # the union does not keep each part's order
            rows.sort(key=lambda kv: (kv[1].rate or 0, kv[0]))
        if len(weeks) > 1:  # a key can be in several weeks
            sizes.update(db.session.execute(
                select(CoverageRow.scope, func.count(distinct(CoverageRow.key)))
                .where(CoverageRow.scope.in_(ROLLUP_TABLES), CoverageRow.week.in_(weeks))
                .group_by(CoverageRow.scope)).all())
        return {"trend": [(monday, found[monday]) for monday in weeks], "tables": shown,
                "sizes": sizes}
    # Some weeks counted live (no rollup yet, or a write made it stale).
    live = {missing[r.week]: Coverage(r.visited, r.assigned)
            for r in _week_counts(missing, as_of, COMMISSIONER_ROLES, [], False)}
    for by in ROLLUP_TABLES:
        tables[by] = _grouped(missing, as_of, by)
    if fresh:
        for row in db.session.execute(
                select(CoverageRow.scope, CoverageRow.key, CoverageRow.assigned,
                       CoverageRow.visited)
                .where(CoverageRow.scope.in_(ROLLUP_TABLES), CoverageRow.week.in_(fresh))):
            table = tables[row.scope]
            table[row.key] = table.get(row.key, Coverage()) + Coverage(row.visited,
                                                                        row.assigned)
    trend = [(monday, found.get(monday) or live.get(monday, Coverage())) for monday in weeks]

    def ordered(by):  # the weakest first: that is where a coordinator looks
        rows = sorted(tables[by].items(), key=lambda kv: (kv[1].rate or 0, kv[0]))
        return rows if by == expand or limit is None else rows[:limit]

    return {"trend": trend, "tables": {by: ordered(by) for by in ROLLUP_TABLES},
            "sizes": {by: len(table) for by, table in tables.items()}}


@dataclass(frozen=True)
class StaleEnterprise:
    """An enterprise in scope that has not been visited for ``days`` days or more.

    ``last_visit`` is None when it was never visited; ``since`` is the date the clock
    counts from (the last visit, else the start of the assignment).
    """

    enterprise_id: int
    name: str
    last_visit: date | None
    since: date
    days: int


def stale_enterprises(*, commissioner=None, unit=None, leader=None, today: date | None = None,
                      days: int = STALE_DAYS, limit: int | None = None) -> list[StaleEnterprise]:
    """Enterprises currently assigned in the scope with no visit for ``days`` days or more.

    The clock starts at the last visit or, for an enterprise never visited, at the
    start of the assignment (a commissioner assigned three days ago is not flagged).
    Deregistered enterprises are not flagged. Longest-waiting first. One query.
    """
    today = today or local_today()
    roles, conditions, join_users = _scope(commissioner, unit, leader)
    last = (
        select(func.max(Visit.visit_date))
        .where(Visit.enterprise_id == Enterprise.id, Visit.visit_date <= today)
        .correlate(Enterprise)
        .scalar_subquery()
    )
    inner = (
        select(
            Enterprise.id.label("enterprise_id"),
            Enterprise.name.label("name"),
            func.min(Assignment.start_date).label("assigned_since"),
            last.label("last_visit"),
        )
        .select_from(Assignment)
        .join(Enterprise, Enterprise.id == Assignment.enterprise_id)
    )
    if join_users:
        inner = inner.join(User, User.id == Assignment.user_id)
    # Visited within ``days``: not stale, whatever else. An anti-join (for a province,
    # the recent visits read once from the (date, enterprise) index; for a portfolio, a
    # probe per enterprise), so the last visit is looked up only for those that remain.
    recent = exists().where(Visit.enterprise_id == Enterprise.id,
                            Visit.visit_date > today - timedelta(days=days),
                            Visit.visit_date <= today)
    inner = (
        inner.where(
            Assignment.role.in_(roles),
            Assignment.start_date <= today,
            or_(Assignment.end_date.is_(None), Assignment.end_date >= today),
            Enterprise.status != "deregistered",
            ~recent,
            *conditions,
        )
        .group_by(Enterprise.id, Enterprise.name)
        .subquery()
    )
    since = func.coalesce(inner.c.last_visit, inner.c.assigned_since)
    stmt = (
        select(inner.c.enterprise_id, inner.c.name, inner.c.last_visit, since.label("since"))
        .where(and_(since <= today - timedelta(days=days)))
        .order_by(since, inner.c.name, inner.c.enterprise_id)
    )
    if limit:
        stmt = stmt.limit(limit)
    return [
        StaleEnterprise(r.enterprise_id, r.name, r.last_visit, r.since, (today - r.since).days)
        for r in db.session.execute(stmt)
    ]
