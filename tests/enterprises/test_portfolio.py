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
