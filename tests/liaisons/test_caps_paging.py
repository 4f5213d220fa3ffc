"""The coordinator's list of visit caps in force comes a page at a time (keyset on the
enterprise), so a province with thousands of caps still gets a light page."""
from __future__ import annotations

from crm.extensions import db
from crm.liaisons.models import VisitCap
from crm.liaisons.views.planner import CAPS_PAGE
from tests import factories


def test_caps_come_a_page_at_a_time(county, client, login_as):
    ids = sorted(factories.enterprise(f"限次企业{i}").id for i in range(CAPS_PAGE + 2))
    for ent_id in ids:
        db.session.add(VisitCap(enterprise_id=ent_id, per_week=1))
    db.session.commit()
    login_as(county.coord)
    html = client.get("/visits/shared").get_data(as_text=True)
    assert html.count('data-testid="cap-row"') == CAPS_PAGE
    assert f"caps_after={ids[CAPS_PAGE - 1]}" in html
    html = client.get(f"/visits/shared?caps_after={ids[CAPS_PAGE - 1]}").get_data(as_text=True)
    assert html.count('data-testid="cap-row"') == 2 and 'data-testid="caps-next"' not in html
    for bad in ("x", "-5", "99999999999999"):
        r = client.get(f"/visits/shared?caps_after={bad}")
        assert r.status_code == 200
        assert r.get_data(as_text=True).count('data-testid="cap-row"') == CAPS_PAGE
