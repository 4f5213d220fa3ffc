"""A coordinator asks for a leader's portfolio PDF: without a valid leader they are sent
back with a clear message and nothing is written."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.meetings.models import Briefing
from tests import factories
from tests.security.test_web import row_counts

NO_LEADER = "请选择要生成包联企业材料（PDF）的市级领导。"
NOT_A_LEADER = "所选人员不是包联市级领导，未生成材料。"


@pytest.fixture
def people(app):
    leader = factories.user(roles=["leader"], display_name="刘建国")
    commissioner = factories.user(roles=["commissioner"])
    ent = factories.enterprise("兴发制管有限公司")
    factories.assignment(ent, leader, "leader_a")
    db.session.commit()
    return {"leader": leader.id, "commissioner": commissioner.id}


@pytest.mark.parametrize("leader_id,message", [
    (None, NO_LEADER), ("", NO_LEADER), ("   ", NO_LEADER),
    ("abc", NOT_A_LEADER), ("-1", NOT_A_LEADER), ("0", NOT_A_LEADER),
    ("987654", NOT_A_LEADER), ("99999999999999999999", NOT_A_LEADER),
    ("٣", NOT_A_LEADER), ("1 OR 1=1", NOT_A_LEADER), ("commissioner", NOT_A_LEADER),
])
def test_coordinator_without_a_valid_leader_is_told_and_nothing_is_made(
        client, login_as, people, leader_id, message):
    login_as("coordinator")
    before = row_counts()
    data = {} if leader_id is None else {"leader_id": people.get(leader_id, leader_id)}
    response = client.post_form("/briefings/portfolio", data,
                                headers={"Referer": "http://localhost/meetings/?page=2"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/meetings/?page=2"   # back where they were
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert message in page and "alert-danger" in page
    db.session.expire_all()
    assert row_counts() == before


@pytest.mark.parametrize("referrer", ["https://evil.example/phish",
                                      "http://localhost//evil.example/phish",
                                      "http://localhost/\\evil.example/phish"])
def test_an_outside_referrer_is_not_followed(client, login_as, people, referrer):
    login_as("coordinator")
    response = client.post_form("/briefings/portfolio", {}, headers={"Referer": referrer})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]
    page = client.get(response.headers["Location"], follow_redirects=True)
    assert NO_LEADER in page.get_data(as_text=True)


def test_coordinator_with_a_real_leader_gets_the_packet(client, login_as, people):
    login_as("coordinator")
    response = client.post_form("/briefings/portfolio", {"leader_id": people["leader"]})
    assert response.status_code == 302 and "/briefings/" in response.headers["Location"]
    briefing = db.session.scalar(select(Briefing))
    assert briefing.leader_id == people["leader"] and briefing.state == "success"


def test_coordinator_who_is_also_a_leader_gets_their_own_without_leader_id(
        client, login_as, people):
    me = login_as("coordinator")
    me.roles = ["coordinator", "leader"]
    db.session.commit()
    response = client.post_form("/briefings/portfolio", {})
    assert response.status_code == 302 and "/briefings/" in response.headers["Location"]
    assert db.session.scalar(select(Briefing.leader_id)) == me.id
    # A garbage leader_id is not silently read as "my own".
    response = client.post_form("/briefings/portfolio", {"leader_id": "x"})
    assert NOT_A_LEADER in client.get(response.headers["Location"],
                                      follow_redirects=True).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Briefing)) == 1
