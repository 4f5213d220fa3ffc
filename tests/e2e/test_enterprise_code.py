"""Done-when of the enterprise code (企业码): an enterprise on its own phone opens its
code (no account), raises a problem with a photo, and after the coordinator dispatches
it sees it as 已交办 with the unit and the due day."""
import io
import re

from PIL import Image

from crm.extensions import db
from crm.issues.reference import seed_reference_data
from tests import factories
from tests.e2e.conftest import PHONE, sign_in


def test_enterprise_raises_a_problem_with_a_photo_and_follows_it(live_app, browser, phone,
                                                                 tmp_path):
    with live_app.app_context():
        seed_reference_data()
        factories.user(["coordinator"], username="coord", display_name="周协调")
        comm = factories.user(["commissioner"], username="comm", display_name="陈特派",
                              phone="13900000003")
        ent = factories.enterprise("青石机械制造有限公司")
        factories.assignment(ent, comm, "commissioner")
        db.session.commit()
        code = ent.channel_code
    photo = tmp_path / "现场.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 40, 40)).save(buf, "JPEG")
    photo.write_bytes(buf.getvalue())

    # 1. The enterprise opens its code on its own phone, signed out.
    phone.goto(f"/c/{code}")
    assert "青石机械制造有限公司" in phone.content() and "陈特派" in phone.content()
    phone.get_by_test_id("channel-raise").click()
    phone.get_by_label("遇到了什么问题？（简短标题）").fill("配电容量不足")
    phone.get_by_label("具体情况").fill("新增两条产线后变压器容量不够")
    phone.get_by_label("问题类别").select_option(label="用工招工")
    phone.get_by_label("照片（可选，最多 3 张）").set_input_files(str(photo))
    phone.get_by_label("您的姓名").fill("赵经理")
    phone.get_by_label("您的电话").fill("13812345678")
    phone.get_by_role("button", name="提交").click()
    assert "已受理" in phone.content()
    number = re.search(r"诉求 (\d{4}-\d{4}) 已受理", phone.content()).group(1)
    assert phone.viewport_size == PHONE

    # 2. The coordinator dispatches it from triage.
    cctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                               has_touch=True, locale="zh-CN",
                               base_url=live_app.config["LIVE_URL"])
    cctx.set_default_timeout(10_000)
    coord = cctx.new_page()
    sign_in(coord, "coord", factories.PASSWORD)
    coord.goto("/problems/triage")
    coord.get_by_role("link", name=re.compile(number)).click()
    assert "赵经理" in coord.get_by_test_id("channel-submission").inner_text()
    coord.get_by_test_id("form-dispatch").get_by_role("button", name="交办").click()
    assert "已完成：交办" in coord.content()
    cctx.close()

    # 3. The enterprise sees it as 已交办, with the unit and the due day.
    phone.goto(f"/c/{code}")
    card = phone.get_by_test_id("channel-problem").filter(has_text="配电容量不足")
    assert card.get_by_test_id("channel-step").inner_text() == "已交办"
    text = card.inner_text()
    assert "市人力资源和社会保障局" in text and "前办结" in text


def test_enterprise_rates_its_resolved_problem_on_its_code_page(live_app, phone):
    from crm.core.timeutil import utcnow
    from crm.issues.followups import FollowUp
    from crm.issues.models import Issue

    with live_app.app_context():
        comm = factories.user(["commissioner"], username="comm", display_name="陈特派")
        unit = factories.unit("市人力资源和社会保障局")
        ent = factories.enterprise("青石机械制造有限公司")
        factories.assignment(ent, comm, "commissioner")
        issue = factories.issue(ent, comm, state="resolved", lead_unit_id=unit.id,
                                resolution="已推荐 52 人上岗", resolved_at=utcnow(),
                                title="招工缺口 50 人")
        db.session.commit()
        code, issue_id = ent.channel_code, issue.id

    phone.goto(f"/c/{code}")
    card = phone.get_by_test_id("channel-problem").filter(has_text="招工缺口 50 人")
    card.get_by_test_id("channel-rate").tap()
    assert "已推荐 52 人上岗" in phone.get_by_test_id("rate-resolution").inner_text()
    phone.get_by_label("2 · 不满意").check()
    phone.get_by_text("办理太慢", exact=True).tap()
    phone.get_by_role("button", name="提交评价").tap()
    phone.get_by_test_id("channel-page").wait_for()
    phone.wait_for_load_state("networkidle")
    assert "感谢您的评价：不满意" in phone.content()
    card = phone.get_by_test_id("channel-problem").filter(has_text="招工缺口 50 人")
    assert "您的评价：2 分" in card.inner_text()
    assert card.get_by_test_id("channel-rate").count() == 0
    with live_app.app_context():
        issue = db.session.get(Issue, issue_id)
        assert issue.state == "reopened" and issue.rating_channel == "self"
        assert db.session.scalar(db.select(FollowUp.source).where(
            FollowUp.issue_id == issue_id)) == "low_rating"
