"""The portfolio PDF button: a second tap within minutes on unchanged data shows the PDF
just made instead of a new identical version; leaders do not see the checksum."""

from sqlalchemy import func, select

from crm.extensions import db
from crm.meetings.models import Briefing
from tests import factories


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Briefing))


def _ent(leader):
    ent = factories.enterprise(name="兴发制管有限公司")
    factories.assignment(ent, leader, "leader_a")
    db.session.commit()
    return ent


def test_a_second_tap_reuses_the_pdf_just_made(client, login_as):
    leader = login_as("leader")
    _ent(leader)
    first = client.post_form("/briefings/portfolio")
    second = client.post_form("/briefings/portfolio")
    assert first.headers["Location"] == second.headers["Location"]
    assert _count() == 1
    html = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "之后数据没有变化，不再重复生成" in html
    assert 'data-testid="briefing-sha256"' not in html and "SHA-256" not in html


def test_changed_data_or_time_makes_a_new_version(client, login_as, clock):
    leader = login_as("leader")
    ent = _ent(leader)
    client.post_form("/briefings/portfolio")
    clock.travel("2026-11-25 14:32")
    factories.visit(ent, factories.user(["commissioner"]))
    db.session.commit()
    client.post_form("/briefings/portfolio")
    assert _count() == 2
    clock.travel("2026-11-25 14:50")
    client.post_form("/briefings/portfolio")
    assert _count() == 3


def test_the_coordinator_still_sees_the_checksum(client, login_as):
    login_as("coordinator")
    leader = factories.user(roles=["leader"])
    db.session.commit()
    _ent(leader)
    r = client.post_form("/briefings/portfolio", {"leader_id": leader.id})
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="briefing-sha256"' in html
