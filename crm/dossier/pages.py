"""What the enterprise page and the leader's portfolio show, loaded in a fixed number
of queries (relationships are ``raise_on_sql``: every load here is explicit).

Both pages compose the registry (profile, contacts, 包联 people, audit trail), the
problems, the visits and the policy catalogue, so they live above all of these.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from crm.auth.models import User
from crm.core.timeutil import utcnow
from crm.enterprises import permissions as enterprise_permissions
from crm.enterprises.assignments import LEADER_ROLES, LeaderState, leader_states, role_order
from crm.enterprises.history import audit_trail, audit_user_names
from crm.enterprises.models import Assignment, Contact, Enterprise
from crm.enterprises.queries import week_bounds
from crm.extensions import db
from crm.issues import permissions as issue_permissions
from crm.issues.models import OPEN_STATES, Issue
from crm.liaisons import permissions as visit_permissions
from crm.liaisons.models import Visit
from crm.liaisons.policies import newest_matching

RECENT_VISITS = 10
RECENT_CLOSED = 20
PAGE_POLICIES = 10  # newest matching policies on the page; the count says how many fit


def light_rank(now: datetime):
    """Red, yellow, green, then problems whose clock is not running."""
    return db.case((Issue.light_expr(now) == "red", 0), (Issue.light_expr(now) == "yellow", 1),
                   (Issue.light_expr(now) == "green", 2), else_=3)


def open_issues_stmt(user, enterprise_ids, now: datetime):
    """Open problems of these enterprises visible to ``user``, reds first, then by due time."""
    return (select(Issue).options(joinedload(Issue.lead_unit))
            .where(Issue.enterprise_id.in_(enterprise_ids), Issue.state.in_(OPEN_STATES),
                   issue_permissions.visibility(user))
            .order_by(light_rank(now), Issue.due_at.asc().nulls_last(), Issue.id))


@dataclass
class EnterprisePage:
    """Everything the enterprise page shows."""

    enterprise: Enterprise
    contacts: list
    current: list
    past: list
    leaders: LeaderState
    visits: list
    open_issues: list
    closed_issues: list
    policies: list
    policies_total: int
    audit: list | None
    audit_users: dict
    can_edit: bool
    is_current_commissioner: bool
    is_former_only: bool


def enterprise_page(user, ent: Enterprise, now: datetime | None = None) -> EnterprisePage:
    """Load the enterprise page for ``user`` (who may view ``ent``)."""
    now = now or utcnow()
    contacts = list(db.session.scalars(
        select(Contact).where(Contact.enterprise_id == ent.id)
        .order_by(Contact.is_primary.desc(), Contact.id)))
    assignments = list(db.session.scalars(
        select(Assignment).options(joinedload(Assignment.user).lazyload(User.role_rows))
        .where(Assignment.enterprise_id == ent.id)
        .order_by(Assignment.end_date.desc().nulls_first(), role_order(),
                  Assignment.start_date.desc(), Assignment.id.desc())))
    current = [a for a in assignments if a.end_date is None]
    past = [a for a in assignments if a.end_date is not None]
    visits = list(db.session.scalars(
        select(Visit).options(joinedload(Visit.author).lazyload(User.role_rows),
                              # in the same statement: the page's budget is 12
                              joinedload(Visit.flags))
        .where(Visit.enterprise_id == ent.id, visit_permissions.visibility(user))
        .order_by(Visit.visit_date.desc(), Visit.id.desc()).limit(RECENT_VISITS)).unique())
    closed = list(db.session.scalars(
        select(Issue).options(joinedload(Issue.lead_unit))
        .where(Issue.enterprise_id == ent.id, Issue.state.in_(("resolved", "closed")),
               issue_permissions.visibility(user))
        .order_by(func.coalesce(Issue.closed_at, Issue.resolved_at).desc(), Issue.id.desc())
        .limit(RECENT_CLOSED)))
    mine = [a for a in assignments if a.user_id == user.id]
    trail = audit_trail(ent.id) if user.sees_all else None
    policies, policies_total = newest_matching(ent, PAGE_POLICIES)
    return EnterprisePage(
        enterprise=ent,
        contacts=contacts,
        current=current,
        past=past,
        leaders=leader_states([ent.id], assignments=current)[ent.id],
        visits=visits,
        open_issues=list(db.session.scalars(open_issues_stmt(user, [ent.id], now)).unique()),
        closed_issues=closed,
        policies=policies,
        policies_total=policies_total,
        audit=trail,
        audit_users=audit_user_names(trail) if trail else {},
        can_edit=enterprise_permissions.can_edit(user, ent),
        is_current_commissioner=any(a.role == "commissioner" and a.end_date is None
                                    for a in mine),
        is_former_only=bool(mine) and not any(a.end_date is None for a in mine)
        and not user.sees_all,
    )


@dataclass
class PortfolioCard:
    """One enterprise on the leader's home."""

    enterprise: Enterprise
    role: str
    leaders: LeaderState
    last_visit: Visit | None = None
    visited_this_week: bool = False
    open_issues: list = field(default_factory=list)
    red_count: int = 0
    yellow_count: int = 0
    rated_issue: Issue | None = None


def _latest_per_enterprise(model, enterprise_ids, order, *where, options=()):
    """The newest row of ``model`` per enterprise, in one query: per enterprise, one
    probe of the (enterprise, date) index for the newest id — not a ranking of every
    visit of a leader's 133 enterprises."""
    newest = (select(model.id).where(model.enterprise_id == Enterprise.id, *where)
              .order_by(*order).limit(1).correlate(Enterprise).scalar_subquery())
    # Enterprise → its newest row by primary key: a nested loop over the enterprises
    # (an IN over the newest ids let PostgreSQL hash the whole table).
    stmt = (select(model).options(*options).select_from(Enterprise)
            .join(model, model.id == newest).where(Enterprise.id.in_(enterprise_ids)))
    return {row.enterprise_id: row for row in db.session.scalars(stmt)}


def portfolio(leader, now: datetime | None = None, today: date | None = None
              ) -> list[PortfolioCard]:
    """The enterprises ``leader`` holds as A or B now, red problems first."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Enterprise, Assignment.role).join(Assignment,
                                                 Assignment.enterprise_id == Enterprise.id)
        .where(Assignment.user_id == leader.id, Assignment.role.in_(LEADER_ROLES),
               Assignment.end_date.is_(None))).all()
    ids = [ent.id for ent, _role in rows]
    if not ids:
        return []
    states = leader_states(ids, today)
    cards = {ent.id: PortfolioCard(enterprise=ent, role=role, leaders=states[ent.id])
             for ent, role in rows}
    # A card shows the date and author of the last visit and the stars of the latest
    # rating: only those columns are loaded for a leader's hundred-odd enterprises.
    visits = _latest_per_enterprise(
        Visit, ids, (Visit.visit_date.desc(), Visit.id.desc()),
        options=(load_only(Visit.id, Visit.enterprise_id, Visit.visit_date, Visit.author_id),
                 joinedload(Visit.author).load_only(User.id, User.display_name)
                 .lazyload(User.role_rows),
                 # the health flags seen on the last visit show on the card
                 selectinload(Visit.flags)))
    monday, _sunday = week_bounds(today)
    for eid, visit in visits.items():
        cards[eid].last_visit = visit
        cards[eid].visited_this_week = visit.visit_date >= monday
    for issue in db.session.scalars(open_issues_stmt(leader, ids, now)).unique():
        card = cards[issue.enterprise_id]
        card.open_issues.append(issue)
        light = issue.light(now)
        card.red_count += light == "red"
        card.yellow_count += light == "yellow"
    # Every problem and visit of an enterprise the leader holds now is visible to them
    # (``issues.permissions`` / ``liaisons.permissions``): no visibility filter in these lookups.
    rated = _latest_per_enterprise(Issue, ids, (Issue.rated_at.desc(), Issue.id.desc()),
                                   Issue.rating.is_not(None),
                                   options=(load_only(Issue.id, Issue.enterprise_id,
                                                      Issue.number, Issue.rating),))
    for eid, issue in rated.items():
        cards[eid].rated_issue = issue
    return sorted(cards.values(), key=lambda c: (-c.red_count, -c.yellow_count,
                                                 c.visited_this_week,
                                                 c.enterprise.name_pinyin, c.enterprise.id))
