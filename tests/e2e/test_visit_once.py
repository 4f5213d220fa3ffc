"""Exactly one visit per real visit, in real Chromium on a 390×844 phone: Back after
saving, a reload and a resubmit, two tabs, and the same-day question
(今天已记录过对该企业的走访：补充到已有记录，还是另记一次？)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.liaisons.models import Visit
from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.test_visits import counts, field_day, open_form  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e

QUESTION = "今天已记录过对该企业的走访：补充到已有记录，还是另记一次？"


def summaries(app) -> list[str]:
    """The stored visits' summaries, oldest first."""
    with app.app_context():
        db.session.remove()
        return list(db.session.scalars(select(Visit.summary).order_by(Visit.id)))


def save_visit(page, text: str) -> None:
    open_form(page)
    page.get_by_test_id("summary").fill(text)
    page.get_by_test_id("submit-visit").tap()
    page.wait_for_url("**/visits/week")


def test_back_after_saving_and_resubmitting_stores_one_visit(live_app, phone, field_day):
    sign_in(phone, "wang", factories.PASSWORD)
    save_visit(phone, "企业生产正常，订单饱满。")
    assert "走访记录已保存" in phone.content()
    # The phone's Back button: the saved page replaced the form in the history.
    phone.go_back()
    phone.wait_for_load_state("networkidle")
    landed = phone.url.replace(live_app.config["LIVE_URL"], "")
    on_form = phone.locator("form[data-visit-form]").count() > 0
    filled = on_form and phone.get_by_test_id("summary").input_value() != ""
    assert not filled
    # Whatever Back showed, the commissioner taps 记一次走访 again and submits.
    if not on_form:
        phone.goto("/visits/week")
    open_form(phone)
    assert phone.get_by_test_id("summary").input_value() == ""  # the draft was cleared
    phone.get_by_test_id("summary").fill("企业生产正常，订单饱满。")
    phone.get_by_test_id("submit-visit").tap()
    question = phone.get_by_test_id("same-day-question")
    question.wait_for()
    assert QUESTION in question.inner_text()
    assert counts(live_app) == (1, 0)  # nothing stored before the answer
    phone.get_by_test_id("same-day-append").tap()
    phone.wait_for_url("**/visits/week")
    assert "已补充到当天已有的走访记录" in phone.content()
    assert counts(live_app) == (1, 0)
    assert phone.get_by_test_id("visited-badge").inner_text() == "已走访"  # not ×2
    print(f"\nBACK + RESUBMIT: Back landed on {landed} (form shown: {on_form}, filled: "
          f"{filled}); the resubmit asked the same-day question; visits stored: "
          f"{counts(live_app)[0]}")


def test_a_second_visit_the_same_day_can_be_recorded_on_purpose(live_app, phone, field_day):
    sign_in(phone, "wang", factories.PASSWORD)
    save_visit(phone, "上午：了解订单情况。")
    open_form(phone)
    phone.get_by_test_id("summary").fill("下午：陪同供电公司现场勘查。")
    phone.get_by_test_id("submit-visit").tap()
    phone.get_by_test_id("same-day-question").wait_for()
    phone.get_by_test_id("same-day-separate").tap()
    phone.wait_for_url("**/visits/week")
    assert summaries(live_app) == ["上午：了解订单情况。", "下午：陪同供电公司现场勘查。"]
    assert phone.get_by_test_id("visited-badge").inner_text() == "已走访 ×2"


def test_reload_and_resubmit_after_a_lost_answer_stores_one_visit(live_app, phone, field_day):
    sign_in(phone, "wang", factories.PASSWORD)
    open_form(phone)
    phone.get_by_test_id("summary").fill("信号差，提交后没有收到回应。")

    # The server stores the visit but its answer never reaches the phone.
    def lose_answer(route):
        route.fetch()
        route.abort("connectionreset")

    phone.route("**/visits/new/*", lambda route: lose_answer(route)
                if route.request.method == "POST" else route.continue_())
    phone.get_by_test_id("submit-visit").tap()
    phone.get_by_test_id("queued-notice").wait_for()
    assert counts(live_app) == (1, 0)
    phone.unroute("**/visits/new/*")
    # The commissioner reloads the form and submits again.
    phone.reload()
    phone.wait_for_function(
        "() => document.getElementById('visit-sync').textContent.includes('已同步')")
    assert phone.get_by_test_id("summary").input_value() == ""  # no draft to send twice
    phone.get_by_test_id("summary").fill("信号差，提交后没有收到回应。")
    phone.get_by_test_id("submit-visit").tap()
    phone.get_by_test_id("same-day-question").wait_for()
    phone.get_by_test_id("same-day-append").tap()
    phone.wait_for_url("**/visits/week")
    assert counts(live_app) == (1, 0)
    # Adding the same text again does not write it twice.
    assert summaries(live_app) == ["信号差，提交后没有收到回应。"]
    print(f"\nRELOAD + RESUBMIT: visits stored: {counts(live_app)[0]}")


def test_two_tabs_store_one_visit_unless_asked_for_two(live_app, phone, field_day):
    sign_in(phone, "wang", factories.PASSWORD)
    tab2 = phone.context.new_page()
    tab2.goto(f"/visits/new/{field_day['enterprise_id']}")
    open_form(phone)
    phone.get_by_test_id("summary").fill("第一个标签页：了解用工。")
    tab2.get_by_test_id("summary").fill("第二个标签页：了解融资。")
    phone.get_by_test_id("submit-visit").tap()
    phone.wait_for_url("**/visits/week")
    tab2.get_by_test_id("submit-visit").tap()
    question = tab2.get_by_test_id("same-day-question")
    question.wait_for()
    assert QUESTION in question.inner_text()
    tab2.get_by_test_id("same-day-append").tap()
    tab2.wait_for_url("**/visits/week")
    assert counts(live_app) == (1, 0)
    assert summaries(live_app) == ["第一个标签页：了解用工。\n第二个标签页：了解融资。"]
    print(f"\nTWO TABS: visits stored: {counts(live_app)[0]}")


def test_the_form_without_script_asks_the_same_question(live_app, browser, field_day):
    """Post/Redirect/Get for a browser without JavaScript: the question is on the page,
    a reload after saving sends nothing again."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                              java_script_enabled=False, base_url=live_app.config["LIVE_URL"])
    page = ctx.new_page()
    try:
        sign_in(page, "wang", factories.PASSWORD)
        url = f"/visits/new/{field_day['enterprise_id']}"
        for text in ("第一次", "第二次"):
            page.goto(url)
            page.locator('[name="summary"]').fill(text)
            page.get_by_test_id("submit-visit").click()
        assert QUESTION in page.get_by_test_id("same-day-question").inner_text()
        assert counts(live_app) == (1, 0)
        page.get_by_test_id("same-day-append").click()
        page.wait_for_url("**/visits/week")
        page.reload()
        assert counts(live_app) == (1, 0)
        with live_app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Visit)) == 1
        assert summaries(live_app) == ["第一次\n第二次"]
    finally:
        ctx.close()
