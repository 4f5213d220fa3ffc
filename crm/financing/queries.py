"""Lists of 政银企: the coordinator's needs, a bank's queue (推荐清单), the banks.

Each list loads what its page shows in a fixed number of statements, whatever the
number of rows (tests/financing/test_query_counts.py)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from crm.auth.models import Unit
from crm.core.timeutil import to_utc
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.financing import permissions
from crm.financing.models import BankResponse, FinancingNeed

# Figure filters (``?stage=``): what "pushed", "granted", "disbursed" count.
STAGE_STATES = {"pushed": None, "granted": ("granted", "disbursed"), "disbursed": ("disbursed",)}


def banks(active_only: bool = True) -> list[Unit]:
    """The bank units, by name."""
    q = select(Unit).where(Unit.kind == "bank").order_by(Unit.name)
    if active_only:
        q = q.where(Unit.is_active.is_(True))
    return list(db.session.scalars(q))


def date_bounds(start: date | None, end: date | None) -> tuple[datetime, datetime] | None:
    """[start 00:00, end+1 00:00) local as naive UTC (either end open), or None."""
    if start is None and end is None:
        return None
    low = to_utc(datetime.combine(start, time.min)) if start else datetime.min
    high = (to_utc(datetime.combine(end + timedelta(days=1), time.min)) if end
            else datetime.max)
    return low, high


def needs_query(user, filters: dict, now: datetime):
    """``select`` of the needs ``user`` sees matching ``filters`` (state, town, bank,
    credit, light, stage, date_from/date_to, q, enterprise), newest first. With a
    ``stage`` (pushed / granted / disbursed) the dates and the bank apply to that step
    of a bank's answer, otherwise the dates to the registration: the definitions of
    ``crm.financing.figures``, so a figure and its list agree."""
    q = permissions.visible(select(FinancingNeed), user)
    if filters.get("town") or filters.get("q"):
        # Only these filters read the enterprise: without them the count of a province's
        # 26,000 open needs is read from an index of the needs alone.
        q = q.join(Enterprise, Enterprise.id == FinancingNeed.enterprise_id)
    state = filters.get("state")
    if state in ("open", "met", "closed"):
        q = q.where(FinancingNeed.state == state)
    if filters.get("town"):
        q = q.where(Enterprise.town_id == filters["town"])
    if filters.get("enterprise"):
        q = q.where(FinancingNeed.enterprise_id == filters["enterprise"])
    if filters.get("credit"):
        q = q.where(FinancingNeed.credit_loan_expr())
    if filters.get("q"):
        q = q.where(Enterprise.name.contains(filters["q"], autoescape=True))
    bounds = date_bounds(filters.get("date_from"), filters.get("date_to"))
    stage = filters.get("stage")
    resp = [BankResponse.need_id == FinancingNeed.id]
    if filters.get("bank"):
        resp.append(BankResponse.bank_id == filters["bank"])
    if stage in STAGE_STATES:
        if stage == "granted":
            resp.append(BankResponse.granted_at.is_not(None))
        if STAGE_STATES[stage]:
            resp.append(BankResponse.state.in_(STAGE_STATES[stage]))
        if bounds:
            column = {"pushed": BankResponse.pushed_at, "granted": BankResponse.granted_at,
                      "disbursed": BankResponse.disbursed_at}[stage]
            resp += [column >= bounds[0], column < bounds[1]]
    elif bounds:
        q = q.where(FinancingNeed.raised_at >= bounds[0], FinancingNeed.raised_at < bounds[1])
    if filters.get("light") in ("red", "yellow"):
        resp.append(BankResponse.light_expr(now) == filters["light"])
    if len(resp) > 1:
        q = q.where(exists().where(*resp))
    return q.options(joinedload(FinancingNeed.enterprise),
                     selectinload(FinancingNeed.responses).joinedload(BankResponse.bank)) \
        .order_by(FinancingNeed.raised_at.desc(), FinancingNeed.id.desc())


def bank_queue(user, now: datetime, state: str | None = None):
    """``select`` of the BankResponses pushed to ``user``'s bank with consent (their need
    and enterprise loaded), the ones owing a step first, by deadline."""
    q = (select(BankResponse)
         .join(FinancingNeed, FinancingNeed.id == BankResponse.need_id)
         .join(Enterprise, Enterprise.id == FinancingNeed.enterprise_id)
         .where(permissions.response_visibility(user))
         .options(contains_eager(BankResponse.need).contains_eager(FinancingNeed.enterprise)))
    if state == "open":
        q = q.where(BankResponse.state.in_(("pushed", "accepted", "diligence", "granted")),
                    FinancingNeed.state != "closed")
    elif state in ("disbursed", "declined", "withdrawn"):
        q = q.where(BankResponse.state == state)
    return q.order_by(BankResponse.due_at.is_(None), BankResponse.due_at,
                      BankResponse.id.desc())


def recommendation_rows(bank: Unit, user):
    """The 推荐清单 of ``bank``: every need pushed to it (with consent), oldest first."""
    q = (select(BankResponse, FinancingNeed, Enterprise)
         .join(FinancingNeed, FinancingNeed.id == BankResponse.need_id)
         .join(Enterprise, Enterprise.id == FinancingNeed.enterprise_id)
         .where(BankResponse.bank_id == bank.id, FinancingNeed.has_consent.is_(True),
                permissions.response_visibility(user))
         .options(joinedload(Enterprise.town))
         .order_by(BankResponse.pushed_at, BankResponse.id))
    return db.session.execute(q).all()


def count(q) -> int:
    """Rows of ``q``."""
    return db.session.scalar(select(func.count()).select_from(q.order_by(None).subquery()))
