"""Keeping the enterprise registry: enterprises and their contacts.

Every function takes domain objects and an explicit ``actor``, writes the audit
trail, flushes and returns. None of them commits, flashes or reads the request.
"""
from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext as _
from pypinyin import Style, lazy_pinyin
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from crm.core import audit
from crm.enterprises import credit_code as cc
from crm.enterprises.models import Assignment, Contact, Enterprise
from crm.extensions import db

ENTERPRISE_FIELDS = (
    "name", "credit_code", "legal_rep", "industry", "cluster", "is_chain_leader", "scale",
    "size", "ownership", "town_id", "park", "address", "employees", "annual_output", "status",
    "tags",
)
CONTACT_FIELDS = ("enterprise_id", "name", "title", "phone", "is_primary", "note")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


class RegistryError(Exception):
    """A registry rule refused the change; ``str(exc)`` is the message to show."""


class DuplicateCreditCode(RegistryError):
    """Another enterprise already has this credit code (``existing``)."""

    def __init__(self, existing: Enterprise):
        super().__init__(_("This credit code is already registered."))
        self.existing = existing


class EditConflict(RegistryError):
    """Someone saved the enterprise after the form was loaded: the edit is refused."""

    def __init__(self):
        super().__init__(_("Someone else changed this enterprise after you opened the form. "
                           "Your changes were not saved."))


def pinyin_keys(name: str) -> tuple[str, str]:
    """Full pinyin and initials of ``name`` in lower case, letters and digits only.

    ``兴发制管有限公司`` → (``xingfazhiguanyouxiangongsi``, ``xfzgyxgs``). Latin
    words and digits in a name are kept whole in both keys.
    """
    full = "".join(lazy_pinyin(name or ""))
    initials = "".join(lazy_pinyin(name or "", style=Style.FIRST_LETTER))
    return _NOT_ALNUM.sub("", full.lower()), _NOT_ALNUM.sub("", initials.lower())


def search_key(text: str) -> str:
    """What a typed query is compared with in the pinyin columns."""
    return _NOT_ALNUM.sub("", (text or "").lower())


def credit_code_message(code: str) -> str:
    """Why ``code`` is not a valid 统一社会信用代码, in words a clerk can act on."""
    code = cc.normalise(code)
    if len(code) != 18:
        return _("The code must have 18 characters; this one has %(n)d.", n=len(code))
    bad = sorted({c for c in code if c not in cc.CHARSET})
    if bad:
        return _("The code contains characters that are never used in it: %(chars)s "
                 "(I, O, Z, S and V do not occur).", chars=" ".join(bad))
    return _("The check character (the last one) does not match: please check the code "
             "against the business licence.")


def find_by_credit_code(code: str, *, exclude_id: int | None = None) -> Enterprise | None:
    """The enterprise holding ``code`` (normalised), other than ``exclude_id``."""
    stmt = select(Enterprise).where(Enterprise.credit_code == cc.normalise(code))
    if exclude_id is not None:
        stmt = stmt.where(Enterprise.id != exclude_id)
    return db.session.scalar(stmt)


def enterprise_snapshot(ent: Enterprise) -> dict:
    """The audited fields of ``ent``."""
    return audit.snapshot(ent, ENTERPRISE_FIELDS)


def _clean(field: str, value):
    if isinstance(value, str):
        value = value.strip()
        if field == "credit_code":
            value = cc.normalise(value)
        return value or (None if field not in ("name", "credit_code", "status") else value)
    if field == "annual_output" and value is not None:
        # Two places, as the column stores it, so that re-saving is not a "change".
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if field == "town_id" and not value:
        return None
    return value


def _apply(ent: Enterprise, data: dict) -> None:
    for field in ENTERPRISE_FIELDS:
        if field in data:
            setattr(ent, field, _clean(field, data[field]))
    ent.name_pinyin, ent.name_initials = pinyin_keys(ent.name)


def build_enterprise(data: dict) -> Enterprise:
    """A new, unsaved enterprise from ``data`` (used by ``create_enterprise`` and the import)."""
    ent = Enterprise(status="normal", is_chain_leader=False)
    _apply(ent, data)
    return ent


def create_enterprise(data: dict, actor, *, contact: dict | None = None) -> Enterprise:
    """Register an enterprise (and optionally its primary contact); audited.

    Raises ``DuplicateCreditCode`` when the code is taken and ``RegistryError`` when
    it is not a valid 统一社会信用代码.
    """
    code = cc.normalise(data.get("credit_code", ""))
    if not cc.is_valid(code):
        raise RegistryError(_("The unified social credit code is not valid."))
    existing = find_by_credit_code(code)
    if existing is not None:
        raise DuplicateCreditCode(existing)
    ent = build_enterprise(data)
    db.session.add(ent)
    db.session.flush()
    audit.record(actor, "create", ent, after=enterprise_snapshot(ent),
                 summary=f"登记企业 {ent.name}")
    if contact and (contact.get("name") or "").strip():
        add_contact(ent, {**contact, "is_primary": True}, actor)
    return ent


def update_enterprise(ent: Enterprise, data: dict, actor, *,
                      expected_version: int | None = None) -> dict:
    """Change ``ent``'s profile; audited. Returns the changed fields (after values).

    ``expected_version`` is the version the edit form was loaded with: when the
    enterprise has been saved since, ``EditConflict`` is raised and nothing changes.
    A save racing between our read and our write is caught by the version column.
    """
    if expected_version is not None and ent.version != expected_version:
        raise EditConflict()
    if "credit_code" in data:
        code = cc.normalise(data["credit_code"] or "")
        if not cc.is_valid(code):
            raise RegistryError(_("The unified social credit code is not valid."))
        existing = find_by_credit_code(code, exclude_id=ent.id)
        if existing is not None:
            raise DuplicateCreditCode(existing)
    before = enterprise_snapshot(ent)
    _apply(ent, data)
    after = enterprise_snapshot(ent)
    b, a = audit.diff(before, after)
    if not a:
        return {}
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise EditConflict() from exc
    audit.record(actor, "update", ent, before=b, after=a, summary=f"修改企业 {ent.name}")
    return a


# The registry's own rows, deleted along with their enterprise.
_OWN_TABLES = ("contacts", "assignments")


def _on_record(ent: Enterprise) -> bool:
    """True when a row outside the registry (a visit, a problem…) refers to ``ent``.

    The referring tables are found through the schema's foreign keys: the registry
    sits below the packages that record visits and problems and does not import them,
    and a package added above is covered without a change here.
    """
    enterprises = Enterprise.__table__
    for table in db.metadata.sorted_tables:
        if table.name in _OWN_TABLES:
            continue
        for fk in table.foreign_keys:
            if fk.references(enterprises) and db.session.scalar(
                    select(func.count()).select_from(table).where(fk.parent == ent.id)):
                return True
    return False


def delete_enterprise(ent: Enterprise, actor) -> None:
    """Remove an enterprise registered by mistake, with its contacts and assignments.

    An enterprise with visits or problems is part of the record and cannot be
    deleted: mark it 注销 (deregistered) instead.
    """
    if _on_record(ent):
        raise RegistryError(_("This enterprise has visits or problems on record and cannot be "
                              "deleted. Set its operating status to deregistered instead."))
    contacts = db.session.scalars(select(Contact).where(Contact.enterprise_id == ent.id)).all()
    before = enterprise_snapshot(ent)
    before["contacts"] = [audit.snapshot(c, CONTACT_FIELDS) for c in contacts]
    for row in db.session.scalars(select(Assignment).where(Assignment.enterprise_id == ent.id)):
        audit.record(actor, "delete", row, before=audit.snapshot(
            row, ("enterprise_id", "user_id", "role", "start_date", "end_date")),
            summary=f"随企业删除包联关系 {ent.name}")
        db.session.delete(row)
    for contact in contacts:
        db.session.delete(contact)
    ent_id, name = ent.id, ent.name
    db.session.delete(ent)
    db.session.flush()
    audit.record(actor, "delete", object_type="enterprises", object_id=ent_id, before=before,
                 summary=f"删除企业 {name}")


# -- contacts -----------------------------------------------------------------

def _unset_primary(enterprise_id: int, keep_id: int | None = None) -> None:
    # The partial unique index allows one primary contact: clear the others first.
    stmt = select(Contact).where(Contact.enterprise_id == enterprise_id, Contact.is_primary)
    changed = False
    for other in db.session.scalars(stmt):
        if other.id != keep_id:
            other.is_primary = False
            changed = True
    if changed:
        db.session.flush()


def _contact_values(data: dict) -> dict:
    values = {}
    for field in ("name", "title", "phone", "note"):
        if field in data:
            value = (data[field] or "").strip()
            values[field] = value or (None if field != "name" else value)
    if "is_primary" in data:
        values["is_primary"] = bool(data["is_primary"])
    return values


def add_contact(ent: Enterprise, data: dict, actor) -> Contact:
    """Add a contact person; the first one becomes primary. Audited."""
    values = _contact_values(data)
    has_primary = db.session.scalar(select(func.count()).select_from(Contact).where(
        Contact.enterprise_id == ent.id, Contact.is_primary))
    if values.get("is_primary"):
        _unset_primary(ent.id)
    elif not has_primary:
        values["is_primary"] = True
    contact = Contact(enterprise_id=ent.id, **values)
    db.session.add(contact)
    db.session.flush()
    audit.record(actor, "create", contact, after=audit.snapshot(contact, CONTACT_FIELDS),
                 summary=f"添加联系人 {contact.name}（{ent.name}）")
    return contact


def update_contact(contact: Contact, data: dict, actor) -> dict:
    """Change a contact; audited. Returns the changed fields."""
    before = audit.snapshot(contact, CONTACT_FIELDS)
    values = _contact_values(data)
    if values.get("is_primary") and not contact.is_primary:
        _unset_primary(contact.enterprise_id, keep_id=contact.id)
    for field, value in values.items():
        setattr(contact, field, value)
    db.session.flush()
    b, a = audit.diff(before, audit.snapshot(contact, CONTACT_FIELDS))
    if a:
        b["enterprise_id"] = a["enterprise_id"] = contact.enterprise_id
        audit.record(actor, "update", contact, before=b, after=a,
                     summary=f"修改联系人 {contact.name}")
    return a


def delete_contact(contact: Contact, actor) -> None:
    """Remove a contact; audited."""
    before = audit.snapshot(contact, CONTACT_FIELDS)
    contact_id = contact.id
    db.session.delete(contact)
    db.session.flush()
    audit.record(actor, "delete", object_type="contacts", object_id=contact_id, before=before,
                 summary=f"删除联系人 {before['name']}")
