"""Recording and editing visits (入企走访): the four deliveries, problems raised on the
spot, photos; idempotent by the browser's ``client_uuid``; every change audited.

Functions take domain objects and an explicit ``actor``; they flush, never commit.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import force_locale
from sqlalchemy import func, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from crm.core import audit
from crm.core.notify import notify
from crm.core.timeutil import utcnow
from crm.enterprises.assignments import leader_recipients_by_enterprise
from crm.enterprises.services import update_enterprise
from crm.extensions import db
from crm.issues.models import Category, Issue
from crm.issues.notices import NOTICE_LOCALE
from crm.issues.services import raise_issue
from crm.liaisons.models import (
    HEALTH_FLAGS,
    Policy,
    Visit,
    VisitAppend,
    VisitCap,
    VisitFactor,
    VisitFlag,
    VisitPhoto,
)
from crm.liaisons.permissions import EDIT_DAYS, can_edit, can_log
from crm.liaisons.photos import MAX_PHOTOS

VISIT_FIELDS = ("visit_date", "mode", "companions", "services", "status_seen", "summary",
                "next_step", "late_reason", "latitude", "longitude")


class VisitError(Exception):
    """A visit that cannot be recorded or changed; the message is for the user."""


class VisitConflict(VisitError):
    """The submission clashes with data stored meanwhile (another edit, a reused id)."""


class SameDayVisit(VisitError):
    """The person already recorded a visit to this enterprise on that day: the caller
    asks whether to add to that record or to log another one (nothing was written)."""

    def __init__(self, visit: Visit):
        super().__init__(_("A visit to this enterprise was already recorded today: add to "
                           "that record, or record another visit?"))
        self.visit = visit


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
    client_uuid = client_uuid.lower()
    # The visit stored under this id, or the one it was added to ("补充"), in one query:
    # each id looked up in its own unique index (an OR of the two would scan every visit).
    ids = union_all(select(Visit.id).where(Visit.client_uuid == client_uuid),
                    select(VisitAppend.visit_id).where(VisitAppend.client_uuid == client_uuid))
    visit = db.session.scalar(select(Visit).where(Visit.id.in_(ids)).limit(1))
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
    snap["flags"] = sorted(f.flag for f in visit.flags)
    return snap


def same_day_visit(enterprise, actor, visit_date) -> Visit | None:
    """The latest visit ``actor`` recorded for ``enterprise`` on ``visit_date``, if any."""
    if visit_date is None:
        return None
    return db.session.scalar(
        select(Visit).where(Visit.enterprise_id == enterprise.id, Visit.author_id == actor.id,
                            Visit.visit_date == visit_date)
        .order_by(Visit.created_at.desc(), Visit.id.desc()).limit(1))


def _flag_rows(codes) -> list[VisitFlag]:
    return [VisitFlag(flag=code) for code in dict.fromkeys(codes or ()) if code in HEALTH_FLAGS]


def notify_flags(enterprise, visit: Visit, codes, actor) -> int:
    """Tell the enterprise's leader A (B while A is away) about health flags newly seen on
    ``visit``. Returns how many notices were added (one per leader and visit)."""
    codes = [c for c in HEALTH_FLAGS if c in set(codes or ())]
    if not codes:
        return 0
    leaders = leader_recipients_by_enterprise([enterprise.id]).get(enterprise.id, set())
    with force_locale(NOTICE_LOCALE):  # stored text, read later by the leader
        text = _("Health flags on the visit to %(name)s on %(date)s by %(who)s: %(flags)s.",
                 name=enterprise.name, date=visit.visit_date.isoformat(),
                 who=actor.display_name,
                 flags=_(", ").join(str(HEALTH_FLAGS[c]) for c in codes))
    return notify(leaders, "health_flag", text, link=f"/visits/{visit.id}",
                  dedupe_key=f"health-flags:{visit.id}:{','.join(codes)}")


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


def record_visit(enterprise, data: dict, actor, prechecked: bool = False,
                 same_day: str = "separate") -> tuple[Visit, list[Issue], bool]:
    """Store a visit with its deliveries, photos and problems (each a new Issue).

    Idempotent on ``data["client_uuid"]``: a retry, a double tap or a parallel request
    with the same id returns the stored visit and raises no problem twice. Returns
    (visit, problems raised now, created?). ``prechecked``: the caller has just checked
    ``permissions.can_log`` and looked the id up with ``existing_submission`` (the visit form
    does, to answer a retry before validating); a request that raced past that lookup
    still ends on the unique id below.

    ``same_day`` says what to do when ``actor`` already recorded a visit to ``enterprise``
    on that day: ``"ask"`` raises ``SameDayVisit`` before anything is written (the form
    asks the person), ``"append"`` adds this submission to that visit
    (``append_to_visit``), ``"separate"`` records another visit.
    """
    if not prechecked and not can_log(actor, enterprise):
        raise VisitError(_("This enterprise is not assigned to you, so you cannot log a "
                           "visit for it."))
    if not prechecked:
        existing = existing_submission(data["client_uuid"], enterprise, actor)
        if existing is not None:
            return existing, [], False
    if same_day in ("ask", "append"):
        earlier = same_day_visit(enterprise, actor, data.get("visit_date"))
        if earlier is not None and same_day == "ask":
            raise SameDayVisit(earlier)
        if earlier is not None:
            visit, issues = append_to_visit(earlier, data, actor)
            return visit, issues, True
    visit = Visit(
        client_uuid=data["client_uuid"], enterprise_id=enterprise.id, author_id=actor.id,
        **{f: data.get(f) for f in VISIT_FIELDS if data.get(f) is not None},
    )
    visit.policies = _policies(data.get("policy_ids"))
    visit.factors = [VisitFactor(factor=code, note=note)
                     for code, note in (data.get("factors") or {}).items()]
    visit.photos = [_photo(p) for p in data.get("photos") or []]
    visit.flags = _flag_rows(data.get("flags"))
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
    notify_flags(enterprise, visit, [f.flag for f in visit.flags], actor)
    return visit, issues, True


def _joined(old: str | None, new: str | None) -> str | None:
    if not new or (old and new in old):
        return old
    return f"{old}\n{new}" if old else new


def append_to_visit(visit: Visit, data: dict, actor) -> tuple[Visit, list[Issue]]:
    """Add a submission made the same day to ``visit`` ("补充到已有记录"): texts are added
    below what is there, policies, factors, flags and photos are joined, problems are
    raised on ``visit``. The submission's id is kept (``VisitAppend``), so a retry of it
    finds this visit and adds nothing twice. Audited like an edit."""
    if visit.author_id != actor.id:
        raise VisitConflict(_("Only the author can add to this visit."))
    visit = load_for_edit(visit.id)
    photos = data.get("photos") or []
    if len(visit.photos) + len(photos) > MAX_PHOTOS:
        raise VisitError(_("Together with the earlier record these are more than %(n)d "
                           "photos. Remove some and try again.", n=MAX_PHOTOS))
    before = visit_snapshot(visit)
    for f in ("summary", "services", "next_step", "companions"):
        merged = _joined(getattr(visit, f), data.get(f))
        if f == "companions" and merged and len(merged) > 200:
            merged = merged[:200]
        setattr(visit, f, merged)
    if data.get("status_seen"):
        visit.status_seen = data["status_seen"]
    if data.get("latitude") is not None and visit.latitude is None:
        visit.latitude, visit.longitude = data["latitude"], data.get("longitude")
    known = {p.id for p in visit.policies}
    visit.policies = visit.policies + _policies(
        [i for i in data.get("policy_ids") or [] if i not in known])
    by_code = {f.factor: f for f in visit.factors}
    for code, note in (data.get("factors") or {}).items():
        if code in by_code:
            by_code[code].note = _joined(by_code[code].note, note)
        else:
            visit.factors.append(VisitFactor(factor=code, note=note))
    had = {f.flag for f in visit.flags}
    added_flags = [c for c in dict.fromkeys(data.get("flags") or ()) if c not in had]
    visit.flags = visit.flags + _flag_rows(added_flags)
    visit.photos = visit.photos + [_photo(p) for p in photos]
    db.session.add(VisitAppend(client_uuid=data["client_uuid"], visit_id=visit.id))
    db.session.flush()
    issues = _raise_problems(visit.enterprise, visit, data.get("problems") or [], actor)
    _note_status_seen(visit.enterprise, visit, actor)
    changed_before, changed_after = audit.diff(before, visit_snapshot(visit))
    changed_after["issue_ids"] = [i.id for i in issues]
    changed_after["appended_submission"] = data["client_uuid"]
    visit.updated_at = utcnow()
    audit.record(actor, "update", visit, before=changed_before, after=changed_after,
                 summary=_("Added to the visit to %(name)s on %(date)s",
                           name=visit.enterprise.name, date=visit.visit_date.isoformat()))
    notify_flags(visit.enterprise, visit, added_flags, actor)
    return visit, issues


def load_for_edit(visit_id: int) -> Visit | None:
    """A visit with everything the form and the audit snapshot read."""
    return db.session.scalar(
        select(Visit).where(Visit.id == visit_id).options(
            selectinload(Visit.policies), selectinload(Visit.factors),
            selectinload(Visit.photos), selectinload(Visit.flags),
            selectinload(Visit.enterprise)))


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
    added_flags = []
    if "flags" in data:
        had = {f.flag for f in visit.flags}
        wanted = [c for c in dict.fromkeys(data["flags"] or ()) if c in HEALTH_FLAGS]
        added_flags = [c for c in wanted if c not in had]
        visit.flags = [f for f in visit.flags if f.flag in wanted] + _flag_rows(added_flags)
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
    notify_flags(visit.enterprise, visit, added_flags, actor)
    return visit, issues


def set_visit_cap(enterprise, per_week: int | None, unless_problem: bool, actor) -> VisitCap | None:
    """Set (or with ``per_week`` None remove) how often ``enterprise`` may be visited a
    week; audited. Returns the cap, or None when removed."""
    cap = db.session.get(VisitCap, enterprise.id)
    before = audit.snapshot(cap, ("per_week", "unless_problem")) if cap else None
    if per_week is None:
        if cap is not None:
            db.session.delete(cap)
            db.session.flush()
            audit.record(actor, "delete", object_type="visit_caps", object_id=enterprise.id,
                         before=before, summary=_("Visit cap of %(name)s removed",
                                                  name=enterprise.name))
        return None
    if cap is None:
        cap = VisitCap(enterprise_id=enterprise.id)
        db.session.add(cap)
    cap.per_week, cap.unless_problem, cap.set_by_id = per_week, bool(unless_problem), actor.id
    db.session.flush()
    after = audit.snapshot(cap, ("per_week", "unless_problem"))
    if after != before:
        audit.record(actor, "update" if before else "create", object_type="visit_caps",
                     object_id=enterprise.id, before=before, after=after,
                     summary=_("Visit cap of %(name)s: at most %(n)d a week",
                               name=enterprise.name, n=per_week))
    return cap
