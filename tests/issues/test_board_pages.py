"""The problem list pages by keyset (``?after=`` / ``?before=`` a problem's id): walking
the pages either way shows every problem once, in the list's order, with the filters
kept; a cursor that names nothing shows an empty page, never a 500."""
import re
from datetime import timedelta

from crm.core.timeutil import utcnow
from crm.extensions import db
from tests import factories

ROW = re.compile(r'data-testid="issue-row" data-issue="([^"]+)"')
NEXT = re.compile(r'href="([^"]+)" rel="next"')
PREV = re.compile(r'href="([^"]+)" rel="prev"')


def _numbers(html):
    return ROW.findall(html)


def _walk(client, url, link):
    pages, seen = [], set()
    while url:
        html = client.get(url.replace("&amp;", "&")).get_data(as_text=True)
        pages.append(_numbers(html))
        found = link.search(html)
        url = found.group(1) if found else None
        assert url not in seen  # never loops
        seen.add(url)
    return pages, html


def test_keyset_pages_cover_every_problem_once_in_order(client, login_as, monkeypatch):
    monkeypatch.setattr("crm.issues.views.pages.PER_PAGE", 7)
    ent = factories.enterprise()
    base = utcnow() - timedelta(days=30)
    made = []
    for i in range(31):
        # Groups of three raised at the same instant: the id breaks the tie.
        made.append(factories.issue(ent, state="new" if i % 4 else "closed",
                                    raised_at=base + timedelta(hours=i // 3),
                                    closed_at=None if i % 4 else utcnow()))
    db.session.commit()
    expected = [i.number for i in sorted(made, key=lambda i: (i.raised_at, i.id), reverse=True)]
    login_as("coordinator")
    pages, last = _walk(client, "/problems/", NEXT)
    assert [len(p) for p in pages] == [7, 7, 7, 7, 3]
    assert sum(pages, []) == expected
    assert "共 31 件问题" in last  # the total is the filtered set's, on every page
    # Backwards from the last page: the same pages in reverse.
    back = PREV.search(last).group(1)
    earlier, first = _walk(client, back, PREV)
    assert earlier == pages[-2::-1]
    assert 'rel="prev"' not in first
    # A filter stays in the links and narrows the walk.
    new_only = [n for n, i in zip(expected, sorted(made, key=lambda i: (i.raised_at, i.id),
                                                   reverse=True)) if i.state == "new"]
    pages, _ = _walk(client, "/problems/?state=new", NEXT)
    assert sum(pages, []) == new_only and len(pages) == 4


def test_a_cursor_that_names_nothing_is_an_empty_page(client, login_as):
    factories.issue(factories.enterprise(), title="唯一的问题")
    db.session.commit()
    login_as("coordinator")
    for bad in ("?after=999999", "?before=999999", "?after=abc", "?after=-3",
                "?before=1&after=x", "?page=7"):
        r = client.get("/problems/" + bad)
        assert r.status_code == 200, bad
    html = client.get("/problems/?after=999999").get_data(as_text=True)
    assert _numbers(html) == [] and "共 1 件问题" in html
    assert "唯一的问题" in client.get("/problems/?after=abc").get_data(as_text=True)


def test_the_leaders_view_shows_the_most_urgent_and_links_every_count(client, login_as):
    leader = login_as("leader")
    ent = factories.enterprise()
    factories.assignment(ent, leader, "leader_a")
    now = utcnow()
    for i in range(32):
        factories.red_issue(ent, title=f"超期问题{i}")
    for i in range(3):
        factories.issue(ent, state="in_progress", title=f"正常问题{i}",
                        due_at=now + timedelta(days=9), warn_at=now + timedelta(days=8))
    db.session.commit()
    html = client.get("/problems/leader").get_data(as_text=True)
    opened = html[html.index('data-testid="section-open"'):html.index('data-testid="section-done"')]
    assert opened.count('data-testid="issue-item"') == 30 and "正常问题" not in opened
    assert "全部 35 件未办结问题" in opened
    for light, n in (("red", 32), ("green", 3)):
        link = re.search(rf'<a href="([^"]+)" data-light-count="{light}">', html).group(1)
        listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
        assert f"共 {n} 件问题" in listed
