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


def test_existing_submission_finds_the_visit_or_the_one_it_was_added_to(app):
    """A submission id is looked up among the visits' ids and the ids of submissions
    added to a visit (补充): either finds its visit; an unknown id finds none; an id of
    another person's or another enterprise's visit is refused."""
    from crm.core.timeutil import local_today
    from crm.liaisons.models import VisitAppend

    com_id, ent_id = _setup()
    com, ent = db.session.get(User, com_id), db.session.get(Enterprise, ent_id)
    data = _data(str(uuid.uuid4()))
    data["visit_date"] = local_today()
    visit, _issues, _created = record_visit(ent, data, com)
    added = str(uuid.uuid4())
    db.session.add(VisitAppend(client_uuid=added, visit_id=visit.id))
    db.session.commit()

    assert services.existing_submission(data["client_uuid"].upper(), ent, com).id == visit.id
    assert services.existing_submission(added, ent, com).id == visit.id
    assert services.existing_submission(str(uuid.uuid4()), ent, com) is None
    assert services.existing_submission("", ent, com) is None
    other = factories.user(["commissioner"])
    elsewhere = factories.enterprise()
    db.session.commit()
    for who, where in ((other, ent), (com, elsewhere)):
        for key in (data["client_uuid"], added):
            try:
                services.existing_submission(key, where, who)
            except services.VisitConflict:
                continue
            raise AssertionError("another visit's id was taken as a retry")


def test_existing_submission_reads_the_unique_indexes_on_postgresql(pg_app):
    """Each id is looked up in its own unique index: the statement never scans the
    visits (an OR of the two lookups did, 3.5 million rows at province scale)."""
    from sqlalchemy import event

    com_id, ent_id = _setup()
    com, ent = db.session.get(User, com_id), db.session.get(Enterprise, ent_id)
    seen = []

    def grab(conn, cursor, statement, params, context, executemany):
        if "visit_appends" in statement:
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        services.existing_submission(str(uuid.uuid4()), ent, com)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    (statement, params), = seen
    raw = db.session.connection().connection.cursor()
    raw.execute("SET LOCAL enable_seqscan = off")  # what the planner does on a big table
    raw.execute("EXPLAIN " + statement, params)
    plan = "\n".join(row[0] for row in raw.fetchall())
    assert "uq_visits_client_uuid" in plan and "Seq Scan on visits" not in plan, plan
    db.session.rollback()
