"""Concurrency with real parallel requests on PostgreSQL: two browsers (each its own
client, cookie jar, application context and database session) submit at the same
moment; the second gets a conflict message and nothing is lost."""
from __future__ import annotations

import re
import threading
import uuid

from sqlalchemy import func, select

from crm.core.models import AuditLog
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.issues.models import Issue, IssueEvent
from crm.liaisons.models import Visit
from tests import factories
from tests.liaisons.conftest import visit_data

VERSION_RE = re.compile(r'name="version" type="hidden" value="(\d+)"')


def _signed_in(app, user):
    client = app.test_client()
    response = client.post_form("/login", {"username": user.username,
                                           "password": factories.PASSWORD})
    assert response.status_code == 302
    return client


def _in_parallel(*calls):
    """Run the calls at the same moment in threads; return their results in order."""
    barrier, results, errors = threading.Barrier(len(calls)), [None] * len(calls), []

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_two_coordinators_edit_the_same_enterprise(pg_app):
    """Both opened the form at version 1; one save wins, the other sees the conflict."""
    app = pg_app
    a, b = factories.user(roles=["coordinator"]), factories.user(roles=["coordinator"])
    town = factories.unit("青石镇", kind="town")
    ent = factories.enterprise("原名有限公司", town_id=town.id)
    db.session.commit()
    ca, cb = _signed_in(app, a), _signed_in(app, b)
    forms = []
    for c in (ca, cb):
        html = c.get(f"/enterprises/{ent.id}/edit").get_data(as_text=True)
        forms.append({"csrf_token": c.csrf_token(), "version": VERSION_RE.search(html).group(1),
                      "credit_code": ent.credit_code, "town_id": town.id, "status": "normal",
                      "industry": "", "cluster": "", "scale": "", "size": "",
                      "ownership": ""})
    ent_id = ent.id
    ra, rb = _in_parallel(
        lambda: ca.post(f"/enterprises/{ent_id}/edit", data={**forms[0], "name": "甲改名有限公司"}),
        lambda: cb.post(f"/enterprises/{ent_id}/edit", data={**forms[1], "name": "乙改名有限公司"}))
    codes = sorted([ra.status_code, rb.status_code])
    assert codes == [302, 409], codes
    loser = ra if ra.status_code == 409 else rb
    assert "已被" in loser.get_data(as_text=True)   # "…has been changed by …"
    winner_name = "甲改名有限公司" if ra.status_code == 302 else "乙改名有限公司"
    db.session.expire_all()
    fresh = db.session.get(Enterprise, ent.id)
    assert fresh.name == winner_name and fresh.version == 2
    edits = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "enterprises",
                                                      AuditLog.object_id == ent.id)).all()
    assert len(edits) == 1


def test_two_handlers_act_on_the_same_problem(pg_app):
    """Sign and return race from the same page version: one is done, the other is told."""
    app = pg_app
    unit = factories.unit("人社局")
    h1 = factories.user(roles=["handler"], unit=unit)
    h2 = factories.user(roles=["handler"], unit=unit)
    ent = factories.enterprise()
    issue = factories.issue(ent, None, state="dispatched", lead_unit_id=unit.id)
    db.session.commit()
    c1, c2 = _signed_in(app, h1), _signed_in(app, h2)
    t1, t2 = c1.csrf_token(), c2.csrf_token()
    issue_id, version = issue.id, issue.version
    r1, r2 = _in_parallel(
        lambda: c1.post(f"/problems/{issue_id}/do/sign",
                        data={"csrf_token": t1, "sign-version": version}),
        lambda: c2.post(f"/problems/{issue_id}/do/return",
                        data={"csrf_token": t2, "return-version": version,
                              "return-text": "非本单位职责，请改派市场监管局"}))
    codes = sorted([r1.status_code, r2.status_code])
    assert codes == [302, 409], codes
    loser = r1 if r1.status_code == 409 else r2
    assert "请刷新后再操作" in loser.get_data(as_text=True)
    db.session.expire_all()
    fresh = db.session.get(Issue, issue_id)
    assert fresh.version == version + 1
    assert fresh.state == ("in_progress" if r1.status_code == 302 else "returned")
    events = db.session.scalars(select(IssueEvent.action)
                                .where(IssueEvent.issue_id == issue_id)).all()
    assert len(events) == 1


def test_the_same_visit_submitted_twice_in_parallel_is_one_visit(pg_app):
    """A double tap (or a retry over weak signal) sends one client_uuid twice at once."""
    app = pg_app
    com = factories.user(roles=["commissioner"])
    ent = factories.enterprise()
    factories.assignment(ent, com)
    db.session.commit()
    c1, c2 = _signed_in(app, com), _signed_in(app, com)
    key, ent_id = str(uuid.uuid4()), ent.id
    data = visit_data(client_uuid=key, summary="并发提交同一条走访")
    t1, t2 = c1.csrf_token(), c2.csrf_token()
    r1, r2 = _in_parallel(
        lambda: c1.post(f"/visits/new/{ent_id}", data={**data, "csrf_token": t1}),
        lambda: c2.post(f"/visits/new/{ent_id}", data={**data, "csrf_token": t2}))
    assert r1.status_code < 500 and r2.status_code < 500
    assert {r1.status_code, r2.status_code} <= {200, 302, 303}
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Visit)
                             .where(Visit.client_uuid == key)) == 1
