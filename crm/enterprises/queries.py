"""Read side of the registry: the list's filters, the registry's part of the filtered
list, and the people pickers.

Every query starts from ``permissions.visible``, so a list, its counts and its export
show exactly the enterprises the detail page would open. The list's problem and visit
facts are added above the registry, in ``crm.dossier.queries``.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from crm.auth.models import Unit, User, UserRole
from crm.core.text import LIKE_ESCAPE, contains
from crm.core.timeutil import local_today, week_start
from crm.enterprises import credit_code as cc
from crm.enterprises import permissions, search_index
from crm.enterprises.models import CLUSTERS, OWNERSHIPS, SCALES, STATUSES, Assignment, Enterprise
from crm.enterprises.services import search_key
from crm.extensions import db

SORTS = {
    "name": _l("Name (pinyin order)"),
    "red": _l("Overdue problems first"),
    "visit": _l("Longest without a visit first"),
    "updated": _l("Recently changed"),
    "employees": _l("Most employees"),
    "output": _l("Highest annual output"),
}


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


def _active_role(role_names, user_id):
    return exists().where(Assignment.enterprise_id == Enterprise.id,
                          Assignment.user_id == user_id, Assignment.role.in_(role_names),
                          Assignment.end_date.is_(None))


def search_condition(text: str):
    """Name fragment, credit code (or its organisation code) by prefix, full pinyin or
    pinyin initials — served by the indexes of ``search_index``, whose docstring says
    what matches what."""
    text = text.strip()
    dialect = db.session.get_bind().dialect.name
    return search_index.condition(Enterprise, text, dialect, code=cc.normalise(text),
                                  key=search_key(text))


def matching(user, flt: ListFilters):
    """``select(Enterprise)`` of what ``user`` may see, narrowed by the registry's own
    filters (search, town, cluster, scale, ownership, status, chain, people)."""
    stmt = permissions.visible(select(Enterprise), user)
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
    return stmt


def former_ids(user, enterprise_ids: list[int]) -> set[int]:
    """Enterprises of the page the user was assigned to but no longer is (read-only)."""
    if user.sees_all or not enterprise_ids:
        return set()
    rows = db.session.execute(
        select(Assignment.enterprise_id, Assignment.end_date.is_(None))
        .where(Assignment.user_id == user.id, Assignment.enterprise_id.in_(enterprise_ids))).all()
    held = {eid for eid, _active in rows}
    return held - {eid for eid, active in rows if active}


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
        like = contains(name)
        stmt = stmt.where(User.display_name.ilike(like, escape=LIKE_ESCAPE)
                          | Unit.name.ilike(like, escape=LIKE_ESCAPE))
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
