"""The registry's history as a person reads it: the audit trail of an enterprise, its
contacts and its 包联 assignments, and what an editor sees when someone else saved
the enterprise first."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from crm.auth.models import User
from crm.core.models import AuditLog
from crm.enterprises.models import (
    ASSIGNMENT_ROLES,
    INDUSTRIES,
    OWNERSHIPS,
    SCALES,
    SIZES,
    STATUSES,
    Assignment,
    Enterprise,
)
from crm.enterprises.services import ENTERPRISE_FIELDS, enterprise_snapshot
from crm.extensions import db

AUDIT_ROWS = 50


def audit_trail(enterprise_id: int, limit: int = AUDIT_ROWS) -> list[AuditLog]:
    """Audit rows of the enterprise, its contacts (also deleted ones) and its assignments."""
    assignment_ids = select(Assignment.id).where(Assignment.enterprise_id == enterprise_id)
    contact_ent = func.coalesce(AuditLog.after["enterprise_id"].as_integer(),
                                AuditLog.before["enterprise_id"].as_integer())
    return list(db.session.scalars(
        select(AuditLog).where(or_(
            (AuditLog.object_type == "enterprises") & (AuditLog.object_id == enterprise_id),
            (AuditLog.object_type == "assignments") & AuditLog.object_id.in_(assignment_ids),
            (AuditLog.object_type == "contacts") & (contact_ent == enterprise_id),
        )).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)))


def last_change(enterprise_id: int) -> AuditLog | None:
    """The newest audit row of the enterprise itself (who saved it last, and when)."""
    return db.session.scalar(
        select(AuditLog).where(AuditLog.object_type == "enterprises",
                               AuditLog.object_id == enterprise_id)
        .order_by(AuditLog.id.desc()).limit(1))


def edit_conflict(ent: Enterprise, form) -> dict:
    """What the user must see when their edit arrives after someone else's save.

    The form keeps what they typed and now carries the current version, so saving
    again is a deliberate decision taken with the other person's values in view.
    """
    current = enterprise_snapshot(ent)
    typed = form.profile()
    differing = []
    for key in ENTERPRISE_FIELDS:
        mine = typed.get(key)
        if key == "town_id":
            mine = mine or None
        if key == "annual_output" and mine is not None:
            mine = str(mine.quantize(type(mine)("0.01")))
        if isinstance(mine, str):
            mine = mine or None
        if mine != current[key]:
            field = getattr(form, key)
            differing.append((field.label.text, display_value(ent, key)))
    form.version.data = ent.version
    return {"change": last_change(ent.id), "fields": differing}


def display_value(ent: Enterprise, key: str) -> str:
    """A stored profile value as a person reads it."""
    value = getattr(ent, key)
    if value is None or value == "":
        return "—"
    labels = {"industry": INDUSTRIES, "scale": SCALES, "size": SIZES, "ownership": OWNERSHIPS,
              "status": STATUSES}
    if key in labels:
        return str(labels[key].get(value, value))
    if key == "town_id":
        return ent.town.name if ent.town else "—"
    if key == "is_chain_leader":
        return _("Yes") if value else _("No")
    return str(value)


AUDIT_FIELDS = {
    "name": _l("Enterprise name"), "credit_code": _l("Unified social credit code"),
    "legal_rep": _l("Legal representative"), "industry": _l("Industry"),
    "cluster": _l("Cluster / industrial chain"), "is_chain_leader": _l("Chain leader"),
    "scale": _l("Above/below designated size"), "size": _l("Size class"),
    "ownership": _l("Ownership"), "town_id": _l("Town or sub-district"),
    "park": _l("Industrial park"),
    "address": _l("Address"), "employees": _l("Employees"),
    "annual_output": _l("Annual output (10,000 yuan)"), "status": _l("Operating status"),
    "tags": _l("Tags"), "phone": _l("Phone"), "title": _l("Post"),
    "is_primary": _l("Primary contact"), "note": _l("Note"), "role": _l("Liaison role"),
    "user_id": _l("Person"), "start_date": _l("From"), "end_date": _l("Until"),
}
AUDIT_OBJECTS = {"enterprises": _l("Enterprise"), "contacts": _l("Contact"),
                 "assignments": _l("Assignment")}
AUDIT_ACTIONS = {"create": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted")}


def audit_changes(row: AuditLog, users: dict | None = None) -> list[tuple[str, str, str]]:
    """(field, before, after) of an audit row in words, for the enterprise page."""
    labels = {"industry": INDUSTRIES, "scale": SCALES, "size": SIZES, "ownership": OWNERSHIPS,
              "status": STATUSES, "role": ASSIGNMENT_ROLES}
    users = users or {}

    def show(key, value):
        if value is None or value == "":
            return "—"
        if key in labels:
            return str(labels[key].get(value, value))
        if isinstance(value, bool):
            return str(_l("Yes") if value else _l("No"))
        if key == "user_id":
            return users.get(value, str(value))
        return str(value)

    before, after = row.before or {}, row.after or {}
    keys = [k for k in dict.fromkeys([*after, *before])
            if k in AUDIT_FIELDS and k not in ("enterprise_id", "contacts")]
    def label(key):
        return str(_l("Name")) if key == "name" and row.object_type == "contacts" \
            else str(AUDIT_FIELDS[key])

    return [(label(k), show(k, before.get(k)) if k in before else "",
             show(k, after.get(k)) if k in after else "") for k in keys]


def audit_user_names(rows: list[AuditLog]) -> dict[int, str]:
    """Display names of the people named in assignment audit rows (one query)."""
    ids = {(r.after or r.before or {}).get("user_id") for r in rows
           if r.object_type == "assignments"} - {None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
                .all())
