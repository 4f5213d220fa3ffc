"""The problem page, its action forms, bad input, conflicts, and raising a problem."""
import re
from datetime import timedelta

from sqlalchemy import func, select

from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues.models import Issue, IssueEvent
from tests import factories


def _html(response):
    return response.get_data(as_text=True)


def _version(html, action):
    return re.search(rf'name="{action}-version"[^>]*value="(\d+)"', html).group(1)


def test_each_viewer_sees_only_the_actions_allowed_to_them(client, login_as, world):
    w = world
    issue = w.issue("dispatched")
    db.session.commit()
    login_as(w.handler)
    html = _html(client.get(f"/problems/{issue.id}"))
    assert 'data-testid="form-sign"' in html and 'data-testid="form-return"' in html
    assert 'data-testid="form-dispatch"' not in html and 'data-testid="form-supervise"' not in html
    client.post_form("/logout")
    login_as(w.leader)
    html = _html(client.get(f"/problems/{issue.id}"))
    assert 'data-testid="form-instruct"' in html and 'data-testid="form-sign"' not in html
    client.post_form("/logout")
    login_as(w.commissioner)
    html = _html(client.get(f"/problems/{issue.id}"))
    assert 'data-testid="form-comment"' in html and 'data-testid="form-instruct"' not in html


def test_coordinator_dispatches_with_the_category_proposal(client, login_as, world):
    w = world
    issue = w.issue("new", category_id=w.category.id)
    db.session.commit()
    login_as(w.coordinator)
    html = _html(client.get(f"/problems/{issue.id}"))
    assert "按类别建议：市人力资源和社会保障局，一般类" in html
    assert re.search(rf'<option selected value="{w.unit.id}">', html)
    r = client.post_form(f"/problems/{issue.id}/do/dispatch", {
        "dispatch-version": _version(html, "dispatch"), "dispatch-unit_id": w.unit.id,
        "dispatch-level": "ordinary", "dispatch-category_id": w.category.id,
        "dispatch-text": "请尽快对接企业"})
    assert r.status_code == 302
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert issue.state == "dispatched" and issue.due_at is not None
    html = _html(client.get(f"/problems/{issue.id}"))
    assert "已完成：交办" in html and "交 市人力资源和社会保障局" in html
    assert "请尽快对接企业" in html and "剩余 7 个工作日" in html


def test_missing_reason_is_explained_next_to_the_field_and_nothing_is_written(client, login_as,
                                                                              world):
    w = world
    issue = w.issue("in_progress", handler_id=w.handler.id,
                    due_at=utcnow() + timedelta(days=5))
    db.session.commit()
    login_as(w.handler)
    html = _html(client.get(f"/problems/{issue.id}"))
    r = client.post_form(f"/problems/{issue.id}/do/resolve", {
        "resolve-version": _version(html, "resolve"), "resolve-text": "   "})
    assert r.status_code == 400
    assert re.search(r'data-field="resolve-text">请填写办理结果。', _html(r))
    r = client.post_form(f"/problems/{issue.id}/do/request_extension", {
        "request_extension-version": _version(html, "request_extension"),
        "request_extension-until": "2000-01-03", "request_extension-text": "需要协调用地指标"})
    assert r.status_code == 400
    page = _html(r)
    assert "新的办结时限须晚于当前时限" in page
    assert "需要协调用地指标" in page  # the typing is kept
    r = client.post_form(f"/problems/{issue.id}/do/request_extension", {
        "request_extension-version": _version(html, "request_extension"),
        "request_extension-until": "not-a-date", "request_extension-text": "x"})
    assert r.status_code == 400
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).state == "in_progress"
    assert db.session.scalar(select(func.count()).select_from(IssueEvent)) == 0


def test_second_person_with_a_stale_page_gets_the_conflict_message(app, client, login_as, world):
    w = world
    issue = w.issue("dispatched")
    colleague = factories.user(["handler"], unit=w.unit, display_name="郭经办")
    db.session.commit()
    login_as(w.handler)
    stale = _html(client.get(f"/problems/{issue.id}"))
    other = app.test_client()
    other.post_form("/login", {"username": colleague.username, "password": factories.PASSWORD})
    r = other.post_form(f"/problems/{issue.id}/do/sign",
                        {"sign-version": _version(stale, "sign")})
    assert r.status_code == 302
    r = client.post_form(f"/problems/{issue.id}/do/return", {
        "return-version": _version(stale, "return"), "return-text": "非本单位职责"})
    page = _html(r)
    assert r.status_code == 409
    assert "该问题已被 郭经办 修改，请刷新后再操作" in page
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).state == "in_progress"
    assert db.session.scalars(select(IssueEvent.action)).all() == ["sign"]


def test_what_a_person_cannot_see_is_not_found(client, login_as, world):
    w = world
    issue = w.issue("dispatched")
    db.session.commit()
    login_as(w.other_handler)
    assert client.get(f"/problems/{issue.id}").status_code == 404
    r = client.post_form(f"/problems/{issue.id}/do/sign", {"sign-version": "1"})
    assert r.status_code == 404
    assert client.get("/problems/999999").status_code == 404
    assert client.get("/problems/abc").status_code == 404
    client.post_form("/logout")
    login_as(w.handler)
    assert client.post_form(f"/problems/{issue.id}/do/fly", {}).status_code == 404
    r = client.post_form(f"/problems/{issue.id}/do/dispatch", {"dispatch-version": "1"})
    assert r.status_code in (400, 403)
    assert "无权" in _html(r) or "不能进行此项操作" in _html(r)


def test_commissioner_raises_a_problem_directly(client, login_as, world):
    w = world
    login_as(w.commissioner)
    page = client.get(f"/problems/new/{w.enterprise.id}")
    assert "青石机械制造有限公司" in _html(page)
    r = client.post_form(f"/problems/new/{w.enterprise.id}", {"title": "", "description": "x"})
    assert "请简要说明问题" in _html(r)
    r = client.post_form(f"/problems/new/{w.enterprise.id}", {
        "title": "厂区道路破损", "description": "运输车辆通行困难", "category_id": w.category.id})
    assert r.status_code == 302
    issue = db.session.scalar(select(Issue).where(Issue.title == "厂区道路破损"))
    assert issue.state == "new" and issue.source == "direct" and issue.raised_by_id == w.commissioner.id
    assert f"问题 {issue.number} 已登记" in _html(client.get(r.headers["Location"]))
    # Not their enterprise: they cannot raise for it.
    assert client.get(f"/problems/new/{w.other_enterprise.id}").status_code in (403, 404)
    assert client.get("/problems/new/999999").status_code == 404


def test_closed_problem_page_shows_the_timeline(client, login_as, world):
    from crm.issues.workflow import transition

    w = world
    issue = w.issue("dispatched")
    transition(issue, "sign", w.handler)
    transition(issue, "progress", w.handler, text="已与企业对接")
    transition(issue, "resolve", w.handler, text="已推荐 52 人上岗")
    transition(issue, "rate", w.commissioner, rating=5, contact="赵经理")
    db.session.commit()
    login_as(w.coordinator)
    html = _html(client.get(f"/problems/{issue.id}"))
    for text in ("已销号", "签收", "反馈进展", "已与企业对接", "办理结果", "已推荐 52 人上岗",
                 "5 · 非常满意", "干部代录", "赵经理"):
        assert text in html, text


def test_problem_page_loads_in_a_fixed_number_of_queries(client, login_as, world):
    from crm.issues.workflow import transition
    from tests.conftest import count_queries

    w = world
    counts = []
    login_as(w.coordinator)
    for comments in (1, 25):
        issue = w.issue("dispatched", category_id=w.category.id)
        for k in range(comments):
            transition(issue, "comment", w.leader, text=f"意见{k}")
            transition(issue, "instruct", w.leader, text=f"批示{k}")
        db.session.commit()
        client.get(f"/problems/{issue.id}")
        with count_queries() as q:
            html = _html(client.get(f"/problems/{issue.id}"))
        assert f"批示{comments - 1}" in html
        counts.append(q.count)
    assert counts[0] == counts[1], counts
