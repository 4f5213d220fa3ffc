"""The visit form: who may log a visit, what is stored, and every kind of bad input coming
back next to its field in Chinese with the typing kept."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.core.models import AuditLog
from crm.core.timeutil import local_today
from crm.extensions import db
from crm.issues.models import Issue
from crm.liaisons.models import Visit
from tests import factories
from tests.clock import DEFAULT_NOW, local_instant
from tests.liaisons.conftest import FETCH, visit_data


def stored() -> tuple[int, int]:
    db.session.remove()
    return (db.session.scalar(select(func.count()).select_from(Visit)),
            db.session.scalar(select(func.count()).select_from(Issue)))


def test_form_offers_matching_policies_first_and_sensible_defaults(county, client, login_as):
    login_as(county.com)
    html = client.get(f"/visits/new/{county.ent.id}").get_data(as_text=True)
    assert "兴发制管有限公司" in html and "记一次走访" in html
    assert html.index("最适合本企业的政策") < html.index("制造业技术改造专项补贴")
    assert html.index("制造业技术改造专项补贴") < html.index("外贸企业出口信用保险补贴")
    assert "搜索其余 1 项政策" in html
    assert f'value="{local_today().isoformat()}"' in html
    assert re.search(r'id="status_seen-0"[^>]*checked|checked[^>]*id="status_seen-0"', html)
    assert re.search(r'name="client_uuid" type="hidden" value="[0-9a-f-]{36}"', html)
    assert "用电用能" in html  # the active categories are offered
    for label in ("送政策", "送服务", "送要素", "解难题"):
        assert label in html


@pytest.mark.parametrize("who", ["other", "handler", "ended"])
def test_only_current_assignees_may_log_a_visit(county, client, login_as, who):
    if who == "other":
        user = county.other
    elif who == "handler":
        user = factories.user(["handler"])
    else:
        user = factories.user(["commissioner"])
        factories.assignment(county.ent, user, start=local_today() - timedelta(days=90),
                             end=local_today() - timedelta(days=1))
    db.session.commit()
    login_as(user)
    url = f"/visits/new/{county.ent.id}"
    response = client.get(url)
    assert response.status_code == 403
    assert "不是您当前包联的企业" in response.get_data(as_text=True)
    response = client.post_form(url, visit_data(), headers=FETCH)
    assert response.status_code == 403
    assert "不是您当前包联的企业" in response.get_json()["message"]
    assert stored() == (0, 0)


def test_leaders_and_coordinators_may_log_visits_too(county, client, login_as):
    login_as(county.leader)
    assert client.get(f"/visits/new/{county.ent.id}").status_code == 200
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login_as(county.coord)
    assert client.get(f"/visits/new/{county.spare.id}").status_code == 200


def test_unknown_enterprise_is_404(county, client, login_as):
    login_as(county.com)
    assert client.get("/visits/new/999999").status_code == 404


def test_a_full_visit_is_stored_with_its_problem(county, client, login_as):
    login_as(county.com)
    data = visit_data(**{
        "policies": [str(county.fits.id)], "services": "讲解节能改造补贴申报流程",
        "factors": ["power"], "factor_note_power": "协调供电公司增容",
        "factor_note_labour": "对接人社局招聘会",  # a note alone means the factor was delivered
        "problems-0-title": "新产线用电容量不足", "problems-0-description": "需增容 2000 千伏安",
        "problems-0-category_id": str(county.cat.id), "companions": "张三",
        "next_step": "下周随供电公司再次入企",
    })
    response = client.post_form(f"/visits/new/{county.ent.id}", data)
    assert response.status_code == 302 and response.location.endswith("/visits/week")
    week = client.get("/visits/week").get_data(as_text=True)
    assert "走访记录已保存，已登记问题：" in week
    visit = db.session.scalar(select(Visit).options(selectinload(Visit.policies),
                                                    selectinload(Visit.factors)))
    assert visit.client_uuid == data["client_uuid"]
    assert (visit.author_id, visit.enterprise_id, visit.mode) == (county.com.id, county.ent.id,
                                                                  "onsite")
    assert [p.id for p in visit.policies] == [county.fits.id]
    assert sorted((f.factor, f.note) for f in visit.factors) == [
        ("labour", "对接人社局招聘会"), ("power", "协调供电公司增容")]
    assert visit.services == "讲解节能改造补贴申报流程" and visit.companions == "张三"
    issue = db.session.scalar(select(Issue))
    assert (issue.title, issue.description, issue.state, issue.visit_id, issue.raised_by_id,
            issue.category_id, issue.source) == (
        "新产线用电容量不足", "需增容 2000 千伏安", "new", visit.id, county.com.id,
        county.cat.id, "visit")
    assert issue.number in week
    log = db.session.scalar(select(AuditLog).where(AuditLog.object_type == "visits"))
    assert log.action == "create" and log.actor_id == county.com.id
    assert log.after["issue_ids"] == [issue.id] and log.after["policy_ids"] == [county.fits.id]


def test_fetch_submit_answers_json(county, client, login_as):
    login_as(county.com)
    data = visit_data(**{"problems-0-title": "招工难",
                         "problems-0-category_id": str(county.cat.id)})
    response = client.post_form(f"/visits/new/{county.ent.id}", data, headers=FETCH)
    body = response.get_json()
    assert response.status_code == 200 and body["ok"] and body["created"]
    assert body["redirect"] == "/visits/week" and len(body["problems"]) == 1
    assert "走访记录已保存" in body["message"]


def test_the_same_submission_twice_stores_one_visit(county, client, login_as):
    login_as(county.com)
    data = visit_data(**{"problems-0-title": "招工难",
                         "problems-0-category_id": str(county.cat.id)})
    first = client.post_form(f"/visits/new/{county.ent.id}", data, headers=FETCH).get_json()
    # A retry may even differ (a queued copy validated days later): the id decides.
    data["visit_date"] = "not a date"
    second = client.post_form(f"/visits/new/{county.ent.id}", data, headers=FETCH).get_json()
    assert second["ok"] and not second["created"] and second["visit_id"] == first["visit_id"]
    assert "未重复保存" in second["message"]
    again = client.post_form(f"/visits/new/{county.ent.id}", data)  # the plain form post too
    assert again.status_code == 302
    assert stored() == (1, 1)


def test_a_submission_id_of_someone_elses_visit_is_refused(county, client, login_as):
    theirs = factories.visit(county.spare, county.other)
    db.session.commit()
    login_as(county.com)
    response = client.post_form(f"/visits/new/{county.ent.id}",
                                visit_data(client_uuid=theirs.client_uuid), headers=FETCH)
    assert response.status_code == 409
    assert "提交标识与其他走访记录冲突" in response.get_json()["message"]
    assert stored() == (1, 0)


TODAY = local_instant(DEFAULT_NOW).date()  # the suite's clock, not the import day


@pytest.mark.parametrize("changes,field,message", [
    ({"visit_date": (TODAY + timedelta(days=1)).isoformat()}, "visit_date", "走访日期不能晚于今天"),
    ({"visit_date": "2026-13-45"}, "visit_date", "请按“2026-03-18”的格式填写日期"),
    ({"visit_date": ""}, "visit_date", "请填写走访日期"),
    ({"visit_date": (TODAY - timedelta(days=400)).isoformat()}, "visit_date", "日期早于一年前"),
    ({"visit_date": (TODAY - timedelta(days=8)).isoformat()}, "late_reason", "请填写补录原因"),
    ({"summary": "", "problems-1-title": ""}, "summary", "至少记录一项“四送”内容"),
    ({"problems-0-description": "只写了详情"}, "problems-0-title", "请用一句话概括问题"),
    ({"problems-0-title": "缺电"}, "problems-0-category_id", "请选择问题类别"),
    ({"problems-0-title": "缺电", "problems-0-category_id": "99999"}, "problems-0-category_id",
     "请从列表中选择类别"),
    ({"problems-0-title": "长" * 201, "problems-0-category_id": "CAT"}, "problems-0-title",
     "最多 200 个字"),
    ({"client_uuid": "not-a-uuid"}, "client_uuid", "页面已失效"),
    ({"client_uuid": ""}, "client_uuid", "页面已失效"),
    ({"mode": "teleport"}, "mode", "请选择走访方式"),
    ({"status_seen": "booming"}, "status_seen", "请从列表中选择经营状况"),
    ({"policies": ["99999"]}, "policies", "所选政策已不在政策库中"),
    ({"policies": ["abc"]}, "policies", "请从列表中选择政策"),
    ({"factors": ["magic"]}, "factors", "请从列表中选择要素"),
    ({"latitude": "abc", "longitude": "119.3"}, "latitude", "位置信息无法识别"),
    ({"latitude": "95", "longitude": "119.3"}, "latitude", "位置信息无法识别"),
    ({"summary": "很" * 4001}, "summary", "最多 4000 个字"),
])
def test_bad_input_comes_back_next_to_its_field(county, client, login_as, changes, field,
                                                message):
    login_as(county.com)
    changes = {k: (str(county.cat.id) if v == "CAT" else v) for k, v in changes.items()}
    data = visit_data(companions="随行：张三", **{"problems-1-title": "另一个问题",
                                              "problems-1-category_id": str(county.cat.id)})
    data.update(changes)
    url = f"/visits/new/{county.ent.id}"
    response = client.post_form(url, data, headers=FETCH)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert any(message in e for e in errors[field]), errors
    # The same through an ordinary form post: the page again, error by the field, typing kept.
    response = client.post_form(url, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'data-field="{field}">' in html and message in html
    assert 'value="随行：张三"' in html
    if data["problems-1-title"]:
        assert 'value="另一个问题"' in html
    assert stored() == (0, 0)


def test_late_entry_with_a_reason_is_accepted(county, client, login_as):
    login_as(county.com)
    data = visit_data(visit_date=(TODAY - timedelta(days=10)).isoformat(),
                      late_reason="在外培训，返岗补录")
    assert client.post_form(f"/visits/new/{county.ent.id}", data).status_code == 302
    assert db.session.scalar(select(Visit.late_reason)) == "在外培训，返岗补录"


def test_a_visit_queued_offline_is_not_called_late_when_it_arrives(county, client, login_as):
    login_as(county.com)
    day = (TODAY - timedelta(days=9)).isoformat()
    late = client.post_form(f"/visits/new/{county.ent.id}", visit_data(visit_date=day),
                            headers=FETCH)
    assert late.status_code == 422 and "late_reason" in late.get_json()["errors"]
    queued = visit_data(visit_date=day, queued_on=(TODAY - timedelta(days=8)).isoformat())
    assert client.post_form(f"/visits/new/{county.ent.id}", queued, headers=FETCH).get_json()["ok"]
    # A "queued" date in the future or long ago is not believed.
    for bogus in ((TODAY + timedelta(days=3)).isoformat(), "2020-01-01", "garbage"):
        resp = client.post_form(f"/visits/new/{county.ent.id}",
                                visit_data(visit_date=day, queued_on=bogus), headers=FETCH)
        assert resp.status_code == 422


def test_without_categories_the_category_is_optional(county, client, login_as):
    county.cat.is_active = False
    db.session.commit()
    login_as(county.com)
    html = client.get(f"/visits/new/{county.ent.id}").get_data(as_text=True)
    assert "problem-category" not in html
    data = visit_data(**{"problems-0-title": "道路破损"})
    assert client.post_form(f"/visits/new/{county.ent.id}", data).status_code == 302
    assert db.session.scalar(select(Issue.category_id)) is None


def test_blank_problem_rows_are_ignored_and_many_rows_kept_in_order(county, client, login_as):
    login_as(county.com)
    data = visit_data(**{"problems-0-title": "", "problems-0-description": "",
                         "problems-1-title": "问题甲",
                         "problems-1-category_id": str(county.cat.id),
                         "problems-2-title": "问题乙",
                         "problems-2-category_id": str(county.cat.id)})
    assert client.post_form(f"/visits/new/{county.ent.id}", data).status_code == 302
    assert list(db.session.scalars(select(Issue.title).order_by(Issue.id))) == ["问题甲", "问题乙"]


def test_at_most_ten_problems(county, client, login_as):
    login_as(county.com)
    data = visit_data()
    for i in range(11):
        data[f"problems-{i}-title"] = f"问题{i}"
        data[f"problems-{i}-category_id"] = str(county.cat.id)
    response = client.post_form(f"/visits/new/{county.ent.id}", data, headers=FETCH)
    assert response.status_code == 422
    assert "最多登记 10 个问题" in response.get_json()["errors"]["problems"][0]


def test_a_visit_with_only_a_policy_needs_no_summary(county, client, login_as):
    login_as(county.com)
    data = visit_data(summary="", policies=[str(county.fits.id)])
    assert client.post_form(f"/visits/new/{county.ent.id}", data).status_code == 302


def test_location_is_optional_and_kept_when_given(county, client, login_as):
    login_as(county.com)
    data = visit_data(latitude="26.074507", longitude="119.296494")
    assert client.post_form(f"/visits/new/{county.ent.id}", data).status_code == 302
    visit = db.session.scalar(select(Visit))
    assert (round(visit.latitude, 4), round(visit.longitude, 4)) == (26.0745, 119.2965)


def test_status_seen_on_the_latest_visit_updates_the_enterprise(county, client, login_as):
    login_as(county.com)
    assert county.ent.status == "normal"
    client.post_form(f"/visits/new/{county.ent.id}", visit_data(status_seen="reduced"))
    db.session.refresh(county.ent)
    assert county.ent.status == "reduced"
    log = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "enterprises",
                                                    AuditLog.object_id == county.ent.id)).all()[-1]
    assert log.actor_id == county.com.id
    assert (log.before, log.after) == ({"status": "normal"}, {"status": "reduced"})
    # A late entry for an older visit does not overwrite what a newer visit saw.
    client.post_form(f"/visits/new/{county.ent.id}", visit_data(
        status_seen="halted", visit_date=(local_today() - timedelta(days=3)).isoformat()))
    db.session.refresh(county.ent)
    assert county.ent.status == "reduced"
