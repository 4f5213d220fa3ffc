"""政银企座谈会: invite enterprises from open needs by filters, record outcomes per
enterprise × bank, and print the one-page list (packet kind "matching")."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from crm.extensions import db
from crm.financing import matching
from crm.financing.models import MatchOutcome
from crm.meetings.models import Briefing
from crm.meetings.packets.context import packet_context
from crm.meetings.packets.render import briefing_html, render_briefing
from tests import factories
from tests.financing.helpers import bank, need


def _session(coordinator):
    a, b = bank("甲银行"), bank("乙银行")
    north = factories.unit("北镇", kind="town")
    big = need(factories.enterprise("北镇大企业", town_id=north.id), coordinator, amount="900",
               offers="credit", tax_grade="A")
    small = need(factories.enterprise("其他小企业"), coordinator, amount="50")
    need(factories.enterprise("未同意企业", town_id=north.id), coordinator, consent=False)
    session = matching.save_session(None, {"title": "十二月政银企座谈会",
                                           "held_on": date(2026, 12, 10), "place": "市民中心"},
                                    [a[0], b[0]], coordinator)
    return session, a, b, north, big, small


def test_invite_by_filters_and_record_outcomes(app, client, login_as):
    coordinator = factories.user(roles=["coordinator"])
    session, a, b, north, big, small = _session(coordinator)
    db.session.commit()
    login_as(coordinator)
    page = client.get(f"/financing/sessions/{session.id}?town={north.id}").get_data(as_text=True)
    pool = re.findall(r'data-testid="pool-row">.*?</label>', page, re.S)
    assert len(pool) == 1 and "北镇大企业" in pool[0]   # no consent, other town: not offered
    client.post_form(f"/financing/sessions/{session.id}/invite", {"need": [big.id]})
    client.post_form(f"/financing/sessions/{session.id}/outcome", {
        "need_id": big.id, "bank_id": a[0].id, "result": "intent", "amount": "600"})
    client.post_form(f"/financing/sessions/{session.id}/outcome", {
        "need_id": big.id, "bank_id": b[0].id, "result": "no_match"})
    # An enterprise not invited cannot get an outcome.
    client.post_form(f"/financing/sessions/{session.id}/outcome", {
        "need_id": small.id, "bank_id": a[0].id, "result": "intent"})
    rows = db.session.execute(select(MatchOutcome.need_id, MatchOutcome.bank_id,
                                     MatchOutcome.result)).all()
    assert sorted(rows) == sorted([(big.id, a[0].id, "intent"), (big.id, b[0].id, "no_match")])
    page = client.get(f"/financing/sessions/{session.id}").get_data(as_text=True)
    assert len(re.findall(r'data-testid="invited-row"', page)) == 1


def test_one_page_list_is_a_matching_packet(app, client, login_as):
    coordinator = factories.user(roles=["coordinator"])
    session, a, b, north, big, small = _session(coordinator)
    matching.invite(session, [big, small], coordinator)
    matching.record_outcome(session, big.id, a[0].id, "intent", 600, None, coordinator)
    db.session.commit()
    login_as(coordinator)
    response = client.post_form(f"/meetings/matching/{session.id}")
    assert response.status_code == 302
    briefing = db.session.scalar(select(Briefing))
    assert (briefing.kind, briefing.subject_key) == ("matching", f"matching:{session.id}")
    html = briefing_html(briefing)
    assert "北镇大企业" in html and "其他小企业" in html and "甲银行" in html
    assert "意向" in html or "Intent to lend" in html
    assert render_briefing(briefing).pages == 1    # the one-page list for the table
    assert "十二月政银企座谈会" in packet_context(briefing)["title"]
    detail = client.get(f"/briefings/{briefing.id}")
    assert detail.status_code == 200
