"""停减产帮扶: the support card of an enterprise that halted or reduced production, the
coordinator's list by town and the month's figures.

An enterprise needs a card while its registry status is 停产 or 减产 (``halted`` /
``reduced``, set on the registry or seen on a visit). The card records since when and
why; the measures are read from the enterprise's problems, financing needs (and, on the
pages above, the policies delivered) since then; ``resume`` records the day production
resumed and sets the registry status back to normal.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from crm.auth.models import Unit
from crm.core import audit
from crm.core.timeutil import local_today, to_utc
from crm.enterprises import services as registry
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.financing.models import STOPPED_STATUSES, SUPPORT_REASONS, FinancingNeed, SupportCase
from crm.financing.services import FinancingError
from crm.issues.models import Issue


def open_case(enterprise_id: int) -> SupportCase | None:
    """The enterprise's case not yet resumed, if any."""
    return db.session.scalar(select(SupportCase).where(
        SupportCase.enterprise_id == enterprise_id, SupportCase.resumed_on.is_(None))
        .order_by(SupportCase.id.desc()).limit(1))


def record_case(enterprise: Enterprise, data: dict, actor) -> SupportCase:
    """Open (or correct) the support card of a halted or reduced enterprise."""
    if enterprise.status not in STOPPED_STATUSES:
        raise FinancingError(_l("Only an enterprise that halted or reduced production has a "
                                "support card."))
    if data.get("reason") not in SUPPORT_REASONS:
        raise FinancingError(_l("Choose a reason from the list."))
    if data.get("since") is None or data["since"] > local_today():
        raise FinancingError(_l("Enter the day production stopped (not in the future)."))
    case = open_case(enterprise.id)
    before = audit.snapshot(case, ("since", "reason", "reason_note")) if case else None
    if case is None:
        case = SupportCase(enterprise_id=enterprise.id, status=enterprise.status,
                           created_by_id=actor.id)
        db.session.add(case)
    case.since, case.reason = data["since"], data["reason"]
    case.reason_note = data.get("reason_note") or None
    db.session.flush()
    after = audit.snapshot(case, ("since", "reason", "reason_note"))
    audit.record(actor, "update" if before else "create", case, before=before, after=after,
                 summary=f"停减产帮扶 {enterprise.name}")
    return case


def resume(enterprise: Enterprise, on: date, actor) -> SupportCase:
    """Production resumed on ``on``: close the card, set the registry status to normal."""
    case = open_case(enterprise.id)
    if case is None:
        raise FinancingError(_l("This enterprise has no open support card."))
    if on is None or on < case.since or on > local_today():
        raise FinancingError(_l("Enter the day production resumed: not before it stopped, "
                                "not in the future."))
    case.resumed_on = on
    db.session.flush()
    audit.record(actor, "resume", case, after={"resumed_on": on.isoformat()},
                 summary=f"恢复生产 {enterprise.name}")
    if enterprise.status in STOPPED_STATUSES:
        registry.update_enterprise(enterprise, {"status": "normal"}, actor)
    return case


@dataclass
class Card:
    """What the enterprise page shows of 停减产 support."""

    enterprise: Enterprise
    case: SupportCase | None
    days: int | None
    issues: list
    needs: list


def card(enterprise: Enterprise, today: date | None = None) -> Card | None:
    """The support card of ``enterprise`` (None when it runs normally and has no case
    resumed within the last 90 days)."""
    today = today or local_today()
    case = db.session.scalar(select(SupportCase).where(
        SupportCase.enterprise_id == enterprise.id).order_by(
        SupportCase.resumed_on.is_(None).desc(), SupportCase.id.desc()).limit(1))
    if enterprise.status not in STOPPED_STATUSES and (
            case is None or case.resumed_on is None or (today - case.resumed_on).days > 90):
        return None
    issues, needs = [], []
    if case is not None:
        since = to_utc(datetime.combine(case.since, time.min))
        issues = list(db.session.execute(select(Issue.id, Issue.number, Issue.title,
                                                Issue.state).where(
            Issue.enterprise_id == enterprise.id,
            Issue.raised_at >= since).order_by(Issue.id.desc()).limit(20)))
        needs = list(db.session.scalars(select(FinancingNeed).where(
            FinancingNeed.enterprise_id == enterprise.id,
            FinancingNeed.raised_at >= since).order_by(FinancingNeed.id.desc())))
    end = case.resumed_on if case and case.resumed_on else today
    return Card(enterprise, case, (end - case.since).days if case else None, issues, needs)


@dataclass
class StoppedRow:
    """One enterprise on the coordinator's 停减产 list."""

    enterprise: Enterprise
    case: SupportCase | None
    days: int | None


def stopped_by_town(today: date, town_id: int | None = None) -> dict:
    """Enterprises halted or reduced now, by town (name → rows, longest stopped first),
    with their open card (or None: nobody has recorded since when and why yet)."""
    q = (select(Enterprise, SupportCase)
         .outerjoin(SupportCase, and_(SupportCase.enterprise_id == Enterprise.id,
                                      SupportCase.resumed_on.is_(None)))
         .where(Enterprise.status.in_(STOPPED_STATUSES)))
    if town_id:
        q = q.where(Enterprise.town_id == town_id)
    out: dict[str, list] = {}
    for ent, case in db.session.execute(q.order_by(SupportCase.since.nulls_last(),
                                                   Enterprise.name)):
        town = ent.town.name if ent.town else "—"
        out.setdefault(town, []).append(
            StoppedRow(ent, case, (today - case.since).days if case else None))
    return dict(sorted(out.items()))


# Up to this many enterprises the list shows them all by town; beyond, it shows each
# town's counts first and a town's enterprises when it is chosen.
LIST_ALL = 100


@dataclass
class TownCount:
    """One town's halted and reduced enterprises, and those without an open card."""

    town_id: int | None
    name: str
    halted: int
    reduced: int
    no_card: int

    @property
    def total(self) -> int:
        return self.halted + self.reduced


def stopped_counts(town_id: int | None = None) -> list[TownCount]:
    """Halted and reduced enterprises counted by town (one grouped statement over the
    stopped ones, read by the status index), by town name."""
    open_case = (select(SupportCase.id).where(SupportCase.enterprise_id == Enterprise.id,
                                              SupportCase.resumed_on.is_(None))
                 .correlate(Enterprise).exists())
    q = (select(Enterprise.town_id, Unit.name,
                func.count().filter(Enterprise.status == "halted"),
                func.count().filter(Enterprise.status == "reduced"),
                func.count().filter(~open_case))
         .outerjoin(Unit, Unit.id == Enterprise.town_id)
         .where(Enterprise.status.in_(STOPPED_STATUSES))
         .group_by(Enterprise.town_id, Unit.name))
    if town_id:
        q = q.where(Enterprise.town_id == town_id)
    return sorted((TownCount(tid, name or "—", h, r, n) for tid, name, h, r, n
                   in db.session.execute(q)), key=lambda t: t.name)


def month_figures(start: date, end: date) -> dict:
    """停减产 in a month: enterprises halted and reduced now, cards opened (stopped in
    the month), and production resumed in the month."""
    now_counts = dict(db.session.execute(select(Enterprise.status, func.count()).where(
        Enterprise.status.in_(STOPPED_STATUSES)).group_by(Enterprise.status)).all())
    stopped = db.session.scalar(select(func.count()).select_from(SupportCase).where(
        SupportCase.since.between(start, end)))
    resumed = db.session.scalar(select(func.count()).select_from(SupportCase).where(
        SupportCase.resumed_on.between(start, end)))
    return {"halted": now_counts.get("halted", 0), "reduced": now_counts.get("reduced", 0),
            "stopped": stopped, "resumed": resumed}
