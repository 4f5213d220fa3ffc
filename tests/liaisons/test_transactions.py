"""One transaction per request (crm/core/transactions.py), on both databases.

A visit is written in steps: the visit row inside a savepoint (so that a parallel submit
of the same visit can be recognised), then its problems, its photos' rows, the status
note and the audit rows. A failure after the savepoint must take all of it back: on
SQLite too, where a savepoint opened outside a transaction would have committed the
visit alone when it was released. A refused POST writes nothing; a saved one is
committed exactly once, at the end of the request.
"""
from __future__ import annotations

import io

import pytest
from sqlalchemy import event, func, select

from crm.auth.models import User
from crm.core import audit
from crm.core.models import AuditLog
from crm.enterprises.models import Contact
from crm.extensions import db
from crm.issues.models import Issue, IssueEvent
from crm.liaisons import services
from crm.liaisons.models import Visit, VisitPhoto
from tests import factories
from tests.liaisons.conftest import image_bytes, visit_data

STORED = (Visit, VisitPhoto, Issue, IssueEvent, AuditLog)


def _counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in STORED}


class _Commits:
    """Counts the COMMITs the engine sends (savepoint releases are not commits)."""

    def __init__(self):
        self.count = 0

    def __call__(self, _conn):
        self.count += 1

    def __enter__(self):
        event.listen(db.engine, "commit", self)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "commit", self)


@pytest.mark.parametrize("failure", ["refused", "crashed"])
def test_a_visit_failing_after_its_savepoint_stores_nothing(county, app, client, login_as,
                                                            monkeypatch, failure):
    """The visit's own audit row is the last thing written; when that fails, everything
    written before it (already sent to the database) is rolled back and the person
    gets an error, never a half-written success."""
    login_as(county.com)
    before = _counts()
    flushed = {}
    real_record = audit.record

    def failing_record(actor, action, obj=None, **kwargs):
        row = real_record(actor, action, obj, **kwargs)
        if isinstance(obj, Visit):
            db.session.flush()
            flushed.update(_counts())  # the request's own session: all of it is written
            if failure == "refused":
                raise services.VisitError("审计记录写入失败")
            raise RuntimeError("database went away")
        return row

    monkeypatch.setattr(audit, "record", failing_record)
    data = visit_data(**{"problems-0-title": "新产线用电容量不足",
                         "problems-0-category_id": str(county.cat.id),
                         "status_seen": "reduced"})
    data["photos"] = [(io.BytesIO(image_bytes()), "a.jpg")]
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        with _Commits() as commits:
            response = client.post_form(f"/visits/new/{county.ent.id}", data,
                                        content_type="multipart/form-data")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None

    # The failure came after the savepoint: the visit, its photo, the problem, its event
    # and its audit row, and the visit's audit row had all reached the database.
    for model in ("Visit", "VisitPhoto", "Issue", "IssueEvent"):
        assert flushed[model] == before[model] + 1, model
    assert flushed["AuditLog"] >= before["AuditLog"] + 2  # the problem's, the visit's
    page = response.get_data(as_text=True)
    if failure == "refused":
        assert response.status_code == 409 and "审计记录写入失败" in page
    else:
        assert response.status_code == 500 and "没有保存任何内容" in page
    assert "走访记录已保存，已登记问题" not in page  # the success message
    assert commits.count == 0
    db.session.expire_all()
    assert _counts() == before
    assert db.session.get(type(county.ent), county.ent.id).status == "normal"


def test_a_refused_post_writes_nothing_and_a_saved_one_commits_once(app, client, login_as):
    """A form error answers 400 and commits nothing; the same form filled in is saved
    by one COMMIT at the end of the request (the view itself never commits)."""
    login_as("coordinator")
    ent = factories.enterprise("兴发制管有限公司")
    db.session.commit()
    token = client.csrf_token()
    url = f"/enterprises/{ent.id}/contacts/new"
    before = db.session.scalar(select(func.count()).select_from(AuditLog))

    with _Commits() as refused_commits:
        refused = client.post(url, data={"csrf_token": token, "name": "",
                                         "phone": "13800000001"})
    assert refused.status_code == 400
    assert refused_commits.count == 0
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0

    with _Commits() as saved_commits:
        saved = client.post(url, data={"csrf_token": token, "name": "赵经理",
                                       "phone": "13800000001"})
    assert saved.status_code == 302
    assert saved_commits.count == 1
    db.session.expire_all()
    contact = db.session.scalar(select(Contact))
    assert (contact.enterprise_id, contact.name) == (ent.id, "赵经理")
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == before + 1


def test_a_failed_sign_in_is_counted_although_it_is_refused(app, client):
    """``transactions.keep()``: the sign-in form counts a wrong password (five lock the
    account) although the attempt fails."""
    user = factories.user(roles=["commissioner"])
    db.session.commit()
    with _Commits() as commits:
        response = client.post_form("/login", {"username": user.username,
                                               "password": "wrong-password-1"})
    assert response.status_code == 200 and "密码" in response.get_data(as_text=True)
    assert commits.count == 1
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_logins == 1
