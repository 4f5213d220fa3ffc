"""The visit form of two screens on a 390×844 phone in real Chromium: folded sections
with what was chosen in the folded line, the five best-matching policies and a search
(pinyin initials too) for the rest, the default form at most 1,700 px high."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.liaisons.models import Visit
from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.test_visits import Taps, counts, open_form

pytestmark = pytest.mark.e2e

MAX_HEIGHT = 1700  # two screens of a 390×844 phone


@pytest.fixture
def big_catalogue(live_app):
    """One commissioner's enterprise with 34 valid policies that fit it (as in the issue)
    and a few that do not; one policy written for its industry and scale."""
    with live_app.app_context():
        com = factories.user(["commissioner"], username="wang", display_name="王小明")
        ent = factories.enterprise("兴发制管有限公司", industry="C", scale="above")
        factories.assignment(ent, com)
        for n in range(33):
            factories.policy(f"普惠政策第{n + 1}号", issuer="市发改委")
        factories.policy("制造业技术改造专项补贴", industries="C", scales="above", issuer="市工信局")
        factories.policy("跨境电商物流补助", industries="F", issuer="市商务局")
        factories.policy("外贸企业出口信用保险补贴", industries="F", issuer="市商务局")
        factories.category("用电用能")
        db.session.commit()
        return {"enterprise_id": ent.id}


def page_height(page) -> int:
    return page.evaluate("() => document.documentElement.scrollHeight")


def test_default_form_fits_two_screens_with_one_problem(live_app, phone, big_catalogue):
    sign_in(phone, "wang", factories.PASSWORD)
    taps = Taps(phone)
    open_form(phone, taps)
    empty = page_height(phone)
    taps.tap(phone.get_by_test_id("add-problem"))
    phone.keyboard.type("新产线用电容量不足")
    taps.choose(phone.get_by_test_id("problem-category"), "用电用能")
    taps.tap(phone.get_by_test_id("summary"))
    phone.keyboard.type("企业生产正常，订单饱满，新产线下月投产。")
    with_problem = page_height(phone)
    print(f"\nFORM HEIGHT at 390x844: {empty} px empty, {with_problem} px with one problem "
          f"(limit {MAX_HEIGHT} px, 34 matching policies in the catalogue)")
    assert empty <= MAX_HEIGHT and with_problem <= MAX_HEIGHT
    # Every section is one line until opened.
    for testid in ("section-basics", "section-policy", "section-service", "section-factor",
                   "section-flags", "section-more", "section-photos"):
        fold = phone.get_by_test_id(testid)
        assert fold.get_attribute("open") is None
        assert fold.bounding_box()["height"] <= 60
    taps.tap(phone.get_by_test_id("submit-visit"))
    phone.wait_for_url("**/visits/week")
    print(f"VISIT WITH ONE PROBLEM: {taps.count} taps")
    assert taps.count <= 12
    assert counts(live_app) == (1, 1)


def test_five_best_policies_and_a_search_with_pinyin_initials(live_app, phone, big_catalogue):
    sign_in(phone, "wang", factories.PASSWORD)
    open_form(phone)
    section = phone.get_by_test_id("section-policy")
    section.locator("summary").tap()
    shown = section.locator(".policy-option:visible")
    assert shown.count() == 5
    # The policy written for manufacturing above the size threshold fits best.
    assert "制造业技术改造专项补贴" in shown.first.inner_text()
    assert "跨境电商物流补助" not in section.inner_text() or not section.get_by_text(
        "跨境电商物流补助").is_visible()
    search = phone.get_by_test_id("policy-search")
    search.fill("kjds")  # 跨境电商 by its pinyin initials
    found = section.locator("[data-policy-search]:visible")
    assert found.count() == 1 and "跨境电商物流补助" in found.inner_text()
    found.locator("label").tap()
    search.fill("第3号")
    assert section.locator("[data-policy-search]:visible").count() == 2  # the chosen one stays
    section.locator("[data-policy-search]:visible", has_text="普惠政策第3号").locator(
        "label").tap()
    search.fill("没有这种政策")
    assert phone.locator("[data-policy-none]").is_visible()
    line = section.locator("[data-fold-summary]").inner_text()
    assert "跨境电商物流补助" in line and "普惠政策第3号" in line
    phone.get_by_test_id("summary").fill("宣讲政策")
    phone.get_by_test_id("submit-visit").tap()
    phone.wait_for_url("**/visits/week")
    with live_app.app_context():
        visit = db.session.scalar(select(Visit).options(selectinload(Visit.policies)))
        assert sorted(p.title for p in visit.policies) == ["普惠政策第3号", "跨境电商物流补助"]


def test_folded_lines_show_the_choice_and_errors_open_their_section(live_app, phone,
                                                                   big_catalogue):
    sign_in(phone, "wang", factories.PASSWORD)
    open_form(phone)
    flags = phone.get_by_test_id("section-flags")
    flags.locator("summary").tap()
    phone.get_by_test_id("flag-orders").tap()
    phone.get_by_test_id("flag-funding").tap()
    flags.locator("summary").tap()  # fold it again
    assert flags.locator("[data-fold-summary]").inner_text() == "订单下滑、资金紧张/融资需求"
    basics = phone.get_by_test_id("section-basics")
    assert "实地走访" in basics.locator("[data-fold-summary]").inner_text()
    # A date too far back needs a reason: the folded section opens by the error.
    basics.locator("summary").tap()
    phone.get_by_test_id("visit-date").fill("2000-01-01")
    basics.locator("summary").tap()
    phone.get_by_test_id("submit-visit").tap()
    phone.locator('.invalid-feedback[data-field="visit_date"]').wait_for()
    assert basics.get_attribute("open") is not None
    assert counts(live_app) == (0, 0)
