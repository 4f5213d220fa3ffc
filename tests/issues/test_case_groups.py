"""Case groups (类案): problems sharing one cause, one lead unit, one answer; the group's
progress is written on each member problem."""
from __future__ import annotations

from sqlalchemy import select

from crm.extensions import db
from crm.issues import case_groups
from crm.issues.case_groups import CaseGroup
from crm.issues.models import IssueEvent
from tests import factories


def _html(r) -> str:
    return r.get_data(as_text=True)


def test_coordinator_groups_problems_and_progress_reaches_each(client, login_as, world):
    w = world
    park = [factories.issue(factories.enterprise(f"园区企业{i}"), state="in_progress",
                            lead_unit_id=w.unit.id, title=f"用电容量不足{i}") for i in range(3)]
    loner = w.issue("in_progress", title="无关问题")
    db.session.commit()
    login_as(w.coordinator)
    r = client.post_form("/problems/case-groups", {
        "title": "东区园区用电容量不足", "cause": "园区变电站容量不足",
        "lead_unit_id": str(w.other_unit.id),
        "numbers": " ".join(i.number for i in park)})
    assert r.status_code == 302
    group = db.session.scalar(select(CaseGroup))
    r = client.post_form(f"/problems/case-groups/{group.id}/update", {
        "kind": "progress", "text": "供电公司已立项扩容"})
    assert r.status_code == 302
    r = client.post_form(f"/problems/case-groups/{group.id}/update", {
        "kind": "answer", "text": "新建 110kV 变电站，2027 年 6 月投运"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(CaseGroup, group.id).state == "answered"
    for issue in park:
        texts = list(db.session.scalars(select(IssueEvent.text).where(
            IssueEvent.issue_id == issue.id, IssueEvent.action == "case_group")))
        assert any("供电公司已立项扩容" in t for t in texts)
        assert any("110kV" in t for t in texts)
        assert "供电公司已立项扩容" in _html(client.get(f"/problems/{issue.id}"))
    assert not list(db.session.scalars(select(IssueEvent).where(
        IssueEvent.issue_id == loner.id, IssueEvent.action == "case_group")))
    page = _html(client.get(f"/problems/case-groups/{group.id}"))
    assert "110kV" in page and all(i.number in page for i in park)


def test_a_problem_belongs_to_one_group_and_numbers_are_checked(client, login_as, world):
    w = world
    a, b = w.issue("in_progress", title="甲"), w.issue("in_progress", title="乙")
    db.session.commit()
    case_groups.create_group({"title": "一组", "cause": "同因", "lead_unit_id": w.unit.id,
                              "numbers": [a.number, b.number]}, w.coordinator)
    db.session.commit()
    login_as(w.coordinator)
    r = client.post_form("/problems/case-groups", {
        "title": "二组", "cause": "同因", "lead_unit_id": str(w.unit.id),
        "numbers": f"{a.number} 2099-9999"})
    assert r.status_code == 400 and "2099-9999" in _html(r)
    r = client.post_form("/problems/case-groups", {
        "title": "二组", "cause": "同因", "lead_unit_id": str(w.unit.id),
        "numbers": f"{a.number} {b.number}"})
    assert r.status_code == 400
    assert db.session.scalar(select(CaseGroup).where(CaseGroup.title == "二组")) is None


def test_the_list_opens_the_form_for_a_new_group_on_demand(client, login_as, world):
    """The list alone does not build the form (its lead unit offers every unit, 3,000 in
    a province); "new case group" opens it, and a submit with errors shows it again."""
    login_as(world.coordinator)
    page = _html(client.get("/problems/case-groups"))
    assert 'data-testid="case-group-form"' not in page and 'data-testid="case-group-new"' in page
    page = _html(client.get("/problems/case-groups?new=1"))
    assert 'data-testid="case-group-form"' in page and world.unit.name in page
    r = client.post_form("/problems/case-groups", {"title": "", "cause": "", "lead_unit_id": "0",
                                                  "numbers": ""})
    assert r.status_code == 400 and 'data-testid="case-group-form"' in _html(r)
