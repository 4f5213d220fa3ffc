"""Periodic jobs. Each domain adds its own entry to ``PERIODIC``."""
from __future__ import annotations

import logging
from datetime import timedelta

log = logging.getLogger(__name__)

# (dotted function path, interval in seconds). The deadline sweep registers here.
PERIODIC: list[tuple[str, int]] = [
    ("crm.issues.sweep.periodic_sweep", 15 * 60),  # re-schedules itself after each run
]


def register_periodic_jobs(queue) -> None:
    """Schedule each periodic job once, guarded by a Redis lock so that several workers
    starting together do not schedule it twice."""
    conn = queue.connection
    for func_path, interval in PERIODIC:
        key = f"crm:periodic:{func_path}"
        if conn.set(key, "1", nx=True, ex=interval):
            queue.enqueue_in(timedelta(seconds=1), func_path)
            log.info("scheduled %s", func_path)
