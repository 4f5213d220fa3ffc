"""The main pages cost the same number of queries for 3 or 30 enterprises."""
from crm.extensions import db
from tests import factories
from tests.conftest import count_queries


def populate(n, leader, commissioner, town):
    for i in range(n):
        ent = factories.enterprise(town_id=town.id, cluster="先进制造")
        factories.assignment(ent, leader, "leader_a" if i % 2 else "leader_b")
        factories.assignment(ent, commissioner)
        factories.contact(ent)
        factories.visit(ent, commissioner)
        factories.red_issue(ent, commissioner)
        factories.issue(ent, commissioner, state="closed", rating=4)
    db.session.commit()


def cost(client, url) -> int:
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200
    return q.count


def test_list_portfolio_and_export_queries_do_not_grow(client, login_as):
    leader = factories.user(roles=["leader", "coordinator"])
    commissioner = factories.user(roles=["commissioner"])
    town = factories.unit(kind="town")
    db.session.commit()
    login_as(leader)
    populate(3, leader, commissioner, town)
    urls = ["/enterprises/", "/enterprises/?sort=red&red=1", "/enterprises/mine",
            "/enterprises/export.xlsx"]
    small = [cost(client, url) for url in urls]
    populate(27, leader, commissioner, town)
    large = [cost(client, url) for url in urls]
    assert small == large


def test_enterprise_page_queries_do_not_grow(client, login_as):
    coordinator = factories.user(roles=["coordinator"])
    commissioner = factories.user(roles=["commissioner"])
    ent = factories.enterprise()
    db.session.commit()
    login_as(coordinator)

    def add(n):
        for _ in range(n):
            factories.contact(ent, is_primary=False)
            factories.visit(ent, commissioner)
            factories.red_issue(ent, commissioner)
            factories.issue(ent, commissioner, state="closed")
            factories.policy()
        db.session.commit()

    add(2)
    small = cost(client, f"/enterprises/{ent.id}")
    add(10)
    assert cost(client, f"/enterprises/{ent.id}") == small
