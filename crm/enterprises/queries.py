"""Read side of the registry: the filtered list, its counts and per-row facts.

Every query starts from ``enterprise_visibility(user)``, so a list, its counts and
its export show exactly the enterprises the detail page would open. Problem and
visit facts go through ``issue_visibility`` / ``visit_visibility`` as well.
Aggregates are computed in SQL for a whole page at once: a page costs the same
number of queries whatever its size.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select

from crm.auth.models import Unit, User, UserRole
from crm.core.timeutil import local_today, utcnow, week_start
from crm.enterprises import credit_code as cc
from crm.enterprises.models import (
    CLUSTERS,
    OWNERSHIPS,
    SCALES,
    STATUSES,
    Enterprise,
    enterprise_visibility,
)
from crm.enterprises.services import search_key
from crm.extensions import db
from crm.issues.models import OPEN_STATES, Issue, issue_visibility
from crm.liaisons.models import Assignment, Visit, visit_visibility

SORTS = {
    "name": _l("Name (pinyin order)"),
    "red": _l("Overdue problems first"),
    "visit": _l("Longest without a visit first"),
    "updated": _l("Recently changed"),
    "employees": _l("Most employees"),
    "output": _l("Highest annual output"),
}


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


@dataclass
class ListFilters:
    """The list's filters as read from the query string; invalid values are dropped."""

    q: str = ""
    town: int | None = None
    cluster: str = ""
    chain: bool = False
    scale: str = ""
    ownership: str = ""
    status: str = ""
    leader: int | None = None
    commissioner: int | None = None
    red: bool = False
    unvisited: bool = False
    sort: str = "name"

    @classmethod
    def from_args(cls, args) -> "ListFilters":
        """Read ``request.args``; anything unknown is ignored rather than refused."""
        def choice(name, allowed):
            value = (args.get(name) or "").strip()
            return value if value in allowed else ""

        sort = args.get("sort") or "name"
        return cls(
            q=(args.get("q") or "").strip()[:100],
            town=_int(args.get("town")),
            cluster=choice("cluster", CLUSTERS),
            chain=args.get("chain") == "1",
            scale=choice("scale", SCALES),
            ownership=choice("ownership", OWNERSHIPS),
            status=choice("status", STATUSES),
            leader=_int(args.get("leader")),
            commissioner=_int(args.get("commissioner")),
            red=args.get("red") == "1",
            unvisited=args.get("unvisited") == "1",
            sort=sort if sort in SORTS else "name",
        )

    def as_args(self) -> dict:
        """The non-default filters as query-string arguments (for links and export)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in ("", None, False) or (f.name == "sort" and value == "name"):
                continue
            out[f.name] = "1" if value is True else value
        return out

    @property
    def active(self) -> bool:
        """True when anything narrows the list."""
        return any(k != "sort" for k in self.as_args())


def week_bounds(today: date | None = None) -> tuple[date, date]:
    """Monday and Sunday of the current ISO week (local time)."""
    start = week_start(today or local_today())
    return start, start + timedelta(days=6)


def red_issue_exists(user, now: datetime):
    """EXISTS a red (overdue) problem, visible to ``user``, of the outer enterprise."""
    return exists().where(Issue.enterprise_id == Enterprise.id,
                          Issue.red_expr(now), issue_visibility(user))


def visited_this_week(user, today: date | None = None):
    """EXISTS a visit, visible to ``user``, to the outer enterprise in this ISO week."""
    monday, sunday = week_bounds(today)
    return exists().where(Visit.enterprise_id == Enterprise.id,
                          Visit.visit_date.between(monday, sunday), visit_visibility(user))


def _active_role(role_names, user_id):
    return exists().where(Assignment.enterprise_id == Enterprise.id,
                          Assignment.user_id == user_id, Assignment.role.in_(role_names),
                          Assignment.end_date.is_(None))


def _red_count(user, now):
    return (select(func.count()).select_from(Issue)
            .where(Issue.enterprise_id == Enterprise.id, Issue.red_expr(now),
                   issue_visibility(user))
            .correlate(Enterprise).scalar_subquery())


def _last_visit(user):
    return (select(func.max(Visit.visit_date))
            .where(Visit.enterprise_id == Enterprise.id, visit_visibility(user))
            .correlate(Enterprise).scalar_subquery())


def search_condition(text: str):
    """Name fragment, credit code, full pinyin or pinyin initials."""
    like = f"%{_like_escape(text)}%"
    # SQLite's LIKE already ignores ASCII case; its ILIKE would lower() every name.
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    conds = [Enterprise.name.like(like, escape="\\") if sqlite
             else Enterprise.name.ilike(like, escape="\\")]
    code = cc.normalise(text)
    if code:
        conds.append(Enterprise.credit_code.like(f"%{_like_escape(code)}%", escape="\\"))
    key = search_key(text)
    if key:
        pattern = f"%{_like_escape(key)}%"
        conds.append(Enterprise.name_pinyin.like(pattern, escape="\\"))
        conds.append(Enterprise.name_initials.like(pattern, escape="\\"))
    return or_(*conds)


def filtered(user, flt: ListFilters, now: datetime | None = None, today: date | None = None):
    """``select(Enterprise)`` for the list: visibility, filters and the sort order."""
    now = now or utcnow()
    stmt = select(Enterprise).where(enterprise_visibility(user))
    if flt.q:
        stmt = stmt.where(search_condition(flt.q))
    if flt.town:
        stmt = stmt.where(Enterprise.town_id == flt.town)
    for name in ("cluster", "scale", "ownership", "status"):
        if getattr(flt, name):
            stmt = stmt.where(getattr(Enterprise, name) == getattr(flt, name))
    if flt.chain:
        stmt = stmt.where(Enterprise.is_chain_leader.is_(True))
    if flt.leader:
        stmt = stmt.where(_active_role(("leader_a", "leader_b"), flt.leader))
    if flt.commissioner:
        stmt = stmt.where(_active_role(("commissioner",), flt.commissioner))
    if flt.red:
        stmt = stmt.where(red_issue_exists(user, now))
    if flt.unvisited:
        stmt = stmt.where(~visited_this_week(user, today))
    order = {
        "name": [Enterprise.name_pinyin, Enterprise.id],
        "red": [_red_count(user, now).desc(), Enterprise.name_pinyin, Enterprise.id],
        "visit": [_last_visit(user).asc().nulls_first(), Enterprise.name_pinyin, Enterprise.id],
        "updated": [Enterprise.updated_at.desc(), Enterprise.id.desc()],
        "employees": [Enterprise.employees.desc().nulls_last(), Enterprise.id],
        "output": [Enterprise.annual_output.desc().nulls_last(), Enterprise.id],
    }[flt.sort]
    return stmt.order_by(*order)


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
           .where(Issue.red_expr(now), issue_visibility(user)))
    visited = (select(func.count(Visit.enterprise_id.distinct()))
               .where(Visit.visit_date.between(monday, sunday), visit_visibility(user)))
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
               issue_visibility(user))
        .group_by(Issue.enterprise_id))
    for eid, total, red, yellow in issue_rows:
        facts[eid].open_count, facts[eid].red_count = total, int(red or 0)
        facts[eid].yellow_count = int(yellow or 0)
    monday, _sunday = week_bounds(today)
    for eid, last in db.session.execute(
            select(Visit.enterprise_id, func.max(Visit.visit_date))
            .where(Visit.enterprise_id.in_(enterprise_ids), visit_visibility(user))
            .group_by(Visit.enterprise_id)):
        facts[eid].last_visit = last
        facts[eid].visited_this_week = last is not None and last >= monday
    from crm.liaisons.assignments import active_assignments

    for row in active_assignments(enterprise_ids):
        if row.role == "commissioner":
            facts[row.enterprise_id].commissioners.append(row.user)
        else:
            facts[row.enterprise_id].leaders.append((row.role, row.user))
    return facts


def former_ids(user, enterprise_ids: list[int]) -> set[int]:
    """Enterprises of the page the user was assigned to but no longer is (read-only)."""
    if user.sees_all or not enterprise_ids:
        return set()
    rows = db.session.execute(
        select(Assignment.enterprise_id, Assignment.end_date.is_(None))
        .where(Assignment.user_id == user.id, Assignment.enterprise_id.in_(enterprise_ids))).all()
    held = {eid for eid, _active in rows}
    return held - {eid for eid, active in rows if active}


def export_rows(user, stmt, now: datetime | None = None, today: date | None = None):
    """Every enterprise of ``stmt`` with contacts and facts, for the Excel export.

    Enterprises are read in chunks so a large county does not sit in memory twice;
    each chunk costs a fixed number of queries.
    """
    from sqlalchemy.orm import selectinload

    ids = list(db.session.scalars(stmt.with_only_columns(Enterprise.id)))
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        ents = {e.id: e for e in db.session.scalars(
            select(Enterprise).options(selectinload(Enterprise.contacts))
            .where(Enterprise.id.in_(chunk)))}
        facts = row_facts(user, chunk, now, today)
        for eid in chunk:
            yield ents[eid], facts[eid]


def town_choices() -> list[Unit]:
    """Town offices for the filter and the form."""
    return list(db.session.scalars(
        select(Unit).where(Unit.kind == "town", Unit.is_active).order_by(Unit.name)))


def people_matching(roles, name: str = "", ids=None, limit: int = 20) -> list:
    """Active people holding one of ``roles`` whose name (or unit) contains ``name``, or
    with one of ``ids``: rows with ``id``, ``display_name``, ``unit_name`` and ``role``
    (their first matching role), by name — at most ``limit``."""
    stmt = (select(User.id, User.display_name, Unit.name.label("unit_name"),
                   func.min(UserRole.role).label("role"))
            .join(UserRole, UserRole.user_id == User.id)
            .outerjoin(Unit, Unit.id == User.unit_id)
            .where(User.is_active, UserRole.role.in_(list(roles)))
            .group_by(User.id, User.display_name, Unit.name)
            .order_by(User.display_name, User.id).limit(limit))
    if ids is not None:
        stmt = stmt.where(User.id.in_(list(ids)))
    if name:
        like = f"%{_like_escape(name)}%"
        stmt = stmt.where(User.display_name.ilike(like, escape="\\")
                          | Unit.name.ilike(like, escape="\\"))
    return list(db.session.execute(stmt))


def person_label(display_name: str, unit_name: str | None, role: str | None = None) -> str:
    """How a person reads in a picker: 张三（发改委）, with the role when it can vary."""
    label = f"{display_name}（{unit_name}）" if unit_name else display_name
    return f"{label} · {ASSIGNMENT_ROLE_PEOPLE[role]}" if role else label


ASSIGNMENT_ROLE_PEOPLE = {"leader": _l("City leader"), "commissioner": _l("Commissioner")}


def filter_people(flt: ListFilters) -> dict[str, str]:
    """Labels of the leader / commissioner the list is filtered by (for the pickers):
    one query, and none when the list is not filtered by a person."""
    wanted = {"leader": flt.leader, "commissioner": flt.commissioner}
    ids = {uid for uid in wanted.values() if uid}
    if not ids:
        return {}
    names = {r.id: person_label(r.display_name, r.unit_name)
             for r in people_matching(("leader", "commissioner"), ids=ids)}
    return {key: names[uid] for key, uid in wanted.items() if uid in names}
