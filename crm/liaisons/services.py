"""Recording and editing visits (入企走访): the four deliveries, problems raised on the
spot, photos; idempotent by the browser's ``client_uuid``; every change audited.

Functions take domain objects and an explicit ``actor``; they flush, never commit.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from crm.core import audit
from crm.core.timeutil import utcnow
from crm.enterprises.services import update_enterprise
from crm.extensions import db
from crm.issues.models import Category, Issue
from crm.issues.services import raise_issue
from crm.liaisons.models import Policy, Visit, VisitFactor, VisitPhoto
from crm.liaisons.permissions import EDIT_DAYS, can_edit, can_log

VISIT_FIELDS = ("visit_date", "mode", "companions", "services", "status_seen", "summary",
                "next_step", "late_reason", "latitude", "longitude")


class VisitError(Exception):
    """A visit that cannot be recorded or changed; the message is for the user."""


class VisitConflict(VisitError):
    """The submission clashes with data stored meanwhile (another edit, a reused id)."""


def active_categories() -> list[Category]:
    """Problem categories offered on the form, in their configured order."""
    return list(db.session.scalars(
        select(Category).where(Category.is_active).order_by(Category.position, Category.name)))


def existing_submission(client_uuid: str | None, enterprise, actor) -> Visit | None:
    """The visit already stored under ``client_uuid`` (a retry or a double tap), if any.

    Raises ``VisitConflict`` when the id belongs to another person's or another
    enterprise's visit: ids are random, so this is tampering, never a retry.
    """
    if not client_uuid:
        return None
    visit = db.session.scalar(select(Visit).where(Visit.client_uuid == client_uuid.lower()))
    if visit is not None and (visit.author_id != actor.id or visit.enterprise_id != enterprise.id):
        raise VisitConflict(_("This submission belongs to another visit. Reload the page and "
                              "enter the visit again."))
    return visit


def visit_snapshot(visit: Visit) -> dict:
    """The audit picture of a visit: its columns, policy ids, factors and photo ids.

    The collections must have been loaded (or set) on ``visit``.
    """
    snap = audit.snapshot(visit, VISIT_FIELDS)
    snap["policy_ids"] = sorted(p.id for p in visit.policies)
    snap["factors"] = {f.factor: f.note for f in sorted(visit.factors, key=lambda f: f.factor)}
    snap["photo_ids"] = sorted(p.id for p in visit.photos)
    return snap


def _policies(ids) -> list[Policy]:
    if not ids:
        return []
    return list(db.session.scalars(select(Policy).where(Policy.id.in_(ids))))


def _photo(clean) -> VisitPhoto:
    return VisitPhoto(content_type=clean.content_type, size=clean.size, data=clean.data)


def _raise_problems(enterprise, visit: Visit, problems, actor) -> list[Issue]:
    return [raise_issue(enterprise, {"title": p["title"], "description": p.get("description"),
                                     "category_id": p.get("category_id")}, actor, visit=visit)
            for p in problems]


def _note_status_seen(enterprise, visit: Visit, actor) -> None:
    """The operating status seen on the latest visit becomes the enterprise's status,
    so nobody enters the same fact twice (audited as an enterprise update)."""
    if not visit.status_seen or visit.status_seen == enterprise.status:
        return
    later = db.session.scalar(select(func.count()).select_from(Visit).where(
        Visit.enterprise_id == enterprise.id, Visit.id != visit.id,
        Visit.visit_date > visit.visit_date))
    if not later:
        update_enterprise(enterprise, {"status": visit.status_seen}, actor)


def record_visit(enterprise, data: dict, actor, prechecked: bool = False
                 ) -> tuple[Visit, list[Issue], bool]:
    """Store a visit with its deliveries, photos and problems (each a new Issue).

    Idempotent on ``data["client_uuid"]``: a retry, a double tap or a parallel request
    with the same id returns the stored visit and raises no problem twice. Returns
    (visit, problems raised now, created?). ``prechecked``: the caller has just checked
    ``permissions.can_log`` and looked the id up with ``existing_submission`` (the visit form
    does, to answer a retry before validating); a request that raced past that lookup
    still ends on the unique id below.
    """
    if not prechecked and not can_log(actor, enterprise):
        raise VisitError(_("This enterprise is not assigned to you, so you cannot log a "
                           "visit for it."))
    if not prechecked:
        existing = existing_submission(data["client_uuid"], enterprise, actor)
        if existing is not None:
            return existing, [], False
    visit = Visit(
        client_uuid=data["client_uuid"], enterprise_id=enterprise.id, author_id=actor.id,
        **{f: data.get(f) for f in VISIT_FIELDS if data.get(f) is not None},
    )
    visit.policies = _policies(data.get("policy_ids"))
    visit.factors = [VisitFactor(factor=code, note=note)
                     for code, note in (data.get("factors") or {}).items()]
    visit.photos = [_photo(p) for p in data.get("photos") or []]
    try:
        # Only the visit row is inside the savepoint: when a parallel request with the
        # same id committed first, the unique id raises here and we read its visit
        # instead. The savepoint sits inside the request's transaction on both databases
        # (on SQLite the engine begins it: crm/core/transactions.py), so the rest of the
        # visit is committed, or rolled back, with it.
        with db.session.begin_nested():
            db.session.add(visit)
            db.session.flush()
    except IntegrityError:
        stored = existing_submission(data["client_uuid"], enterprise, actor)
        if stored is None:
            raise
        return stored, [], False
    issues = _raise_problems(enterprise, visit, data.get("problems") or [], actor)
    _note_status_seen(enterprise, visit, actor)
    after = visit_snapshot(visit)
    after["issue_ids"] = [i.id for i in issues]
    audit.record(actor, "create", visit, after=after,
                 summary=_("Visit to %(name)s on %(date)s", name=enterprise.name,
                           date=visit.visit_date.isoformat()))
    return visit, issues, True


def load_for_edit(visit_id: int) -> Visit | None:
    """A visit with everything the form and the audit snapshot read."""
    return db.session.scalar(
        select(Visit).where(Visit.id == visit_id).options(
            selectinload(Visit.policies), selectinload(Visit.factors),
            selectinload(Visit.photos), selectinload(Visit.enterprise)))


def version_token(visit: Visit) -> str:
    """What the edit form carries to detect a change made meanwhile."""
    return visit.updated_at.isoformat() if visit.updated_at else ""


def update_visit(visit: Visit, data: dict, actor, *, token: str | None = None
                 ) -> tuple[Visit, list[Issue]]:
    """Change a visit (collections loaded, see ``load_for_edit``); new problems may be
    added, photos added or removed. Audited with before/after.

    ``token`` is the ``version_token`` the form was built with; when the visit changed
    since, ``VisitConflict`` is raised and nothing is written.
    """
    if not can_edit(actor, visit):
        raise VisitError(_("You can no longer change this visit: the author may edit it "
                           "for %(days)d days, a coordinator at any time.", days=EDIT_DAYS))
    if token is not None and token != version_token(visit):
        raise VisitConflict(_("Someone else changed this visit meanwhile. Reload the page "
                              "to see the change, then edit again."))
    before = visit_snapshot(visit)
    for f in VISIT_FIELDS:
        if f in data:
            setattr(visit, f, data[f])
    if "policy_ids" in data:
        kept = [p for p in visit.policies if p.id in data["policy_ids"]]
        known = {p.id for p in kept}
        visit.policies = kept + _policies([i for i in data["policy_ids"] if i not in known])
    if "factors" in data:
        by_code = {f.factor: f for f in visit.factors}
        visit.factors = [by_code.get(code) or VisitFactor(factor=code) for code in data["factors"]]
        for f in visit.factors:
            f.note = data["factors"][f.factor]
    removing = set(data.get("remove_photo_ids") or [])
    visit.photos = [p for p in visit.photos if p.id not in removing] + [
        _photo(p) for p in data.get("photos") or []]
    db.session.flush()
    issues = _raise_problems(visit.enterprise, visit, data.get("problems") or [], actor)
    after = visit_snapshot(visit)
    changed_before, changed_after = audit.diff(before, after)
    if issues:
        changed_after["issue_ids"] = [i.id for i in issues]
    if changed_after:
        visit.updated_at = utcnow()  # also when only policies, factors or photos changed
        audit.record(actor, "update", visit, before=changed_before, after=changed_after,
                     summary=_("Visit to %(name)s on %(date)s changed",
                               name=visit.enterprise.name, date=visit.visit_date.isoformat()))
    return visit, issues
