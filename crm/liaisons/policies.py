"""Which catalogue policies fit an enterprise (送政策)."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from sqlalchemy import and_, func, literal, or_, select

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


def _fits_sql(column, value):
    """SQL for ``_fits``: the list is empty, or holds ``value`` as one of its codes."""
    empty = func.coalesce(func.replace(column, " ", ""), "") == ""
    if value is None:
        return empty
    listed = literal(",") + func.replace(column, " ", "") + literal(",")
    return or_(empty, listed.contains(f",{value},", autoescape=True))


def eligible(enterprise):
    """SQL condition on ``Policy``: ``policy_fits(policy, enterprise)``."""
    return and_(_fits_sql(Policy.industries, enterprise.industry),
                _fits_sql(Policy.scales, enterprise.scale),
                _fits_sql(Policy.ownerships, enterprise.ownership),
                _fits_sql(Policy.clusters, enterprise.cluster))


def _newest_first(stmt):
    return stmt.order_by(Policy.valid_from.desc().nulls_last(), Policy.id.desc())


def matching_policies(enterprise, on: date | None = None) -> list[Policy]:
    """Valid policies that fit ``enterprise``, newest first (one query; a province's
    catalogue has a thousand policies, so eligibility is decided in SQL)."""
    return list(db.session.scalars(_newest_first(valid_policies(on).where(
        eligible(enterprise)))))


def newest_matching(enterprise, limit: int, on: date | None = None
                    ) -> tuple[list[Policy], int]:
    """The ``limit`` newest valid policies that fit ``enterprise`` and how many fit in
    all (one query)."""
    total = func.count().over().label("total")
    rows = db.session.execute(_newest_first(
        valid_policies(on).add_columns(total).where(eligible(enterprise))).limit(limit)).all()
    return [r[0] for r in rows], (rows[0].total if rows else 0)


def specificity(policy: Policy) -> int:
    """How many of the policy's eligibility lists name codes (0–4): a policy written for
    the enterprise's industry and scale fits it better than one open to all."""
    return sum(1 for codes in (policy.industries, policy.scales, policy.ownerships,
                               policy.clusters) if (codes or "").strip(" ,"))


@lru_cache(maxsize=4096)
def search_key(text: str) -> str:
    """What the policy search on the visit form matches: the text itself, its pinyin
    initials and its full pinyin, lower case ("制造业补贴" → "… zzybt zhizaoyebutie")."""
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore"))
    full = "".join(lazy_pinyin(text, errors="ignore"))
    return f"{text} {initials} {full}".lower()
