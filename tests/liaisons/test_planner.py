"""The visit planner on 我的本周 (what is due, who else went this week, the coordinator's
visit cap), the coordinator's list of enterprises visited by several cadres, and past
weeks that show that week's own figures."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from crm.core.models import AuditLog
from crm.core.timeutil import week_start
from crm.extensions import db
from crm.liaisons.models import VisitCap
from tests import factories
from tests.clock import DEFAULT_NOW, local_instant

TODAY = local_instant(DEFAULT_NOW).date()  # the tests' clock (not running at import)
MONDAY = week_start(TODAY)


def _html(r) -> str:
    return r.get_data(as_text=True)


def _section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start:html.index("</section>", start)]


def test_the_planner_says_what_is_due_and_who_else_went(county, client, login_as):
    colleague = factories.user(["commissioner"], display_name="李同事")
    quiet = factories.enterprise("安达机械有限公司")
    shared = factories.enterprise("博远食品有限公司")
    for ent in (quiet, shared):
        factories.assignment(ent, county.com, start=TODAY - timedelta(days=40))
    factories.assignment(shared, colleague)
    factories.visit(quiet, county.com, TODAY - timedelta(days=20))
    factories.visit(shared, colleague, MONDAY)
    factories.visit(county.ent, county.com, MONDAY)
    factories.red_issue(county.ent, county.com, title="用电增容超期")
    db.session.commit()
    login_as(county.com)
    planner = _section(_html(client.get("/visits/week")), "planner")
    due = dict(re.findall(r'data-testid="due-row" data-enterprise="(\d+)">([^<]+)', planner))
    assert set(due) == {str(quiet.id), str(county.ent.id)}
    rows = re.findall(r'data-testid="due-row" data-enterprise="(\d+)">.*?</li>', planner, re.S)
    assert str(shared.id) not in rows  # another cadre went this week: 无事不扰
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", planner))
    assert "兴发制管有限公司 · 1 件问题超期" in text
    assert "安达机械有限公司 · 本周未走访、已 20 天未走访" in text
    assert "博远食品有限公司（李同事）" in text


def test_a_visit_cap_reached_takes_the_enterprise_off_the_due_list(county, client, login_as):
    factories.visit(county.ent, county.com, MONDAY)
    db.session.add(VisitCap(enterprise_id=county.ent.id, per_week=1, unless_problem=False))
    factories.red_issue(county.ent, county.com)
    db.session.commit()
    login_as(county.com)
    html = _html(client.get("/visits/week"))
    assert "已达走访次数上限：每周最多 1 次" in html
    assert f'data-enterprise="{county.ent.id}"' not in _section(html, "planner")
    # "More when a problem is open": the open red problem lifts the cap.
    db.session.get(VisitCap, county.ent.id).unless_problem = True
    db.session.commit()
    html = _html(client.get("/visits/week"))
    assert "已达走访次数上限" not in html
    assert f'data-enterprise="{county.ent.id}"' in _section(html, "planner")


def test_coordinator_sees_enterprises_visited_by_several_cadres_and_sets_a_cap(
        county, client, login_as):
    colleague = factories.user(["commissioner"], display_name="李同事")
    factories.visit(county.ent, county.com, MONDAY)
    factories.visit(county.ent, colleague, MONDAY)
    factories.visit(county.spare, county.other, MONDAY)
    db.session.commit()
    ent_id = county.ent.id
    login_as(county.coord)
    html = _html(client.get("/visits/shared"))
    assert html.count('data-testid="shared-row"') == 1
    assert "兴发制管有限公司" in html and "2 名干部、2 次走访" in html
    assert "恒昌食品股份有限公司" not in html
    r = client.post_form(f"/visits/caps/{ent_id}", {"per_week": "1", "unless_problem": "y",
                                                     "week": MONDAY.isoformat()})
    assert r.status_code == 302
    cap = db.session.get(VisitCap, ent_id)
    assert (cap.per_week, cap.unless_problem) == (1, True)
    assert db.session.scalar(select(AuditLog).where(AuditLog.object_type == "visit_caps"))
    assert "每周最多 1 次" in _html(client.get("/visits/shared"))
    bad = client.post_form(f"/visits/caps/{ent_id}", {"per_week": "99"}, follow_redirects=True)
    assert "请填写 1 到 7 之间的数字" in _html(bad)
    assert db.session.get(VisitCap, ent_id).per_week == 1
    client.post_form(f"/visits/caps/{ent_id}", {"per_week": ""})
    db.session.expire_all()
    assert db.session.get(VisitCap, ent_id) is None


def test_a_past_week_shows_that_weeks_figures(county, client, login_as):
    past_monday = MONDAY - timedelta(weeks=6)
    factories.visit(county.ent, county.com, past_monday + timedelta(days=1))
    factories.visit(county.ent, county.com, TODAY)
    db.session.commit()
    login_as(county.com)
    html = _html(client.get(f"/visits/week?week={past_monday.isoformat()}"))
    # The last visit as of that week, not this week's.
    rows = _section_or_all(html)
    assert (past_monday + timedelta(days=1)).isoformat() in rows
    assert TODAY.isoformat() not in rows
    assert "当月覆盖率" in html and "本月覆盖率" not in html
    assert 'data-testid="planner"' not in html


def _section_or_all(html: str) -> str:
    start = html.index('data-testid="week-row"')
    return html[start:]
