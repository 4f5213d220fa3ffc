"""Keeping the batch between preview and confirmation, and writing a valid plan."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, or_

from crm.core import audit
from crm.core.timeutil import local_today, utcnow
from crm.enterprises import assignments, services
from crm.enterprises.importer.planning import Plan, PlannedRow, plan
from crm.enterprises.importer.reading import ImportFileError, Table
from crm.enterprises.models import Assignment, Contact, ImportBatch
from crm.extensions import db


def create_batch(filename: str, data: bytes, table: Table, actor) -> ImportBatch:
    """Keep the parsed rows in the database until the user confirms or discards them."""
    purge_old_batches()
    batch = ImportBatch(filename=(filename or "")[:200], sha256=hashlib.sha256(data).hexdigest(),
                        headers=table.keys, rows=table.rows, created_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    return batch


def purge_old_batches(now: datetime | None = None) -> int:
    """Forget unconfirmed previews after two days and confirmed files after 30."""
    now = now or utcnow()
    result = db.session.execute(delete(ImportBatch).where(or_(
        (ImportBatch.state != "committed") & (ImportBatch.created_at < now - timedelta(days=2)),
        ImportBatch.created_at < now - timedelta(days=30))))
    return result.rowcount or 0


def discard_batch(batch: ImportBatch) -> None:
    """The user abandoned the preview."""
    batch.state = "discarded"
    db.session.flush()


@dataclass
class ImportResult:
    """What a confirmed import wrote."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


def apply(batch: ImportBatch, actor) -> tuple[Plan, ImportResult | None]:
    """Re-validate ``batch`` and, when every row is valid, write all of it.

    Returns the plan and the result (``None`` when rows have errors and nothing was
    written). Exceptions propagate so that the caller's transaction is rolled back.
    New enterprises are written in bulk (their contact and people were validated by
    the plan and have no history to end); updates go through the registry and
    assignment services one by one, which apply the replacement rules.
    """
    if batch.state != "preview":
        raise ImportFileError(_("This file has already been imported or discarded."))
    result_plan = plan(batch)
    if not result_plan.ok:
        return result_plan, None
    result = ImportResult()
    creates = [r for r in result_plan.rows if r.is_new]
    _create_all(creates, actor)
    result.created = len(creates)
    for row in result_plan.rows:
        if row.is_new:
            continue
        if row.action == "unchanged":
            result.unchanged += 1
            continue
        _update_one(row, actor)
        result.updated += 1
    batch.state = "committed"
    batch.committed_at = utcnow()
    db.session.flush()
    audit.record(actor, "import", batch, after={
        "filename": batch.filename, "sha256": batch.sha256, "created": result.created,
        "updated": result.updated, "unchanged": result.unchanged},
        summary=f"导入企业 {batch.filename}")
    return result_plan, result


def _create_all(rows: list[PlannedRow], actor) -> None:
    for row in rows:
        row.enterprise = services.build_enterprise(row.values)
    db.session.add_all(r.enterprise for r in rows)
    db.session.flush()
    today, children = local_today(), []
    for row in rows:
        ent = row.enterprise
        audit.record(actor, "create", ent, after=services.enterprise_snapshot(ent),
                     summary=f"导入登记企业 {ent.name}", flush=False)
        if row.contact:
            children.append(Contact(enterprise_id=ent.id, is_primary=True,
                                    name=row.contact["name"],
                                    title=row.contact["title"] or None,
                                    phone=row.contact["phone"] or None))
        people = list(row.leaders.items()) + [("commissioner", u) for u in row.commissioners]
        for role, user in people:
            children.append(Assignment(enterprise_id=ent.id, user_id=user.id, role=role,
                                       start_date=today, created_by_id=actor.id))
    db.session.add_all(children)
    db.session.flush()
    for obj in children:
        if isinstance(obj, Contact):
            audit.record(actor, "create", obj, after=audit.snapshot(obj, services.CONTACT_FIELDS),
                         summary=f"导入联系人 {obj.name}", flush=False)
        else:
            audit.record(actor, "create", obj,
                         after=audit.snapshot(obj, assignments.ASSIGNMENT_FIELDS),
                         summary="导入包联关系", flush=False)
    db.session.flush()


def _update_one(row: PlannedRow, actor) -> None:
    ent = row.enterprise
    if row.fields_changed:
        services.update_enterprise(ent, row.values, actor)
    if row.contact_changed:
        existing = next((c for c in ent.contacts if c.name == row.contact["name"]), None)
        if existing is None:
            services.add_contact(ent, row.contact, actor)
        else:
            services.update_contact(existing, {k: v for k, v in row.contact.items() if v},
                                    actor)
    try:
        for role, user in row.people:
            assignments.assign(ent, user, role, actor, tell=False)
    except assignments.AssignmentError as exc:
        raise ImportRowError(row.number, str(exc)) from exc


class ImportRowError(Exception):
    """A row failed while writing; the transaction must be rolled back."""

    def __init__(self, number: int, message: str):
        super().__init__(_("Row %(n)d: %(message)s", n=number, message=message))
        self.number = number
