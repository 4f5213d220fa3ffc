"""The request's transaction (crm/core/transactions.py): committed once at the end of a
successful request, after-commit work runs only then, and SQLite follows SQLAlchemy's
recipe (our own BEGIN, IMMEDIATE for a POST; WAL and a busy timeout for a file)."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, text

from crm import create_app
from crm.auth.models import Unit
from crm.config import TestConfig
from crm.core import transactions
from crm.extensions import db
from tests import factories
from tests.conftest import _fresh


@pytest.fixture
def file_app(tmp_path):
    """An app on an SQLite file (another connection can look at what is committed),
    with a probe route that writes a unit and asks to be told after the commit."""

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'tx.sqlite3'}"
        WTF_CSRF_ENABLED = False

    app = create_app(Cfg)
    app.config["SEEN_AFTER_COMMIT"] = []

    def committed_units() -> list[str]:
        with sqlite3.connect(tmp_path / "tx.sqlite3") as other:
            return [r[0] for r in other.execute("SELECT name FROM units ORDER BY id")]

    @app.post("/_probe/<status>")
    def probe(status):
        db.session.add(Unit(name=f"单位{status}", kind="department"))
        db.session.flush()
        transactions.after_commit(
            lambda: app.config["SEEN_AFTER_COMMIT"].append(committed_units()))
        return status, int(status)

    with app.app_context():
        db.create_all()
    app.committed_units = committed_units
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_successful_request_is_committed_before_its_after_commit_work(file_app):
    """A job enqueued after the commit finds the row from another connection."""
    response = file_app.test_client().post("/_probe/200")
    assert response.status_code == 200
    assert file_app.config["SEEN_AFTER_COMMIT"] == [["单位200"]]
    assert file_app.committed_units() == ["单位200"]


@pytest.mark.parametrize("status", ["400", "409", "422"])
def test_a_failed_request_is_rolled_back_and_its_after_commit_work_dropped(file_app, status):
    response = file_app.test_client().post(f"/_probe/{status}")
    assert response.status_code == int(status)
    assert file_app.config["SEEN_AFTER_COMMIT"] == []
    assert file_app.committed_units() == []


def test_a_file_database_uses_wal_and_waits_for_locks(file_app):
    with file_app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == \
            transactions.BUSY_TIMEOUT_MS


@pytest.fixture
def sqlite_app():
    with _fresh("sqlite") as app:
        yield app


def test_sqlite_begins_a_post_immediately_and_a_page_deferred(sqlite_app):
    """A POST takes the write lock with its first statement, so two writing requests
    queue up; a page only reads and never blocks a writer."""
    username = factories.user(roles=["coordinator"]).username
    db.session.commit()  # (the in-memory database's one connection is then free)
    client = sqlite_app.test_client()
    token = client.csrf_token()
    begins: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        if statement.startswith("BEGIN"):
            begins.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        signed_in = client.post("/login", data={"csrf_token": token, "username": username,
                                                "password": factories.PASSWORD})
        post_begins, begins[:] = list(begins), []
        page = client.get("/enterprises/")
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert signed_in.status_code == 302 and page.status_code == 200
    assert post_begins == ["BEGIN IMMEDIATE"]
    assert begins == ["BEGIN"]
