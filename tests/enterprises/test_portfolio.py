"""The leader's home (我包联的企业): cards, reds first, visits, ratings."""
import re
from datetime import timedelta

from crm.core.timeutil import local_today, utcnow, week_start
from crm.extensions import db
from tests import factories


def card_names(html: str) -> list[str]:
    return re.findall(r'data-testid="portfolio-name">([^<]+)<', html)


def test_cards_are_sorted_red_first_and_show_visits_and_ratings(client, login_as):
    leader = factories.user(roles=["leader"], display_name="李市长")
    other_leader = factories.user(roles=["leader"])
    commissioner = factories.user(roles=["commissioner"], display_name="张特派")
    calm = factories.enterprise("安达有限公司")
    one_red = factories.enterprise("博远有限公司")
    two_red = factories.enterprise("成功有限公司")
    not_mine = factories.enterprise("别家有限公司")
    ended = factories.enterprise("旧包联有限公司")
    factories.assignment(calm, leader, "leader_a")
    factories.assignment(one_red, leader, "leader_b")
    factories.assignment(two_red, leader, "leader_a")
    factories.assignment(not_mine, other_leader, "leader_a")
    factories.assignment(ended, leader, "leader_a", end=local_today())
    factories.red_issue(one_red, title="用电增容迟迟未批")
    factories.yellow_issue(two_red)
    factories.red_issue(two_red)
    factories.red_issue(two_red)
    factories.red_issue(not_mine)
    factories.visit(calm, commissioner, visit_date=week_start(local_today()))
    factories.visit(one_red, commissioner, visit_date=week_start(local_today()) - timedelta(days=3))
    factories.issue(calm, state="closed", rating=2, rated_at=utcnow() - timedelta(days=5))
    factories.issue(calm, state="closed", rating=5, rated_at=utcnow() - timedelta(days=1))
    db.session.commit()
    login_as(leader)
    html = client.get("/enterprises/mine").get_data(as_text=True)
    assert '<h1 class="h4 mb-0 me-auto" data-testid="home-heading">我包联的企业</h1>' in html
    assert card_names(html) == ["成功有限公司", "博远有限公司", "安达有限公司"]
    cards = html.split('data-testid="portfolio-card"')[1:]
    assert re.findall(r'data-red="(\d+)"', html) == ["2", "1", "0"]
    first, second, third = cards
    assert "3 个未办结问题" in first and "超期 2 件" in first
    assert first.index('data-light="red"') < first.index('data-light="yellow"')
    assert "B角领导" in second and "用电增容迟迟未批" in second and "本周未走访" in second
    assert "张特派" in second and "最近走访" in second
    assert "本周已走访" in third and "暂无未办结问题" in third
    assert "★★★★★" in third  # the latest rating, not the older 2
    assert "共 3 家" in html and "3 个超期问题" in html


def test_empty_portfolio(client, login_as):
    login_as("leader")
    html = client.get("/enterprises/mine").get_data(as_text=True)
    assert "尚未为您分配包联企业" in html and "我包联的企业" in html


def test_portfolio_offers_the_pdf_and_lists_enterprises_not_visited_for_two_weeks(client, login_as):
    leader = login_as("leader")
    quiet = factories.enterprise(name="久未走访有限公司")
    factories.assignment(quiet, leader, "leader_a", start=local_today() - timedelta(days=60))
    commissioner = factories.user(roles=["commissioner"])
    factories.assignment(quiet, commissioner, "commissioner",
                         start=local_today() - timedelta(days=60))
    factories.visit(quiet, commissioner, local_today() - timedelta(days=20))
    db.session.commit()
    html = client.get("/enterprises/mine").get_data(as_text=True)
    stale = html[html.index('data-testid="stale-list"'):]
    assert "久未走访有限公司" in stale and "已 20 天" in stale
    assert 'data-testid="portfolio-pdf"' in html
    r = client.post_form("/briefings/portfolio")
    assert r.status_code == 302 and "/briefings/" in r.headers["Location"]


def _many(leader, n_red, n_yellow, n_calm):
    """A leader holding ``n_red + n_yellow + n_calm`` enterprises (A role)."""
    names = {"red": [], "yellow": [], "calm": []}
    for kind, n in (("red", n_red), ("yellow", n_yellow), ("calm", n_calm)):
        for i in range(n):
            ent = factories.enterprise(f"{kind}企业{i:02d}有限公司")
            factories.assignment(ent, leader, "leader_a")
            if kind == "red":
                factories.red_issue(ent)
            elif kind == "yellow":
                factories.yellow_issue(ent)
            names[kind].append(ent.name)
    db.session.commit()
    return names


FETCH = {"X-Requested-With": "fetch"}


def test_a_leader_with_many_enterprises_sees_red_and_yellow_first_and_the_rest_on_demand(
        client, login_as):
    leader = login_as("leader")
    names = _many(leader, 3, 2, 40)
    html = client.get("/enterprises/mine").get_data(as_text=True)
    # The first response: only the enterprises with red or yellow problems, reds first.
    first = card_names(html)
    assert first[:3] == sorted(names["red"]) and first[3:] == sorted(names["yellow"])
    assert "共 45 家" in html and "3 个超期问题" in html and "45 家本周未走访" in html
    more = re.search(r'href="([^"]+)" data-portfolio-more data-testid="portfolio-more">([^<]+)<',
                     html)
    assert more.group(2) == "其余 40 家" and "portfolio.js" in html
    url = more.group(1).replace("&amp;", "&")
    # Without a script the link is a page of its own: 30 cards and a link to the rest.
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and len(card_names(page)) == 30
    nxt = re.search(r'href="([^"]+)" data-portfolio-more data-testid="portfolio-more">([^<]+)<',
                    page)
    assert nxt.group(2) == "再显示 10 家"
    # The page's script fetches the same link: the cards alone, then the next ones.
    part = client.get(url, headers=FETCH).get_data(as_text=True)
    assert "<html" not in part and card_names(part) == card_names(page)
    last = client.get(nxt.group(1).replace("&amp;", "&"), headers=FETCH).get_data(as_text=True)
    assert 'data-portfolio-more' not in last
    rest = card_names(part) + card_names(last)
    # Every enterprise once, in the same order as the cards before them (by pinyin here).
    assert rest == sorted(names["calm"])
    assert sorted(first + rest) == sorted(sum(names.values(), []))


def test_the_first_response_holds_at_most_thirty_cards_even_when_more_are_red(
        client, login_as):
    leader = login_as("leader")
    names = _many(leader, 33, 0, 5)
    html = client.get("/enterprises/mine").get_data(as_text=True)
    first = card_names(html)
    assert first == sorted(names["red"])[:30]
    assert "有红灯或黄灯问题的 33 家企业中最紧急的 30 家" in html
    rest = card_names(client.get("/enterprises/mine?rest=1", headers=FETCH).get_data(
        as_text=True))
    # The other reds come first among the rest, then the calm ones.
    assert rest == sorted(names["red"])[30:] + sorted(names["calm"])
    # A page number past the end shows the last page; nonsense shows the first.
    assert card_names(client.get("/enterprises/mine?rest=9").get_data(as_text=True)) == rest
    assert client.get("/enterprises/mine?rest=x%27").status_code == 200


def test_up_to_thirty_enterprises_are_all_shown_at_once(client, login_as):
    leader = login_as("leader")
    names = _many(leader, 1, 0, 29)
    html = client.get("/enterprises/mine").get_data(as_text=True)
    assert len(card_names(html)) == 30 and 'data-portfolio-more' not in html
    assert card_names(html)[0] == names["red"][0]
