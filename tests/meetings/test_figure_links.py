"""Figures that reconcile: every number of the overview (each top card and every cell
of every unit row) opens the problem list, and the list holds exactly that many
problems; a rate's numerator and base likewise. The month's data is made through the
product's own workflow (``transition`` with an explicit ``now``, the clock frozen at
each step), with problems resolved, rated, reopened and resolved again, returned and
re-dispatched, paused, supervised, extended, closed without a resolution.

Also: a month still running is compared with the same days of the month before (up
to the same time of day) and says so; a finished month with the whole month before;
the monthly packet prints the overview's figures; the cached figures equal a fresh
computation after writes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from crm.core.timeutil import to_local, utcnow
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues import services
from crm.issues.workflow import EnterpriseRater, transition
from crm.meetings import metrics
from crm.meetings.packets import context as packets
from tests import factories

# The figures every unit row and the top cards must link (``metrics.links.SETS``).
ROW_SETS = {"handled", "dispatched", "resolved", "pending", "on_time", "days_count", "rated",
            "satisfied", "redone", "supervised", "overdue_now"}
CARD_SETS = ROW_SETS | {"raised", "rated_self", "visits"}


# -- a month of work through the workflow ------------------------------------------
def make_county():
    """Three units with a handler each, a coordinator, a commissioner and a leader
    with three enterprises."""
    units = [factories.unit("市供电公司"), factories.unit("市人力资源和社会保障局"),
             factories.unit("市自然资源局")]
    handlers = {u.id: factories.user(["handler"], unit=u) for u in units}
    coordinator = factories.user(["coordinator"], username="coordinator",
                                 display_name="周协调")
    commissioner = factories.user(["commissioner"], display_name="陈特派")
    leader = factories.user(["leader"], display_name="李市长")
    enterprises = [factories.enterprise(f"第{n + 1}测试企业有限公司") for n in range(3)]
    for ent in enterprises:
        factories.assignment(ent, commissioner, "commissioner", start=date(2025, 1, 1))
        factories.assignment(ent, leader, "leader_a", start=date(2025, 1, 1))
    db.session.commit()
    return SimpleNamespace(units=units, handlers=handlers, coordinator=coordinator,
                           commissioner=commissioner, leader=leader, enterprises=enterprises)


def ago(days: float, hours: float = 0) -> timedelta:
    return timedelta(days=days, hours=hours)


# Each story: (how long before the anchor, action, data). Units and enterprises go
# round; "redispatch" sends the problem to the next unit.
STORIES = [
    [(ago(58), "raise"), (ago(58, -1), "dispatch"), (ago(57), "sign"),
     (ago(52), "resolve"), (ago(51), "rate", {"rating": 5, "self": True})],
    [(ago(45), "raise"), (ago(44), "dispatch"), (ago(44, -2), "sign"),
     (ago(43), "progress"), (ago(36), "resolve"), (ago(35), "rate", {"rating": 4})],
    [(ago(40), "raise"), (ago(40, -1), "dispatch"), (ago(39), "sign"),
     (ago(30), "resolve"), (ago(29), "rate", {"rating": 1, "self": True}),
     (ago(28), "sign"), (ago(5), "resolve")],
    [(ago(34), "raise"), (ago(33), "dispatch")],  # never signed: long overdue
    [(ago(31), "raise"), (ago(31, -1), "dispatch"), (ago(30), "sign"),
     (ago(20), "resolve"), (ago(19), "rate", {"rating": 2}), (ago(18), "sign"),
     (ago(9), "resolve"), (ago(8), "rate", {"rating": 5, "self": True})],
    [(ago(28), "raise"), (ago(27), "dispatch"), (ago(27, -1), "sign"),
     (ago(26), "resolve"), (ago(16), "reopen")],  # reopened by the coordinator, open
    [(ago(24), "raise"), (ago(24, -1), "dispatch"), (ago(23), "sign"),
     (ago(22), "request_extension"), (ago(21), "grant_extension"), (ago(1), "resolve")],
    [(ago(62), "raise"), (ago(61), "dispatch"), (ago(60), "sign"),
     (ago(15), "supervise"), (ago(12), "supervise"), (ago(1, 2), "close")],
    [(ago(13), "raise"), (ago(12), "dispatch"), (ago(11), "sign"), (ago(10), "pause")],
    [(ago(9), "raise"), (ago(9, -1), "dispatch"), (ago(8), "return"),
     (ago(7), "redispatch"), (ago(6), "sign")],
    [(ago(7), "raise"), (ago(6), "dispatch"), (ago(6, -1), "sign"), (ago(3), "supervise"),
     (ago(2), "supervise")],
    [(ago(5), "raise"), (ago(4), "close")],  # closed before it was dispatched
    [(ago(3), "raise")],  # not yet dispatched
    [(ago(3, 1), "raise"), (ago(2), "dispatch"), (ago(1, 3), "sign"),
     (ago(0, 2), "resolve"), (ago(0, 1), "rate", {"rating": 3})],
    [(ago(20), "raise"), (ago(19), "dispatch"), (ago(18), "sign"), (ago(17), "pause"),
     (ago(14), "resume"), (ago(4), "supervise")],
    [(ago(38), "raise"), (ago(38, -1), "dispatch"), (ago(37), "sign"),
     (ago(33), "resolve")],  # resolved last month, never rated
]


def _act(county, issue, action: str, at: datetime, data: dict, clock) -> object:
    """One step at ``at`` (naive UTC), the clock frozen there."""
    clock.travel(at.replace(tzinfo=UTC), tick=False)
    if action == "raise":
        return services.raise_issue(data["enterprise"], {"title": data["title"]},
                                    county.commissioner)
    co, handler = county.coordinator, county.handlers.get(issue.lead_unit_id)
    texts = {"progress": "已与企业对接", "resolve": "已办结", "return": "非本单位职责",
             "pause": "等待企业补充材料", "reopen": "企业反映仍未解决",
             "supervise": "请加快办理", "close": "企业已注销",
             "request_extension": "需要协调用地指标"}
    kwargs = {"text": texts[action]} if action in texts else {}
    if action == "dispatch":
        actor, kwargs = co, {"unit_id": data["unit"].id, "level": "ordinary"}
    elif action == "redispatch":
        units = county.units
        nxt = units[(units.index(data["unit"]) + 1) % len(units)]
        actor, kwargs = co, {"unit_id": nxt.id, "level": "ordinary"}
    elif action == "rate":
        actor = EnterpriseRater("赵经理") if data.get("self") else county.commissioner
        kwargs = {"rating": data["rating"], "contact": "赵经理"}
    elif action == "request_extension":
        actor = handler
        kwargs["until"] = dl.add_working_days(dl.local_date(issue.due_at), 5)
    elif action in ("reopen", "supervise", "close", "grant_extension"):
        actor = co
    else:  # sign, progress, resolve, return, pause, resume
        actor = handler
    transition(issue, action, actor, now=at, **kwargs)
    return issue


def build_month(county, anchor: datetime, clock) -> list:
    """Every story, each step at its time before ``anchor`` (naive UTC), through the
    workflow; a few visits in this month and the one before."""
    issues = []
    for n, story in enumerate(STORIES):
        unit = county.units[n % len(county.units)]
        ent = county.enterprises[n % len(county.enterprises)]
        issue = None
        for step in story:
            offset, action = step[0], step[1]
            data = dict(step[2]) if len(step) > 2 else {}
            data.update(unit=unit, enterprise=ent, title=f"第{n + 1}号测试问题")
            issue = _act(county, issue, action, anchor - offset, data, clock) or issue
        issues.append(issue)
    today = to_local(anchor).date()
    for days in (0, 2, 9, 20, 31, 40):
        factories.visit(county.enterprises[days % 3], county.commissioner,
                        visit_date=today - timedelta(days=days))
    db.session.commit()
    clock.travel(anchor.replace(tzinfo=UTC), tick=False)
    return issues


@pytest.fixture
def month_of_work(app, clock):
    """The county with a month and more of work, the clock frozen at the minute the
    test started (its marker's instant, or the sweep day)."""
    anchor = utcnow().replace(second=0, microsecond=0)
    county = make_county()
    county.issues = build_month(county, anchor, clock)
    county.anchor = anchor
    return county


# -- reading the overview ----------------------------------------------------------
@dataclass
class FigureLink:
    section: str  # "kpis" or "league"
    row: str  # the card's testid or the unit row's data-unit
    cell: int  # the cell within the row (league) / 0 for cards
    name: str
    count: int
    href: str
    text: str = ""


class OverviewParser(HTMLParser):
    """The figure links of the top cards and the unit table, with where they sit."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[FigureLink] = []
        self.section = self.row = None
        self.cell = -1
        self.current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        testid = a.get("data-testid", "")
        if testid in ("kpis", "league"):
            self.section = testid
        if self.section == "kpis" and testid.startswith("kpi-") and tag == "div":
            self.row, self.cell = testid, 0
        if self.section == "league" and tag == "tr" and "data-unit" in a:
            self.row, self.cell = a["data-unit"], -1
        if self.section == "league" and tag in ("td", "th") and self.row:
            self.cell += 1
        if tag == "a" and "data-figure" in a and self.section:
            self.current = FigureLink(self.section, self.row, self.cell, a["data-figure"],
                                      int(a["data-count"]), a["href"])
            self.links.append(self.current)

    def handle_data(self, data):
        if self.current is not None:
            self.current.text += data

    def handle_endtag(self, tag):
        if tag == "a":
            self.current = None
        if tag == "section":
            self.section = None


def figure_links(html: str) -> list[FigureLink]:
    parser = OverviewParser()
    parser.feed(html)
    return parser.links


def listed(client, href: str) -> int:
    """How many problems (or visits) the list at ``href`` says it holds."""
    html = client.get(href).get_data(as_text=True)
    found = (re.search(r'data-testid="total">共 (\d+) 件问题', html)
             or re.search(r'data-testid="visit-count">共 (\d+) 次走访', html))
    assert found, href
    return int(found.group(1))


def reconcile(client, html: str) -> list[FigureLink]:
    """Follow every figure link of the overview and hold its list's count to the
    figure; check that the cards and each unit row link every figure, that each rate
    is its numerator over its base and that the units add up to the county."""
    links = figure_links(html)
    counted = {}
    for link in links:
        if link.href not in counted:
            counted[link.href] = listed(client, link.href)
        assert counted[link.href] == link.count, (link, counted[link.href])
    cards = [lk for lk in links if lk.section == "kpis"]
    assert {lk.name for lk in cards} == CARD_SETS
    county = {lk.name: lk.count for lk in cards}
    rows: dict[str, list[FigureLink]] = {}
    for lk in links:
        if lk.section == "league":
            rows.setdefault(lk.row, []).append(lk)
    for unit, row in rows.items():
        assert {lk.name for lk in row} == ROW_SETS, unit
        by_cell: dict[int, list[FigureLink]] = {}
        for lk in row:
            by_cell.setdefault(lk.cell, []).append(lk)
        for cell in by_cell.values():
            if len(cell) == 3:  # a rate: rate → base, numerator, base
                rate, num, base = cell
                assert rate.href == base.href and rate.count == base.count
                assert num.count <= base.count
                assert rate.text == metrics.percent(num.count / base.count if base.count
                                                    else None), (unit, cell)
            elif cell[0].name not in ("handled", "days_count"):  # a count shows itself
                assert cell[0].text.strip() == str(cell[0].count), cell
    for name in ROW_SETS:
        total = sum({lk.href: lk.count for row in rows.values() for lk in row
                     if lk.name == name}.values())
        assert total == county[name], name
    return links


def overview_html(client, month: str | None = None) -> str:
    url = "/meetings/overview" + (f"?month={month}" if month else "")
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def text_of(html: str, testid: str) -> str:
    from tests.meetings.test_overview import text_of as read

    return read(html, testid)


# -- the tests ---------------------------------------------------------------------
def test_every_figure_opens_exactly_the_problems_it_counts(client, login_as, month_of_work):
    login_as(month_of_work.coordinator)
    html = overview_html(client)
    links = reconcile(client, html)
    cards = {lk.name: lk.count for lk in links if lk.section == "kpis"}
    # The month so far has a bit of everything, so nothing above is vacuous.
    assert all(cards[n] > 0 for n in ("raised", "dispatched", "resolved", "pending",
                                      "on_time", "rated", "satisfied", "supervised",
                                      "overdue_now", "visits")), cards
    assert len({lk.row for lk in links if lk.section == "league"}) == 3
    # Last month too (a finished month, against the whole month before it).
    last = (to_local(month_of_work.anchor).date().replace(day=1) - timedelta(days=1))
    html = overview_html(client, f"{last:%Y-%m}")
    links = reconcile(client, html)
    cards = {lk.name: lk.count for lk in links if lk.section == "kpis"}
    assert cards["resolved"] > 0 and cards["redone"] >= 0


def test_rates_never_contradict_their_counts(client, login_as, month_of_work):
    login_as(month_of_work.coordinator)
    snap = metrics.snapshot(*_month(month_of_work.anchor))
    for f in [snap.overview.current, *snap.overview.by_unit]:
        assert f.resolved <= f.handled and f.on_time <= f.resolved
        assert f.satisfied <= f.rated and f.redone <= f.resolved
        if f.resolved:
            assert f.resolution_rate > 0  # never 0 % beside problems resolved
    # The problem reopened after a low rating and resolved again is the redone one.
    assert snap.overview.current.redone + snap.overview.previous.redone >= 1


def test_the_list_describes_the_figure_and_keeps_it_when_filtering(client, login_as,
                                                                   month_of_work):
    login_as(month_of_work.coordinator)
    unit = month_of_work.units[0]
    html = overview_html(client)
    link = next(lk for lk in figure_links(html)
                if lk.section == "league" and lk.row == str(unit.id) and lk.name == "resolved")
    page = client.get(link.href).get_data(as_text=True)
    summary = text_of(page, "figure-filters")
    assert "办结时间：" in summary and f"主办单位：{unit.name}" in summary
    assert 'name="lead_unit"' in page and 'name="resolved_from"' in page
    # The page's own filters narrow the figure's set, never widen it.
    narrowed = client.get(link.href + "&state=closed").get_data(as_text=True)
    n = int(re.search(r'共 (\d+) 件问题', narrowed).group(1))
    assert n <= link.count


def _month(anchor: datetime) -> tuple[int, int]:
    local = to_local(anchor)
    return local.year, local.month


def test_the_packet_prints_the_overview_figures(client, login_as, month_of_work):
    login_as(month_of_work.coordinator)
    year, month = _month(month_of_work.anchor)
    html = overview_html(client)
    glance = packets.month_glance(year, month, utcnow())
    o = glance["o"]
    assert o == metrics.cached_snapshot(year, month).overview
    assert glance["league"] == metrics.league(o.by_unit)
    cards = {lk.name: lk.count for lk in figure_links(html) if lk.section == "kpis"}
    for name, count in cards.items():
        expected = o.visits.visits if name == "visits" else metrics.links.set_count(
            name, o.current)
        assert count == expected, name
    rows = {lk.row: lk for lk in figure_links(html)
            if lk.section == "league" and lk.name == "resolved"}
    assert {str(f.key): f.resolved for f in glance["league"]} == {
        k: lk.count for k, lk in rows.items()}
    # The packet's last page is the 指标说明, the same text as its page.
    assert [d.key for d in glance["definitions"]][:3] == ["raised", "dispatched", "resolved"]


def test_cached_figures_equal_a_fresh_count_after_writes(app, month_of_work, clock,
                                                         monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_CACHE_SECONDS", 60)
    metrics.invalidate()
    year, month = _month(month_of_work.anchor)
    metrics.cached_snapshot(year, month)
    now = month_of_work.anchor
    # Writes of every kind through the workflow: a problem resolved last month is
    # reopened (last month's resolved and pending change), a new one is dispatched, a
    # red one is supervised.
    co = month_of_work.coordinator
    resolved_last_month = next(
        i for i in month_of_work.issues
        if i.state == "resolved" and to_local(i.resolved_at).month != month)
    before = metrics.cached_snapshot(year, month).overview.previous
    transition(resolved_last_month, "reopen", co, now=now, text="企业反映仍未解决")
    db.session.commit()
    after = metrics.cached_snapshot(year, month)
    assert after == metrics.snapshot(year, month, now)
    assert (after.overview.previous.resolved, after.overview.previous.pending) == (
        before.resolved - 1, before.pending + 1)
    fresh = services.raise_issue(month_of_work.enterprises[0], {"title": "新问题"},
                                 month_of_work.commissioner)
    transition(fresh, "dispatch", co, now=now, unit_id=month_of_work.units[1].id,
               level="ordinary")
    db.session.commit()
    cached = metrics.cached_snapshot(year, month)
    assert cached == metrics.snapshot(year, month, now)
    assert cached.overview.current.dispatched >= 1


def test_every_sweep_day_renders_and_reconciles(client, login_as, month_of_work, sweep_now):
    login_as(month_of_work.coordinator)
    html = overview_html(client)
    assert f"{sweep_now.year}年{sweep_now.month}月" in text_of(html, "overview-month")
    links = reconcile(client, html)
    assert {lk.name for lk in links if lk.section == "kpis"} == CARD_SETS
    year, month = sweep_now.year, sweep_now.month
    glance = packets.month_glance(year, month, utcnow())
    assert glance["o"] == metrics.cached_snapshot(year, month).overview
    # The comparison period's figures reconcile with their lists too.
    o = glance["o"]
    for name in ("dispatched", "resolved", "pending", "rated", "supervised"):
        args = metrics.links.set_filters(name, o.previous_period)
        query = "&".join(f"{k}={v}" for k, v in args.items())
        assert listed(client, f"/problems/?{query}") == getattr(o.previous, name), name


# -- a month still running against the same days of last month ----------------------
def _local(text: str) -> datetime:
    """A Shanghai wall-clock time as the naive UTC the database stores."""
    return datetime.fromisoformat(text) - timedelta(hours=8)


def _dispatched_at(when: str, unit, who, ent, **kw):
    at = _local(when)
    return factories.issue(ent, who, "in_progress", lead_unit_id=unit.id, raised_at=at,
                           dispatched_at=at, due_at=at + timedelta(days=30),
                           warn_at=at + timedelta(days=29), **kw)


@pytest.fixture
def small(app):
    unit = factories.unit("市供电公司")
    who = factories.user(["commissioner"])
    ent = factories.enterprise()
    factories.assignment(ent, who)
    db.session.commit()
    return SimpleNamespace(unit=unit, who=who, ent=ent)


def test_mid_month_is_compared_with_the_same_days_of_last_month(client, login_as, small):
    # Now: Wednesday 25 November 2026, 14:30 (the suite's default instant).
    s = small
    _dispatched_at("2026-10-25 14:00", s.unit, s.who, s.ent)  # in the comparison
    _dispatched_at("2026-10-25 15:00", s.unit, s.who, s.ent)  # after its time of day
    _dispatched_at("2026-10-31 10:00", s.unit, s.who, s.ent)
    _dispatched_at("2026-11-25 14:00", s.unit, s.who, s.ent)
    _dispatched_at("2026-11-03 09:00", s.unit, s.who, s.ent)
    factories.visit(s.ent, s.who, visit_date=date(2026, 10, 25))
    factories.visit(s.ent, s.who, visit_date=date(2026, 10, 26))
    db.session.commit()
    login_as("coordinator")
    html = overview_html(client)
    assert text_of(html, "overview-month").startswith(
        "2026年11月（截至 11月25日 14:30），与上月同期（10月1日至10月25日 14:30）比较")
    assert text_of(html, "kpi-dispatched").startswith("本期受理 2 较上月同期 ↑ 1")
    assert text_of(html, "kpi-visits").startswith("走访记录 0 较上月同期 ↓ 1")
    assert "较上月 " not in text_of(html, "kpis")  # every arrow is against the same days
    o = metrics.snapshot(2026, 11).overview
    assert o.running and o.period == metrics.Period(date(2026, 11, 1), date(2026, 11, 25))
    assert o.previous_period == metrics.Period(date(2026, 10, 1), date(2026, 10, 25),
                                               _local("2026-10-25 14:30"))
    # Pending now against pending at 25 October 14:30: the two dispatched by then.
    assert (o.current.pending, o.previous.pending) == (5, 1)
    reconcile(client, html)
    link = metrics.links.set_filters("dispatched", o.previous_period)
    assert link == {"dispatched_from": "2026-10-01", "dispatched_to": "2026-10-25T14:30"}


@pytest.mark.now("2026-12-01 09:00")
def test_first_day_of_a_month(client, login_as, small):
    s = small
    _dispatched_at("2026-11-01 08:00", s.unit, s.who, s.ent)
    _dispatched_at("2026-11-01 10:00", s.unit, s.who, s.ent)
    _dispatched_at("2026-12-01 08:30", s.unit, s.who, s.ent)
    db.session.commit()
    login_as("coordinator")
    html = overview_html(client)
    assert text_of(html, "overview-month").startswith(
        "2026年12月（截至 12月1日 09:00），与上月同期（11月1日至11月1日 09:00）比较")
    assert text_of(html, "kpi-dispatched").startswith("本期受理 1 较上月同期 持平")
    reconcile(client, html)
    # November, now finished, against the whole of October.
    html = overview_html(client, "2026-11")
    assert text_of(html, "overview-month").startswith("2026年11月，与2026年10月比较")
    assert text_of(html, "kpi-dispatched").startswith("本期受理 2 较上月 ↑ 2")


@pytest.mark.now("2026-11-30 17:45")
def test_last_day_of_a_month_is_still_running(client, login_as, small):
    s = small
    _dispatched_at("2026-10-30 17:00", s.unit, s.who, s.ent)
    _dispatched_at("2026-10-31 10:00", s.unit, s.who, s.ent)  # October's 31st: not yet
    _dispatched_at("2026-11-30 17:40", s.unit, s.who, s.ent)
    db.session.commit()
    login_as("coordinator")
    html = overview_html(client)
    assert text_of(html, "overview-month").startswith(
        "2026年11月（截至 11月30日 17:45），与上月同期（10月1日至10月30日 17:45）比较")
    assert text_of(html, "kpi-dispatched").startswith("本期受理 1 较上月同期 持平")
    reconcile(client, html)


@pytest.mark.now("2027-03-30 10:00")
def test_a_day_the_month_before_lacks_compares_with_all_of_it(client, login_as, small):
    s = small
    _dispatched_at("2027-02-27 10:00", s.unit, s.who, s.ent)
    _dispatched_at("2027-02-28 20:00", s.unit, s.who, s.ent)
    db.session.commit()
    login_as("coordinator")
    html = overview_html(client)
    assert text_of(html, "overview-month").startswith(
        "2027年3月（截至 3月30日 10:00），与上月同期（2月1日至2月28日）比较")
    assert text_of(html, "kpi-dispatched").startswith("本期受理 0 较上月同期 ↓ 2")


def test_the_definitions_page_and_the_packet_say_the_same(client, login_as, app):
    login_as("coordinator")
    html = overview_html(client)
    assert 'href="/meetings/figures" data-testid="definitions-link"' in html
    page = client.get("/meetings/figures").get_data(as_text=True)
    text = text_of(page, "definitions")
    assert "办结率" in text and "本期办结 ÷（本期办结 + 在办）" in text
    assert "上月同期" in text and "主办单位" in text
    from flask import render_template

    with app.test_request_context():
        printed = render_template("meetings/_definitions.html", general=metrics.GENERAL,
                                  definitions=metrics.DEFINITIONS)
    assert " ".join(re.sub(r"<[^>]+>", " ", printed).split()) == text
    for d in metrics.DEFINITIONS:
        assert f'data-definition="{d.key}"' in page


@pytest.mark.parametrize("query", [
    "dispatched_to=2026-11-06T25:99", "pending=yesterday", "rating_min=9", "channel=phone",
    "resolved_from=2026-02-30", "handled_to=0999-01-01T10:00", "lead_unit=-3",
])
def test_a_figure_filter_the_list_cannot_read_is_left_out_not_a_500(client, login_as, app,
                                                                    query):
    login_as("coordinator")
    response = client.get(f"/problems/?{query}")
    assert response.status_code == 200
    assert "部分筛选条件无法识别" in response.get_data(as_text=True)
