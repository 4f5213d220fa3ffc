"""Every figure of the unit scorecard opens exactly the problems it counts.

The ranking page's unit rows (this month and the year to date) show for each figure
its count, or a rate's numerator and base; each is a link to the problem list, and the
list holds exactly that many problems ("共 N 件问题"). The data is a month of work made
through the workflow (``tests.meetings.test_figure_links``), plus a follow-up call that
contradicted a rating and an upheld appeal, so that the verified satisfaction differs
from the raw ratings. The page costs the same number of statements at two data sizes,
within the budget.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from crm.core.timeutil import to_local, utcnow
from crm.extensions import db
from crm.issues.appeals import Appeal
from crm.issues.followups import FollowUp
from crm.issues.models import Issue
from crm.meetings import scorecards
from tests import factories
from tests.conftest import count_queries
from tests.issues.conftest import utc
from tests.meetings.test_figure_links import listed, month_of_work  # noqa: F401 (fixture)
from tests.meetings.test_scorecards import _unit_with_a_month

RATES = {n for n, (_label, kind) in scorecards.FIGURES.items() if kind != "count"}
COUNTS = set(scorecards.FIGURES) - RATES
BUDGET = 12


@dataclass
class CellLink:
    table: str  # "month" or "year"
    unit: str
    figure: str
    part: str  # "count" (a count or a rate's numerator) or "base"
    count: int
    href: str
    text: str = ""


class ScorecardParser(HTMLParser):
    """The figure links of the unit rows of both tables, and every figure cell that
    shows a number (to check that none is left without a link)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[CellLink] = []
        self.cells: list[tuple[str, str, str]] = []  # (table, unit, figure) with a number
        self.table = self.unit = self.cell = None
        self.current = None
        self.cell_text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        testid = a.get("data-testid", "")
        if tag == "table" and testid.startswith("scorecard-"):
            self.table = testid.removeprefix("scorecard-")
        if tag == "tr" and "data-unit" in a:
            self.unit = a["data-unit"]
        if tag == "td" and "data-figure" in a and self.unit:
            self.cell, self.cell_text = a["data-figure"], ""
        if tag == "a" and "data-figure" in a and self.table:
            self.current = CellLink(self.table, self.unit, a["data-figure"], a["data-part"],
                                    int(a["data-count"]), unescape(a["href"]))
            self.links.append(self.current)

    def handle_data(self, data):
        if self.current is not None:
            self.current.text += data
        if self.cell is not None:
            self.cell_text += data

    def handle_endtag(self, tag):
        if tag == "a":
            self.current = None
        if tag == "td" and self.cell is not None:
            if self.cell_text.strip() != "—":
                self.cells.append((self.table, self.unit, self.cell))
            self.cell = None
        if tag == "table":
            self.table = None


def parse(html: str) -> ScorecardParser:
    parser = ScorecardParser()
    parser.feed(html)
    return parser


def reconcile(client, html: str) -> dict[tuple[str, str, str, str], int]:
    """Follow every figure link of every unit row and hold the list's count to the
    figure; every figure cell with a number links its count (and a rate its base).
    Returns {(table, unit, figure, part): count}."""
    page = parse(html)
    assert page.links, "no figure links on the scorecard"
    seen: dict[str, int] = {}
    for link in page.links:
        assert link.text.strip() == str(link.count), link
        if link.href not in seen:
            seen[link.href] = listed(client, link.href)
        assert seen[link.href] == link.count, (link, seen[link.href])
    parts = {(lk.table, lk.unit, lk.figure, lk.part): lk.count for lk in page.links}
    for table, unit, figure in page.cells:
        assert (table, unit, figure, "count") in parts, (table, unit, figure)
        if figure in RATES:
            assert (table, unit, figure, "base") in parts, (table, unit, figure)
    return parts


def _verify_and_appeal(county):
    """A follow-up call contradicts one rating of 5 (the enterprise says it is not
    satisfied) and an upheld appeal takes out one rating of 1–2: both change the
    verified satisfaction the scorecard counts."""
    rated = db.session.scalars(select(Issue).where(Issue.rating.is_not(None))
                               .order_by(Issue.rated_at)).all()
    good = next(i for i in rated if i.rating >= 4)
    db.session.add(FollowUp(issue_id=good.id, source="sample", rating=good.rating,
                            rating_channel=good.rating_channel, rated_at=good.rated_at,
                            due_at=good.rated_at + timedelta(days=2),
                            done_at=good.rated_at + timedelta(days=1), is_reached=True,
                            verdict="dissatisfied", is_contradiction=True))
    low = next((i for i in rated if i.rating <= 3 and i is not good), None)
    if low is not None:
        db.session.add(Appeal(issue_id=low.id, unit_id=low.lead_unit_id, rating=low.rating,
                              rated_at=low.rated_at, reason="企业误评", evidence="通话录音",
                              filed_by_id=county.coordinator.id, state="upheld",
                              filed_at=low.rated_at, decided_at=low.rated_at,
                              decided_by_id=county.coordinator.id, decision="属实"))
    db.session.commit()
    return good


def test_every_scorecard_figure_opens_exactly_the_problems_it_counts(client, login_as,
                                                                      month_of_work):
    county = month_of_work
    good = _verify_and_appeal(county)
    login_as(county.coordinator)
    html = client.get("/meetings/scorecards").get_data(as_text=True)
    parts = reconcile(client, html)
    units = {u.name for u in county.units}
    for table in ("month", "year"):
        rows = {unit for (t, unit, _f, _p) in parts if t == table}
        assert rows == units, (table, rows)
    # Nothing above is vacuous: the year has a bit of every figure.
    year = {}
    for (t, _unit, figure, part), n in parts.items():
        if t == "year":
            year[(figure, part)] = year.get((figure, part), 0) + n
    for figure in scorecards.FIGURES:
        assert year[(figure, "count")] > 0, figure
    # The contradicted 5 is not satisfied: the verified numerator leaves it out.
    unit = next(u for u in county.units if u.id == good.lead_unit_id)
    link = next(lk for lk in parse(html).links if lk.table == "year" and lk.unit == unit.name
                and lk.figure == "satisfaction_rate" and lk.part == "count")
    assert good.number not in client.get(link.href).get_data(as_text=True)
    base = next(lk for lk in parse(html).links if lk.table == "year" and lk.unit == unit.name
                and lk.figure == "satisfaction_rate" and lk.part == "base")
    assert good.number in client.get(base.href).get_data(as_text=True)
    # Last month (finished) reconciles too.
    last = to_local(county.anchor).date().replace(day=1) - timedelta(days=1)
    html = client.get(f"/meetings/scorecards?month={last:%Y-%m}").get_data(as_text=True)
    reconcile(client, html)


def test_the_hand_computed_example_opens_its_problems(app, client, login_as):
    unit, _handler, _good = _unit_with_a_month()
    db.session.commit()
    login_as("coordinator")
    html = client.get("/meetings/scorecards?month=2026-11").get_data(as_text=True)
    parts = reconcile(client, html)
    got = {(f, p): n for (t, u, f, p), n in parts.items() if t == "month" and u == unit.name}
    assert got == {
        ("sign_rate", "count"): 3, ("sign_rate", "base"): 4,
        ("on_time_rate", "count"): 1, ("on_time_rate", "base"): 2,
        ("return_rate", "count"): 1, ("return_rate", "base"): 4,
        ("overdue", "count"): 3,
        ("reopen_rate", "count"): 1, ("reopen_rate", "base"): 2,
        # The 2 a follow-up call found satisfied counts as satisfied.
        ("satisfaction_rate", "count"): 2, ("satisfaction_rate", "base"): 2,
        ("supervised", "count"): 1,
    }
    # The list says what it was filtered by.
    overdue = next(lk for lk in parse(html).links if lk.table == "month"
                   and lk.unit == unit.name and lk.figure == "overdue")
    page = client.get(overdue.href).get_data(as_text=True)
    assert "办结超期或期末仍超期" in re.sub(r"\s+", "", page)


def _populate(n: int, units, ent, who):
    """``n`` problems per unit of every kind the scorecard counts."""
    for unit in units:
        handler = factories.user(["handler"], unit=unit)
        for k in range(n):
            d = utc(2026, 11, 2 + k % 20, 2)
            closed = factories.issue(
                ent, who, state="closed", lead_unit_id=unit.id, dispatched_at=d,
                sign_due_at=d + timedelta(days=1), signed_at=d + timedelta(hours=2),
                due_at=d + timedelta(days=7), resolved_at=d + timedelta(days=3),
                resolved_on_time=True, rating=1 + k % 5, rated_at=d + timedelta(days=4),
                closed_at=d + timedelta(days=4), rating_channel="self")
            late = factories.red_issue(ent, who, lead_unit_id=unit.id, dispatched_at=d,
                                       sign_due_at=d + timedelta(days=1))
            factories.issue_event(late, "supervise", at=d + timedelta(days=2))
            factories.issue_event(late, "return", at=d + timedelta(hours=1), actor=handler)
            db.session.add(FollowUp(issue_id=closed.id, source="sample", rating=closed.rating,
                                    rated_at=closed.rated_at, due_at=d + timedelta(days=6),
                                    done_at=d + timedelta(days=5), is_reached=True,
                                    verdict="satisfied", is_contradiction=closed.rating < 3))
    db.session.commit()


def test_the_scorecard_costs_the_same_at_two_sizes(app, client, login_as):
    units = [factories.unit(f"市第{n}局") for n in range(3)]
    who = factories.user(["commissioner"])
    ent = factories.enterprise()
    db.session.commit()
    login_as("coordinator")

    def cost():
        with count_queries() as q:
            response = client.get("/meetings/scorecards?month=2026-11")
        assert response.status_code == 200
        return q.count

    _populate(1, units, ent, who)
    small = cost()
    _populate(6, units + [factories.unit("市第9局")], ent, who)
    large = cost()
    print(f"\nscorecard page: {small} statements (small), {large} (large)")
    assert small == large and large <= BUDGET, (small, large)


@pytest.mark.parametrize("query", [
    "returned_by=abc", "return_base=-1", "overdue_to=2026-13-01", "signed=maybe",
    "verified=1", "returned_from=yesterday",
])
def test_a_scorecard_filter_the_list_cannot_read_is_left_out_not_a_500(client, login_as,
                                                                        app, query):
    login_as("coordinator")
    response = client.get(f"/problems/?{query}")
    assert response.status_code == 200
    assert "部分筛选条件无法识别" in response.get_data(as_text=True)


def test_signed_on_time_and_late_split_the_dispatched(app, client, login_as):
    unit, _handler, _good = _unit_with_a_month()
    db.session.commit()
    login_as("coordinator")
    base = f"/problems/?dispatched_from=2026-11-01&dispatched_to=2026-11-30&lead_unit={unit.id}"
    counts = [listed(client, base + extra) for extra in ("", "&signed=on_time", "&signed=late")]
    assert counts == [4, 3, 1]


@pytest.mark.parametrize("kind", ["joint", "review"])
def test_the_packets_rows_count_what_their_lists_hold(client, login_as, month_of_work, kind):
    """The monthly packet and the quarterly review print each unit's breakdown (no links
    in a PDF): every count, numerator and base printed equals the problem list of the
    same set for the packet's period (last month; the last finished quarter)."""
    from datetime import date
    from types import SimpleNamespace

    county = month_of_work
    _verify_and_appeal(county)
    login_as(county.coordinator)
    anchor = to_local(county.anchor).date()
    if kind == "joint":
        b = anchor.replace(day=1) - timedelta(days=1)
        a = b.replace(day=1)
    else:
        b = date(anchor.year, 3 * ((anchor.month - 1) // 3) + 1, 1) - timedelta(days=1)
        a = date(b.year, b.month - 2, 1)
    section = scorecards._packet(SimpleNamespace(period_start=a, period_end=b), utcnow())
    checked = 0
    for card in (section or {}).get("cards", []):
        for figure, part in card.parts.items():
            if part.value is None:
                continue
            for which, n in ((0, part.num), (1, part.den)):
                args = scorecards.link_args(figure, which, card.unit_id, a, b)
                if args is None:
                    continue
                query = "&".join(f"{k}={v}" for k, v in args.items())
                assert listed(client, f"/problems/?{query}") == n, (card.unit, figure, which)
                checked += 1
    assert checked > 0, (kind, a, b)
