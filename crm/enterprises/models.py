"""The registry: enterprises, their contacts and their 包联 assignments (with the
leaders' away periods), and import batches."""
from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.timeutil import utcnow
from crm.enterprises import search_index
from crm.extensions import db

# GB/T 4754-2017 sections.
INDUSTRIES = {
    "A": _l("Agriculture, forestry, animal husbandry and fishery"),
    "B": _l("Mining"),
    "C": _l("Manufacturing"),
    "D": _l("Electricity, heat, gas and water"),
    "E": _l("Construction"),
    "F": _l("Wholesale and retail"),
    "G": _l("Transport, storage and post"),
    "H": _l("Accommodation and catering"),
    "I": _l("Information technology services"),
    "J": _l("Finance"),
    "K": _l("Real estate"),
    "L": _l("Leasing and business services"),
    "M": _l("Scientific research and technical services"),
    "N": _l("Water, environment and public facilities"),
    "O": _l("Residential and other services"),
    "P": _l("Education"),
    "Q": _l("Health and social work"),
    "R": _l("Culture, sports and entertainment"),
    "S": _l("Public administration"),
    "T": _l("International organisations"),
}
CLUSTERS = ("先进制造", "绿色食品", "军民融合", "新材料", "生物医药", "电子信息", "现代服务")
SCALES = {"above": _l("Above designated size"), "below": _l("Below designated size")}
SIZES = {"large": _l("Large"), "medium": _l("Medium"), "small": _l("Small"), "micro": _l("Micro")}
OWNERSHIPS = {
    "state": _l("State-owned"),
    "private": _l("Private"),
    "foreign": _l("Foreign-funded"),
    "hmt": _l("Hong Kong, Macao or Taiwan funded"),
    "mixed": _l("Mixed ownership"),
}
STATUSES = {
    "normal": _l("Operating normally"),
    "reduced": _l("Reduced production"),
    "halted": _l("Production halted"),
    "deregistered": _l("Deregistered"),
}

ASSIGNMENT_ROLES = {
    "leader_a": _l("Leader (A)"),
    "leader_b": _l("Leader (B)"),
    "commissioner": _l("Commissioner"),
}


def new_channel_code() -> str:
    """A long random code for an enterprise's own pages (192 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


class Enterprise(db.Model):
    """An enterprise in the registry."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    legal_rep: Mapped[Optional[str]] = mapped_column(String(64))
    industry: Mapped[Optional[str]] = mapped_column(String(1), index=True)
    cluster: Mapped[Optional[str]] = mapped_column(String(40), index=True)
    is_chain_leader: Mapped[bool] = mapped_column(default=False, index=True)
    scale: Mapped[Optional[str]] = mapped_column(String(10), index=True)
    size: Mapped[Optional[str]] = mapped_column(String(10))
    ownership: Mapped[Optional[str]] = mapped_column(String(10), index=True)
    town_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"), index=True)
    park: Mapped[Optional[str]] = mapped_column(String(100))
    address: Mapped[Optional[str]] = mapped_column(String(300))
    employees: Mapped[Optional[int]]
    annual_output: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))  # 万元
    status: Mapped[str] = mapped_column(String(16), default="normal", index=True)
    tags: Mapped[Optional[str]] = mapped_column(String(300))
    # Search keys kept in step with ``name`` by the service layer (pypinyin).
    name_pinyin: Mapped[str] = mapped_column(String(600), default="", index=True)
    name_initials: Mapped[str] = mapped_column(String(200), default="", index=True)
    # The enterprise's own code (企业码): the key of its public pages, printed as a QR
    # code on its card. Rotated by a coordinator (crm.channel.services); a new
    # enterprise gets one at once.
    channel_code: Mapped[Optional[str]] = mapped_column(
        String(64), unique=True, default=new_channel_code, info={"per_row": True})
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    town = relationship("Unit", lazy="joined")
    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="enterprise",
        cascade="all, delete-orphan",
        order_by="(Contact.is_primary.desc(), Contact.id)",
        lazy="raise_on_sql",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(
            "status IN ('normal', 'reduced', 'halted', 'deregistered')", name="status"
        ),
        CheckConstraint("scale IS NULL OR scale IN ('above', 'below')", name="scale"),
        CheckConstraint(
            "size IS NULL OR size IN ('large', 'medium', 'small', 'micro')", name="size"
        ),
        CheckConstraint(
            "ownership IS NULL OR ownership IN ('state', 'private', 'foreign', 'hmt', 'mixed')",
            name="ownership",
        ),
        CheckConstraint("employees IS NULL OR employees >= 0", name="employees"),
    )

    def __repr__(self) -> str:
        return f"<Enterprise {self.credit_code} {self.name}>"


# The search's indexes (pg_trgm, or FTS5 with its triggers) come with the table.
search_index.install(Enterprise.__table__)


class Contact(db.Model):
    """A person at the enterprise (1..n, one primary)."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[Optional[str]] = mapped_column(String(64))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    is_primary: Mapped[bool] = mapped_column(default=False)
    note: Mapped[Optional[str]] = mapped_column(Text)

    enterprise: Mapped[Enterprise] = relationship(back_populates="contacts")

    __table_args__ = (
        Index(
            "uq_contacts_one_primary",
            "enterprise_id",
            unique=True,
            sqlite_where=text("is_primary = 1"),
            postgresql_where=text("is_primary"),
        ),
    )


class Assignment(db.Model):
    """One person's 包联 role for one enterprise over a period.

    History is kept: reassigning sets ``end_date`` on the old row and adds a new
    one. A partial unique index allows one active ``leader_a`` per enterprise.
    """

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[date]
    end_date: Mapped[Optional[date]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    enterprise = relationship("Enterprise", lazy="raise_on_sql")
    user = relationship("User", foreign_keys=[user_id], lazy="raise_on_sql")

    __table_args__ = (
        CheckConstraint("role IN ('leader_a', 'leader_b', 'commissioner')", name="role"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="period"),
        Index(
            "uq_assignments_active_leader_a",
            "enterprise_id",
            unique=True,
            sqlite_where=text("role = 'leader_a' AND end_date IS NULL"),
            postgresql_where=text("role = 'leader_a' AND end_date IS NULL"),
        ),
        Index("ix_assignments_user_active", "user_id", "role", "end_date"),
    )

    @property
    def is_active(self) -> bool:
        return self.end_date is None


class LeaderAbsence(db.Model):
    """A period during which leader A is away and leader B acts (receives A's notices)."""

    __tablename__ = "leader_absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    note: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("end_date >= start_date", name="period"),)


class ImportBatch(db.Model):
    """An uploaded enterprise file between its preview and its confirmation.

    The parsed rows live here, in the database, rather than in a temporary file:
    the confirming request may reach another web process on another host, which
    can read the database but not this host's disk. ``rows`` holds the cell
    values as read (strings), so the confirmation re-validates them against the
    registry as it is at that moment and commits all rows or none.
    """

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="enterprises")
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    headers: Mapped[list[str]] = mapped_column(JSON)
    rows: Mapped[list[Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12), default="preview")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    committed_at: Mapped[Optional[datetime]]

    __table_args__ = (
        CheckConstraint("state IN ('preview', 'committed', 'discarded')", name="state"),
        CheckConstraint("kind IN ('enterprises')", name="kind"),
    )
