"""The financing figures (by bank, by town, month and year to date) and their links:
each figure opens the need list of exactly the needs it counts."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from crm.extensions import db
from crm.financing import figures, services
from tests import factories
from tests.financing.helpers import bank, need


def _world(clock):
    """Two towns, two banks; needs in October and November 2026."""
    north, south = factories.unit("北镇", kind="town"), factories.unit("南镇", kind="town")
    (a, am), (b, bm) = bank("甲银行"), bank("乙银行")
    coordinator = factories.user(roles=["coordinator"])
    clock.travel("2026-10-15 10:00")
    old = need(factories.enterprise("十月企业", town_id=north.id), coordinator, amount="100")
    services.push_need(old, [a], coordinator)
    clock.travel("2026-11-10 10:00")
    n1 = need(factories.enterprise("北镇企业", town_id=north.id), coordinator, amount="300")
    n2 = need(factories.enterprise("南镇企业", town_id=south.id), coordinator, amount="200")
    r1a, r1b = services.push_need(n1, [a, b], coordinator)
    [r2] = services.push_need(n2, [b], coordinator)
    for resp, manager, amount in ((r1a, am, "300"), (r1b, bm, "100"), (r2, bm, "150")):
        services.answer(resp, "accept", manager)
        services.answer(resp, "grant", manager, {"amount": Decimal(amount),
                                                 "rate": Decimal("3.5")})
    services.answer(r1a, "disburse", am, {"amount": Decimal("300"), "on": date(2026, 11, 10)})
    db.session.commit()
    clock.travel("2026-11-25 14:30")
    return {"north": north, "south": south, "a": a, "b": b}


def test_figures_count_as_defined(app, clock):
    w = _world(clock)
    fig = figures.compute(date(2026, 11, 1), date(2026, 11, 30))
    month = {f: (fig.total.get("month", f).count, fig.total.get("month", f).amount)
             for f in ("needs", "pushed", "granted", "disbursed")}
    assert month == {"needs": (2, Decimal(500)), "pushed": (2, Decimal(500)),
                     "granted": (2, Decimal(550)), "disbursed": (1, Decimal(300))}
    year = fig.total.get("year", "needs")
    assert (year.count, year.amount) == (3, Decimal(600))
    assert fig.total.get("year", "pushed").count == 3
    by_bank = {r.label: (r.get("year", "pushed").count, r.get("year", "granted").amount)
               for r in fig.banks}
    assert by_bank == {"甲银行": (2, Decimal(300)), "乙银行": (2, Decimal(250))}
    by_town = {r.label: r.get("month", "needs").count for r in fig.towns}
    assert by_town == {"北镇": 1, "南镇": 1}


def test_each_overview_figure_links_to_its_list(app, client, login_as, clock):
    _world(clock)
    login_as("coordinator")
    page = client.get("/meetings/overview?month=2026-11").get_data(as_text=True)
    assert 'data-testid="financing-figures"' in page
    links = re.findall(r'<a href="(/financing/[^"]+)" data-figure="([a-z]+-[a-z]+)">(\d+)</a>', page)
    assert len(links) >= 8
    for href, which, shown in links:
        listing = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
        found = re.search(r'data-testid="need-count">[^0-9<]*(\d+)', listing)
        assert found, (href, listing[-3000:])
        count = found.group(1)
        assert count == shown, (which, href)


def test_monthly_packet_has_the_financing_and_support_sections(app, client, login_as, clock):
    from crm.financing import support
    from crm.meetings.models import Briefing, Meeting
    from crm.meetings.packets.render import briefing_html

    w = _world(clock)
    coordinator = factories.user(roles=["coordinator"])
    stopped = factories.enterprise("停产纸业有限公司", status="halted", town_id=w["north"].id)
    support.record_case(stopped, {"since": date(2026, 11, 2), "reason": "energy"}, coordinator)
    meeting = Meeting(kind="joint", number="2026年第12次", title="十一月联席会议",
                      period_start=date(2026, 11, 1), period_end=date(2026, 11, 30))
    db.session.add(meeting)
    db.session.commit()
    login_as(coordinator)
    assert client.post_form(f"/briefings/meeting/{meeting.id}").status_code == 302
    briefing = db.session.scalar(db.select(Briefing).where(Briefing.meeting_id == meeting.id))
    html = briefing_html(briefing)
    assert 'data-testid="financing-total-month"' in html and "甲银行" in html
    assert "停产纸业有限公司" in html and "北镇" in html
    db.session.refresh(briefing)
    assert briefing.state == "success", briefing.error
