"""What the enterprise page and the leader's portfolio show, loaded in a fixed number
of queries (relationships are ``raise_on_sql``: every load here is explicit).

Both pages compose the registry (profile, contacts, 包联 people, audit trail), the
problems, the visits and the policy catalogue, so they live above all of these.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload, load_only

from crm.auth.models import User
from crm.core.timeutil import utcnow
from crm.enterprises import permissions as enterprise_permissions
from crm.enterprises.assignments import LEADER_ROLES, LeaderState, leader_states, role_order
from crm.enterprises.history import audit_trail, audit_user_names
from crm.enterprises.models import Assignment, Contact, Enterprise
from crm.enterprises.queries import week_bounds
from crm.extensions import db
from crm.issues import permissions as issue_permissions
from crm.issues.models import CLOCK_STATES, OPEN_STATES, Issue
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
    return {row.enterprise_id: row for row in db.session.scalars(stmt).unique()}


# A leader with more enterprises than this sees those with red or yellow problems first
# (at most this many cards) and the rest on demand, a page at a time (issue 19: no page
# renders a hundred-odd cards before the first paint).
FIRST_CARDS = 30
REST_PAGE = 30


@dataclass
class PortfolioFact:
    """What orders a leader's enterprise on the portfolio, for all of them at once."""

    enterprise_id: int
    role: str
    name_pinyin: str
    red: int
    yellow: int
    visited_this_week: bool

    @property
    def urgent(self) -> bool:
        """Red or yellow problems: shown before the first paint."""
        return bool(self.red or self.yellow)

    def sort_key(self):
        return (-self.red, -self.yellow, self.visited_this_week, self.name_pinyin,
                self.enterprise_id)


@dataclass
class Portfolio:
    """One view of the leader's portfolio: the cards it shows and the whole's figures.

    ``rest_page`` is None for the first view (the urgent cards, or every card of a
    leader with at most ``FIRST_CARDS`` enterprises); otherwise the number of the page
    of the other enterprises shown."""

    cards: list[PortfolioCard]
    total: int
    red_problems: int
    not_visited: int
    urgent: int
    rest: int  # enterprises not on the first view
    rest_page: int | None = None
    rest_pages: int = 0

    @property
    def remaining(self) -> int:
        """Enterprises after this view (behind its "more" link)."""
        if self.rest_page is None:
            return self.rest
        return max(0, self.rest - self.rest_page * REST_PAGE)

    @property
    def next_page(self) -> int | None:
        """The next page of the rest, if any (1 from the first view)."""
        if self.rest_page is None:
            return 1 if self.rest else None
        return self.rest_page + 1 if self.rest_page < self.rest_pages else None


def portfolio_facts(leader, now: datetime, today: date | None = None) -> list[PortfolioFact]:
    """Every enterprise ``leader`` holds as A or B now, with its red and yellow problem
    counts and whether it was visited this week, in card order (one statement).

    Per enterprise: one probe of the problems' (enterprise, state, due) index and one
    of the visits' (enterprise, date) index — the leader's hundred-odd enterprises, not
    their history. Every problem of an enterprise the leader holds now is visible to
    them (``issues.permissions``): no visibility filter here."""
    monday, sunday = week_bounds(today)
    running = (Issue.enterprise_id == Assignment.enterprise_id) & Issue.state.in_(CLOCK_STATES)
    red = (select(func.count()).where(running, Issue.due_at < now)
           .correlate(Assignment).scalar_subquery())
    yellow = (select(func.count()).where(running, Issue.due_at >= now, Issue.warn_at <= now)
              .correlate(Assignment).scalar_subquery())
    visited = (exists().where(Visit.enterprise_id == Assignment.enterprise_id,
                              Visit.visit_date.between(monday, sunday))
               .correlate(Assignment))
    rows = db.session.execute(
        select(Assignment.enterprise_id, Assignment.role, Enterprise.name_pinyin, red, yellow,
               visited)
        .join(Enterprise, Enterprise.id == Assignment.enterprise_id)
        .where(Assignment.user_id == leader.id, Assignment.role.in_(LEADER_ROLES),
               Assignment.end_date.is_(None)))
    facts = [PortfolioFact(eid, role, pinyin or "", int(r or 0), int(y or 0), bool(v))
             for eid, role, pinyin, r, y, v in rows]
    return sorted(facts, key=PortfolioFact.sort_key)


def portfolio(leader, now: datetime | None = None, today: date | None = None,
              rest_page: int | None = None) -> Portfolio:
    """The leader's portfolio, red problems first: the first view (every card up to
    ``FIRST_CARDS`` enterprises; beyond that the cards with red or yellow problems, at
    most ``FIRST_CARDS``) or, with ``rest_page``, that page of the other enterprises in
    the same order. Each card is loaded in full; the figures are the whole portfolio's."""
    now = now or utcnow()
    facts = portfolio_facts(leader, now, today)
    total = len(facts)
    urgent = sum(f.urgent for f in facts)
    first = total if total <= FIRST_CARDS else min(urgent, FIRST_CARDS)
    rest = total - first
    pages = -(-rest // REST_PAGE)
    if rest_page is None:
        shown = facts[:first]
    else:
        rest_page = max(1, min(rest_page, pages or 1))
        start = first + (rest_page - 1) * REST_PAGE
        shown = facts[start:start + REST_PAGE]
    return Portfolio(cards=portfolio_cards(leader, shown, now, today), total=total,
                     red_problems=sum(f.red for f in facts),
                     not_visited=sum(not f.visited_this_week for f in facts),
                     urgent=urgent, rest=rest, rest_page=rest_page, rest_pages=pages)


def portfolio_cards(leader, facts: list[PortfolioFact], now: datetime,
                    today: date | None = None) -> list[PortfolioCard]:
    """The cards of these enterprises (in the order given), each with its leaders, last
    visit and its health flags, open problems and latest rating."""
    ids = [f.enterprise_id for f in facts]
    if not ids:
        return []
    ents = {e.id: e for e in db.session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)))}
    states = leader_states(ids, today)
    cards = {f.enterprise_id: PortfolioCard(enterprise=ents[f.enterprise_id], role=f.role,
                                            leaders=states[f.enterprise_id],
                                            visited_this_week=f.visited_this_week)
             for f in facts}
    # A card shows the date and author of the last visit and the stars of the latest
    # rating: only those columns are loaded.
    visits = _latest_per_enterprise(
        Visit, ids, (Visit.visit_date.desc(), Visit.id.desc()),
        options=(load_only(Visit.id, Visit.enterprise_id, Visit.visit_date, Visit.author_id),
                 joinedload(Visit.author).load_only(User.id, User.display_name)
                 .lazyload(User.role_rows),
                 # the health flags seen on the last visit show on the card (same statement)
                 joinedload(Visit.flags)))
    for eid, visit in visits.items():
        cards[eid].last_visit = visit
    for issue in db.session.scalars(open_issues_stmt(leader, ids, now)).unique():
        card = cards[issue.enterprise_id]
        card.open_issues.append(issue)
        light = issue.light(now)
        card.red_count += light == "red"
        card.yellow_count += light == "yellow"
    rated = _latest_per_enterprise(Issue, ids, (Issue.rated_at.desc(), Issue.id.desc()),
                                   Issue.rating.is_not(None),
                                   options=(load_only(Issue.id, Issue.enterprise_id,
                                                      Issue.number, Issue.rating),))
    for eid, issue in rated.items():
        cards[eid].rated_issue = issue
    return [cards[eid] for eid in ids]
