"""The channel's rows: codes that were rotated away, what an enterprise gave when it
raised a problem through its code, the photos it attached, and the ratings it gave
through its code.

The live code itself is ``Enterprise.channel_code`` (the registry's column, so that the
enterprise page can show it without a query).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from crm.core.timeutil import utcnow
from crm.extensions import db


class RetiredCode(db.Model):
    """A code an enterprise no longer uses: opening it answers 410 (gone) politely,
    never another enterprise's page."""

    __tablename__ = "retired_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"),
                                               index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))


class ChannelSubmission(db.Model):
    """The contact an enterprise left when it raised a problem through its code (the
    problem itself is an ``Issue`` with source ``enterprise``)."""

    __tablename__ = "channel_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"),
                                          unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"),
                                               index=True)
    contact_name: Mapped[str] = mapped_column(String(64))
    contact_phone: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ChannelPhoto(db.Model):
    """A photo attached by the enterprise (re-encoded without metadata, at most three)."""

    __tablename__ = "channel_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"),
                                          index=True)
    content_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int]
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("content_type IN ('image/jpeg', 'image/png')", name="content_type"),
    )


class CodeRating(db.Model):
    """A rating the enterprise gave through its code page (the rating itself is on the
    ``Issue``, written by the workflow): one per problem, so that a code cannot rate the
    same problem again."""

    __tablename__ = "code_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"),
                                          unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"),
                                               index=True)
    rating: Mapped[int]
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),)
