"""Writing the audit log. Services call ``record``; nothing else writes AuditLog."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable

from flask import has_request_context, request
from sqlalchemy import inspect

from crm.core.models import AuditLog
from crm.core.timeutil import to_local
from crm.extensions import db


def _plain(value: Any) -> Any:
    # A stored instant (naive UTC) is written as Asia/Shanghai time with its offset,
    # e.g. 2026-12-01T09:30:00+08:00: the audit page shows it as people read times,
    # and the offset keeps it unambiguous.
    if isinstance(value, datetime):
        return to_local(value).isoformat() if value.tzinfo is None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(_plain(v) for v in value)
    return value


def snapshot(obj, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """A JSON-able dict of ``obj``'s column values (or of ``fields``)."""
    if fields is None:
        fields = [c.key for c in inspect(obj).mapper.column_attrs]
    return {f: _plain(getattr(obj, f)) for f in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose values changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    actor,
    action: str,
    obj=None,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    summary: str = "",
    flush: bool = True,
) -> AuditLog:
    """Add one AuditLog row (who, when, what, before/after) and flush.

    Bulk writers (the enterprise import) pass ``flush=False`` and flush once at the
    end, so thousands of rows go to the database in a few batched statements.
    """
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else obj.id
    row = AuditLog(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        before=before,
        after=after,
        summary=summary[:500],
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(row)
    if flush:
        db.session.flush()
    return row
