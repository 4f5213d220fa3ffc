"""The Alembic migrations build exactly the schema the models describe, on both databases,
and the database enforces the design's invariants."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from crm import create_app
from crm.config import TestConfig
from crm.enterprises import search_index
from crm.extensions import db
from tests import factories
from tests.conftest import PG_URL, _pg_reachable, _unavailable


def _migrated_diff(url: str):
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Cfg)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={
                "compare_type": True, "include_object": search_index.include_object})
            return compare_metadata(ctx, db.metadata)


def test_migrations_match_models_on_sqlite(tmp_path):
    assert _migrated_diff(f"sqlite:///{tmp_path / 'm.sqlite3'}") == []


def test_migrations_match_models_on_postgresql():
    reason = _pg_reachable()
    if reason:
        _unavailable(reason)
    admin_url = PG_URL.replace("postgresql+psycopg://", "postgresql+psycopg://").replace(
        "postgresql://", "postgresql+psycopg://")
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"crm_migrations_{os.getpid()}"
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = admin_url.rsplit("/", 1)[0] + f"/{name}"
        assert _migrated_diff(url) == []
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def test_credit_code_is_unique(app):
    factories.enterprise(credit_code=factories.code(7))
    with pytest.raises(IntegrityError):
        factories.enterprise(credit_code=factories.code(7))
    db.session.rollback()


def test_only_one_active_leader_a_per_enterprise(app):
    ent = factories.enterprise()
    a, b = factories.user(roles=["leader"]), factories.user(roles=["leader"])
    from datetime import date

    factories.assignment(ent, a, "leader_a", end=date(2026, 1, 1), start=date(2025, 1, 1))
    factories.assignment(ent, b, "leader_a")  # history is fine
    with pytest.raises(IntegrityError):
        factories.assignment(ent, a, "leader_a")
    db.session.rollback()


@pytest.mark.parametrize("fields", [
    {"state": "closed", "closed_at": None},
    {"state": "in_progress", "dispatched_at": None},
    {"state": "new", "rating": 6},
    {"state": "bogus"},
])
def test_issue_invariants_are_checked_by_the_database(app, fields):
    ent = factories.enterprise()
    issue = factories.issue(ent)
    db.session.commit()
    for key, value in fields.items():
        setattr(issue, key, value)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
