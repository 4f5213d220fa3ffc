"""One commit per request, and SQLite transactions that behave as SQLAlchemy expects.

A request is one unit of work. The view and the services it calls change objects and
flush; the application commits once, after the view has returned, when the request
wrote something and its answer is a success (status below 400), and rolls back
otherwise (Indico's request handler works the same way). No view commits or rolls back
the session itself, so none can forget to, commit half a change or commit twice.

What the status alone cannot say, a view says with one call:

- ``keep()``: commit what the request wrote although it answers with an error (a
  refusal that must leave a trace, such as a counted failed sign-in).
- ``discard()``: roll back now what a failed service call left behind, when the view
  then answers with a success status (a redirect with the reason flashed) or shows a
  page that must not show the half-made change.
- ``after_commit(func, ...)``: run ``func`` once the request's writes are committed — the
  way to enqueue a job that reads a row the request created (a fast worker would find
  nothing before the commit). It is dropped when the request fails.

Services flush and never commit; jobs and CLI commands are units of work of their own
and commit themselves (they run outside requests, where nothing here applies).

SQLite: pysqlite's own transaction handling (it sends BEGIN only before INSERT, UPDATE
and DELETE, never before a SELECT or a SAVEPOINT, so a SAVEPOINT could become the
outermost transaction and its RELEASE a commit) is switched off, and the engine sends
BEGIN itself: SQLAlchemy's documented recipe for pysqlite. The unit of work of a POST
begins with BEGIN IMMEDIATE: it takes the write lock at once, so two writing requests
queue up instead of one failing when it upgrades a read transaction to a write (WAL
does not wait in that case). Everything else (pages, jobs, CLI) begins DEFERRED, so
reading never blocks a writer; the packet job ends its long read before it stores the
result. File databases use WAL (readers and one writer at the same time) and wait up
to ``BUSY_TIMEOUT_MS`` for a lock.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session

from crm.extensions import db

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BUSY_TIMEOUT_MS = 5000

_WROTE = "crm.transactions.wrote"  # Session.info: the session has written (flush or DML)
_KEEP = "_transactions_keep"  # g: commit even on an error status
_AFTER = "_transactions_after_commit"  # g: [(func, args, kwargs)] to run after the commit
_ENDED = "_transactions_ended"  # g: the request's own unit of work is over


def init_app(app: Flask) -> None:
    """Commit or roll back at the end of every request; on SQLite, install the recipe."""
    app.after_request(_end_of_request)
    app.teardown_request(_rollback_on_exception)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _use_sqlite_recipe(engine)


def keep() -> None:
    """Commit this request's writes even though it answers with an error status.

    For a refusal that must leave a trace: the sign-in form counts a wrong password
    (the lock after five) and answers the failure."""
    setattr(g, _KEEP, True)


def discard() -> None:
    """Roll back now what this request has written so far.

    For a service call that failed part-way, when the view answers with a success
    status anyway (a redirect with the reason flashed) or renders a page that must show
    what is stored, not the half-made change. What the request writes afterwards follows
    the usual rule."""
    session = db.session()
    session.rollback()
    session.info.pop(_WROTE, None)


def after_commit(func: Callable, *args: Any, **kwargs: Any) -> None:
    """Call ``func(*args, **kwargs)`` after this request's writes are committed.

    Enqueue here a job that reads what the request wrote. Callbacks run in the order
    they were added, only when the request succeeds (or ``keep()`` was called), after
    the commit; whatever they write is their own unit of work and they commit it
    themselves, like a job. Outside a request, commit and then call ``func`` directly.
    """
    if not has_request_context():
        raise RuntimeError("after_commit() belongs to a request; elsewhere commit, then call")
    g.setdefault(_AFTER, []).append((func, args, kwargs))


def _wrote(session: Session) -> bool:
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted)


def _end_of_request(response: Response) -> Response:
    """Commit a successful request that wrote, then run its after-commit callbacks;
    roll back a failed one. A failing commit raises: Flask answers with the error page
    (status 500, "nothing was saved") and this runs again for that answer."""
    keep_it = g.pop(_KEEP, False)
    callbacks = g.pop(_AFTER, [])
    session = db.session()
    try:
        if response.status_code >= 400 and not keep_it:
            session.rollback()
            return response
        if _wrote(session):
            session.commit()
    finally:
        setattr(g, _ENDED, True)
        session.info.pop(_WROTE, None)
    for func, args, kwargs in callbacks:
        func(*args, **kwargs)
    return response


def _rollback_on_exception(exc: BaseException | None) -> None:
    # An exception that no error page answered (e.g. propagated in the tests): the
    # after-request hook did not run, nothing of the request may stay.
    if exc is not None:
        db.session.rollback()


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _flush_context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    # Bulk INSERT/UPDATE/DELETE and textual statements skip the flush; anything that is
    # not a SELECT counts as a write (a textual SELECT only costs an empty commit).
    if not state.is_select:
        state.session.info[_WROTE] = True


# -- SQLite --------------------------------------------------------------------------

def _begins_for_writing() -> bool:
    """The transaction about to begin is a POST's own unit of work (not the work its
    after-commit callbacks do once it is committed)."""
    return (has_request_context() and request.method in WRITE_METHODS
            and not g.get(_ENDED, False))


def _use_sqlite_recipe(engine: Engine) -> None:
    """SQLAlchemy's recipe for pysqlite: no implicit transactions, our own BEGIN."""
    database = engine.url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database or \
        engine.url.query.get("mode") == "memory"

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # pysqlite sends no BEGIN/COMMIT itself
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        if conn.connection.dbapi_connection.in_transaction:
            # Only the in-memory test database shares one connection between sessions:
            # a second session joins the transaction the first one has open, as it
            # did under pysqlite's own handling.
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _begins_for_writing() else "BEGIN")
