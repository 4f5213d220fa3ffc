"""A leader signs in on a phone and sees 我包联的企业 with red-problem enterprises first."""
from datetime import timedelta

from crm.core.timeutil import local_today
from crm.extensions import db
from tests import factories
from tests.e2e.conftest import sign_in


def test_leader_sees_the_portfolio_reds_first_on_a_phone(live_app, phone):
    with live_app.app_context():
        leader = factories.user(roles=["leader"], username="leader", display_name="李市长")
        deputy = factories.user(roles=["leader"], display_name="王副市长")
        commissioner = factories.user(roles=["commissioner"], display_name="张特派")
        calm = factories.enterprise("安达机械有限公司")
        red = factories.enterprise("兴发制管有限公司")
        yellow = factories.enterprise("博远食品有限公司")
        for ent in (calm, red, yellow):
            factories.assignment(ent, leader, "leader_a")
            factories.assignment(ent, deputy, "leader_b")
        factories.red_issue(red, title="用电增容审批超期")
        factories.yellow_issue(yellow)
        factories.visit(calm, commissioner, visit_date=local_today())
        factories.visit(red, commissioner, visit_date=local_today() - timedelta(days=10))
        db.session.commit()

    sign_in(phone, "leader", factories.PASSWORD)
    assert phone.url.endswith("/enterprises/mine")
    assert phone.get_by_test_id("home-heading").inner_text() == "我包联的企业"
    names = phone.get_by_test_id("portfolio-name").all_inner_texts()
    assert names == ["兴发制管有限公司", "博远食品有限公司", "安达机械有限公司"]
    first = phone.get_by_test_id("portfolio-card").first
    assert "超期 1 件" in first.inner_text()
    assert "用电增容审批超期" in first.inner_text()
    assert first.locator('[data-light="red"]').is_visible()
    assert "本周未走访" in first.inner_text()
    # The cards fit the phone: nothing is wider than the 390 px viewport.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # A card opens the enterprise page.
    phone.get_by_test_id("portfolio-name").first.click()
    phone.wait_for_load_state("networkidle")
    assert phone.get_by_test_id("enterprise-name").inner_text() == "兴发制管有限公司"
    assert phone.get_by_test_id("open-problem").first.locator('[data-light="red"]').is_visible()


def test_a_leader_with_many_enterprises_loads_the_rest_in_place(live_app, phone):
    with live_app.app_context():
        leader = factories.user(roles=["leader"], username="leader", display_name="李市长")
        for i in range(34):
            ent = factories.enterprise(f"企业{i:02d}有限公司")
            factories.assignment(ent, leader, "leader_a")
            if i < 2:
                factories.red_issue(ent)
        db.session.commit()

    sign_in(phone, "leader", factories.PASSWORD)
    assert phone.get_by_test_id("portfolio-card").count() == 2
    more = phone.get_by_test_id("portfolio-more")
    assert more.inner_text() == "其余 32 家"
    url = phone.url
    more.click()
    # The page's script puts the next 30 cards under the first ones, then the last 2.
    phone.get_by_test_id("portfolio-rest").first.wait_for()
    assert phone.url == url and phone.get_by_test_id("portfolio-card").count() == 32
    phone.get_by_test_id("portfolio-more").click()
    phone.get_by_test_id("portfolio-rest").nth(1).wait_for()
    assert phone.get_by_test_id("portfolio-card").count() == 34
    assert phone.get_by_test_id("portfolio-more").count() == 0
    names = phone.get_by_test_id("portfolio-name").all_inner_texts()
    assert len(set(names)) == 34
