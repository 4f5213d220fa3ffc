"""The verbs of 政银企: raise a need, push it to banks, a bank's answer, close a need.

The bank's answer is a small state machine (``ACTIONS``): each action says from which
states it may run, the state it leads to, what it requires and what it changes.
``answer`` is the only code that assigns ``BankResponse.state``; ``_settle`` the only
one that marks a need met. Services flush, write the timeline (FinancingEvent) and the
audit log, and never commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from crm.auth.models import Unit, User, UserRole
from crm.core import audit
from crm.core.notify import notify
from crm.core.timeutil import utcnow
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.financing import deadlines
from crm.financing.models import (
    CLOCK_STATES,
    CLOSE_REASONS,
    DECLINE_REASONS,
    RESPONSE_STATES,
    BankResponse,
    FinancingEvent,
    FinancingNeed,
)
from crm.issues.notices import zh

NEED_FIELDS = ("amount", "purpose", "term_months", "urgency", "offers", "tax_grade",
               "tax_paid", "has_consent", "note")


class FinancingError(Exception):
    """A step that is not allowed now; the message is for the person."""


def _event(need: FinancingNeed, action: str, actor, now: datetime, *, response=None,
           from_state=None, to_state=None, text=None) -> FinancingEvent:
    row = FinancingEvent(need_id=need.id, response_id=getattr(response, "id", None),
                         actor_id=getattr(actor, "id", None), at=now, action=action,
                         from_state=from_state, to_state=to_state,
                         text=(text or None) and str(text)[:1000])
    db.session.add(row)
    return row


def wan(amount) -> str:
    """An amount in 万元 without trailing zeros (500, 12.5)."""
    return f"{Decimal(amount).normalize():f}" if amount is not None else ""


def _ref(need: FinancingNeed) -> str:
    enterprise = db.session.get(Enterprise, need.enterprise_id)
    return f"{enterprise.name} {wan(need.amount)} 万元"


def bank_manager_ids(bank_ids) -> dict[int, set[int]]:
    """Active account managers per bank."""
    ids = sorted(set(bank_ids))
    out: dict[int, set[int]] = {i: set() for i in ids}
    if not ids:
        return out
    rows = db.session.execute(
        select(User.id, User.unit_id).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "bank", User.is_active.is_(True), User.unit_id.in_(ids)))
    for uid, unit_id in rows:
        out[unit_id].add(uid)
    return out


def coordinator_ids() -> set[int]:
    """Active coordinators (they follow every need)."""
    return set(db.session.scalars(
        select(User.id).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "coordinator", User.is_active.is_(True))))


# -- needs -------------------------------------------------------------------------------

def raise_need(enterprise, data: dict, actor, *, source: str = "coordinator",
               visit_id: int | None = None, now: datetime | None = None) -> FinancingNeed:
    """Register ``enterprise``'s financing need (fields ``NEED_FIELDS``)."""
    now = now or utcnow()
    need = FinancingNeed(enterprise_id=enterprise.id, source=source,
                         visit_id=visit_id, raised_by_id=actor.id,
                         raised_at=now, state="open",
                         **{k: data.get(k) for k in NEED_FIELDS if k in data})
    db.session.add(need)
    db.session.flush()
    _event(need, "raise", actor, now, to_state="open")
    audit.record(actor, "create", need, after=audit.snapshot(need, NEED_FIELDS),
                 summary=f"登记融资需求 {_ref(need)}")
    return need


def update_need(need: FinancingNeed, data: dict, actor, now: datetime | None = None):
    """Correct an open need's facts; the consent can be withdrawn only before a push."""
    if need.state != "open":
        raise FinancingError(_l("This need is closed and can no longer be changed."))
    if need.has_consent and data.get("has_consent") is False and db.session.scalar(
            select(func.count()).select_from(BankResponse)
            .where(BankResponse.need_id == need.id)):
        raise FinancingError(_l("The need was pushed to banks already: the consent can no "
                                "longer be withdrawn here; close the need instead."))
    before = audit.snapshot(need, NEED_FIELDS)
    for key in NEED_FIELDS:
        if key in data:
            setattr(need, key, data[key])
    db.session.flush()
    b, a = audit.diff(before, audit.snapshot(need, NEED_FIELDS))
    if a:
        _event(need, "edit", actor, now or utcnow(), text=", ".join(sorted(a)))
        audit.record(actor, "update", need, before=b, after=a,
                     summary=f"修改融资需求 {_ref(need)}")
    return need


def push_need(need: FinancingNeed, banks: list[Unit], actor,
              now: datetime | None = None) -> list[BankResponse]:
    """Put ``need`` on the 推荐清单 of each of ``banks`` (those it is not on yet).

    Only with the enterprise's consent: without it nothing is sent to any bank.
    """
    now = now or utcnow()
    if need.state != "open":
        raise FinancingError(_l("Only an open need can be pushed to banks."))
    if not need.has_consent:
        raise FinancingError(_l("The enterprise has not agreed that its data may be sent "
                                "to banks: record its consent first."))
    if any(b.kind != "bank" or not b.is_active for b in banks):
        raise FinancingError(_l("Choose active banks only."))
    already = set(db.session.scalars(select(BankResponse.bank_id)
                                     .where(BankResponse.need_id == need.id)))
    due_at, warn_at = deadlines.step_deadline(now, "accept")
    added = []
    for bank in banks:
        if bank.id in already:
            continue
        response = BankResponse(need_id=need.id, bank_id=bank.id, state="pushed",
                                pushed_by_id=actor.id, pushed_at=now, due_at=due_at,
                                warn_at=warn_at)
        db.session.add(response)
        added.append((bank, response))
    db.session.flush()
    managers = bank_manager_ids(b.id for b, _r in added)
    for bank, response in added:
        _event(need, "push", actor, now, response=response, to_state="pushed", text=bank.name)
        notify(managers[bank.id], "financing_pushed", zh(_l(
            "A financing need was pushed to your bank: %(ref)s. Please accept it by %(due)s.",
            ref=_ref(need), due=deadlines.dl.to_local(due_at).strftime("%Y-%m-%d %H:%M"))),
            link=f"/financing/bank/{response.id}")
    if added:
        audit.record(actor, "push", need, after={"banks": [b.name for b, _r in added]},
                     summary=f"推送融资需求 {_ref(need)} → {'、'.join(b.name for b, _r in added)}")
    return [r for _b, r in added]


def close_need(need: FinancingNeed, reason: str, note: str | None, actor,
               now: datetime | None = None) -> FinancingNeed:
    """Close an open need with a reason; banks still working on it are told (withdrawn)."""
    now = now or utcnow()
    if need.state != "open":
        raise FinancingError(_l("This need is closed already."))
    if reason not in CLOSE_REASONS:
        raise FinancingError(_l("Choose a reason from the list."))
    need.state, need.close_reason, need.close_note, need.closed_at = "closed", reason, note, now
    open_rows = list(db.session.scalars(select(BankResponse).where(
        BankResponse.need_id == need.id, BankResponse.state.in_(CLOCK_STATES))))
    managers = bank_manager_ids(r.bank_id for r in open_rows)
    for row in open_rows:
        _event(need, "withdraw", actor, now, response=row, from_state=row.state,
               to_state="withdrawn")
        row.state, row.due_at, row.warn_at = "withdrawn", None, None
        notify(managers[row.bank_id], "financing_withdrawn", zh(_l(
            "The financing need %(ref)s was closed; no further answer is needed.",
            ref=_ref(need))), link=f"/financing/bank/{row.id}")
    db.session.flush()
    _event(need, "close", actor, now, from_state="open", to_state="closed",
           text=f"{zh(CLOSE_REASONS[reason])} {note or ''}".strip())
    audit.record(actor, "close", need, after={"reason": reason, "note": note},
                 summary=f"关闭融资需求 {_ref(need)}")
    return need


def disbursed_total(need: FinancingNeed) -> Decimal:
    """Loans disbursed on ``need`` by all banks, 万元."""
    return db.session.scalar(
        select(func.coalesce(func.sum(BankResponse.disbursed_amount), 0))
        .where(BankResponse.need_id == need.id, BankResponse.state == "disbursed")) or Decimal(0)


def _settle(need: FinancingNeed, actor, now: datetime) -> None:
    """Mark ``need`` met once the loans disbursed cover the amount asked."""
    if need.state == "open" and disbursed_total(need) >= need.amount:
        need.state, need.closed_at = "met", now
        _event(need, "met", actor, now, from_state="open", to_state="met")
        notify(coordinator_ids(), "financing_met", zh(_l(
            "The financing need %(ref)s is met: the loans disbursed cover it.",
            ref=_ref(need))), link=f"/financing/{need.id}")


# -- the bank's answer -------------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    """One step a bank records: from which states, to which, and what it changes."""

    name: str
    label: object
    sources: tuple[str, ...]
    target: str
    apply: Callable[[BankResponse, dict, datetime], None]
    # The step the bank owes afterwards (its clock starts now); "same": the running
    # clock goes on (due diligence is part of deciding); None: the bank's part is done.
    next_step: str | None


def _accept(r, data, now):
    r.accepted_at = now


def _diligence(r, data, now):
    r.diligence_at = now


def _grant(r, data, now):
    amount, rate = data.get("amount"), data.get("rate")
    if amount is None or amount <= 0:
        raise FinancingError(_l("Enter the amount of credit granted."))
    if rate is None or not (0 < rate < 36):
        raise FinancingError(_l("Enter the annual interest rate (per cent)."))
    r.granted_at, r.granted_amount, r.rate = now, amount, rate


def _disburse(r, data, now):
    amount, on = data.get("amount"), data.get("on")
    if amount is None or amount <= 0:
        raise FinancingError(_l("Enter the amount disbursed."))
    if on is None:
        raise FinancingError(_l("Enter the date of disbursement."))
    if amount > r.granted_amount:
        raise FinancingError(_l("The amount disbursed is more than the credit granted."))
    if on < deadlines.dl.local_date(r.granted_at) or on > deadlines.dl.local_date(now):
        raise FinancingError(_l("The date of disbursement lies between the grant and today."))
    r.disbursed_at, r.disbursed_amount, r.disbursed_on = now, amount, on


def _decline(r, data, now):
    reason = data.get("reason")
    if reason not in DECLINE_REASONS:
        raise FinancingError(_l("Choose a reason from the list."))
    if reason == "other" and not (data.get("note") or "").strip():
        raise FinancingError(_l("Say why the need was declined."))
    r.declined_at, r.decline_reason, r.decline_note = now, reason, data.get("note") or None


ACTIONS = {a.name: a for a in (
    Action("accept", _l("Accept"), ("pushed",), "accepted", _accept, "decide"),
    Action("diligence", _l("Start due diligence"), ("accepted",), "diligence", _diligence,
           "same"),
    Action("grant", _l("Grant credit"), ("accepted", "diligence"), "granted", _grant,
           "disburse"),
    Action("disburse", _l("Record disbursement"), ("granted",), "disbursed", _disburse, None),
    Action("decline", _l("Decline"), ("pushed", "accepted", "diligence", "granted"),
           "declined", _decline, None),
)}


def actions_for(response: BankResponse, need: FinancingNeed | None = None) -> list[Action]:
    """The actions the bank may record on ``response`` now."""
    need = need or db.session.get(FinancingNeed, response.need_id)
    if need.state == "closed":
        return []
    return [a for a in ACTIONS.values() if response.state in a.sources]


def can_answer(user, response: BankResponse) -> bool:
    """Only an account manager of the bank the need was pushed to answers it."""
    return user.has_role("bank") and user.unit_id == response.bank_id


def answer(response: BankResponse, action: str, actor, data: dict | None = None,
           now: datetime | None = None) -> BankResponse:
    """Record the bank's step ``action`` on ``response`` (the state machine's only
    writer). Raises FinancingError when the step is not allowed now."""
    now = now or utcnow()
    data = data or {}
    need = db.session.get(FinancingNeed, response.need_id)
    act = ACTIONS.get(action)
    if act is None or act not in actions_for(response, need):
        raise FinancingError(_l("This step is not possible in the current state."))
    if not can_answer(actor, response):
        raise FinancingError(_l("Only the bank the need was pushed to can answer it."))
    act.apply(response, data, now)
    before = response.state
    response.state = act.target
    if act.next_step is None:
        response.due_at = response.warn_at = None
    elif act.next_step != "same":
        response.due_at, response.warn_at = deadlines.step_deadline(now, act.next_step)
    db.session.flush()
    text = data.get("note") if action != "decline" else (
        f"{zh(DECLINE_REASONS[data['reason']])} {data.get('note') or ''}".strip())
    if action == "grant":
        text = f"{wan(response.granted_amount)} 万元 {wan(response.rate)}%"
    elif action == "disburse":
        text = f"{wan(response.disbursed_amount)} 万元 {response.disbursed_on.isoformat()}"
    _event(need, action, actor, now, response=response, from_state=before,
           to_state=act.target, text=text)
    audit.record(actor, action, response, after=audit.snapshot(response, (
        "state", "granted_amount", "rate", "disbursed_amount", "disbursed_on",
        "decline_reason")), summary=f"银行答复 {_ref(need)}: {act.target}")
    if action in ("grant", "disburse", "decline"):
        notify(coordinator_ids(), f"financing_{action}", zh(_l(
            "%(bank)s answered the financing need %(ref)s: %(state)s.",
            bank=db.session.get(Unit, response.bank_id).name, ref=_ref(need),
            state=RESPONSE_STATES[act.target])), link=f"/financing/{need.id}")
    if action == "disburse":
        _settle(need, actor, now)
    db.session.flush()
    return response
