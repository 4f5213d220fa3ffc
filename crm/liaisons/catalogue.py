"""The policy catalogue (送政策): keeping policies, and counting deliveries per policy
and per enterprise."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import distinct, func, or_, select

from crm.core import audit
from crm.core.timeutil import local_today
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.liaisons import permissions
from crm.liaisons.models import Policy, Visit, VisitPolicy
from crm.liaisons.policies import matching_policies, policy_fits, specificity, valid_policies

POLICY_FIELDS = ("title", "category", "issuer", "summary", "link", "industries", "scales",
                 "ownerships", "clusters", "valid_from", "valid_to", "is_active")


def save_policy(policy: Policy | None, data: dict, actor) -> Policy:
    """Create (``policy`` None) or change a catalogue policy; audited with before/after."""
    if policy is None:
        policy = Policy(created_by_id=actor.id, **{f: data[f] for f in POLICY_FIELDS})
        db.session.add(policy)
        db.session.flush()
        audit.record(actor, "create", policy, after=audit.snapshot(policy, POLICY_FIELDS),
                     summary=_("Policy %(title)s added", title=policy.title))
        return policy
    before = audit.snapshot(policy, POLICY_FIELDS)
    for f in POLICY_FIELDS:
        setattr(policy, f, data[f])
    db.session.flush()
    old, new = audit.diff(before, audit.snapshot(policy, POLICY_FIELDS))
    if new:
        audit.record(actor, "update", policy, before=old, after=new,
                     summary=_("Policy %(title)s changed", title=policy.title))
    return policy


def filtered_policies(filters: dict, on: date | None = None):
    """``select(Policy)`` for the catalogue list: search, category and validity."""
    on = on or local_today()
    validity = filters.get("validity") or "valid"
    if validity == "valid":
        stmt = valid_policies(on)
    else:
        stmt = select(Policy)
        if validity == "expired":
            stmt = stmt.where(or_(~Policy.is_active, Policy.valid_to < on))
    if filters.get("q"):
        like = f"%{filters['q']}%"
        stmt = stmt.where(or_(Policy.title.ilike(like), Policy.issuer.ilike(like),
                              Policy.summary.ilike(like)))
    if filters.get("category"):
        stmt = stmt.where(Policy.category == filters["category"])
    return stmt.order_by(Policy.valid_from.desc().nulls_last(), Policy.id.desc())


@dataclass(frozen=True)
class Delivered:
    """How often a policy was delivered: visits and distinct enterprises."""

    visits: int = 0
    enterprises: int = 0


def delivered_counts(policy_ids) -> dict[int, Delivered]:
    """Deliveries per policy for ``policy_ids`` (one grouped query)."""
    ids = list(policy_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(VisitPolicy.policy_id, func.count(VisitPolicy.visit_id),
               func.count(distinct(Visit.enterprise_id)))
        .join(Visit, Visit.id == VisitPolicy.visit_id)
        .where(VisitPolicy.policy_id.in_(ids)).group_by(VisitPolicy.policy_id))
    return {pid: Delivered(v, e) for pid, v, e in rows}


@dataclass(frozen=True)
class EnterpriseDelivery:
    """One enterprise a policy was delivered to."""

    enterprise_id: int
    name: str
    times: int
    last: date


def deliveries_of(policy: Policy, user, limit: int = 200) -> list[EnterpriseDelivery]:
    """The enterprises ``policy`` was delivered to, among the visits ``user`` may see."""
    rows = db.session.execute(
        select(Enterprise.id, Enterprise.name, func.count(Visit.id), func.max(Visit.visit_date))
        .join(Visit, Visit.enterprise_id == Enterprise.id)
        .join(VisitPolicy, VisitPolicy.visit_id == Visit.id)
        .where(VisitPolicy.policy_id == policy.id, permissions.visibility(user))
        .group_by(Enterprise.id, Enterprise.name)
        .order_by(func.max(Visit.visit_date).desc(), Enterprise.name).limit(limit))
    return [EnterpriseDelivery(*r) for r in rows]


@dataclass(frozen=True)
class PolicyForEnterprise:
    """A policy that fits an enterprise, with how often it was delivered there."""

    policy: Policy
    times: int
    last: date | None


def enterprise_policies(enterprise, on: date | None = None) -> list[PolicyForEnterprise]:
    """Valid policies matching ``enterprise`` (not yet delivered first), with their
    deliveries to it. Two queries: for the enterprise page and the visit form."""
    policies = matching_policies(enterprise, on)
    counts = {}
    if policies:
        counts = {pid: (n, last) for pid, n, last in db.session.execute(
            select(VisitPolicy.policy_id, func.count(Visit.id), func.max(Visit.visit_date))
            .join(Visit, Visit.id == VisitPolicy.visit_id)
            .where(Visit.enterprise_id == enterprise.id,
                   VisitPolicy.policy_id.in_([p.id for p in policies]))
            .group_by(VisitPolicy.policy_id))}
    rows = [PolicyForEnterprise(p, *counts.get(p.id, (0, None))) for p in policies]
    return sorted(rows, key=lambda r: r.times > 0)  # stable: newest first within each


def delivered_to_enterprise(enterprise) -> int:
    """How many policy deliveries ``enterprise`` has received in all."""
    return db.session.scalar(
        select(func.count()).select_from(VisitPolicy)
        .join(Visit, Visit.id == VisitPolicy.visit_id)
        .where(Visit.enterprise_id == enterprise.id)) or 0


def form_policies(enterprise, on: date | None = None, ids=None
                  ) -> tuple[list[Policy], list[Policy]]:
    """Valid policies split into (matching ``enterprise``, the others), newest first, in
    one query: the visit form offers the matching ones first. With ``ids``, only those
    of them (a submit checks the policies it names, not the whole catalogue)."""
    stmt = valid_policies(on)
    if ids is not None:
        if not ids:
            return [], []
        stmt = stmt.where(Policy.id.in_(list(ids)))
    rows = db.session.scalars(stmt.order_by(Policy.valid_from.desc().nulls_last(),
                                            Policy.id.desc()))
    matching, other = [], []
    for p in rows:
        (matching if policy_fits(p, enterprise) else other).append(p)
    return matching, other


def best_first(enterprise, matching: list[Policy]) -> list[Policy]:
    """``matching`` with the best fits first: written for this kind of enterprise (more
    eligibility lists that name it), not yet delivered to it, then newest (one query)."""
    delivered = set(db.session.scalars(
        select(VisitPolicy.policy_id).join(Visit, Visit.id == VisitPolicy.visit_id)
        .where(Visit.enterprise_id == enterprise.id).distinct()))  # also when none match:
    # the same number of queries whatever the catalogue holds
    order = {p.id: i for i, p in enumerate(matching)}  # newest first already
    return sorted(matching, key=lambda p: (-specificity(p), p.id in delivered, order[p.id]))
