"""包联 rules: who can be assigned, one leader A, history kept, away periods, acting B,
notification recipients, bulk assignment."""
from datetime import timedelta

import pytest

from crm.core.models import AuditLog
from crm.core.timeutil import local_today
from crm.enterprises import assignments as svc
from crm.enterprises.models import Assignment, LeaderAbsence
from crm.extensions import db
from tests import factories


@pytest.fixture
def cast(app):
    return {
        "coordinator": factories.user(roles=["coordinator"]),
        "a": factories.user(roles=["leader"], display_name="李市长"),
        "b": factories.user(roles=["leader"], display_name="王副市长"),
        "c": factories.user(roles=["leader"], display_name="赵副市长"),
        "com": factories.user(roles=["commissioner"], display_name="张特派"),
        "com2": factories.user(roles=["commissioner"], display_name="刘特派"),
        "ent": factories.enterprise("兴发制管有限公司"),
    }


def active(ent):
    return {(a.user_id, a.role) for a in db.session.scalars(db.select(Assignment).where(
        Assignment.enterprise_id == ent.id, Assignment.end_date.is_(None)))}


def test_only_matching_roles_can_be_assigned(cast):
    with pytest.raises(svc.AssignmentError, match="不是包联市级领导"):
        svc.assign(cast["ent"], cast["com"], "leader_a", cast["coordinator"])
    with pytest.raises(svc.AssignmentError, match="不是帮扶特派员"):
        svc.assign(cast["ent"], cast["a"], "commissioner", cast["coordinator"])
    cast["b"].is_active = False
    with pytest.raises(svc.AssignmentError, match="已停用"):
        svc.assign(cast["ent"], cast["b"], "leader_b", cast["coordinator"])


def test_reassigning_leader_a_ends_the_old_one_and_keeps_history(cast):
    ent, actor = cast["ent"], cast["coordinator"]
    first, changed = svc.assign(ent, cast["a"], "leader_a", actor,
                                on=local_today() - timedelta(days=30))
    assert changed
    second, _ = svc.assign(ent, cast["c"], "leader_a", actor)
    assert first.end_date == local_today() and second.end_date is None
    assert active(ent) == {(cast["c"].id, "leader_a")}
    rows = db.session.scalars(db.select(Assignment).order_by(Assignment.id)).all()
    assert [(r.user_id, r.end_date is None) for r in rows] == [(cast["a"].id, False),
                                                               (cast["c"].id, True)]
    audit = db.session.scalars(db.select(AuditLog).where(
        AuditLog.object_type == "assignments").order_by(AuditLog.id)).all()
    assert [(r.object_id, r.action) for r in audit] == [(first.id, "create"),
                                                        (first.id, "update"),
                                                        (second.id, "create")]
    assert audit[1].before["end_date"] is None
    assert audit[1].after["end_date"] == local_today().isoformat()


def test_assigning_the_current_holder_again_changes_nothing(cast):
    svc.assign(cast["ent"], cast["a"], "leader_a", cast["coordinator"])
    _row, changed = svc.assign(cast["ent"], cast["a"], "leader_a", cast["coordinator"])
    assert not changed
    assert db.session.scalar(db.select(db.func.count()).select_from(Assignment)) == 1


def test_b_can_be_made_a_and_the_two_swapped(cast):
    ent, actor = cast["ent"], cast["coordinator"]
    svc.assign(ent, cast["a"], "leader_a", actor)
    svc.assign(ent, cast["b"], "leader_b", actor)
    svc.assign(ent, cast["b"], "leader_a", actor)  # B becomes A; B is now vacant
    assert active(ent) == {(cast["b"].id, "leader_a")}
    svc.assign(ent, cast["a"], "leader_b", actor)
    svc.assign(ent, cast["a"], "leader_a", actor)  # swap back
    svc.assign(ent, cast["b"], "leader_b", actor)
    assert active(ent) == {(cast["a"].id, "leader_a"), (cast["b"].id, "leader_b")}


def test_several_commissioners_and_ending_one(cast):
    ent, actor = cast["ent"], cast["coordinator"]
    one, _ = svc.assign(ent, cast["com"], "commissioner", actor)
    svc.assign(ent, cast["com2"], "commissioner", actor)
    assert active(ent) == {(cast["com"].id, "commissioner"), (cast["com2"].id, "commissioner")}
    svc.end_assignment(one, actor)
    assert active(ent) == {(cast["com2"].id, "commissioner")}
    with pytest.raises(svc.AssignmentError, match="已结束"):
        svc.end_assignment(one, actor)


def test_dates_are_checked(cast):
    ent, actor = cast["ent"], cast["coordinator"]
    with pytest.raises(svc.AssignmentError, match="不能晚于今天"):
        svc.assign(ent, cast["a"], "leader_a", actor, on=local_today() + timedelta(days=1))
    svc.assign(ent, cast["a"], "leader_a", actor)
    with pytest.raises(svc.AssignmentError, match="不能早于"):
        svc.assign(ent, cast["b"], "leader_a", actor, on=local_today() - timedelta(days=3))


def test_leader_b_acts_and_receives_a_s_notices_while_a_is_away(cast):
    ent, actor = cast["ent"], cast["coordinator"]
    other = factories.enterprise("绿源食品有限公司")
    svc.assign(ent, cast["a"], "leader_a", actor)
    svc.assign(ent, cast["b"], "leader_b", actor)
    svc.assign(other, cast["a"], "leader_a", actor)
    svc.assign(other, cast["c"], "leader_b", actor)
    today = local_today()
    assert svc.acting_leader(ent) is cast["a"]
    assert svc.notification_recipients_for_leader(cast["a"], ent) == [cast["a"].id]
    svc.mark_away(cast["a"], today, today + timedelta(days=3), actor, note="省里学习")
    assert svc.acting_leader(ent) is cast["b"]
    assert svc.notification_recipients_for_leader(cast["a"], ent) == [cast["a"].id, cast["b"].id]
    assert svc.notification_recipients_for_leader(cast["a"]) == sorted(
        [cast["a"].id, cast["b"].id, cast["c"].id])
    assert svc.leader_recipients(other) == [cast["a"].id, cast["c"].id]
    # After the period A acts again.
    later = today + timedelta(days=4)
    assert svc.acting_leader(ent, later) is cast["a"]
    assert svc.notification_recipients_for_leader(cast["a"], ent, later) == [cast["a"].id]


def test_when_b_is_away_too_a_stays_responsible(cast):
    ent, actor = cast["ent"], cast["coordinator"]
    svc.assign(ent, cast["a"], "leader_a", actor)
    svc.assign(ent, cast["b"], "leader_b", actor)
    factories.absence(cast["a"])
    factories.absence(cast["b"])
    assert svc.acting_leader(ent) is cast["a"]
    assert svc.leader_recipients(ent) == [cast["a"].id]


def test_without_leader_a_b_is_the_leader(cast):
    svc.assign(cast["ent"], cast["b"], "leader_b", cast["coordinator"])
    assert svc.acting_leader(cast["ent"]) is cast["b"]
    assert svc.leader_recipients(cast["ent"]) == [cast["b"].id]


def test_away_periods_do_not_overlap_and_are_audited(cast):
    today = local_today()
    svc.mark_away(cast["a"], today, today + timedelta(days=5), cast["a"])
    with pytest.raises(svc.AssignmentError, match="重叠"):
        svc.mark_away(cast["a"], today + timedelta(days=5), today + timedelta(days=6), cast["a"])
    with pytest.raises(svc.AssignmentError, match="已经结束"):
        svc.mark_away(cast["a"], today - timedelta(days=9), today - timedelta(days=8), cast["a"])
    with pytest.raises(svc.AssignmentError, match="只有包联市级领导"):
        svc.mark_away(cast["com"], today, today, cast["coordinator"])
    assert db.session.scalar(db.select(AuditLog.action).where(
        AuditLog.object_type == "leader_absences")) == "create"


def test_coordinator_assigns_on_the_enterprise_page(client, login_as, cast):
    db.session.commit()
    login_as(cast["coordinator"])
    ent = cast["ent"]
    response = client.post_form(f"/enterprises/{ent.id}/assign/leader_a", {
        "leader_a-user_id": str(cast["a"].id), "leader_a-start_date": local_today().isoformat()},
        follow_redirects=True)
    assert "已保存" in response.get_data(as_text=True)
    wrong = client.post_form(f"/enterprises/{ent.id}/assign/leader_b", {
        "leader_b-user_id": str(cast["com"].id),
        "leader_b-start_date": local_today().isoformat()}, follow_redirects=True)
    assert "请从列表中选择一位在职人员" in wrong.get_data(as_text=True)
    client.post_form(f"/enterprises/{ent.id}/assign/leader_a", {
        "leader_a-user_id": str(cast["c"].id), "leader_a-start_date": local_today().isoformat()})
    page = client.get(f"/enterprises/{ent.id}").get_data(as_text=True)
    assert page.count('data-testid="current-assignment"') == 1
    assert 'data-testid="past-assignment"' in page and "李市长" in page
    assert client.post_form(f"/enterprises/{ent.id}/assign/boss", {}).status_code == 404
    assert active(ent) == {(cast["c"].id, "leader_a")}


def test_end_button_ends_an_assignment(client, login_as, cast):
    row = factories.assignment(cast["ent"], cast["com"])
    db.session.commit()
    login_as(cast["coordinator"])
    response = client.post_form(f"/enterprises/assignments/{row.id}/end", follow_redirects=True)
    assert "保留在历史记录中" in response.get_data(as_text=True)
    db.session.refresh(row)
    assert row.end_date == local_today()


def test_bulk_assignment_from_the_list(client, login_as, cast):
    ents = [cast["ent"]] + [factories.enterprise() for _ in range(3)]
    factories.assignment(ents[1], cast["b"], "leader_a")
    db.session.commit()
    login_as(cast["coordinator"])
    response = client.post_form("/enterprises/bulk-assign", {
        "ids": [str(e.id) for e in ents[:3]], "role": "leader_a", "user_id": str(cast["a"].id),
        "start_date": local_today().isoformat(), "next": "/enterprises/?q=x"})
    assert response.status_code == 302 and response.headers["Location"] == "/enterprises/?q=x"
    for ent in ents[:3]:
        assert (cast["a"].id, "leader_a") in active(ent)
    assert active(ents[3]) == set()
    assert db.session.scalar(db.select(Assignment.end_date).where(
        Assignment.user_id == cast["b"].id)) == local_today()


def test_bulk_assignment_is_all_or_nothing(client, login_as, cast):
    ents = [factories.enterprise() for _ in range(3)]
    db.session.commit()
    login_as(cast["coordinator"])
    response = client.post_form("/enterprises/bulk-assign", {
        "ids": [str(e.id) for e in ents], "role": "leader_a", "user_id": str(cast["com"].id),
        "start_date": local_today().isoformat()}, follow_redirects=True)
    assert "未作任何修改" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Assignment)) == 0


def test_bulk_assignment_needs_a_selection(client, login_as, cast):
    db.session.commit()
    login_as(cast["coordinator"])
    response = client.post_form("/enterprises/bulk-assign", {
        "role": "commissioner", "user_id": str(cast["com"].id),
        "start_date": local_today().isoformat()}, follow_redirects=True)
    assert "请先在列表中勾选企业" in response.get_data(as_text=True)


def test_leader_marks_an_away_period_and_b_sees_it(client, login_as, cast):
    ent = cast["ent"]
    factories.assignment(ent, cast["a"], "leader_a")
    factories.assignment(ent, cast["b"], "leader_b")
    db.session.commit()
    login_as(cast["a"])
    today = local_today()
    bad = client.post_form(f"/enterprises/leaders/{cast['a'].id}/away", {
        "start_date": today.isoformat(), "end_date": (today - timedelta(days=1)).isoformat()})
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.get_data(as_text=True)
    client.post_form(f"/enterprises/leaders/{cast['a'].id}/away", {
        "start_date": today.isoformat(), "end_date": (today + timedelta(days=2)).isoformat(),
        "note": "赴省里学习"})
    assert db.session.scalar(db.select(LeaderAbsence.note)) == "赴省里学习"
    assert client.get(f"/enterprises/leaders/{cast['b'].id}/away").status_code == 403
    mine = client.get("/enterprises/mine").get_data(as_text=True)
    assert 'data-testid="away-now"' in mine
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login_as(cast["b"])
    page = client.get("/enterprises/mine").get_data(as_text=True)
    assert "A角外出，由您代为履职" in page
    detail = client.get(f"/enterprises/{ent.id}").get_data(as_text=True)
    assert 'data-testid="acting-badge"' in detail and 'data-testid="away-badge"' in detail


def notices(user):
    from crm.core.models import Notification

    return db.session.scalars(db.select(Notification.text).where(
        Notification.user_id == user.id).order_by(Notification.id)).all()


def test_people_are_told_in_their_own_language(cast):
    cast["com2"].locale = "en"
    svc.assign(cast["ent"], cast["com"], "commissioner", cast["coordinator"])
    svc.assign(cast["ent"], cast["com2"], "commissioner", cast["coordinator"])
    assert notices(cast["com"]) == ["您已被设置为兴发制管有限公司的帮扶特派员。"]
    assert notices(cast["com2"]) == ["You are now Commissioner of 兴发制管有限公司."]


def test_bulk_assignment_sends_one_summary(cast):
    ents = [factories.enterprise() for _ in range(4)]
    svc.bulk_assign(ents, cast["com"], "commissioner", cast["coordinator"])
    assert notices(cast["com"]) == ["您新担任 4 家企业的帮扶特派员。"]


def test_leader_b_is_told_when_a_goes_away(cast):
    svc.assign(cast["ent"], cast["a"], "leader_a", cast["coordinator"], tell=False)
    svc.assign(cast["ent"], cast["b"], "leader_b", cast["coordinator"], tell=False)
    today = local_today()
    svc.mark_away(cast["a"], today, today + timedelta(days=2), cast["a"])
    assert notices(cast["b"]) == [f"李市长于 {today.isoformat()} 至 "
                                  f"{(today + timedelta(days=2)).isoformat()} 外出，期间由您以B角"
                                  "身份代为履职，并同时收到发给其的通知。"]
    assert notices(cast["c"]) == []


def test_an_edit_form_without_its_version_is_refused(client, login_as, cast):
    db.session.commit()
    login_as(cast["coordinator"])
    ent = cast["ent"]
    response = client.post_form(f"/enterprises/{ent.id}/edit", {
        "name": "改名有限公司", "credit_code": ent.credit_code, "status": "normal",
        "town_id": "0"})
    assert response.status_code == 400
    assert "表单内容不完整" in response.get_data(as_text=True)
    db.session.refresh(ent)
    assert ent.name == "兴发制管有限公司"
