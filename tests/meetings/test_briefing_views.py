"""The packet pages as leaders and coordinators use them."""
from sqlalchemy import select

from crm.extensions import db
from crm.meetings.models import Briefing
from tests import factories


def _portfolio(leader):
    ent = factories.enterprise(name="兴发制管有限公司")
    factories.assignment(ent, leader, "leader_a")
    db.session.commit()


def test_leader_generates_and_downloads_own_portfolio(client, login_as):
    leader = login_as("leader")
    _portfolio(leader)
    r = client.post_form("/briefings/portfolio")
    assert r.status_code == 302
    page = client.get(r.headers["Location"])
    html = page.get_data(as_text=True)
    assert 'data-state="success"' in html and "下载 PDF" in html
    briefing = db.session.scalar(select(Briefing))
    pdf = client.get(f"/briefings/{briefing.id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and "attachment" in pdf.headers["Content-Disposition"]


def test_other_leader_cannot_see_the_portfolio(client, login_as, app):
    owner = factories.user(roles=["leader"])
    db.session.commit()
    _portfolio(owner)
    other_client = app.test_client()
    other_client.post_form("/login", {"username": owner.username,
                                      "password": factories.PASSWORD})
    other_client.post_form("/briefings/portfolio")
    briefing = db.session.scalar(select(Briefing))
    login_as("leader")
    assert client.get(f"/briefings/{briefing.id}").status_code == 404
    assert client.get(f"/briefings/{briefing.id}/pdf").status_code == 404


def test_commissioner_cannot_request_packets(client, login_as):
    login_as("commissioner")
    assert client.post_form("/briefings/portfolio").status_code == 403


def test_failed_packet_shows_error_and_retry_works(client, login_as, monkeypatch):
    leader = login_as("leader")
    _portfolio(leader)

    def broken(_b):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr("crm.meetings.packets.render.render_briefing", broken)
    r = client.post_form("/briefings/portfolio")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-state="failed"' in html and "磁盘已满" in html and "重试" in html
    briefing = db.session.scalar(select(Briefing))
    assert client.get(f"/briefings/{briefing.id}/pdf").status_code == 404  # nothing half-made
    monkeypatch.undo()
    client.post_form(f"/briefings/{briefing.id}/retry")
    html = client.get(f"/briefings/{briefing.id}").get_data(as_text=True)
    assert 'data-state="success"' in html


def test_coordinator_marks_final_and_redis_down_defers(client, login_as, app):
    login_as("coordinator")
    leader = factories.user(roles=["leader"])
    db.session.commit()
    _portfolio(leader)
    r = client.post_form("/briefings/portfolio", {"leader_id": leader.id})
    briefing = db.session.scalar(select(Briefing))
    client.post_form(f"/briefings/{briefing.id}/final")
    db.session.refresh(briefing)
    assert briefing.is_final
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # configured but down
    try:
        r = client.post_form("/briefings/portfolio", {"leader_id": leader.id},
                             follow_redirects=True)
    finally:
        app.config["REDIS_URL"] = None
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "已排队" in html
    second = db.session.scalars(select(Briefing).order_by(Briefing.id.desc())).first()
    assert second.version == 2 and second.state == "pending"
