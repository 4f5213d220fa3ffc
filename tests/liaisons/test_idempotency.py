"""One visit per submission id, also when two requests race on PostgreSQL."""
from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from crm.auth.models import User
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.issues.models import Issue
from crm.liaisons import services
from crm.liaisons.models import Visit
from crm.liaisons.services import record_visit
from tests import factories


def _data(client_uuid: str) -> dict:
    return {"client_uuid": client_uuid, "visit_date": None, "mode": "onsite",
            "summary": "走访", "problems": [{"title": "缺电", "description": None,
                                            "category_id": None}]}


def _setup():
    com = factories.user(["commissioner"])
    ent = factories.enterprise()
    factories.assignment(ent, com)
    db.session.commit()
    return com.id, ent.id


def test_record_visit_twice_returns_the_first(app):
    com_id, ent_id = _setup()
    com, ent = db.session.get(User, com_id), db.session.get(Enterprise, ent_id)
    key = str(uuid.uuid4())
    data = _data(key)
    from crm.core.timeutil import local_today

    data["visit_date"] = local_today()
    first, issues, created = record_visit(ent, data, com)
    db.session.commit()
    again, more, created_again = record_visit(ent, data, com)
    assert (created, created_again, len(issues), more) == (True, False, 1, [])
    assert again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Issue)) == 1


def test_parallel_submits_on_postgresql_store_one_visit(pg_app, monkeypatch):
    """Request A inserts and holds its transaction open; request B, started meanwhile,
    cannot see A's row, so its INSERT waits on the unique index and fails once A commits.
    B rolls back to its savepoint, reads A's visit and returns it."""
    com_id, ent_id = _setup()
    key = str(uuid.uuid4())
    from crm.core.timeutil import local_today

    a_inserted, results, errors = threading.Event(), {}, []
    lookups = []
    real_lookup = services.existing_submission

    def spy(*args):
        found = real_lookup(*args)
        lookups.append((threading.current_thread().name, found is not None))
        return found

    monkeypatch.setattr(services, "existing_submission", spy)

    def run(name: str, hold: float):
        try:
            with pg_app.app_context():
                com, ent = db.session.get(User, com_id), db.session.get(Enterprise, ent_id)
                data = _data(key)
                data["visit_date"] = local_today()
                if name == "b":
                    a_inserted.wait(5)
                visit, issues, created = record_visit(ent, data, com)
                if name == "a":
                    a_inserted.set()
                    threading.Event().wait(hold)  # keep the row uncommitted for a moment
                db.session.commit()
                results[name] = (visit.id, created, len(issues))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            a_inserted.set()

    threads = [threading.Thread(target=run, args=("a", 0.5), name="a"),
               threading.Thread(target=run, args=("b", 0), name="b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    assert results["a"][1] is True and results["b"][1] is False
    assert results["a"][0] == results["b"][0]
    assert results["b"][2] == 0
    # B did not see A's row at first: it got there through the IntegrityError and re-read.
    assert [found for name, found in lookups if name == "b"] == [False, True]
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1
    assert db.session.scalar(select(func.count()).select_from(Issue)) == 1
