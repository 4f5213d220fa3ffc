"""Audit log, in-app notifications and key/value settings."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.timeutil import utcnow
from crm.extensions import db


class AuditLog(db.Model):
    """One row per change to master data, assignments, users, settings and problems.

    Rows are only ever inserted: the app offers no way to edit or delete them.
    """

    __tablename__ = "audit_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # create / update / delete / …
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[Optional[int]]
    summary: Mapped[str] = mapped_column(String(500), default="")
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    ip: Mapped[Optional[str]] = mapped_column(String(64))

    actor = relationship("User", lazy="joined")

    __table_args__ = (Index("ix_audit_logs_object", "object_type", "object_id"),)


class Notification(db.Model):
    """An in-app notice for one user (the bell).

    ``dedupe_key`` makes periodic sweeps idempotent: the same notice for the same
    stage of the same problem is inserted at most once per user.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[Optional[str]] = mapped_column(String(300))
    issue_id: Mapped[Optional[int]] = mapped_column(ForeignKey("issues.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[Optional[datetime]]
    dedupe_key: Mapped[Optional[str]] = mapped_column(String(120))

    __table_args__ = (
        Index("uq_notifications_user_dedupe", "user_id", "dedupe_key", unique=True),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )


class Setting(db.Model):
    """Admin-editable settings as JSON values (e.g. stage limits, escalation threshold)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))


class Counter(db.Model):
    """Named sequences (e.g. problem numbers per year), incremented atomically."""

    __tablename__ = "counters"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
