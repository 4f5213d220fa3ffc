"""rq worker for the CRM: ``python worker.py`` (REDIS_URL and DATABASE_URL from the env).

The app is built once; WeasyPrint is imported before the worker forks so each
work-horse starts with the fonts and libraries already loaded. The built-in
scheduler runs periodic jobs (e.g. the deadline sweep).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

import weasyprint  # noqa: F401  (import before forking: shared, warm pages)
from redis import Redis
from rq import Queue, Worker
from sqlalchemy.exc import SQLAlchemyError

from crm import create_app
from crm.extensions import db
from crm.jobs import AppJob, set_worker_app
from crm.meetings.packets.fonts import describe, missing_fonts


def main(argv: list[str] | None = None) -> int:
    """Run a worker until it is told to stop (SIGTERM finishes the current job)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="Quit when the queue is empty.")
    parser.add_argument("--name", default=None, help="Worker name (default: host.pid).")
    args = parser.parse_args(argv)

    app = create_app()
    url = app.config.get("REDIS_URL")
    if not url:
        print("REDIS_URL is not set: jobs run inline in the web process; no worker needed.",
              file=sys.stderr)
        return 2
    missing = missing_fonts()
    if missing:
        # The packets would silently fall back to another typeface: say which font is
        # missing and do not start (CRM_ALLOW_MISSING_FONTS=1 starts anyway).
        print(describe(missing), file=sys.stderr)
        if os.environ.get("CRM_ALLOW_MISSING_FONTS") != "1":
            return 3
    set_worker_app(app)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    conn = Redis.from_url(url)
    queue = Queue(app.config["RQ_QUEUE"], connection=conn, job_class=AppJob)
    worker = Worker([queue], connection=conn, job_class=AppJob, name=args.name,
                    job_monitoring_interval=app.config["JOB_HEARTBEAT_SECONDS"])
    with app.app_context():
        from crm.meetings.packets.job import requeue_pending
        from crm.scheduling import register_periodic_jobs

        register_periodic_jobs(queue)
        # Packets requested while Redis was down wait without a job: queue them now
        # (a database not yet migrated has none; the worker still starts).
        try:
            requeue_pending(max_age_seconds=0)
        except SQLAlchemyError as exc:
            db.session.rollback()
            logging.getLogger(__name__).warning("waiting packets not checked: %s", exc)
    worker.work(burst=args.burst, with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
