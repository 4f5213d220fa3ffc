"""One visit per real visit (the same-day question, adding to the earlier record, retries
of an added submission) and health flags (stored per visit, told to leader A or B)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.core.models import AuditLog, Notification
from crm.core.timeutil import local_today
from crm.extensions import db
from crm.issues.models import Issue
from crm.liaisons import services
from crm.liaisons.models import HEALTH_FLAGS, Visit, VisitFlag
from tests import factories
from tests.liaisons.conftest import FETCH, visit_data

QUESTION = "今天已记录过对该企业的走访：补充到已有记录，还是另记一次？"


def visits() -> list[Visit]:
    db.session.remove()
    return list(db.session.scalars(select(Visit).order_by(Visit.id).options(
        selectinload(Visit.factors), selectinload(Visit.flags), selectinload(Visit.policies))))


def post(client, county, data, **kw):
    return client.post_form(f"/visits/new/{county.ent.id}", data, **kw)


def test_a_second_submission_the_same_day_is_asked_about_before_storing(county, client,
                                                                        login_as):
    login_as(county.com)
    assert post(client, county, visit_data(summary="上午走访")).status_code == 302
    second = visit_data(summary="下午再去", **{"problems-0-title": "用电增容",
                                              "problems-0-category_id": str(county.cat.id)})
    answer = post(client, county, second, headers=FETCH)
    body = answer.get_json()
    assert answer.status_code == 409 and body["ok"] is False
    assert body["message"] == QUESTION
    assert body["same_day"]["url"] == f"/visits/{visits()[0].id}"
    assert len(visits()) == 1 and db.session.scalar(select(func.count()).select_from(Issue)) == 0
    # The page without script shows the question with its two answers.
    html = post(client, county, second).get_data(as_text=True)
    assert QUESTION in html and "补充到已有记录" in html and "另记一次" in html
    assert len(visits()) == 1


def test_adding_to_the_earlier_record_joins_everything_once(county, client, login_as):
    login_as(county.com)
    post(client, county, visit_data(summary="上午走访", factors=["power"],
                                     factor_note_power="协调增容", health_flags=["orders"]))
    second = visit_data(summary="下午再去", same_day="append", factors=["power", "labour"],
                        factor_note_power="供电公司已勘查", policies=[str(county.fits.id)],
                        health_flags=["orders", "labour"],
                        **{"problems-0-title": "用电增容",
                           "problems-0-category_id": str(county.cat.id)})
    body = post(client, county, second, headers=FETCH).get_json()
    assert body["ok"] and body["appended"] and "已补充到当天已有的走访记录" in body["message"]
    # A retry of the same added submission (a lost answer) changes nothing more.
    again = post(client, county, second, headers=FETCH).get_json()
    assert again["ok"] and again["created"] is False
    [visit] = visits()
    assert visit.summary == "上午走访\n下午再去"
    assert sorted((f.factor, f.note) for f in visit.factors) == [
        ("labour", None), ("power", "协调增容\n供电公司已勘查")]
    assert [f.flag for f in visit.flags] == ["labour", "orders"]
    assert [p.id for p in visit.policies] == [county.fits.id]
    issue = db.session.scalar(select(Issue))
    assert issue.visit_id == visit.id
    assert db.session.scalar(select(func.count()).select_from(Issue)) == 1
    log = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "visits")
                             .order_by(AuditLog.id)).all()
    assert [entry.action for entry in log] == ["create", "update"]
    assert log[1].after["appended_submission"] == second["client_uuid"]


def test_recording_another_visit_on_purpose(county, client, login_as):
    login_as(county.com)
    post(client, county, visit_data(summary="上午走访"))
    body = post(client, county, visit_data(summary="下午陪同勘查", same_day="separate"),
                headers=FETCH).get_json()
    assert body["ok"] and not body["appended"]
    assert [v.summary for v in visits()] == ["上午走访", "下午陪同勘查"]


def test_another_day_or_another_person_is_not_asked(county, client, login_as):
    login_as(county.com)
    factories.visit(county.ent, county.com, visit_date=local_today() - timedelta(days=1))
    partner = factories.user(["commissioner"], username="partner")
    factories.assignment(county.ent, partner)
    factories.visit(county.ent, partner)
    db.session.commit()
    assert post(client, county, visit_data(summary="今天第一次")).status_code == 302
    assert len(visits()) == 3


def test_an_unknown_answer_is_treated_as_no_answer(county, client, login_as):
    login_as(county.com)
    post(client, county, visit_data(summary="上午走访"))
    answer = post(client, county, visit_data(summary="下午", same_day="<script>"), headers=FETCH)
    assert answer.status_code == 409 and answer.get_json()["same_day"]
    assert len(visits()) == 1


def test_flags_are_stored_and_told_to_leader_a(county, client, login_as):
    leader_id = county.leader.id
    login_as(county.com)
    data = visit_data(health_flags=["funding", "orders"])
    assert post(client, county, data).status_code == 302
    [visit] = visits()
    assert [f.flag for f in visit.flags] == ["funding", "orders"]
    [note] = db.session.scalars(select(Notification).where(Notification.kind == "health_flag"))
    assert note.user_id == leader_id
    assert "订单下滑" in note.text and "资金紧张/融资需求" in note.text
    assert "兴发制管有限公司" in note.text and note.link == f"/visits/{visit.id}"


def test_flags_go_to_leader_b_while_a_is_away(county, client, login_as):
    deputy = factories.user(["leader"], username="deputy")
    factories.assignment(county.ent, deputy, "leader_b")
    factories.absence(county.leader, local_today(), local_today() + timedelta(days=3))
    db.session.commit()
    login_as(county.com)
    post(client, county, visit_data(health_flags=["relocating"]))
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "health_flag")))
    assert deputy.id in told


def test_a_visit_without_flags_tells_nobody(county, client, login_as):
    login_as(county.com)
    post(client, county, visit_data())
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "health_flag")) == 0


def test_a_made_up_flag_is_refused_next_to_the_field(county, client, login_as):
    login_as(county.com)
    answer = post(client, county, visit_data(health_flags=["bankrupt"]), headers=FETCH)
    assert answer.status_code == 422
    assert answer.get_json()["errors"]["health_flags"] == ["请从列表中选择风险标记。"]
    assert visits() == []


def test_editing_a_visit_changes_its_flags(county, client, login_as):
    login_as(county.com)
    post(client, county, visit_data(health_flags=["orders"]))
    [visit] = visits()
    edit = client.get(f"/visits/{visit.id}/edit").get_data(as_text=True)
    assert re.search(r'<input [^>]*checked[^>]*name="health_flags" type="checkbox" value="orders"',
                     edit)
    token = services.version_token(visit)
    data = visit_data(client_uuid=visit.client_uuid, version_token=token,
                      health_flags=["expanding"])
    assert client.post_form(f"/visits/{visit.id}/edit", data).status_code == 302
    assert [f.flag for f in visits()[0].flags] == ["expanding"]


def test_the_database_holds_only_known_flags(county):
    visit = factories.visit(county.ent, county.com)
    db.session.add(VisitFlag(visit_id=visit.id, flag="bankrupt"))
    with pytest.raises(Exception):
        db.session.flush()
    db.session.rollback()
    assert set(HEALTH_FLAGS) == {"orders", "labour", "funding", "power", "relocating",
                                 "cutting", "expanding"}
