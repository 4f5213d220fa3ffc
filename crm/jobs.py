"""Background jobs: rq when REDIS_URL is set, inline otherwise.

Jobs take ids, never ORM objects, and run inside an application context that the
worker builds once (``worker.py``) — see ``AppJob``.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Callable

from flask import current_app
from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import text

from crm.extensions import db

log = logging.getLogger(__name__)

_worker_app = None


def set_worker_app(app) -> None:
    """Called once by the worker process: every job then runs in this app's context."""
    global _worker_app
    _worker_app = app


class AppJob(Job):
    """An rq Job that runs its function inside the Flask application context."""

    def perform(self) -> Any:  # noqa: D401 - rq API
        app = _worker_app
        if app is None:  # e.g. a SimpleWorker in the tests without set_worker_app
            # The factory sits on top of everything a job calls: loaded only here.
            from crm import create_app

            app = create_app()
            set_worker_app(app)
        with app.app_context():
            return super().perform()


def redis_connection(url: str | None = None):
    """A Redis client for ``url`` or the app's REDIS_URL (None when not configured)."""
    url = url or current_app.config.get("REDIS_URL")
    return Redis.from_url(url) if url else None


def get_queue(name: str | None = None):
    """The rq queue of this app, or None without Redis."""
    conn = redis_connection()
    if conn is None:
        return None
    return Queue(name or current_app.config["RQ_QUEUE"], connection=conn, job_class=AppJob)


class Enqueued:
    """What ``enqueue`` returns: the rq job id (or None when run inline) and the mode."""

    def __init__(self, job_id: str | None, inline: bool, result: Any = None):
        self.job_id, self.inline, self.result = job_id, inline, result


def enqueue(func: Callable, *args, job_timeout: int | None = None, **kwargs) -> Enqueued:
    """Run ``func(*args, **kwargs)`` in an rq worker, or inline without Redis.

    The caller must have committed whatever the job reads before calling this.
    """
    queue = get_queue()
    if queue is None:
        return Enqueued(None, True, func(*args, **kwargs))
    job = queue.enqueue(
        func, *args, job_timeout=job_timeout or current_app.config["JOB_TIMEOUT"], **kwargs
    )
    return Enqueued(job.id, False)


def reschedule(job_path: str, interval: int) -> None:
    """End of a periodic job (``crm.scheduling.PERIODIC``): schedule its next run in
    ``interval`` seconds. Several workers may each start a chain; the ``:next`` lock lets
    only one run per interval schedule a successor, so duplicate chains die out, and the
    job's own key (what ``register_periodic_jobs`` checks at start) is kept alive. Nothing
    without Redis (cron runs ``flask crm sweep`` instead)."""
    queue = get_queue()
    if queue is None:
        return
    conn = queue.connection
    conn.set(f"crm:periodic:{job_path}", "1", ex=interval * 2)
    if conn.set(f"crm:periodic:{job_path}:next", "1", nx=True, ex=max(interval - 30, 1)):
        queue.enqueue_in(timedelta(seconds=interval), job_path)


def ping(x: int) -> dict:
    """A trivial job that proves the path end to end: it runs in the app context and
    reaches the database."""
    return {"app": current_app.import_name, "db": db.session.scalar(text("SELECT 1")), "x2": x * 2}
