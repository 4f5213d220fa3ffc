"""Done-when of the lifecycle: a commissioner raises a problem, the coordinator dispatches
it, the handler signs and resolves, the enterprise contact rates 2 through the link on
their own phone (not signed in), the problem is reopened and the unit sees the notice in
the bell. Every person on a phone viewport."""
import re

from crm.extensions import db
from crm.issues.reference import seed_reference_data
from tests import factories
from tests.e2e.conftest import PHONE, sign_in


def _phone(browser, live_app):
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN", base_url=live_app.config["LIVE_URL"])
    ctx.set_default_timeout(10_000)
    return ctx, ctx.new_page()


def test_problem_from_raise_to_a_low_rating_and_reopen(live_app, browser, phone):
    with live_app.app_context():
        seed_reference_data()
        from sqlalchemy import select

        from crm.auth.models import Unit

        hr = db.session.scalar(select(Unit).where(Unit.name == "市人力资源和社会保障局"))
        factories.user(["coordinator"], username="coord", display_name="周协调")
        factories.user(["handler"], username="hand", display_name="韩经办", unit=hr)
        comm = factories.user(["commissioner"], username="comm", display_name="陈特派")
        ent = factories.enterprise("青石机械制造有限公司")
        factories.contact(ent, name="赵经理")
        factories.assignment(ent, comm, "commissioner")
        db.session.commit()
        ent_id = ent.id

    # 1. The commissioner raises the problem on the spot.
    sign_in(phone, "comm", factories.PASSWORD)
    phone.goto(f"/problems/new/{ent_id}")
    phone.get_by_label("问题", exact=True).fill("招工缺口 50 人")
    phone.get_by_label("详细情况").fill("新生产线投产，急需普工 50 人")
    phone.get_by_label("类别").select_option(label="用工招工")
    phone.get_by_role("button", name="登记问题").click()
    assert "已登记" in phone.content()
    problem_url = phone.url
    number = re.search(r"问题 (\d{4}-\d{4}) 已登记", phone.content()).group(1)

    # 2. The coordinator dispatches it as proposed from the category.
    cctx, coord = _phone(browser, live_app)
    sign_in(coord, "coord", factories.PASSWORD)
    coord.goto("/problems/triage")
    assert "用工招工 → 市人力资源和社会保障局" in coord.content()
    coord.get_by_role("link", name=re.compile(number)).click()
    form = coord.get_by_test_id("form-dispatch")
    assert form.get_by_label("主办单位").input_value() != "0"
    form.get_by_role("button", name="交办").click()
    assert "已完成：交办" in coord.content()
    assert "剩余 7 个工作日" in coord.get_by_test_id("issue-status").inner_text()

    # 3. The handler signs from the inbox and submits the resolution.
    hctx, hand = _phone(browser, live_app)
    sign_in(hand, "hand", factories.PASSWORD)
    assert hand.get_by_test_id("home-heading").inner_text() == "待办"
    row = hand.get_by_test_id("issue-item").filter(has_text="招工缺口 50 人")
    row.get_by_role("button", name="签收").click()
    hand.goto(problem_url)
    hand.get_by_test_id("action-resolve").click()
    resolve = hand.get_by_test_id("form-resolve")
    resolve.get_by_label("办理结果").fill("已组织专场招聘会，推荐 52 人上岗")
    resolve.get_by_role("button", name="提交办结").click()
    assert "已办结" in hand.get_by_test_id("issue-status").inner_text()

    # 4. The commissioner shows the rating QR code.
    phone.goto(problem_url)
    phone.get_by_test_id("make-rating-link").click()
    assert phone.get_by_test_id("rating-qr").locator("svg").count() == 1
    link = phone.get_by_test_id("rating-url").inner_text()
    assert "/r/" in link

    # 5. The enterprise contact rates 2 on their own phone, without signing in.
    ectx, contact = _phone(browser, live_app)
    contact.goto(link)
    assert contact.get_by_test_id("rate-enterprise").inner_text() == "青石机械制造有限公司"
    assert "招工缺口 50 人" in contact.get_by_test_id("rate-title").inner_text()
    assert "推荐 52 人上岗" in contact.get_by_test_id("rate-resolution").inner_text()
    contact.get_by_label("2 · 不满意").check()
    contact.get_by_label("意见建议（选填）").fill("实际到岗只有 20 人")
    contact.get_by_role("button", name="提交评价").click()
    assert "感谢您的评价" in contact.get_by_test_id("rate-done").inner_text()
    contact.goto(link)  # the link is used up
    assert "该评价链接已失效" in contact.content()

    # 6. The problem is reopened and the unit's handler sees the notice in the bell.
    hand.goto(problem_url)
    assert "重办" in hand.get_by_test_id("issue-status").inner_text()
    assert hand.get_by_test_id("unread-count").is_visible()
    hand.get_by_role("link", name="通知").click()
    notices = hand.locator(".list-group-item").all_inner_texts()
    assert any("不满意" in n and "重办" in n and number in n for n in notices), notices
    for ctx in (cctx, hctx, ectx):
        ctx.close()
