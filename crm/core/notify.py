"""Creating in-app notifications. Idempotent when a ``dedupe_key`` is given.

Notices for a unit can also go to the unit's group chat (政务钉钉 / 企业微信 robot):
``notify_unit`` (``crm.core.webhooks``)."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select

from crm.core.models import Notification
from crm.core.webhooks import notify_unit
from crm.extensions import db

__all__ = ["notify", "notify_unit", "unread_count"]


def notify(
    user_ids: Iterable[int],
    kind: str,
    text: str,
    *,
    link: str | None = None,
    issue_id: int | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Add one notification per user; skip users who already have ``dedupe_key``.

    Returns how many were added.
    """
    ids = sorted({uid for uid in user_ids if uid})
    if not ids:
        return 0
    if dedupe_key:
        seen = set(
            db.session.scalars(
                select(Notification.user_id).where(
                    Notification.user_id.in_(ids), Notification.dedupe_key == dedupe_key
                )
            )
        )
        ids = [i for i in ids if i not in seen]
    for uid in ids:
        db.session.add(
            Notification(
                user_id=uid, kind=kind, text=text, link=link, issue_id=issue_id,
                dedupe_key=dedupe_key,
            )
        )
    db.session.flush()
    return len(ids)


def unread_count(user_id: int) -> int:
    """Unread notifications for the bell."""
    return db.session.scalar(
        select(db.func.count()).select_from(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )
