"""Editing visits: the author within 7 days, a coordinator at any time, every edit audited,
a concurrent change detected."""
from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.core.models import AuditLog
from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues.models import Issue
from crm.liaisons.models import Visit, VisitPhoto
from tests import factories
from tests.liaisons.conftest import FETCH, image_bytes


def _form(client, visit_id):
    """The edit form's current values as a browser would post them back."""
    import re

    html = client.get(f"/visits/{visit_id}/edit").get_data(as_text=True)
    token = re.search(r'name="version_token" type="hidden" value="([^"]*)"', html).group(1)
    return html, token


def _visit(county, **kw):
    visit = factories.visit(county.ent, county.com, **kw)
    db.session.commit()
    return visit


def _edit_data(visit, token, **kw):
    data = {"version_token": token, "client_uuid": visit.client_uuid,
            "visit_date": visit.visit_date.isoformat(), "mode": visit.mode,
            "summary": visit.summary or ""}
    data.update(kw)
    return data


def test_author_edits_within_seven_days_and_it_is_audited(county, client, login_as):
    visit = _visit(county)
    login_as(county.com)
    html, token = _form(client, visit.id)
    assert "修改走访记录" in html and "走访了解生产经营情况" in html
    data = _edit_data(visit, token, summary="补充：企业计划扩产", policies=[str(county.fits.id)],
                      factors=["finance"], factor_note_finance="对接农商行",
                      **{"problems-0-title": "贷款审批慢",
                         "problems-0-category_id": str(county.cat.id)})
    response = client.post_form(f"/visits/{visit.id}/edit", data)
    assert response.status_code == 302 and response.location.endswith(f"/visits/{visit.id}")
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "修改已保存" in page and "补充：企业计划扩产" in page and "对接农商行" in page
    db.session.remove()
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "update"))
    assert log.object_type == "visits" and log.object_id == visit.id
    assert log.before["summary"] == "走访了解生产经营情况"
    assert log.after["summary"] == "补充：企业计划扩产"
    assert (log.before["policy_ids"], log.after["policy_ids"]) == ([], [county.fits.id])
    assert log.after["factors"] == {"finance": "对接农商行"}
    issue = db.session.scalar(select(Issue))
    assert issue.visit_id == visit.id and log.after["issue_ids"] == [issue.id]


def test_saving_without_changes_writes_no_audit_row(county, client, login_as):
    visit = _visit(county)
    login_as(county.com)
    _html, token = _form(client, visit.id)
    client.post_form(f"/visits/{visit.id}/edit", _edit_data(visit, token, status_seen=""))
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "update")) is None


def test_author_cannot_edit_after_seven_days(county, client, login_as):
    visit = _visit(county, created_at=utcnow() - timedelta(days=8))
    login_as(county.com)
    response = client.get(f"/visits/{visit.id}/edit")
    assert response.status_code == 403
    assert "记录人可在 7 天内修改" in response.get_data(as_text=True)
    assert "edit-visit" not in client.get(f"/visits/{visit.id}").get_data(as_text=True)
    response = client.post_form(f"/visits/{visit.id}/edit",
                                _edit_data(visit, "x", summary="改"), headers=FETCH)
    assert response.status_code == 403
    db.session.remove()
    assert db.session.get(Visit, visit.id).summary == "走访了解生产经营情况"


def test_coordinator_edits_any_time(county, client, login_as):
    visit = _visit(county, created_at=utcnow() - timedelta(days=90))
    login_as(county.coord)
    _html, token = _form(client, visit.id)
    response = client.post_form(f"/visits/{visit.id}/edit",
                                _edit_data(visit, token, summary="协调员更正"))
    assert response.status_code == 302
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "update"))
    assert log.actor_id == county.coord.id and log.after == {"summary": "协调员更正"}


def test_others_may_not_edit(county, client, login_as):
    visit = _visit(county)
    login_as(county.leader)  # sees the visit (assigned), is not its author
    assert client.get(f"/visits/{visit.id}").status_code == 200
    assert client.get(f"/visits/{visit.id}/edit").status_code == 403
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login_as(county.other)  # does not even see it
    assert client.get(f"/visits/{visit.id}/edit").status_code == 404


def test_a_change_made_meanwhile_is_not_overwritten(county, client, login_as):
    visit = _visit(county)
    login_as(county.com)
    _html, token = _form(client, visit.id)
    db.session.execute(db.update(Visit).where(Visit.id == visit.id)
                       .values(summary="协调员刚改过", updated_at=utcnow() + timedelta(seconds=5)))
    db.session.commit()
    response = client.post_form(f"/visits/{visit.id}/edit",
                                _edit_data(visit, token, summary="我的修改"))
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "已被他人修改" in body and "我的修改" in body  # the typing is kept
    db.session.remove()
    assert db.session.get(Visit, visit.id).summary == "协调员刚改过"


def test_photos_can_be_added_and_removed_when_editing(county, client, login_as):
    visit = _visit(county)
    old = VisitPhoto(visit_id=visit.id, content_type="image/png", size=3, data=b"old")
    db.session.add(old)
    db.session.commit()
    login_as(county.com)
    html, token = _form(client, visit.id)
    assert f"/visits/photos/{old.id}" in html
    data = _edit_data(visit, token, remove_photos=[str(old.id)])
    data["photos"] = [(io.BytesIO(image_bytes()), "new.jpg")]
    response = client.post_form(f"/visits/{visit.id}/edit", data,
                                content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.remove()
    stored = db.session.scalar(select(Visit).where(Visit.id == visit.id)
                               .options(selectinload(Visit.photos)))
    assert [p.content_type for p in stored.photos] == ["image/jpeg"]
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "update"))
    assert log.before["photo_ids"] == [old.id] and len(log.after["photo_ids"]) == 1


def test_unknown_visit_is_404(county, client, login_as):
    login_as(county.coord)
    assert client.get("/visits/999999").status_code == 404
    assert client.get("/visits/999999/edit").status_code == 404
