"""Visits (入企走访) with their deliveries and photos, and the policy catalogue."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from crm.core.timeutil import utcnow
from crm.extensions import db

VISIT_MODES = {
    "onsite": _l("On site"),
    "phone": _l("By phone"),
    "video": _l("Video call"),
    "meeting": _l("At a meeting"),
}
FACTORS = {
    "land": _l("Land"),
    "power": _l("Electricity"),
    "water": _l("Water"),
    "gas": _l("Gas"),
    "labour": _l("Labour"),
    "finance": _l("Financing"),
    "logistics": _l("Logistics"),
    "data": _l("Data"),
}
# Health flags (经营风险标记) a commissioner taps on the visit form. "funding" is the key the
# financing pages link from (资金紧张/融资需求).
HEALTH_FLAGS = {
    "orders": _l("Orders falling"),
    "labour": _l("Short of workers"),
    "funding": _l("Short of funds / needs financing"),
    "power": _l("Power use falling"),
    "relocating": _l("Plans to move away"),
    "cutting": _l("Plans to halt or cut production"),
    "expanding": _l("Plans to expand"),
}
# How a commissioner answers "already visited today": add to that record or log another.
SAME_DAY_CHOICES = ("append", "separate")
POLICY_CATEGORIES = {
    "tax": _l("Tax and fee reduction"),
    "award": _l("Administrative award"),
    "subsidy": _l("Fiscal subsidy"),
    "talent": _l("Talent attraction"),
    "finance": _l("Financial support"),
    "other": _l("Other"),
}


class Policy(db.Model):
    """A policy in the catalogue that commissioners deliver (送政策).

    Eligibility lists are comma-separated codes; an empty list means "any".
    """

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16), index=True)
    issuer: Mapped[Optional[str]] = mapped_column(String(100))
    summary: Mapped[Optional[str]] = mapped_column(Text)
    link: Mapped[Optional[str]] = mapped_column(String(300))
    industries: Mapped[str] = mapped_column(String(100), default="")
    scales: Mapped[str] = mapped_column(String(40), default="")
    ownerships: Mapped[str] = mapped_column(String(60), default="")
    clusters: Mapped[str] = mapped_column(String(200), default="")
    valid_from: Mapped[Optional[date]]
    valid_to: Mapped[Optional[date]] = mapped_column(index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint(
            "category IN ('tax', 'award', 'subsidy', 'talent', 'finance', 'other')",
            name="category",
        ),
        CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from", name="validity"
        ),
    )


class Visit(db.Model):
    """One visit (入企走访) by a commissioner to an enterprise."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    visit_date: Mapped[date] = mapped_column(index=True)
    mode: Mapped[str] = mapped_column(String(10), default="onsite")
    companions: Mapped[Optional[str]] = mapped_column(String(200))
    services: Mapped[Optional[str]] = mapped_column(Text)  # 送服务
    status_seen: Mapped[Optional[str]] = mapped_column(String(16))
    summary: Mapped[Optional[str]] = mapped_column(Text)
    next_step: Mapped[Optional[str]] = mapped_column(Text)
    late_reason: Mapped[Optional[str]] = mapped_column(String(200))
    latitude: Mapped[Optional[float]]
    longitude: Mapped[Optional[float]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    enterprise = relationship("Enterprise", lazy="raise_on_sql")
    author = relationship("User", lazy="raise_on_sql")
    policies = relationship("Policy", secondary="visit_policies", lazy="raise_on_sql")
    factors: Mapped[list["VisitFactor"]] = relationship(
        cascade="all, delete-orphan", lazy="raise_on_sql"
    )
    photos: Mapped[list["VisitPhoto"]] = relationship(
        cascade="all, delete-orphan", lazy="raise_on_sql"
    )
    flags: Mapped[list["VisitFlag"]] = relationship(
        cascade="all, delete-orphan", lazy="raise_on_sql", order_by="VisitFlag.flag"
    )

    __table_args__ = (
        CheckConstraint("mode IN ('onsite', 'phone', 'video', 'meeting')", name="mode"),
        CheckConstraint(
            "status_seen IS NULL OR status_seen IN ('normal', 'reduced', 'halted', 'deregistered')",
            name="status_seen",
        ),
        Index("ix_visits_enterprise_date", "enterprise_id", "visit_date"),
        Index("ix_visits_author_date", "author_id", "visit_date"),
        # Covering for "which enterprises were visited between two dates" (coverage).
        Index("ix_visits_date_enterprise", "visit_date", "enterprise_id"),
    )


class VisitPolicy(db.Model):
    """A catalogue policy delivered during a visit (送政策)."""

    __tablename__ = "visit_policies"

    visit_id: Mapped[int] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), primary_key=True, index=True)


class VisitFactor(db.Model):
    """A production factor delivered or coordinated during a visit (送要素)."""

    __tablename__ = "visit_factors"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    factor: Mapped[str] = mapped_column(String(12))
    note: Mapped[Optional[str]] = mapped_column(String(300))

    __table_args__ = (
        CheckConstraint(
            "factor IN ('land', 'power', 'water', 'gas', 'labour', 'finance', 'logistics', 'data')",
            name="factor",
        ),
        UniqueConstraint("visit_id", "factor", name="uq_visit_factors_visit_factor"),
    )


class VisitPhoto(db.Model):
    """An optional photo. Stored in the database (any host can serve it), EXIF stripped."""

    __tablename__ = "visit_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int]
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("content_type IN ('image/jpeg', 'image/png')", name="content_type"),
    )


class VisitFlag(db.Model):
    """A health flag (经营风险标记) seen on a visit: one row per flag and visit."""

    __tablename__ = "visit_flags"

    visit_id: Mapped[int] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True
    )
    flag: Mapped[str] = mapped_column(String(12), primary_key=True, index=True)

    __table_args__ = (
        CheckConstraint("flag IN ('orders', 'labour', 'funding', 'power', 'relocating', 'cutting', 'expanding')", name="flag"),
    )


class VisitAppend(db.Model):
    """A submission added to an existing visit of the same day ("补充到已有记录").

    Its browser-made id is kept so that a retry of the same submission is recognised
    and not added twice.
    """

    __tablename__ = "visit_appends"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VisitCap(db.Model):
    """How often an enterprise may be visited (无事不扰), set by the coordinator: at most
    ``per_week`` visits a week, unless a problem of it is open and ``unless_problem``."""

    __tablename__ = "visit_caps"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    per_week: Mapped[int] = mapped_column(default=1)
    unless_problem: Mapped[bool] = mapped_column(default=True)
    set_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    enterprise = relationship("Enterprise", lazy="raise_on_sql")

    __table_args__ = (CheckConstraint("per_week BETWEEN 1 AND 7", name="per_week"),)


class CoverageRow(db.Model):
    """One week's coverage figure for one scope, written by ``crm.liaisons.rollups``:
    ``scope`` is ``all`` (``key`` 0), ``unit``, ``commissioner`` or ``leader`` (``key``
    the unit or user id). A week has rows only while they hold; ``built_on`` is the day
    they were counted up to (a week still running counts assignments begun by then)."""

    __tablename__ = "coverage_rows"

    week: Mapped[date] = mapped_column(primary_key=True)  # the Monday
    scope: Mapped[str] = mapped_column(String(12), primary_key=True)
    key: Mapped[int] = mapped_column(primary_key=True)
    assigned: Mapped[int] = mapped_column(default=0)
    visited: Mapped[int] = mapped_column(default=0)
    rate: Mapped[float] = mapped_column(default=0.0)  # visited / assigned: weakest first
    built_on: Mapped[date]
    # On the ``all`` row: how many rows the week has by unit, commissioner and leader.
    units: Mapped[Optional[int]]
    commissioners: Mapped[Optional[int]]
    leaders: Mapped[Optional[int]]

    __table_args__ = (
        # A week's table weakest first, read in order.
        Index("ix_coverage_rows_weakest", "week", "scope", "rate", "key"),
    )
