"""The inbox, the triage board with bulk dispatch, the leader's view, the list with its
filters and .xlsx export — and that each loads in a fixed number of queries."""
from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from crm.core.models import Notification
from crm.core.timeutil import local_today, utcnow
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.models import Issue
from tests import factories
from tests.conftest import count_queries


def _html(r):
    return r.get_data(as_text=True)


def _red(w, **kw):
    now = utcnow()
    return w.issue("in_progress", handler_id=w.handler.id, due_at=now - timedelta(days=2),
                   warn_at=now - timedelta(days=3), **kw)


def _overdue_text(issue) -> str:
    """"已超期 …" as it must read on any day: the working days since the due day (two
    calendar days over a weekend are less than one working day)."""
    due_day, today = dl.local_date(issue.due_at), local_today()
    n = sum(dl.is_workday(due_day + timedelta(days=k))
            for k in range(1, (today - due_day).days + 1))
    return {0: "已超期（不足 1 个工作日）", 1: "已超期 1 个工作日"}.get(n, f"已超期 {n} 个工作日")


def _green(w, **kw):
    now = utcnow()
    return w.issue("in_progress", handler_id=w.handler.id, due_at=now + timedelta(days=9),
                   warn_at=now + timedelta(days=8), **kw)


def test_handler_inbox_lists_what_to_sign_and_what_is_in_hand(client, login_as, world):
    w = world
    to_sign = w.issue("dispatched", title="用工缺口待签收")
    red = _red(w, title="融资问题已超期")
    _green(w, title="电力增容办理中")
    factories.issue(w.enterprise, state="dispatched", lead_unit_id=w.other_unit.id,
                    title="别的单位的问题")
    db.session.commit()
    login_as(w.handler)
    html = _html(client.get("/problems/inbox"))
    assert 'data-testid="home-heading">待办<' in html
    assert "用工缺口待签收" in html and "融资问题已超期" in html and "电力增容办理中" in html
    assert "别的单位的问题" not in html
    assert html.index("融资问题已超期") < html.index("电力增容办理中"), "red first"
    assert f'data-testid="countdown">{_overdue_text(red)}<' in html
    r = client.post_form(f"/problems/{to_sign.id}/do/sign",
                         {"sign-version": to_sign.version, "sign-next": "/problems/inbox"})
    assert r.headers["Location"].endswith("/problems/inbox")
    db.session.expire_all()
    assert db.session.get(Issue, to_sign.id).state == "in_progress"


def test_triage_proposes_and_bulk_dispatches(client, login_as, world):
    w = world
    a = w.issue("new", title="招工难", category_id=w.category.id)
    b = w.issue("new", title="门口道路破损")  # no category: no proposal
    returned = w.issue("returned", title="被退回的问题")
    from crm.issues.models import IssueEvent

    db.session.add(IssueEvent(issue_id=returned.id, actor_id=w.other_handler.id,
                              action="return", from_state="dispatched", to_state="returned",
                              text="不属于本单位职责"))
    _red(w, title="超期未办结", supervise_count=2)
    db.session.commit()
    login_as(w.coordinator)
    html = _html(client.get("/problems/triage"))
    assert "招工难" in html and "用工招工 → 市人力资源和社会保障局 · 一般类" in html
    assert "无建议单位" in html
    assert "不属于本单位职责" in html
    assert "督办后仍超期" in html and "超期未办结" in html
    r = client.post_form("/problems/triage/dispatch", {
        "issue_ids": [a.id, b.id], f"v_{a.id}": a.version, f"v_{b.id}": b.version})
    assert r.status_code == 302
    page = _html(client.get("/problems/triage"))
    assert "已交办 1 件问题" in page and "未交办" in page
    db.session.expire_all()
    assert db.session.get(Issue, a.id).state == "dispatched"
    assert db.session.get(Issue, a.id).lead_unit_id == w.unit.id
    assert db.session.get(Issue, b.id).state == "new"
    notes = db.session.scalars(select(Notification.text)
                               .where(Notification.user_id == w.handler.id)).all()
    assert any("招工难" in n for n in notes)


def test_bulk_dispatch_with_a_stale_row_dispatches_nothing(client, login_as, world):
    w = world
    a = w.issue("new", title="甲", category_id=w.category.id)
    b = w.issue("new", title="乙", category_id=w.category.id)
    db.session.commit()
    login_as(w.coordinator)
    r = client.post_form("/problems/triage/dispatch", {
        "issue_ids": [a.id, b.id], f"v_{a.id}": a.version, f"v_{b.id}": 99})
    assert "未交办任何问题" in _html(client.get(r.headers["Location"]))
    db.session.expire_all()
    assert {i.state for i in db.session.scalars(select(Issue))} == {"new"}


def test_leader_sees_their_enterprises_problems_and_instructs(client, login_as, world):
    w = world
    red = _red(w, title="用地指标未落实")
    _green(w, title="用工对接中")
    factories.issue(w.other_enterprise, state="in_progress", title="别人包联的企业的问题",
                    lead_unit_id=w.unit.id)
    db.session.commit()
    login_as(w.leader)
    html = _html(client.get("/problems/leader"))
    assert "用地指标未落实" in html and "用工对接中" in html
    assert "别人包联的企业的问题" not in html
    assert html.index("用地指标未落实") < html.index("用工对接中")
    r = client.post_form(f"/problems/{red.id}/do/instruct", {
        "instruct-version": red.version, "instruct-next": "/problems/leader",
        "instruct-text": "请自然资源局三日内拿出方案"})
    assert r.headers["Location"].endswith("/problems/leader")
    note = db.session.scalar(select(Notification).where(Notification.user_id == w.handler.id))
    assert "李市长" in note.text and "三日内" in note.text


def test_list_filters_and_never_500s_on_bad_input(client, login_as, world):
    w = world
    _red(w, title="超期的融资问题", category_id=w.category.id)
    _green(w, title="正常办理的问题")
    w.issue("new", title="新提出的问题")
    db.session.commit()
    login_as(w.coordinator)
    html = _html(client.get("/problems/?light=red"))
    assert "超期的融资问题" in html and "正常办理的问题" not in html
    html = _html(client.get(f"/problems/?category={w.category.id}"))
    assert "超期的融资问题" in html and "新提出的问题" not in html
    html = _html(client.get(f"/problems/?leader={w.leader.id}&state=new"))
    assert "新提出的问题" in html and "超期的融资问题" not in html
    html = _html(client.get("/problems/?q=融资"))
    assert "超期的融资问题" in html and "正常办理的问题" not in html
    for bad in ("?page=abc", "?unit=xyz", "?state=flying&light=blue",
                "?raised_from=2026-13-45&leader=-1", "?enterprise=99999999999999"):
        r = client.get("/problems/" + bad)
        assert r.status_code == 200, bad
    assert "部分筛选条件无法识别" in _html(client.get("/problems/?unit=xyz"))


def test_export_is_an_xlsx_of_the_filtered_list(client, login_as, world):
    w = world
    _red(w, title="超期的融资问题")
    _green(w, title="正常办理的问题")
    db.session.commit()
    login_as(w.coordinator)
    r = client.get("/problems/export.xlsx?light=red")
    assert r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(BytesIO(r.data)).active
    rows = list(ws.values)
    assert rows[0][:3] == ("编号", "问题", "企业")
    assert [row[1] for row in rows[1:]] == ["超期的融资问题"]
    assert rows[1][7] == "办理中" and rows[1][8] == "超期"


def test_others_see_only_their_problems_in_the_list(client, login_as, world):
    w = world
    w.issue("dispatched", title="本单位的问题")
    factories.issue(w.other_enterprise, state="dispatched", lead_unit_id=w.other_unit.id,
                    title="外单位的问题")
    db.session.commit()
    login_as(w.handler)
    html = _html(client.get("/problems/"))
    assert "本单位的问题" in html and "外单位的问题" not in html
    r = client.get("/problems/export.xlsx")
    titles = [row[1] for row in list(load_workbook(BytesIO(r.data)).active.values)[1:]]
    assert titles == ["本单位的问题"]


def _populate(w, n):
    for k in range(n):
        ent = factories.enterprise()
        factories.assignment(ent, w.leader, "leader_a")
        factories.issue(ent, state="new", title=f"新问题{k}", raised_by=w.commissioner,
                        category_id=w.category.id)
        factories.issue(ent, state="dispatched", lead_unit_id=w.unit.id, title=f"待签{k}",
                        due_at=utcnow() + timedelta(days=k % 9 - 3),
                        warn_at=utcnow() + timedelta(days=k % 9 - 4))
        factories.issue(ent, state="returned", lead_unit_id=w.other_unit.id, title=f"退回{k}",
                        handler_id=w.other_handler.id)
        factories.issue(ent, state="in_progress", lead_unit_id=w.unit.id, title=f"办理{k}",
                        handler_id=w.handler.id, due_at=utcnow() - timedelta(days=1),
                        extension_requested_until=utcnow().date() + timedelta(days=20))
    db.session.commit()


@pytest.mark.parametrize("who, url", [
    ("coordinator", "/problems/"), ("coordinator", "/problems/triage"),
    ("handler", "/problems/inbox"), ("leader", "/problems/leader"),
    ("coordinator", "/problems/?light=red&unit=1"),
])
def test_list_pages_load_in_a_fixed_number_of_queries(client, login_as, world, who, url):
    w = world
    login_as(getattr(w, who))
    counts = []
    for n in (2, 12):
        _populate(w, n)
        client.get(url)  # warm up (first request loads the user)
        with count_queries() as q:
            r = client.get(url)
        assert r.status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts
