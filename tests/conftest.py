"""Shared fixtures: ``app`` on SQLite and PostgreSQL, ``client``, ``login_as``, Redis.

PostgreSQL and Redis come from TEST_DATABASE_URL and TEST_REDIS_URL. When they are not
set or not reachable the tests that need them are skipped with the reason — except
under CI=true, where they fail, so CI can never pass by skipping.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text

from crm import create_app
from crm.config import TestConfig
from crm.extensions import db, limiter
from tests import factories
from tests.clock import SWEEP_DATES, local_instant, start_clock, sweep_params

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Under pytest-xdist each worker (gw0, gw1 …) gets a database and a Redis db of its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_database(url: str | None) -> str | None:
    """``…/test`` → ``…/test_gw1`` for xdist worker gw1, created when missing."""
    if not url or not WORKER:
        return url
    base, name = url.rsplit("/", 1)
    own = f"{name}_{WORKER}"
    try:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                             autocommit=True, connect_timeout=3) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (own,)).fetchone():
                conn.execute(f'CREATE DATABASE "{own}"')
    except Exception:  # noqa: BLE001  (unreachable: the tests report it when they connect)
        return url
    return f"{base}/{own}"


def _worker_redis(url: str | None) -> str | None:
    """``redis://…/15`` → ``redis://…/14`` for worker gw1: one Redis db per worker."""
    if not url or not WORKER:
        return url
    base, _, db_index = url.rpartition("/")
    index = int(db_index or 0) - int(WORKER.removeprefix("gw"))
    return f"{base}/{index % 16}"


PG_URL = _worker_database(os.environ.get("TEST_DATABASE_URL"))
REDIS_URL = _worker_redis(os.environ.get("TEST_REDIS_URL"))
if WORKER:  # subprocesses and modules that read the environment see the worker's own
    for key, value in (("TEST_DATABASE_URL", PG_URL), ("TEST_REDIS_URL", REDIS_URL)):
        if value:
            os.environ[key] = value
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (required in CI)", pytrace=False)
    pytest.skip(reason)


def _pg_reachable() -> str | None:
    if not PG_URL:
        return "TEST_DATABASE_URL is not set"
    import psycopg

    try:
        url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        psycopg.connect(url, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL at TEST_DATABASE_URL is not reachable: {exc}"
    return None


class CRMClient(FlaskClient):
    """A test client that submits forms with a real CSRF token, as a browser does.

    Each request runs in its own application context (own ``g`` and database
    session), as in production, even though the test holds an app context open.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self, page: str = "/no-such-page-for-token") -> str:
        """Read the CSRF token from a rendered page (any page uses the base layout)."""
        html = self.get(page).get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        """POST ``data`` with a CSRF token, like a browser submitting a form."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)


def _make_app(database_url: str):
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Cfg)
    app.test_client_class = CRMClient
    with app.app_context():
        if database_url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()
    return app


_apps: dict[str, object] = {}


def _get_app(kind: str):
    if kind not in _apps:
        if kind == "sqlite":
            _apps[kind] = _make_app("sqlite://")
        else:
            reason = _pg_reachable()
            if reason:
                _unavailable(reason)
            _apps[kind] = _make_app(PG_URL)
    return _apps[kind]


def _clean(app) -> None:
    db.session.remove()
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


def _reset_limits() -> None:
    """Empty the sign-in limits between tests. The in-memory storage of ``limits`` expires
    keys from a timer thread that indexes its table without the lock ``reset`` takes, so
    a reset during a sweep could raise in that thread (a flaky KeyError): stop the timer
    first; the storage starts a new one on its next write."""
    storage = limiter.storage
    timer = getattr(storage, "timer", None)
    if timer is not None:
        timer.cancel()
        timer.join()
    limiter.reset()


@contextmanager
def _fresh(kind: str):
    """The application on ``kind`` with empty tables and its context pushed."""
    application = _get_app(kind)
    with application.app_context():
        _clean(application)
        _reset_limits()
        yield application
        db.session.remove()


@pytest.fixture(autouse=True)
def clock(request):
    """Every test runs on a fixed, ticking clock (``tests/clock.py``); ``clock.travel``
    moves it. Tests marked ``real_clock`` get ``None`` and the machine's time."""
    running = start_clock(request)
    yield running
    if running is not None:
        running.stop()


@pytest.fixture(params=sweep_params())
def sweep_now(request):
    """The local instant of one of the sweep days; the test runs once per day, with the
    clock started there (see ``tests/clock.py``)."""
    return local_instant(dict(SWEEP_DATES)[request.param])


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request):
    """The application on each database, with empty tables and the context pushed."""
    with _fresh(request.param) as application:
        yield application


@pytest.fixture
def pg_app():
    """The application on PostgreSQL only (concurrency and PostgreSQL-specific tests)."""
    with _fresh("postgresql") as application:
        yield application


@pytest.fixture
def client(app) -> CRMClient:
    return app.test_client()


@pytest.fixture
def login_as(app, client):
    """``login_as("leader")`` creates a user with that role (or takes a User) and signs
    in through the real sign-in form. Returns the user."""

    def _login(role_or_user="commissioner", **user_kwargs):
        if isinstance(role_or_user, str):
            user = factories.user(roles=[role_or_user], **user_kwargs)
            db.session.commit()
        else:
            user = role_or_user
        response = client.post_form(
            "/login", {"username": user.username, "password": factories.PASSWORD},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return _login


@pytest.fixture
def redis_url():
    """A real Redis (database 15 by default), flushed before and after the test."""
    if not REDIS_URL:
        _unavailable("TEST_REDIS_URL is not set")
    from redis import Redis

    conn = Redis.from_url(REDIS_URL)
    try:
        conn.ping()
    except Exception as exc:  # noqa: BLE001
        _unavailable(f"Redis at TEST_REDIS_URL is not reachable: {exc}")
    conn.flushdb()
    yield REDIS_URL
    conn.flushdb()


class QueryCounter:
    """Counts SQL statements sent to the database.

    Transaction control is not a query: SQLite's BEGIN is a statement the engine sends
    itself (crm/core/transactions.py), where PostgreSQL's driver begins implicitly, so
    it is left out and the two databases count the same.
    """

    TRANSACTION_CONTROL = frozenset({"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"})

    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn, cursor, statement, *args):
        if statement.strip().upper() not in self.TRANSACTION_CONTROL:
            self.statements.append(statement)


@contextmanager
def count_queries():
    """``with count_queries() as q: ...; q.count`` — the N+1 detector."""
    counter = QueryCounter()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def queries():
    """Fixture form of ``count_queries``."""
    return count_queries
