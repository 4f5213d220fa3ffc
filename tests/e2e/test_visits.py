"""A commissioner logs visits on a 390×844 phone in real Chromium: the main flow with its
time and taps, the draft that survives a reload, the offline queue, the double submit."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.issues.models import Issue
from crm.liaisons.models import Visit
from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def field_day(live_app):
    """A commissioner with one enterprise, two valid policies and a problem category."""
    with live_app.app_context():
        com = factories.user(["commissioner"], username="wang", display_name="王小明")
        ent = factories.enterprise("兴发制管有限公司", industry="C", scale="above")
        factories.assignment(ent, com)
        factories.policy("制造业技术改造专项补贴", industries="C", issuer="市工信局")
        factories.policy("外贸企业出口信用保险补贴", industries="F")
        factories.category("用电用能")
        db.session.commit()
        return {"enterprise_id": ent.id}


def counts(app) -> tuple[int, int]:
    """(visits, problems) stored in the database right now."""
    with app.app_context():
        db.session.remove()
        return (db.session.scalar(select(func.count()).select_from(Visit)),
                db.session.scalar(select(func.count()).select_from(Issue)))


class Taps:
    """Counts the taps a person makes (typing into a focused field is not a tap)."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def tap(self, locator):
        locator.tap()
        self.count += 1

    def choose(self, select_locator, label):
        """A native select on a phone: one tap opens it, one tap picks the option."""
        select_locator.tap()
        select_locator.select_option(label=label)
        self.count += 2


def open_form(page, taps=None):
    button = page.get_by_test_id("log-visit").first
    (taps.tap(button) if taps else button.tap())
    page.wait_for_selector("form[data-visit-form]")


def test_main_flow_visit_with_one_problem_time_and_taps(live_app, phone, field_day):
    sign_in(phone, "wang", factories.PASSWORD)
    assert phone.get_by_test_id("not-visited-badge").count() == 1
    taps = Taps(phone)
    started = time.perf_counter()
    open_form(phone, taps)
    taps.tap(phone.get_by_test_id("add-problem"))
    # The new problem's title has the focus: the commissioner just types.
    phone.keyboard.type("新产线用电容量不足")
    taps.choose(phone.get_by_test_id("problem-category"), "用电用能")
    taps.tap(phone.get_by_test_id("summary"))
    phone.keyboard.type("企业生产正常，订单饱满，新产线下月投产。")
    taps.tap(phone.get_by_test_id("submit-visit"))
    phone.wait_for_url("**/visits/week")
    elapsed = time.perf_counter() - started
    assert "走访记录已保存" in phone.content()
    assert phone.get_by_test_id("visited-badge").count() == 1
    print(f"\nMAIN FLOW (visit with one problem): {taps.count} taps, "
          f"{elapsed:.2f} s in the browser")
    assert taps.count <= 12
    with live_app.app_context():
        issue = db.session.scalar(select(Issue))
        assert (issue.title, issue.state) == ("新产线用电容量不足", "new")
        assert issue.visit_id is not None
    assert counts(live_app) == (1, 1)


def test_visit_with_a_policy_a_factor_and_a_problem(live_app, phone, field_day):
    sign_in(phone, "wang", factories.PASSWORD)
    taps = Taps(phone)
    started = time.perf_counter()
    open_form(phone, taps)
    # The policy that fits the enterprise (manufacturing) is offered first.
    taps.tap(phone.get_by_test_id("section-policy").locator("summary"))
    options = phone.get_by_test_id("section-policy").locator("label")
    assert "制造业技术改造专项补贴" in options.first.inner_text()
    taps.tap(phone.get_by_text("制造业技术改造专项补贴"))
    # The folded line says what was chosen.
    assert "制造业技术改造专项补贴" in phone.get_by_test_id("section-policy").locator(
        "[data-fold-summary]").inner_text()
    taps.tap(phone.get_by_test_id("section-factor").locator("summary"))
    taps.tap(phone.get_by_test_id("section-factor").get_by_text("用电", exact=True))
    note = phone.locator('[name="factor_note_power"]')
    assert note.is_visible()
    taps.tap(note)
    phone.keyboard.type("协调供电公司增容")
    taps.tap(phone.get_by_test_id("add-problem"))
    phone.keyboard.type("新产线用电容量不足")
    taps.choose(phone.get_by_test_id("problem-category"), "用电用能")
    taps.tap(phone.get_by_test_id("submit-visit"))
    phone.wait_for_url("**/visits/week")
    elapsed = time.perf_counter() - started
    print(f"\nPOLICY + FACTOR + PROBLEM: {taps.count} taps, {elapsed:.2f} s in the browser")
    assert taps.count <= 12
    with live_app.app_context():
        from sqlalchemy.orm import selectinload

        visit = db.session.scalar(select(Visit).options(selectinload(Visit.policies),
                                                        selectinload(Visit.factors)))
        assert [p.title for p in visit.policies] == ["制造业技术改造专项补贴"]
        assert [(f.factor, f.note) for f in visit.factors] == [("power", "协调供电公司增容")]
    assert counts(live_app) == (1, 1)


def test_errors_come_back_next_to_the_fields_with_the_typing_kept(live_app, phone, field_day):
    sign_in(phone, "wang", factories.PASSWORD)
    open_form(phone)
    phone.get_by_test_id("add-problem").tap()
    phone.keyboard.type("融资难")
    phone.get_by_test_id("summary").fill("走访了解融资需求")
    phone.get_by_test_id("submit-visit").tap()  # no category chosen
    error = phone.locator('.invalid-feedback[data-field="problems-0-category_id"]')
    error.wait_for()
    assert error.inner_text() == "请选择问题类别。"
    assert phone.get_by_test_id("problem-title").input_value() == "融资难"
    assert phone.get_by_test_id("summary").input_value() == "走访了解融资需求"
    assert counts(live_app) == (0, 0)
    phone.get_by_test_id("problem-category").select_option(label="用电用能")
    phone.get_by_test_id("submit-visit").tap()
    phone.wait_for_url("**/visits/week")
    assert counts(live_app) == (1, 1)


def test_a_reload_mid_form_puts_the_draft_back_with_an_undo(live_app, phone, field_day):
    sign_in(phone, "wang", factories.PASSWORD)
    open_form(phone)
    phone.get_by_test_id("add-problem").tap()
    phone.keyboard.type("招工难")
    phone.get_by_test_id("section-factor").locator("summary").tap()
    phone.get_by_test_id("section-factor").get_by_text("用工", exact=True).tap()
    phone.get_by_test_id("summary").fill("了解春节后用工缺口")
    phone.wait_for_function(
        "() => Object.keys(localStorage).some(k => k.startsWith('crm.visitDraft.'))")
    uuid = phone.locator('[name="client_uuid"]').input_value()
    phone.get_by_test_id("summary").scroll_into_view_if_needed()
    phone.reload()
    banner = phone.get_by_test_id("draft-banner")
    banner.wait_for()
    assert "草稿" in banner.inner_text()
    # Put back without a tap, and the banner that says so is on the screen at load.
    box = banner.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844
    print(f"\nDRAFT AFTER RELOAD: restored without a tap; banner at y={box['y']:.0f} px "
          f"(viewport 844 px)")
    assert phone.get_by_test_id("summary").input_value() == "了解春节后用工缺口"
    assert "用工" in phone.get_by_test_id("section-factor").locator(
        "[data-fold-summary]").inner_text()
    assert phone.get_by_test_id("problem-title").input_value() == "招工难"
    assert phone.locator('[name="factors"][value="labour"]').is_checked()
    # The restored draft keeps its submission id: a retry of it can never duplicate.
    assert phone.locator('[name="client_uuid"]').input_value() == uuid
    phone.get_by_test_id("problem-category").select_option(label="用电用能")
    phone.get_by_test_id("submit-visit").tap()
    phone.wait_for_url("**/visits/week")
    assert counts(live_app) == (1, 1)
    # Once saved, the draft is gone: the form opens empty.
    open_form(phone)
    assert not phone.get_by_test_id("draft-banner").is_visible()
    assert phone.get_by_test_id("summary").input_value() == ""


def test_the_restored_draft_can_be_undone(live_app, phone, field_day):
    sign_in(phone, "wang", factories.PASSWORD)
    open_form(phone)
    phone.get_by_test_id("summary").fill("误填的内容")
    phone.wait_for_function(
        "() => Object.keys(localStorage).some(k => k.startsWith('crm.visitDraft.'))")
    phone.reload()
    phone.get_by_test_id("draft-banner").wait_for()
    assert phone.get_by_test_id("summary").input_value() == "误填的内容"
    phone.get_by_test_id("draft-undo").tap()
    assert phone.get_by_test_id("summary").input_value() == ""
    assert not phone.get_by_test_id("draft-banner").is_visible()
    assert phone.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('crm.visitDraft.'))") == []


def test_offline_submit_is_queued_and_sent_once_back_online(live_app, phone, field_day):
    sign_in(phone, "wang", factories.PASSWORD)
    open_form(phone)
    phone.get_by_test_id("add-problem").tap()
    phone.keyboard.type("物流成本上涨")
    phone.get_by_test_id("problem-category").select_option(label="用电用能")
    phone.get_by_test_id("summary").fill("在车间走访，信号弱")
    phone.context.set_offline(True)
    phone.get_by_test_id("submit-visit").tap()
    notice = phone.get_by_test_id("queued-notice")
    notice.wait_for()
    assert "待同步" in notice.inner_text()
    assert "待同步" in phone.get_by_test_id("sync-status").inner_text()
    assert counts(live_app) == (0, 0)
    phone.context.set_offline(False)  # the "online" event sends the queue
    phone.wait_for_function(
        "() => document.querySelector('[data-testid=queued-notice]')"
        ".textContent.includes('已提交保存')")
    assert "已同步" in phone.get_by_test_id("sync-status").inner_text()
    queued = phone.evaluate("() => JSON.parse(localStorage.getItem('crm.visitQueue.' + "
                            "document.getElementById('visit-sync').dataset.user) || '[]')")
    assert queued == []
    assert counts(live_app) == (1, 1)
    # Coming back to the home page sends nothing again.
    phone.goto("/visits/week")
    assert phone.get_by_test_id("visited-badge").count() == 1
    assert counts(live_app) == (1, 1)


def test_a_queued_visit_is_sent_on_the_next_page_load(live_app, phone, field_day):
    sign_in(phone, "wang", factories.PASSWORD)
    open_form(phone)
    phone.get_by_test_id("summary").fill("电话了解复工情况")
    phone.context.set_offline(True)
    phone.get_by_test_id("submit-visit").tap()
    phone.get_by_test_id("queued-notice").wait_for()
    # The tab is closed while offline; the next day the app is opened again.
    page2 = phone.context.new_page()
    phone.close()
    phone.context.set_offline(False)
    page2.goto("/visits/week")
    page2.wait_for_function(
        "() => document.getElementById('visit-sync').textContent.includes('已同步')")
    assert counts(live_app) == (1, 0)


def test_a_double_submit_stores_one_visit(live_app, phone, field_day):
    sign_in(phone, "wang", factories.PASSWORD)
    open_form(phone)
    phone.get_by_test_id("add-problem").tap()
    phone.keyboard.type("厂区道路破损")
    phone.get_by_test_id("problem-category").select_option(label="用电用能")
    # The same submission sent twice at once (a retry racing the first attempt) …
    results = phone.evaluate("""async () => {
        const form = document.querySelector('form[data-visit-form]');
        const token = document.querySelector('meta[name=csrf-token]').content;
        const send = () => fetch(location.pathname, {method: 'POST', body: new FormData(form),
            headers: {'X-Requested-With': 'fetch', 'X-CSRFToken': token}}).then(r => r.json());
        return Promise.all([send(), send()]);
    }""")
    assert all(r["ok"] for r in results)
    assert results[0]["visit_id"] == results[1]["visit_id"]
    assert sorted(r["created"] for r in results) == [False, True]
    # … and then a double tap on the button.
    phone.get_by_test_id("submit-visit").dblclick()
    phone.wait_for_url("**/visits/week")
    assert counts(live_app) == (1, 1)


def test_photo_and_edit_on_the_phone(live_app, phone, field_day, tmp_path):
    from tests.liaisons.conftest import gps_exif, image_bytes

    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(image_bytes(size=(1200, 900), exif=gps_exif()))
    sign_in(phone, "wang", factories.PASSWORD)
    open_form(phone)
    phone.get_by_test_id("summary").fill("查看新厂房建设进度")
    phone.get_by_test_id("photo-input").set_input_files(str(photo))
    assert phone.get_by_test_id("photo-preview").count() == 1
    phone.get_by_test_id("submit-visit").tap()
    phone.wait_for_url("**/visits/week")
    with live_app.app_context():
        visit_id = db.session.scalar(select(Visit.id))
    phone.goto(f"/visits/{visit_id}")
    image = phone.get_by_test_id("detail-photos").locator("img")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 900  # turned upright
    phone.get_by_test_id("edit-visit").tap()
    phone.get_by_test_id("summary").fill("查看新厂房建设进度，预计下月封顶")
    phone.get_by_test_id("submit-visit").tap()
    phone.wait_for_url(f"**/visits/{visit_id}")
    assert "修改已保存" in phone.content()
    assert "预计下月封顶" in phone.get_by_test_id("visit-summary").inner_text()
