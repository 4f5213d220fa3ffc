"""Read-side queries for the visit pages: the commissioner's week, an enterprise's visit
history, the coordinator's visit list and its export. Each loads what its page shows in
a fixed number of queries, whatever the amount of data."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from crm.auth.models import Unit, User
from crm.core.timeutil import local_today, utcnow
from crm.enterprises.models import Assignment, Enterprise
from crm.enterprises.queries import search_condition
from crm.extensions import db
from crm.issues.models import OPEN_STATES, Issue
from crm.liaisons import permissions
from crm.liaisons.coverage import (
    STALE_DAYS,
    Coverage,
    Period,
    overview_figures,
    stale_enterprises,
)
from crm.liaisons.models import Visit, VisitCap, VisitFlag, VisitPhoto, VisitPolicy


@dataclass
class WeekRow:
    """One assigned enterprise on the commissioner's week."""

    enterprise_id: int
    name: str
    status: str
    is_current: bool
    visits_in_week: int
    last_visit: date | None
    open_problems: int
    red_problems: int
    assigned_since: date
    stale_days: int | None = None  # set when not visited for two weeks or more
    others: list[str] = field(default_factory=list)  # other cadres who visited that week
    cap: VisitCap | None = None  # the coordinator's "at most n visits a week"

    @property
    def visited(self) -> bool:
        """Visited at least once in the week shown."""
        return self.visits_in_week > 0

    @property
    def at_cap(self) -> bool:
        """The week's visits reached the coordinator's cap (an open problem lifts the cap
        when the cap says so): another visit would disturb the enterprise."""
        if self.cap is None or self.visits_in_week < self.cap.per_week:
            return False
        return not (self.cap.unless_problem and self.open_problems)

    @property
    def due_reasons(self) -> list[str]:
        """Why this enterprise is due for a visit: ``red`` (an overdue problem), ``week``
        (nobody visited it this week), ``stale`` (not for two weeks or more); nothing when
        it is no longer mine or the cap is reached."""
        if not self.is_current or self.at_cap:
            return []
        reasons = []
        if self.red_problems:
            reasons.append("red")
        if not self.visited:
            reasons.append("week")
        if self.stale_days:
            reasons.append("stale")
        return reasons


def _open_counts(now):
    open_q = (select(func.count(Issue.id))
              .where(Issue.enterprise_id == Enterprise.id, Issue.state.in_(OPEN_STATES))
              .correlate(Enterprise).scalar_subquery())
    red_q = (select(func.count(Issue.id))
             .where(Issue.enterprise_id == Enterprise.id, Issue.light_expr(now) == "red")
             .correlate(Enterprise).scalar_subquery())
    return open_q, red_q


def week_rows(user, monday: date, today: date | None = None) -> list[WeekRow]:
    """The enterprises ``user`` was commissioner for during the week starting ``monday``:
    visits that week (and which other cadres made them), last visit, open and overdue
    problems, the visit cap. Unvisited first. Three queries."""
    today = today or local_today()
    sunday = monday + timedelta(days=6)
    assigned = (
        select(Assignment.enterprise_id,
               func.max(case((Assignment.end_date.is_(None), 1), else_=0)).label("current"),
               func.min(Assignment.start_date).label("since"))
        .where(Assignment.user_id == user.id, Assignment.role == "commissioner",
               Assignment.start_date <= sunday,
               or_(Assignment.end_date.is_(None), Assignment.end_date >= monday))
        .group_by(Assignment.enterprise_id)
        .subquery()
    )
    in_week = (select(func.count(Visit.id))
               .where(Visit.enterprise_id == Enterprise.id,
                      Visit.visit_date.between(monday, sunday))
               .correlate(Enterprise).scalar_subquery())
    # The last visit as of the week shown (a past week shows its own, not this week's).
    last = (select(func.max(Visit.visit_date))
            .where(Visit.enterprise_id == Enterprise.id, Visit.visit_date <= min(sunday, today))
            .correlate(Enterprise).scalar_subquery())
    open_q, red_q = _open_counts(utcnow())
    stmt = (select(Enterprise.id, Enterprise.name, Enterprise.status, assigned.c.current,
                   assigned.c.since, in_week, last, open_q, red_q)
            .join(assigned, assigned.c.enterprise_id == Enterprise.id))
    rows = []
    for r in db.session.execute(stmt):
        row = WeekRow(r[0], r[1], r[2], bool(r[3]), r[5] or 0, r[6], r[7] or 0, r[8] or 0, r[4])
        since = row.last_visit or row.assigned_since
        if row.is_current and row.status != "deregistered" and (today - since).days >= STALE_DAYS:
            row.stale_days = (today - since).days
        rows.append(row)
    by_id = {row.enterprise_id: row for row in rows}
    if by_id:
        for eid, name in db.session.execute(
                select(Visit.enterprise_id, User.display_name).join(User, User.id == Visit.author_id)
                .where(Visit.enterprise_id.in_(list(by_id)), Visit.author_id != user.id,
                       Visit.visit_date.between(monday, sunday))
                .distinct().order_by(Visit.enterprise_id, User.display_name)):
            by_id[eid].others.append(name)
        for cap in db.session.scalars(select(VisitCap).where(
                VisitCap.enterprise_id.in_(list(by_id)))):
            by_id[cap.enterprise_id].cap = cap
    rows.sort(key=lambda x: (x.visited, not x.is_current, -x.red_problems,
                             -(x.stale_days or 0), x.name))
    return rows


@dataclass
class VisitRow:
    """A visit as lists and the history show it."""

    visit: Visit
    problems: int = 0
    photos: int = 0
    factors: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)


def _decorate(visits: list[Visit]) -> list[VisitRow]:
    """Counts of problems and photos for ``visits`` in two grouped queries."""
    ids = [v.id for v in visits]
    problems, photos = {}, {}
    if ids:
        problems = dict(db.session.execute(
            select(Issue.visit_id, func.count(Issue.id)).where(Issue.visit_id.in_(ids))
            .group_by(Issue.visit_id)).all())
        photos = dict(db.session.execute(
            select(VisitPhoto.visit_id, func.count(VisitPhoto.id))
            .where(VisitPhoto.visit_id.in_(ids)).group_by(VisitPhoto.visit_id)).all())
    return [VisitRow(v, problems.get(v.id, 0), photos.get(v.id, 0),
                     [f.factor for f in v.factors], [p.title for p in v.policies])
            for v in visits]


def _list_options(stmt):
    return stmt.options(joinedload(Visit.enterprise), joinedload(Visit.author).lazyload(User.role_rows),
                        selectinload(Visit.factors), selectinload(Visit.policies))


def visit_history(enterprise, user, limit: int = 10) -> tuple[list[VisitRow], int]:
    """The latest ``limit`` visits of ``enterprise`` that ``user`` may see, and how many
    there are in all (for "show all")."""
    base = permissions.visible(select(Visit), user).where(Visit.enterprise_id == enterprise.id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    visits = list(db.session.scalars(_list_options(
        base.order_by(Visit.visit_date.desc(), Visit.id.desc()).limit(limit))).unique())
    return _decorate(visits), total


def filtered_visits(user, filters: dict):
    """``select(Visit)`` of the visits ``user`` may see that match the list filters."""
    stmt = permissions.visible(select(Visit), user)
    if filters.get("q"):
        # The registry's own search (name, code, pinyin), with its indexes.
        stmt = stmt.where(Visit.enterprise_id.in_(
            select(Enterprise.id).where(search_condition(filters["q"]))))
    if filters.get("enterprise"):
        stmt = stmt.where(Visit.enterprise_id == filters["enterprise"])
    if filters.get("date_from"):
        stmt = stmt.where(Visit.visit_date >= filters["date_from"])
    if filters.get("date_to"):
        stmt = stmt.where(Visit.visit_date <= filters["date_to"])
    if filters.get("unit"):
        stmt = stmt.where(Visit.author_id.in_(select(User.id).where(
            User.unit_id == filters["unit"])))
    if filters.get("author"):
        stmt = stmt.where(Visit.author_id == filters["author"])
    if filters.get("mode"):
        stmt = stmt.where(Visit.mode == filters["mode"])
    if filters.get("policy"):
        stmt = stmt.where(exists().where(VisitPolicy.visit_id == Visit.id,
                                         VisitPolicy.policy_id == filters["policy"]))
    if filters.get("flag"):
        stmt = stmt.where(exists().where(VisitFlag.visit_id == Visit.id,
                                         VisitFlag.flag == filters["flag"]))
    if filters.get("town"):
        stmt = stmt.where(Visit.enterprise_id.in_(select(Enterprise.id).where(
            Enterprise.town_id == filters["town"])))
    if filters.get("problems") in ("yes", "no"):
        has = exists().where(Issue.visit_id == Visit.id)
        stmt = stmt.where(has if filters["problems"] == "yes" else ~has)
    return stmt.order_by(Visit.visit_date.desc(), Visit.id.desc())


def visit_page(user, filters: dict, page: int, per_page: int = 30):
    """One page of the filtered list: (pagination, rows)."""
    pagination = db.paginate(_list_options(filtered_visits(user, filters)), page=page,
                             per_page=per_page, error_out=False, max_per_page=100)
    return pagination, _decorate(list(pagination.items))


def export_rows(user, filters: dict, limit: int):
    """Visits for the spreadsheet, at most ``limit`` (+1 to tell that there were more),
    with policies, factors and problem numbers, in a fixed number of queries per
    thousand rows."""
    stmt = _list_options(filtered_visits(user, filters)).limit(limit + 1)
    visits = list(db.session.scalars(stmt).unique())
    numbers: dict[int, list[str]] = {}
    ids = [v.id for v in visits]
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        for visit_id, number, title in db.session.execute(
                select(Issue.visit_id, Issue.number, Issue.title)
                .where(Issue.visit_id.in_(chunk)).order_by(Issue.id)):
            numbers.setdefault(visit_id, []).append(f"{number} {title}")
    photos = {}
    for start in range(0, len(ids), 1000):
        photos.update(db.session.execute(
            select(VisitPhoto.visit_id, func.count(VisitPhoto.id))
            .where(VisitPhoto.visit_id.in_(ids[start:start + 1000]))
            .group_by(VisitPhoto.visit_id)).all())
    return visits, numbers, photos


def visit_detail(visit_id: int) -> Visit | None:
    """A visit with everything its page shows."""
    return db.session.scalar(
        select(Visit).where(Visit.id == visit_id).options(
            joinedload(Visit.enterprise), joinedload(Visit.author).lazyload(User.role_rows),
            selectinload(Visit.policies), selectinload(Visit.factors),
            selectinload(Visit.photos), selectinload(Visit.flags)))


def visit_issues(visit: Visit) -> list[Issue]:
    """The problems raised in ``visit``, in the order they were raised."""
    return list(db.session.scalars(select(Issue).where(Issue.visit_id == visit.id)
                                   .order_by(Issue.id)))


# Rows a coverage table shows, weakest first; the whole table is one click away.
COVERAGE_ROWS = 30


def coverage_overview(period: Period, today: date, expand: str | None = None) -> dict:
    """Everything the coordinator's coverage page shows, in a fixed number of queries:
    overall (week by week), by unit, by commissioner, by leader, and the enterprises not
    visited for two weeks (the first 100). Each table keeps its ``COVERAGE_ROWS``
    weakest rows (a province has thousands of commissioners) except the one named by
    ``expand``; ``sizes`` says how many rows each has in all."""
    figures = overview_figures(period, today, COVERAGE_ROWS, expand)
    trend, shown = figures["trend"], figures["tables"]
    unit_ids = [key for key, _cov in shown["unit"]]
    units = dict(db.session.execute(select(Unit.id, Unit.name).where(
        Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    person_ids = {key for by in ("commissioner", "leader") for key, _cov in shown[by]}
    people = {pid: (name, unit) for pid, name, unit in db.session.execute(
        select(User.id, User.display_name, Unit.name).outerjoin(Unit, Unit.id == User.unit_id)
        .where(User.id.in_(person_ids)))} if person_ids else {}
    return {
        "total": sum((cov for _monday, cov in trend), Coverage()),
        "trend": trend,
        "by_unit": shown["unit"],
        "by_commissioner": shown["commissioner"],
        "by_leader": shown["leader"],
        "sizes": figures["sizes"],
        "unit_label_of": lambda key: (units.get(key, "?"), None),
        "person_label_of": lambda key: people.get(key, ("?", None)),
        "stale": stale_enterprises(today=today, limit=100),
    }


def shared_visits(monday: date, min_authors: int = 2) -> list[dict]:
    """Enterprises visited by ``min_authors`` or more different cadres in the week from
    ``monday`` (the coordinator's 无事不扰 check): name, town, the cadres and the visits
    (two queries)."""
    sunday = monday + timedelta(days=6)
    in_week = (Visit.visit_date >= monday) & (Visit.visit_date <= sunday)
    # Two or more cadres: the lowest and highest author differ (a hash aggregate over
    # the week's visits; counting distinct authors would sort them all).
    several = (func.min(Visit.author_id) != func.max(Visit.author_id) if min_authors == 2
               else func.count(func.distinct(Visit.author_id)) >= min_authors)
    crowded = (select(Visit.enterprise_id).where(in_week).group_by(Visit.enterprise_id)
               .having(several))
    visits = db.session.scalars(
        select(Visit).options(joinedload(Visit.author).lazyload(User.role_rows),
                              joinedload(Visit.enterprise))
        .where(in_week, Visit.enterprise_id.in_(crowded))
        .order_by(Visit.enterprise_id, Visit.visit_date, Visit.id)).unique()
    out: dict[int, dict] = {}
    for v in visits:
        row = out.setdefault(v.enterprise_id, {"enterprise": v.enterprise, "visits": [],
                                               "authors": []})
        row["visits"].append(v)
        if v.author.display_name not in row["authors"]:
            row["authors"].append(v.author.display_name)
    return sorted(out.values(), key=lambda r: (-len(r["authors"]), r["enterprise"].name))
