"""The enterprise list: pinyin search, filters, sorting, pages, counts, bad input."""
import re
from datetime import timedelta

import pytest

from crm.core.timeutil import local_today, week_start
from crm.enterprises import services
from crm.extensions import db
from tests import factories


def names(html: str) -> list[str]:
    """Enterprise names in the desk table, in order."""
    rows = re.findall(r'data-testid="enterprise-row".*?<a href="/enterprises/\d+">([^<]+)</a>',
                      html, re.S)
    return rows


def test_pinyin_keys_follow_the_name():
    assert services.pinyin_keys("兴发制管有限公司") == ("xingfazhiguanyouxiangongsi", "xfzgyxgs")
    assert services.pinyin_keys("ABC科技（宜昌）有限公司")[1] == "abckjycyxgs"


@pytest.mark.parametrize("query", ["xfzg", "XFZG", "xingfa", "Xing Fa", "兴发", "制管",
                                   "91350100M000100Y43", "m000100"])
def test_search_finds_by_name_fragment_code_or_pinyin(client, login_as, query):
    factories.enterprise("兴发制管有限公司", credit_code="91350100M000100Y43")
    factories.enterprise("绿源食品有限公司")
    db.session.commit()
    login_as("coordinator")
    html = client.get("/enterprises/", query_string={"q": query}).get_data(as_text=True)
    assert names(html) == ["兴发制管有限公司"]


def test_rename_keeps_the_pinyin_in_step(client, login_as):
    coordinator = login_as("coordinator")
    ent = services.create_enterprise({"name": "绿源食品有限公司", "credit_code": factories.code(),
                                      "status": "normal"}, coordinator)
    services.update_enterprise(ent, {"name": "兴发制管有限公司"}, coordinator)
    db.session.commit()
    assert (ent.name_pinyin, ent.name_initials) == ("xingfazhiguanyouxiangongsi", "xfzgyxgs")
    html = client.get("/enterprises/?q=xfzg").get_data(as_text=True)
    assert names(html) == ["兴发制管有限公司"]
    assert names(client.get("/enterprises/?q=lyspyx").get_data(as_text=True)) == []


def test_search_treats_like_wildcards_as_text(client, login_as):
    factories.enterprise("百分百科技有限公司")
    db.session.commit()
    login_as("coordinator")
    assert names(client.get("/enterprises/?q=%25").get_data(as_text=True)) == []
    assert names(client.get("/enterprises/?q=_").get_data(as_text=True)) == []


def test_each_filter_narrows_the_list(client, login_as):
    town = factories.unit("城关镇", kind="town")
    leader = factories.user(roles=["leader"])
    commissioner = factories.user(roles=["commissioner"])
    old_leader = factories.user(roles=["leader"])
    a = factories.enterprise("甲机械有限公司", town_id=town.id, cluster="先进制造", scale="above",
                             ownership="private", is_chain_leader=True)
    b = factories.enterprise("乙食品有限公司", cluster="绿色食品", scale="below", ownership="state",
                             status="reduced")
    factories.assignment(a, leader, "leader_a")
    factories.assignment(b, commissioner, "commissioner")
    factories.assignment(b, old_leader, "leader_a", end=local_today())  # history only
    factories.red_issue(b)
    factories.visit(a, commissioner)
    db.session.commit()
    login_as("coordinator")
    cases = {
        f"town={town.id}": ["甲机械有限公司"],
        "cluster=绿色食品": ["乙食品有限公司"],
        "chain=1": ["甲机械有限公司"],
        "scale=below": ["乙食品有限公司"],
        "ownership=private": ["甲机械有限公司"],
        "status=reduced": ["乙食品有限公司"],
        f"leader={leader.id}": ["甲机械有限公司"],
        f"leader={old_leader.id}": [],
        f"commissioner={commissioner.id}": ["乙食品有限公司"],
        "red=1": ["乙食品有限公司"],
        "unvisited=1": ["乙食品有限公司"],
    }
    for query, expected in cases.items():
        assert names(client.get(f"/enterprises/?{query}").get_data(as_text=True)) == expected, query


def test_not_visited_this_week_uses_the_iso_week(client, login_as):
    commissioner = factories.user(roles=["commissioner"])
    monday = week_start(local_today())
    this_week = factories.enterprise("本周走访有限公司")
    last_week = factories.enterprise("上周走访有限公司")
    factories.visit(this_week, commissioner, visit_date=monday)
    factories.visit(last_week, commissioner, visit_date=monday - timedelta(days=1))
    db.session.commit()
    login_as("coordinator")
    html = client.get("/enterprises/?unvisited=1").get_data(as_text=True)
    assert names(html) == ["上周走访有限公司"]


def test_sorting(client, login_as):
    commissioner = factories.user(roles=["commissioner"])
    a = factories.enterprise("安达有限公司", employees=10)
    b = factories.enterprise("博远有限公司", employees=300)
    c = factories.enterprise("成功有限公司", employees=50)
    factories.red_issue(c)
    factories.red_issue(c)
    factories.red_issue(b)
    factories.visit(a, commissioner, visit_date=local_today() - timedelta(days=3))
    factories.visit(b, commissioner, visit_date=local_today() - timedelta(days=30))
    db.session.commit()
    login_as("coordinator")

    def order(sort):
        return names(client.get(f"/enterprises/?sort={sort}").get_data(as_text=True))

    assert order("name") == ["安达有限公司", "博远有限公司", "成功有限公司"]
    assert order("red") == ["成功有限公司", "博远有限公司", "安达有限公司"]
    assert order("visit") == ["成功有限公司", "博远有限公司", "安达有限公司"]
    assert order("employees") == ["博远有限公司", "成功有限公司", "安达有限公司"]


def test_pages_and_counts(client, login_as):
    for n in range(30):
        ent = factories.enterprise(f"企业{n:02d}有限公司")
        if n < 4:
            factories.red_issue(ent)
    db.session.commit()
    login_as("coordinator")
    first = client.get("/enterprises/").get_data(as_text=True)
    assert len(names(first)) == 25
    assert "共 30 家" in first
    assert "4 家有超期问题" in first
    assert "30 家本周未走访" in first
    second = client.get("/enterprises/?page=2").get_data(as_text=True)
    assert len(names(second)) == 5
    assert "第 2 页，共 2 页" in second


@pytest.mark.parametrize("query", ["page=abc", "page=-3", "page=99999", "town=xyz",
                                   "leader=1e9", "commissioner=%00", "sort=drop", "status=boom",
                                   "cluster=<script>", "q=" + "长" * 300, "red=yes"])
def test_nonsense_in_the_query_string_never_fails(client, login_as, query):
    factories.enterprise("兴发制管有限公司")
    db.session.commit()
    login_as("coordinator")
    response = client.get(f"/enterprises/?{query}")
    assert response.status_code == 200
    assert "企业" in response.get_data(as_text=True)


def test_phone_cards_and_desk_table_show_the_same_rows(client, login_as):
    factories.enterprise("兴发制管有限公司")
    factories.enterprise("绿源食品有限公司")
    db.session.commit()
    login_as("coordinator")
    html = client.get("/enterprises/").get_data(as_text=True)
    assert html.count('data-testid="enterprise-card"') == 2
    assert html.count('data-testid="enterprise-row"') == 2
