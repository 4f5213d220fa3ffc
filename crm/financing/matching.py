"""政银企座谈会 (matchmaking sessions): a session with its banks, the enterprises invited
with their open needs (chosen by filters), and the outcome per enterprise × bank."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from crm.auth.models import Unit
from crm.core import audit
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.financing.models import (
    MATCH_RESULTS,
    FinancingNeed,
    MatchInvite,
    MatchOutcome,
    MatchSession,
    match_session_banks,
)
from crm.financing.services import FinancingError

SESSION_FIELDS = ("title", "held_on", "place", "note")


def save_session(session: MatchSession | None, data: dict, banks: list[Unit],
                 actor) -> MatchSession:
    """Create or change a session (title, day, place, note, banks); audited."""
    if any(b.kind != "bank" for b in banks):
        raise FinancingError(_l("Choose banks only."))
    before = audit.snapshot(session, SESSION_FIELDS) if session else None
    if session is None:
        session = MatchSession(created_by_id=actor.id)
        db.session.add(session)
    for key in SESSION_FIELDS:
        setattr(session, key, data.get(key))
    session.banks = list(banks)
    db.session.flush()
    audit.record(actor, "update" if before else "create", session, before=before,
                 after={**audit.snapshot(session, SESSION_FIELDS),
                        "banks": [b.name for b in banks]},
                 summary=f"政银企座谈会 {session.title}")
    return session


def candidates(filters: dict, limit: int = 200):
    """Open needs with the enterprise's consent matching ``filters`` (town, purpose,
    min_amount, credit), largest first: whom to invite."""
    q = (select(FinancingNeed).join(Enterprise, Enterprise.id == FinancingNeed.enterprise_id)
         .where(FinancingNeed.state == "open", FinancingNeed.has_consent.is_(True))
         .options(joinedload(FinancingNeed.enterprise)))
    if filters.get("town"):
        q = q.where(Enterprise.town_id == filters["town"])
    if filters.get("purpose"):
        q = q.where(FinancingNeed.purpose == filters["purpose"])
    if filters.get("min_amount"):
        q = q.where(FinancingNeed.amount >= filters["min_amount"])
    if filters.get("credit"):
        q = q.where(FinancingNeed.credit_loan_expr())
    return list(db.session.scalars(q.order_by(FinancingNeed.amount.desc(),
                                              FinancingNeed.id).limit(limit)))


def invite(session: MatchSession, needs: list[FinancingNeed], actor) -> int:
    """Invite the enterprises of ``needs`` (open, with consent); returns how many were new."""
    have = set(db.session.scalars(select(MatchInvite.need_id)
                                  .where(MatchInvite.session_id == session.id)))
    added = 0
    for need in needs:
        if need.id in have or need.state != "open" or not need.has_consent:
            continue
        db.session.add(MatchInvite(session_id=session.id, need_id=need.id))
        added += 1
    db.session.flush()
    if added:
        audit.record(actor, "invite", session, after={"needs": [n.id for n in needs]},
                     summary=f"政银企座谈会 {session.title} 邀请 {added} 户企业")
    return added


def record_outcome(session: MatchSession, need_id: int, bank_id: int, result: str | None,
                   amount: Decimal | None, note: str | None, actor) -> None:
    """Set (or, with no result, clear) the outcome of one invited need with one bank."""
    invited = db.session.get(MatchInvite, (session.id, need_id))
    in_session = db.session.scalar(select(match_session_banks.c.bank_id).where(
        match_session_banks.c.session_id == session.id,
        match_session_banks.c.bank_id == bank_id))
    if invited is None or in_session is None:
        raise FinancingError(_l("Only an invited enterprise and a bank of the session."))
    db.session.execute(delete(MatchOutcome).where(
        MatchOutcome.session_id == session.id, MatchOutcome.need_id == need_id,
        MatchOutcome.bank_id == bank_id))
    if result:
        if result not in MATCH_RESULTS:
            raise FinancingError(_l("Choose a result from the list."))
        db.session.add(MatchOutcome(session_id=session.id, need_id=need_id, bank_id=bank_id,
                                    result=result, amount=amount, note=note or None))
    db.session.flush()
    audit.record(actor, "outcome", session, after={"need": need_id, "bank": bank_id,
                                                   "result": result},
                 summary=f"政银企座谈会 {session.title} 对接结果")


def sheet(session_id: int) -> dict:
    """The session's one-page list: banks, invited needs with their enterprises, and
    outcomes by (need, bank) — three statements."""
    session = db.session.scalar(select(MatchSession).where(MatchSession.id == session_id)
                                .options(joinedload(MatchSession.banks)))
    if session is None:
        return {}
    needs = list(db.session.scalars(
        select(FinancingNeed).join(MatchInvite, MatchInvite.need_id == FinancingNeed.id)
        .where(MatchInvite.session_id == session_id)
        .options(joinedload(FinancingNeed.enterprise)).order_by(FinancingNeed.amount.desc(),
                                                                FinancingNeed.id)))
    outcomes = {(o.need_id, o.bank_id): o for o in db.session.scalars(
        select(MatchOutcome).where(MatchOutcome.session_id == session_id))}
    return {"session": session, "banks": list(session.banks), "needs": needs,
            "outcomes": outcomes,
            "intent_total": sum((o.amount or 0) for o in outcomes.values()
                                if o.result == "intent")}


def upcoming(today: date, limit: int = 50) -> list[MatchSession]:
    """Sessions by day, the coming ones first."""
    return list(db.session.scalars(select(MatchSession).order_by(
        (MatchSession.held_on < today), MatchSession.held_on.desc()).limit(limit)))
