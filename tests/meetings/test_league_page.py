"""A long league on the overview: its top and bottom units, and a link to the league
page with every unit; every figure there still opens exactly the problems it counts."""
from __future__ import annotations

import re

from crm.meetings import metrics
from crm.meetings.views import overview as view
from tests.meetings.test_figure_links import (  # noqa: F401  (month_of_work: a fixture)
    figure_links,
    listed,
    month_of_work,
    overview_html,
)


def ranks(html: str) -> list[tuple[str, str]]:
    """(unit, rank) of the league's rows in order."""
    return re.findall(r'data-testid="league-row" data-unit="(\d+)">.*?'
                      r'<span class="text-muted fw-normal me-1">(\d+)</span>', html, re.S)


def test_a_long_league_shows_its_ends_and_links_every_unit(client, login_as, month_of_work,
                                                           monkeypatch):
    login_as(month_of_work.coordinator)
    html = overview_html(client)
    assert len(ranks(html)) == 3 and 'data-testid="league-more"' not in html
    monkeypatch.setattr(view, "LEAGUE_EDGE", 1)
    monkeypatch.setattr(view, "LEAGUE_SHOWN", 2)
    metrics.cache.invalidate(client.application)
    html = overview_html(client)
    snapshot = metrics.cached_snapshot(*map(int, month_of_work.anchor.strftime("%Y %m").split()))
    order = [str(f.key) for f in metrics.league(snapshot.overview.by_unit)]
    assert ranks(html) == [(order[0], "1"), (order[-1], str(len(order)))]
    more = re.search(r'data-testid="league-more">.*?href="([^"]+)">(.*?) ›', html, re.S)
    assert more and more.group(2) == f"全部 {len(order)} 个单位"
    page = client.get(more.group(1).replace("&amp;", "&"))
    assert page.status_code == 200
    full = page.get_data(as_text=True)
    assert ranks(full) == [(u, str(i)) for i, u in enumerate(order, start=1)]
    links = [lk for lk in figure_links(full) if lk.section == "league"]
    assert {lk.row for lk in links} == set(order)
    counted = {}
    for link in links:
        if link.href not in counted:
            counted[link.href] = listed(client, link.href)
        assert counted[link.href] == link.count, link
    # A bad month on the league page gets the form's message, not an error.
    assert client.get("/meetings/overview/league?month=2026-99").status_code == 200
