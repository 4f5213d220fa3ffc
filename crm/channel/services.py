"""The enterprise's code (企业码): finding an enterprise by it, rotating it, what its
own page shows, and raising a problem through it.

Everything an enterprise sees here is filtered by its own id, read from its code: no
function takes an id from the request.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.auth.models import Unit
from crm.core import audit
from crm.core.timeutil import to_local, utcnow
from crm.enterprises.assignments import active_assignments
from crm.enterprises.models import Enterprise, new_channel_code
from crm.extensions import db
from crm.issues import services as issue_services
from crm.issues.models import Category, Issue
from crm.issues.notices import Notice, send, zh
from crm.channel.models import ChannelPhoto, ChannelSubmission, CodeRating, RetiredCode
from crm.liaisons.photos import CleanPhoto
from crm.liaisons.policies import newest_matching

CODE_MAX = 64
MAX_PHOTOS = 3
POLICIES_SHOWN = 10
CLOSED_SHOWN = 20

# The four steps an enterprise reads (受理 → 交办 → 办理中 → 已办结), from the states.
STEPS = ("received", "dispatched", "handling", "done")
STEP_LABELS = {
    "received": _l("Received by the office"),
    "dispatched": _l("Passed to the responsible unit"),
    "handling": _l("Being handled"),
    "done": _l("Done"),
    "closed": _l("Closed without resolution"),
}
STEP_OF_STATE = {
    "new": "received", "returned": "received", "dispatched": "dispatched",
    "in_progress": "handling", "paused": "handling", "reopened": "handling",
    "resolved": "done", "closed": "done",
}


def find(code: str | None) -> tuple[Enterprise | None, str]:
    """The enterprise whose code this is and the code's status: ``ok``, ``retired``
    (rotated away: 410) or ``unknown`` (404). A deregistered enterprise's code is
    treated as retired."""
    if not code or len(code) > CODE_MAX:
        return None, "unknown"
    ent = db.session.scalar(select(Enterprise).where(Enterprise.channel_code == code))
    if ent is not None:
        return (ent, "ok") if ent.status != "deregistered" else (None, "retired")
    retired = db.session.scalar(select(RetiredCode.id).where(RetiredCode.code == code))
    return None, ("retired" if retired is not None else "unknown")


def rotate(ent: Enterprise, actor, now: datetime | None = None) -> str:
    """Give ``ent`` a new code; the old one answers 410 from now on (audited). Returns
    the new code."""
    now = now or utcnow()
    old = ent.channel_code
    if old:
        db.session.add(RetiredCode(enterprise_id=ent.id, code=old, retired_at=now,
                                   retired_by_id=getattr(actor, "id", None)))
    ent.channel_code = new_channel_code()
    audit.record(actor, "rotate_code", ent, object_type="enterprise", object_id=ent.id,
                 summary=_("Enterprise code of %(name)s rotated", name=ent.name),
                 flush=False)
    db.session.flush()
    return ent.channel_code


# -- the enterprise's own page ---------------------------------------------------------

@dataclass
class ProblemLine:
    """One problem as the enterprise reads it."""

    number: str
    title: str
    raised_on: date
    step: str
    unit: str | None
    due_on: date | None
    resolution: str | None
    is_open: bool
    # Resolved and waiting for the enterprise's rating, not yet rated through the code.
    can_rate: bool = False
    # The rating the enterprise gave through its code (None: none).
    code_rating: int | None = None

    @property
    def step_label(self) -> str:
        return str(STEP_LABELS[self.step])

    @property
    def step_index(self) -> int:
        return STEPS.index(self.step) if self.step in STEPS else len(STEPS) - 1


@dataclass
class Contact:
    """A person in government the enterprise can call."""

    role: str
    name: str
    phone: str | None


@dataclass
class OwnPage:
    """What the enterprise's own page shows."""

    enterprise: Enterprise
    open: list[ProblemLine] = field(default_factory=list)
    closed: list[ProblemLine] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    policies: list = field(default_factory=list)
    policy_total: int = 0


def _line(issue: Issue, unit_name: str | None, code_rating: int | None = None) -> ProblemLine:
    step = STEP_OF_STATE.get(issue.state, "received")
    if issue.state == "closed" and issue.resolved_at is None:
        step = "closed"
    return ProblemLine(
        number=issue.number, title=issue.title, raised_on=to_local(issue.raised_at).date(),
        step=step, unit=unit_name if step != "received" else None,
        due_on=(to_local(issue.due_at).date() if issue.due_at is not None and issue.is_open
                and step != "received" else None),
        resolution=issue.resolution if step == "done" else None, is_open=issue.is_open,
        can_rate=issue.state == "resolved" and code_rating is None, code_rating=code_rating)


def contacts_of(ent: Enterprise) -> list[Contact]:
    """The enterprise's leaders (A and B) and commissioners now, with their phones."""
    return [Contact(role=a.role, name=a.user.display_name, phone=a.user.phone)
            for a in active_assignments([ent.id])]


def own_page(ent: Enterprise, now: datetime | None = None) -> OwnPage:
    """The enterprise's problems (open first, then the latest closed ones), its contacts
    in government and the policies that fit it; a fixed number of queries."""
    rows = db.session.execute(
        select(Issue, Unit.name, CodeRating.rating).outerjoin(Unit, Unit.id == Issue.lead_unit_id)
        .outerjoin(CodeRating, CodeRating.issue_id == Issue.id)
        .where(Issue.enterprise_id == ent.id)
        .order_by(Issue.raised_at.desc(), Issue.id.desc())).all()
    page = OwnPage(enterprise=ent)
    for issue, unit_name, code_rating in rows:
        line = _line(issue, unit_name, code_rating)
        if line.is_open:
            page.open.append(line)
        elif len(page.closed) < CLOSED_SHOWN:
            page.closed.append(line)
    page.contacts = contacts_of(ent)
    page.policies, page.policy_total = newest_matching(ent, POLICIES_SHOWN)
    return page


def categories() -> list[tuple[int, str]]:
    """The short list of categories an enterprise chooses from."""
    return [(c.id, c.name) for c in db.session.scalars(
        select(Category).where(Category.is_active.is_(True))
        .order_by(Category.position, Category.name))]


def raise_problem(ent: Enterprise, data: dict, photos: list[CleanPhoto],
                  now: datetime | None = None) -> Issue:
    """A problem raised by the enterprise through its code: it enters triage (state
    ``new``, source ``enterprise``) with the contact and photos it gave, and the
    enterprise's commissioners are told. ``data``: title, description, category_id,
    contact_name, contact_phone (checked by the form)."""
    now = now or utcnow()
    if len(photos) > MAX_PHOTOS:
        raise ValueError("too many photos")
    issue = issue_services.raise_issue(
        ent, {"title": data["title"], "description": data.get("description"),
              "category_id": data.get("category_id") or None},
        None, source="enterprise", now=now)
    db.session.add(ChannelSubmission(
        issue_id=issue.id, enterprise_id=ent.id, contact_name=data["contact_name"],
        contact_phone=data["contact_phone"], created_at=now))
    for photo in photos:
        db.session.add(ChannelPhoto(issue_id=issue.id, content_type=photo.content_type,
                                    size=photo.size, data=photo.data, created_at=now))
    db.session.flush()
    send(issue, [Notice("raised_by_enterprise", ("commissioners", "coordinators"), zh(_l(
        "%(name)s raised a problem through its enterprise code: %(ref)s. Contact: "
        "%(contact)s %(phone)s.", name=ent.name, ref=f"{issue.number}《{issue.title}》",
        contact=data["contact_name"], phone=data["contact_phone"])))],
        key=f"channel:{issue.id}")
    return issue


def submission_of(issue_id: int) -> tuple[ChannelSubmission | None, list[int]]:
    """The contact the enterprise left for a problem and its photos' ids."""
    sub = db.session.scalar(select(ChannelSubmission).where(
        ChannelSubmission.issue_id == issue_id))
    ids = list(db.session.scalars(select(ChannelPhoto.id).where(
        ChannelPhoto.issue_id == issue_id).order_by(ChannelPhoto.id)))
    return sub, ids


def card_people(ent: Enterprise) -> dict[str, list[Contact]]:
    """The people printed on the enterprise's A5 card, by role."""
    out: dict[str, list[Contact]] = {"leader_a": [], "leader_b": [], "commissioner": []}
    for c in contacts_of(ent):
        out.setdefault(c.role, []).append(c)
    return out



# -- rating a resolved problem through the code ---------------------------------------

NUMBER_MAX = 20


def problem_to_rate(ent: Enterprise, number: str | None) -> tuple[Issue | None, str]:
    """The enterprise's own problem with this number, and whether it may be rated
    through the code now: ``ok``, ``rated`` (already rated through the code, or no
    longer waiting for a rating) or ``unknown`` (no such problem *of this enterprise*:
    another enterprise's number is unknown here)."""
    if not number or len(number) > NUMBER_MAX:
        return None, "unknown"
    issue = db.session.scalar(select(Issue).where(
        Issue.enterprise_id == ent.id, Issue.number == number))
    if issue is None:
        return None, "unknown"
    done = db.session.scalar(select(CodeRating.id).where(CodeRating.issue_id == issue.id))
    if done is not None or issue.state != "resolved":
        return issue, "rated"
    return issue, "ok"


def rate_problem(ent: Enterprise, issue: Issue, data: dict,
                 now: datetime | None = None) -> Issue:
    """The enterprise rates its resolved problem through its code: the same rating as
    the one-time link (``crm.issues.services.rate_by_enterprise``: channel ``self``, a
    1–2 reopens it and enters the 回访 queue, a share of 4–5 is called back), once per
    problem (``CodeRating``). ``data``: ``rating``, ``text``, ``contact``. Raises the
    workflow's errors (nothing written) when it may not be rated."""
    now = now or utcnow()
    if issue.enterprise_id != ent.id:
        raise ValueError("not this enterprise's problem")
    issue_services.rate_by_enterprise(issue, data, now)
    db.session.add(CodeRating(issue_id=issue.id, enterprise_id=ent.id,
                              rating=issue.rating, rated_at=now))
    db.session.flush()
    return issue
