"""Which catalogue policies fit an enterprise (送政策)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.liaisons.models import Policy


def _fits(allowed: str, value: str | None) -> bool:
    codes = [c.strip() for c in (allowed or "").split(",") if c.strip()]
    return not codes or (value is not None and value in codes)


def policy_fits(policy: Policy, enterprise) -> bool:
    """True when ``enterprise`` meets every eligibility list of ``policy`` (empty = any)."""
    return (
        _fits(policy.industries, enterprise.industry)
        and _fits(policy.scales, enterprise.scale)
        and _fits(policy.ownerships, enterprise.ownership)
        and _fits(policy.clusters, enterprise.cluster)
    )


def valid_policies(on: date | None = None):
    """``select(Policy)`` of active policies valid on ``on`` (default today)."""
    on = on or local_today()
    return select(Policy).where(
        Policy.is_active,
        or_(Policy.valid_from.is_(None), Policy.valid_from <= on),
        or_(Policy.valid_to.is_(None), Policy.valid_to >= on),
    )


def matching_policies(enterprise, on: date | None = None) -> list[Policy]:
    """Valid policies that fit ``enterprise``, newest first.

    The catalogue is small (hundreds), so eligibility is checked in Python on the
    valid ones: one query.
    """
    rows = db.session.scalars(valid_policies(on).order_by(Policy.valid_from.desc().nulls_last(),
                                                          Policy.id.desc()))
    return [p for p in rows if policy_fits(p, enterprise)]
