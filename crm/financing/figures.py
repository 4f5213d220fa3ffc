"""The figures of 政银企, defined once: needs registered and amount asked, needs pushed to
banks, granted and disbursed (count of needs and amount), for a month and the year to
date, by bank and by town. Each figure has the filter of the need list that shows
exactly the needs it counts (``link_filters``).

Definitions (a period is local dates ``start``..``end``):

* needs / asked — needs registered in the period (``raised_at``), their amount;
* pushed — needs put on a bank's 推荐清单 in the period (``pushed_at``); by bank: to that
  bank;
* granted — needs a bank granted credit to in the period (``granted_at``, state
  已授信 or 已放款), and the credit granted;
* disbursed — needs a bank disbursed a loan to in the period (``disbursed_at``), and the
  amount disbursed.

A need pushed to (granted by) two banks counts once in the county's and the town's
numbers and once for each bank. Amounts are 万元.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, and_, case, cast, exists, func, literal, null, select, union_all
from sqlalchemy.orm import aliased

from crm.auth.models import Unit
from crm.core.timeutil import to_utc
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.financing.models import BankResponse, FinancingNeed

STAGES = ("pushed", "granted", "disbursed")
STAGE_LABELS = {"pushed": _l("Pushed to banks"), "granted": _l("Credit granted"),
                "disbursed": _l("Loan disbursed")}
SCOPES = ("month", "year")


@dataclass
class Cell:
    """One count of needs and its amount."""

    count: int = 0
    amount: Decimal = Decimal(0)


@dataclass
class Row:
    """The figures of one bank, one town or the county: ``cells[scope][figure]``."""

    key: int | None
    label: str
    cells: dict = field(default_factory=lambda: {s: {} for s in SCOPES})

    def get(self, scope: str, figure: str) -> Cell:
        return self.cells[scope].get(figure, Cell())


@dataclass
class Figures:
    """The county total, the banks and the towns for a month and the year to date."""

    month: tuple[date, date]
    year: tuple[date, date]
    total: Row
    banks: list[Row]
    towns: list[Row]

    @property
    def empty(self) -> bool:
        return not any(self.total.get("year", f).count for f in ("needs",) + STAGES)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) local, as naive UTC."""
    return (to_utc(datetime.combine(start, time.min)),
            to_utc(datetime.combine(date.fromordinal(end.toordinal() + 1), time.min)))


def _in(column, bounds):
    return and_(column >= bounds[0], column < bounds[1])


def _columns(scopes: dict) -> list:
    """count(distinct need) and sum(amount) per stage and scope, for a response query."""
    cols = []
    for scope, bounds in scopes.items():
        for stage, when, amount in (
                ("pushed", BankResponse.pushed_at, FinancingNeed.amount),
                ("granted", BankResponse.granted_at, BankResponse.granted_amount),
                ("disbursed", BankResponse.disbursed_at, BankResponse.disbursed_amount)):
            cond = _in(when, bounds)
            if stage == "granted":
                cond = cond & BankResponse.state.in_(("granted", "disbursed"))
            elif stage == "disbursed":
                cond = cond & (BankResponse.state == "disbursed")
            cols.append(func.count(func.distinct(case((cond, BankResponse.need_id)))).label(
                f"{scope}_{stage}_n"))
            cols.append(func.coalesce(func.sum(case((cond, amount))), 0).label(
                f"{scope}_{stage}_a"))
    return cols


def _pushed(bounds):
    """The need was put on some bank's list within ``bounds`` (correlated EXISTS)."""
    return exists().where(BankResponse.need_id == FinancingNeed.id,
                          _in(BankResponse.pushed_at, bounds))


def _need_columns(scopes: dict) -> list:
    """Per scope: needs registered (count, amount asked) and needs pushed — each need
    once, however many banks it went to (count, amount asked)."""
    cols = []
    for scope, bounds in scopes.items():
        for figure, cond in (("needs", _in(FinancingNeed.raised_at, bounds)),
                             ("pushed", _pushed(bounds))):
            cols.append(func.count(case((cond, FinancingNeed.id))).label(
                f"need_{scope}_{figure}_n"))
            cols.append(func.coalesce(func.sum(case((cond, FinancingNeed.amount))), 0).label(
                f"need_{scope}_{figure}_a"))
    return cols


def _fill(row: Row, data, figures, prefix: str = "") -> None:
    for scope in SCOPES:
        for figure in figures:
            n = getattr(data, f"{prefix}{scope}_{figure}_n")
            a = getattr(data, f"{prefix}{scope}_{figure}_a")
            row.cells[scope][figure] = Cell(int(n or 0), Decimal(a or 0))


def compute(month_start: date, month_end: date) -> Figures:
    """The figures of the month ``month_start``..``month_end`` and of its year up to
    ``month_end`` — in one statement whatever the number of needs, banks and towns
    (the county, the banks and the towns of both sides in one UNION ALL)."""
    year_start = month_start.replace(month=1, day=1)
    scopes = {"month": _bounds(month_start, month_end), "year": _bounds(year_start, month_end)}
    since = scopes["year"][0]
    touched = (BankResponse.pushed_at >= since) | (BankResponse.granted_at >= since) | (
        BankResponse.disbursed_at >= since)
    bank_unit, town_unit = aliased(Unit), aliased(Unit)
    no_key, no_name = cast(null(), Integer), cast(null(), String)

    def responses():
        return (select().select_from(BankResponse)
                .join(FinancingNeed, FinancingNeed.id == BankResponse.need_id)
                .join(Enterprise, Enterprise.id == FinancingNeed.enterprise_id)
                .where(touched))

    def needs():
        return (select().select_from(FinancingNeed)
                .join(Enterprise, Enterprise.id == FinancingNeed.enterprise_id)
                .where((FinancingNeed.raised_at >= since) | _pushed((since, datetime.max))))

    resp_cols, need_cols = _columns(scopes), _need_columns(scopes)
    # One statement: the responses' side and the needs' side share the columns, each
    # filling the other's with zeros ("kind" t/b/w: county, bank, town; n/m: the needs'
    # county and towns).
    zero = [literal(0).label(c.name) for c in need_cols]
    zero_resp = [literal(0).label(c.name) for c in resp_cols]
    rows = db.session.execute(union_all(
        responses().add_columns(literal("t").label("kind"), no_key.label("key"),
                                no_name.label("name"), *resp_cols, *zero),
        responses().join(bank_unit, bank_unit.id == BankResponse.bank_id).add_columns(
            literal("b"), BankResponse.bank_id, bank_unit.name, *resp_cols, *zero)
        .group_by(BankResponse.bank_id, bank_unit.name),
        responses().outerjoin(town_unit, town_unit.id == Enterprise.town_id).add_columns(
            literal("w"), Enterprise.town_id, town_unit.name, *resp_cols, *zero)
        .group_by(Enterprise.town_id, town_unit.name),
        needs().add_columns(literal("n"), no_key, no_name, *zero_resp, *need_cols),
        needs().outerjoin(town_unit, town_unit.id == Enterprise.town_id).add_columns(
            literal("m"), Enterprise.town_id, town_unit.name, *zero_resp, *need_cols)
        .group_by(Enterprise.town_id, town_unit.name))).all()
    resp_rows = [r for r in rows if r.kind in ("t", "b", "w")]
    need_rows = [r for r in rows if r.kind in ("n", "m")]

    total, banks, towns = Row(None, ""), [], {}
    for data in resp_rows:
        if data.kind == "t":
            _fill(total, data, STAGES)
        elif data.kind == "b":
            row = Row(data.key, data.name or "—")
            _fill(row, data, STAGES)
            banks.append(row)
        else:
            row = towns.setdefault(data.key, Row(data.key, data.name or "—"))
            _fill(row, data, STAGES)
    # The county's and the towns' "pushed" count each need once (from the needs' side).
    for data in need_rows:
        row = total if data.kind == "n" else towns.setdefault(
            data.key, Row(data.key, data.name or "—"))
        _fill(row, data, ("needs", "pushed"), "need_")
    return Figures((month_start, month_end), (year_start, month_end), total,
                   sorted(banks, key=lambda r: r.label),
                   sorted(towns.values(), key=lambda r: r.label))


def link_filters(figure: str, scope: str, figures: Figures, *, bank: int | None = None,
                 town: int | None = None) -> dict:
    """The need list's filters that show exactly what ``figure`` counts."""
    start, end = figures.month if scope == "month" else figures.year
    out = {"state": "all", "date_from": start.isoformat(), "date_to": end.isoformat()}
    if figure != "needs":
        out["stage"] = figure
    if bank:
        out["bank"] = bank
    if town:
        out["town"] = town
    return out
