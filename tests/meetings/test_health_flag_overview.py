"""Health flags (经营风险标记) on the coordinator's overview: counted by kind and town for
the month, each figure a link to exactly the visits it counts."""
from __future__ import annotations

import re
from datetime import date

from crm.extensions import db
from crm.liaisons.models import VisitFlag
from tests import factories


def _html(r) -> str:
    return r.get_data(as_text=True)


def _visit(ent, who, day, *flags, summary):
    visit = factories.visit(ent, who, visit_date=day, summary=summary)
    for flag in flags:
        db.session.add(VisitFlag(visit_id=visit.id, flag=flag))
    return visit


def test_overview_counts_flags_by_kind_and_town_with_links(app, client, login_as):
    east = factories.unit("城东镇", kind="town")
    west = factories.unit("城西镇", kind="town")
    com = factories.user(["commissioner"])
    coord = factories.user(["coordinator"])
    a = factories.enterprise("东甲公司", town_id=east.id)
    b = factories.enterprise("东乙公司", town_id=east.id)
    c = factories.enterprise("西丙公司", town_id=west.id)
    _visit(a, com, date(2026, 11, 3), "orders", "funding", summary="东甲十一月")
    _visit(b, com, date(2026, 11, 20), "orders", summary="东乙十一月")
    _visit(c, com, date(2026, 11, 21), "funding", summary="西丙十一月")
    _visit(c, com, date(2026, 10, 28), "orders", summary="西丙十月")  # another month
    _visit(c, com, date(2026, 11, 22), summary="西丙无标记")
    db.session.commit()
    login_as(coord)
    page = _html(client.get("/meetings/overview"))
    section = page[page.index('data-testid="health-flag-figures"'):]
    section = section[:section.index("</section>")]
    figures = dict(re.findall(r'data-figure="flag-([\w-]+)">(\d+)<', section))
    assert figures == {f"orders-{east.id}": "2", "orders": "2", f"funding-{east.id}": "1",
                       f"funding-{west.id}": "1", "funding": "2"}
    assert "订单下滑" in section and "城东镇" in section and "城西镇" in section
    link = re.search(rf'href="([^"]+)" data-figure="flag-orders-{east.id}"', section).group(1)
    listed = _html(client.get(link.replace("&amp;", "&")))
    assert re.search(r'data-testid="visit-count">\D*2\D', listed)
    assert "东甲公司" in listed and "东乙公司" in listed and "西丙公司" not in listed
    assert "风险标记：订单下滑" in listed
    link = re.search(r'href="([^"]+)" data-figure="flag-funding"', section).group(1)
    listed = _html(client.get(link.replace("&amp;", "&")))
    assert "东甲公司" in listed and "西丙公司" in listed and "东乙公司" not in listed


def test_overview_says_when_no_flag_was_seen(app, client, login_as):
    coord = factories.user(["coordinator"])
    db.session.commit()
    login_as(coord)
    page = _html(client.get("/meetings/overview"))
    assert 'data-testid="no-health-flags"' in page
