"""Audit: writes leave a trace, the admin page filters it, and nothing edits it."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from crm.core.models import AuditLog
from crm.core.timeutil import local_today, utcnow
from crm.extensions import db
from crm.issues.models import IssueEvent
from tests import factories
from tests.security.test_permission_matrix import build_world


def _audit_rows() -> list[tuple]:
    return [(r.id, r.at, r.actor_id, r.action, r.object_type, r.object_id, r.summary,
             r.before, r.after) for r in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_admin_filters_the_audit_log_by_user_object_and_date(client, login_as):
    """Filters combine; unreadable ones are ignored; pages of 50."""
    alice = factories.user(roles=["coordinator"], display_name="艾丽")
    bob = factories.user(roles=["coordinator"], display_name="鲍勃")
    now = utcnow()
    for i in range(60):
        db.session.add(AuditLog(actor_id=alice.id, action="update", object_type="enterprises",
                                object_id=7, summary=f"修改{i}", at=now - timedelta(days=1)))
    db.session.add(AuditLog(actor_id=bob.id, action="create", object_type="users",
                            object_id=9, summary="新建用户", at=now - timedelta(days=40)))
    db.session.commit()
    login_as("admin")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "操作日志" in page and "共 61 条记录" in page and page.count('data-testid="audit-row"') == 50
    assert "共 1 条记录" in client.get(f"/admin/audit?user={bob.id}").get_data(as_text=True)
    by_object = client.get("/admin/audit?object_type=enterprises&object_id=7&page=2")
    assert "共 60 条记录" in by_object.get_data(as_text=True)
    assert by_object.get_data(as_text=True).count('data-testid="audit-row"') == 10
    old_day = (now - timedelta(days=40)).date().isoformat()
    dated = client.get(f"/admin/audit?date_from={old_day}&date_to={old_day}")
    assert "新建用户" in dated.get_data(as_text=True)
    assert "修改1" not in dated.get_data(as_text=True)
    # The person is typed, not picked from a list of every user.
    assert 'value="鲍勃"' in client.get(f"/admin/audit?user={bob.id}").get_data(as_text=True)
    assert "<option value=\"%d\"" % alice.id not in page
    by_name = client.get("/admin/audit?who=鲍").get_data(as_text=True)
    assert "共 1 条记录" in by_name and "新建用户" in by_name and 'value="鲍"' in by_name
    assert "共 0 条记录" in client.get("/admin/audit?who=%25_").get_data(as_text=True)
    for junk in ("user=abc", "object_id=-1", "date_from=2026-02-30", "page=x", "user=%00"):
        response = client.get(f"/admin/audit?{junk}")
        assert response.status_code == 200 and "共 61 条记录" in response.get_data(as_text=True)


def test_audit_page_is_for_admins_only(client, login_as):
    """Coordinators keep the registry but do not read the audit trail of users."""
    login_as("coordinator")
    assert client.get("/admin/audit").status_code == 403


def test_no_route_changes_or_removes_an_audit_row(app, client, login_as):
    """Every POST route of the app, called by a user holding every role, leaves the
    existing audit rows exactly as they were (rows may only be added)."""
    world = build_world("coordinator")
    boss = world["me"]
    boss.roles = ["coordinator", "admin", "leader", "commissioner", "handler"]
    for i in range(3):
        db.session.add(AuditLog(actor_id=boss.id, action="update", object_type="enterprises",
                                object_id=world["own"]["enterprise_id"], summary=f"原记录{i}",
                                before={"name": "旧"}, after={"name": "新"}))
    db.session.commit()
    login_as(boss)
    before = _audit_rows()
    token = client.csrf_token()
    posted = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "auth.logout":
            continue
        for which in ("own", "other"):
            url = rule.build({a: world[which][a] for a in rule.arguments},
                             append_unknown=False)[1]
            fields = {"csrf_token": token, "id": before[0][0], "audit_id": before[0][0],
                      "summary": "篡改", "action": "delete"}
            assert client.post(url, data=fields).status_code < 500, url
            posted += 1
    db.session.expire_all()
    after = _audit_rows()
    assert after[:len(before)] == before
    assert posted >= 80
    assert not [r for r in app.url_map.iter_rules() if "audit" in r.rule and r.methods - {
        "GET", "HEAD", "OPTIONS"}]


def test_writes_through_the_app_leave_audit_or_timeline_rows(client, login_as):
    """Master data, assignments, users, units, settings and problems: each write adds
    an AuditLog row (or an IssueEvent for problems) naming the actor."""
    admin = factories.user(roles=["admin", "coordinator"])
    town = factories.unit("青石镇", kind="town")
    commissioner = factories.user(roles=["commissioner"], unit=town)
    db.session.commit()
    login_as(admin)
    steps = [
        ("/enterprises/new", {"name": "审计测试有限公司", "credit_code": factories.code(),
                              "town_id": town.id, "status": "normal", "industry": "",
                              "cluster": "", "scale": "", "size": "", "ownership": ""}),
        ("/admin/units/new", {"name": "审计测试局", "kind": "department", "is_active": "y"}),
        ("/admin/users/new", {"username": "audited", "display_name": "审计对象",
                              "unit_id": town.id, "roles": "commissioner", "is_active": "y",
                              "password": "Lianluo-2026-Strong"}),
        ("/problems/admin/categories/new", {"name": "审计类别", "lead_unit_id": town.id,
                                            "default_level": "ordinary", "position": "1",
                                            "is_active": "y"}),
    ]
    for url, data in steps:
        count = _count(AuditLog)
        response = client.post_form(url, data)
        assert response.status_code == 302, (url, response.status_code)
        db.session.expire_all()
        assert _count(AuditLog) == count + 1, url
        last = db.session.scalar(select(AuditLog).order_by(AuditLog.id.desc()).limit(1))
        assert last.actor_id == admin.id and (last.after or last.summary)
    from crm.enterprises.models import Enterprise

    ent = db.session.scalar(select(Enterprise).where(Enterprise.name == "审计测试有限公司"))
    count = _count(AuditLog)
    response = client.post_form(f"/enterprises/{ent.id}/assign/commissioner",
                                {"commissioner-user_id": commissioner.id,
                                 "commissioner-start_date": local_today().isoformat()})
    assert response.status_code == 302
    db.session.expire_all()
    assert _count(AuditLog) > count
    issue = factories.issue(ent, commissioner, state="new")
    db.session.commit()
    events = _count(IssueEvent)
    client.post_form(f"/problems/{issue.id}/do/comment",
                     {"comment-version": issue.version, "comment-text": "请尽快处理"})
    db.session.expire_all()
    assert _count(IssueEvent) == events + 1
