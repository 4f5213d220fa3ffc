"""Financing needs (融资需求) and the banks' answers (银行答复).

A bank is a ``Unit`` of kind ``bank``; its account managers (role ``bank``) belong to
it. A need is pushed to one or more banks, each push is a ``BankResponse`` with its own
state and deadline. Only ``crm.financing.services`` assigns states.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    case,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.timeutil import utcnow
from crm.extensions import db

PURPOSES = {
    "working_capital": _l("Working capital"),
    "upgrade": _l("Technical upgrade"),
    "project": _l("Project construction"),
    "other": _l("Other purpose"),
}
OFFERS = {
    "mortgage": _l("Mortgage"),
    "guarantee": _l("Guarantee"),
    "credit": _l("Credit (no collateral)"),
    "receivables": _l("Accounts receivable"),
    "ip": _l("Intellectual property"),
}
# What counts as collateral for the 银税互动 flag (a credit loan needs none of it).
COLLATERAL = {"mortgage", "guarantee", "receivables", "ip"}
TAX_GRADES = ("A", "B", "M", "C", "D")
URGENCIES = {"normal": _l("Normal"), "soon": _l("Soon"), "urgent": _l("Urgent")}
SOURCES = {"coordinator": _l("Coordinator"), "enterprise_page": _l("Enterprise page"),
           "visit": _l("Visit"), "enterprise": _l("The enterprise itself")}

NEED_STATES = {"open": _l("Open"), "met": _l("Met"), "closed": _l("Closed")}
CLOSE_REASONS = {
    "withdrawn": _l("Withdrawn by the enterprise"),
    "self_funded": _l("Solved by other means"),
    "not_eligible": _l("Not eligible for any bank"),
    "partly_met": _l("Partly met, enterprise satisfied"),
    "other": _l("Other reason"),
}

RESPONSE_STATES = {
    "pushed": _l("Pushed, awaiting acceptance"),
    "accepted": _l("Accepted"),
    "diligence": _l("Due diligence"),
    "granted": _l("Credit granted"),
    "disbursed": _l("Loan disbursed"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
}
# States in which the bank still owes the next step (its clock runs).
CLOCK_STATES = ("pushed", "accepted", "diligence", "granted")
DECLINE_REASONS = {
    "credit_record": _l("Credit record"),
    "collateral": _l("Insufficient collateral"),
    "operations": _l("Operating condition"),
    "industry": _l("Industry policy"),
    "debt": _l("Debt ratio too high"),
    "documents": _l("Incomplete documents"),
    "enterprise": _l("Enterprise gave up"),
    "other": _l("Other reason"),
}


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class FinancingNeed(db.Model):
    """One enterprise's financing need as it states it (融资需求)."""

    __tablename__ = "financing_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"),
                                               index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # 万元
    purpose: Mapped[str] = mapped_column(String(20))
    term_months: Mapped[int]
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    offers: Mapped[str] = mapped_column(String(100), default="")  # comma-separated OFFERS
    tax_grade: Mapped[Optional[str]] = mapped_column(String(1))
    tax_paid: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))  # 万元, last year
    has_consent: Mapped[bool] = mapped_column(default=False)
    note: Mapped[Optional[str]] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="coordinator")
    visit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"),
                                                    index=True)
    state: Mapped[str] = mapped_column(String(10), default="open", index=True)
    close_reason: Mapped[Optional[str]] = mapped_column(String(20))
    close_note: Mapped[Optional[str]] = mapped_column(String(500))
    raised_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    closed_at: Mapped[Optional[datetime]]

    enterprise = relationship("Enterprise", lazy="raise_on_sql")
    raised_by = relationship("User", lazy="raise_on_sql")
    responses: Mapped[list["BankResponse"]] = relationship(
        back_populates="need", order_by="BankResponse.id", lazy="raise_on_sql")

    __table_args__ = (
        CheckConstraint(f"purpose IN ({_in(PURPOSES)})", name="purpose"),
        CheckConstraint(f"urgency IN ({_in(URGENCIES)})", name="urgency"),
        CheckConstraint(f"state IN ({_in(NEED_STATES)})", name="state"),
        CheckConstraint(f"tax_grade IS NULL OR tax_grade IN ({_in(TAX_GRADES)})",
                        name="tax_grade"),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("term_months > 0", name="term"),
        CheckConstraint("(state = 'open') = (closed_at IS NULL)", name="closed"),
        # The needs list: a state's needs newest first, a page read from the index.
        Index("ix_financing_needs_state_raised", "state", "raised_at", "id"),
    )

    @property
    def offer_codes(self) -> list[str]:
        """What the enterprise can offer, as codes."""
        return [c for c in (self.offers or "").split(",") if c]

    @property
    def credit_loan_flag(self) -> bool:
        """银税互动: 纳税信用 A or B and no collateral offered → a credit-loan candidate."""
        return self.tax_grade in ("A", "B") and not (set(self.offer_codes) & COLLATERAL)

    @classmethod
    def credit_loan_expr(cls):
        """The same flag in SQL (for filters and counts)."""
        cond = cls.tax_grade.in_(("A", "B"))
        for code in sorted(COLLATERAL):
            cond = cond & ~cls.offers.contains(code)
        return cond


class BankResponse(db.Model):
    """A need pushed to one bank and that bank's answer: 已受理 → 尽调中 → 已授信 →
    已放款, or 未通过. ``due_at``/``warn_at`` are the deadline of the step the bank owes
    now; the light is derived from them (``light_expr``), never stored."""

    __tablename__ = "bank_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("financing_needs.id", ondelete="CASCADE"),
                                         index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), default="pushed", index=True)
    pushed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    pushed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    accepted_at: Mapped[Optional[datetime]]
    diligence_at: Mapped[Optional[datetime]]
    granted_at: Mapped[Optional[datetime]]
    granted_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))  # 万元
    rate: Mapped[Optional[Decimal]] = mapped_column(Numeric(6, 3))  # annual %, e.g. 3.450
    disbursed_at: Mapped[Optional[datetime]]
    disbursed_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))
    disbursed_on: Mapped[Optional[date]]
    declined_at: Mapped[Optional[datetime]]
    decline_reason: Mapped[Optional[str]] = mapped_column(String(20))
    decline_note: Mapped[Optional[str]] = mapped_column(String(500))
    due_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    warn_at: Mapped[Optional[datetime]]
    version: Mapped[int] = mapped_column(default=1)

    need: Mapped[FinancingNeed] = relationship(back_populates="responses", lazy="raise_on_sql")
    bank = relationship("Unit", lazy="raise_on_sql")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("need_id", "bank_id"),
        CheckConstraint(f"state IN ({_in(RESPONSE_STATES)})", name="state"),
        CheckConstraint("state NOT IN ('granted', 'disbursed') OR "
                        "(granted_amount IS NOT NULL AND granted_at IS NOT NULL)",
                        name="granted"),
        CheckConstraint("state <> 'disbursed' OR "
                        "(disbursed_amount IS NOT NULL AND disbursed_on IS NOT NULL)",
                        name="disbursed"),
        CheckConstraint("state <> 'declined' OR decline_reason IS NOT NULL", name="declined"),
    )

    def light(self, now: datetime) -> Optional[str]:
        """green / yellow / red while the bank owes a step, else None."""
        if self.state not in CLOCK_STATES or self.due_at is None:
            return None
        if self.due_at < now:
            return "red"
        if self.warn_at is not None and self.warn_at <= now:
            return "yellow"
        return "green"

    @classmethod
    def light_expr(cls, now: datetime):
        """The same light in SQL."""
        return case(
            (cls.state.notin_(CLOCK_STATES) | cls.due_at.is_(None), None),
            (cls.due_at < now, "red"),
            (cls.warn_at <= now, "yellow"),
            else_="green",
        )


class FinancingEvent(db.Model):
    """The timeline of a need and of its banks' answers: who, when, what."""

    __tablename__ = "financing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("financing_needs.id", ondelete="CASCADE"),
                                         index=True)
    response_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("bank_responses.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[Optional[str]] = mapped_column(String(12))
    to_state: Mapped[Optional[str]] = mapped_column(String(12))
    text: Mapped[Optional[str]] = mapped_column(String(1000))

    actor = relationship("User", lazy="raise_on_sql")


SUPPORT_REASONS = {
    "orders": _l("Orders"),
    "funds": _l("Funds"),
    "materials": _l("Raw materials"),
    "labour": _l("Labour"),
    "energy": _l("Energy use"),
    "environment": _l("Environmental protection"),
    "other": _l("Other reason"),
}
STOPPED_STATUSES = ("halted", "reduced")


class SupportCase(db.Model):
    """停减产帮扶: an enterprise that halted or reduced production — since when, why, and
    the day it resumed. The support measures are not typed twice: they are the
    enterprise's problems, financing needs and policies delivered since ``since``."""

    __tablename__ = "support_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"),
                                               index=True)
    status: Mapped[str] = mapped_column(String(10))   # halted / reduced when opened
    since: Mapped[date]
    reason: Mapped[str] = mapped_column(String(20))
    reason_note: Mapped[Optional[str]] = mapped_column(String(500))
    resumed_on: Mapped[Optional[date]] = mapped_column(index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enterprise = relationship("Enterprise", lazy="raise_on_sql")

    __table_args__ = (
        CheckConstraint(f"reason IN ({_in(SUPPORT_REASONS)})", name="reason"),
        CheckConstraint(f"status IN ({_in(STOPPED_STATUSES)})", name="status"),
        CheckConstraint("resumed_on IS NULL OR resumed_on >= since", name="resumed"),
    )


MATCH_RESULTS = {
    "intent": _l("Intent to lend"),
    "follow_up": _l("To follow up"),
    "no_match": _l("No match"),
}

match_session_banks = db.Table(
    "match_session_banks",
    db.Column("session_id", ForeignKey("match_sessions.id", ondelete="CASCADE"),
              primary_key=True),
    db.Column("bank_id", ForeignKey("units.id"), primary_key=True),
)


class MatchSession(db.Model):
    """政银企座谈会: a matchmaking session of banks and enterprises with open needs."""

    __tablename__ = "match_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(index=True)
    place: Mapped[Optional[str]] = mapped_column(String(200))
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    banks = relationship("Unit", secondary=match_session_banks, lazy="raise_on_sql",
                         order_by="Unit.name")


class MatchInvite(db.Model):
    """An enterprise invited to a session with one of its open needs."""

    __tablename__ = "match_invites"

    session_id: Mapped[int] = mapped_column(ForeignKey("match_sessions.id", ondelete="CASCADE"),
                                            primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("financing_needs.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)

    need = relationship("FinancingNeed", lazy="raise_on_sql")


class MatchOutcome(db.Model):
    """What came of one invited need with one bank at the session."""

    __tablename__ = "match_outcomes"

    session_id: Mapped[int] = mapped_column(ForeignKey("match_sessions.id", ondelete="CASCADE"),
                                            primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("financing_needs.id", ondelete="CASCADE"),
                                         primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    result: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))  # 万元, an intent
    note: Mapped[Optional[str]] = mapped_column(String(300))

    __table_args__ = (
        CheckConstraint(f"result IN ({_in(MATCH_RESULTS)})", name="result"),
    )
