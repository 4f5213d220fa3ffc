"""Where other pages offer a financing step: the visit that recorded 资金紧张 or a 融资
factor offers "登记融资需求", prefilled. Visits live above this package, so their tables
are read by name (``db.metadata``), never imported."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import literal, null, select, union_all

from crm.extensions import db
from crm.financing import permissions
from crm.financing.models import FinancingNeed

FUNDING_FLAG = "funding"     # health flag 资金紧张 / 融资需求 (crm.liaisons.models)
FINANCE_FACTOR = "finance"   # 送要素: 融资 (crm.liaisons.models.FACTORS)


class _Ref:
    """An enterprise known by id only (for ``permissions.can_raise_for``)."""

    def __init__(self, id_: int):
        self.id = id_


def visit_signals(visit_id: int) -> tuple[bool, str | None]:
    """(whether the visit recorded a financing signal, the 融资 factor's note), in one
    statement: it runs on every visit submit."""
    tables = db.metadata.tables
    factors = tables["visit_factors"]
    parts = [select(literal("factor").label("kind"), factors.c.note.label("note")).where(
        factors.c.visit_id == visit_id, factors.c.factor == FINANCE_FACTOR)]
    if "visit_flags" in tables:
        flags = tables["visit_flags"]
        parts.append(select(literal("flag").label("kind"), null().label("note")).where(
            flags.c.visit_id == visit_id, flags.c.flag == FUNDING_FLAG))
    rows = db.session.execute(union_all(*parts) if len(parts) > 1 else parts[0]).all()
    note = next((r.note for r in rows if r.kind == "factor"), None)
    return bool(rows), note


def visit_offer(visit, user) -> str | None:
    """The link to register a financing need from ``visit`` (enterprise, visit and the
    factor's note filled in), or None: no financing signal on the visit, a need from it
    exists already, or ``user`` may not raise one for the enterprise."""
    if visit is None or visit.id is None:
        return None
    # The signal first: most visits carry none, and then this costs one statement.
    signal, note = visit_signals(visit.id)
    if not signal:
        return None
    if not permissions.can_raise_for(user, _Ref(visit.enterprise_id)):
        return None
    if db.session.scalar(select(FinancingNeed.id).where(FinancingNeed.visit_id == visit.id)
                         .limit(1)) is not None:
        return None
    args = {"enterprise_id": visit.enterprise_id, "visit_id": visit.id}
    if note:
        args["note"] = note[:500]
    return url_for("financing.new", **args)
