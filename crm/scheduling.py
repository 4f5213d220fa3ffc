"""Periodic jobs. Each domain adds its own entry to ``PERIODIC``; each job ends with
``crm.jobs.reschedule`` (its next run, one chain per interval)."""
from __future__ import annotations

import logging
from datetime import timedelta

log = logging.getLogger(__name__)

# (dotted function path, interval in seconds). The deadline sweep registers here.
PERIODIC: list[tuple[str, int]] = [
    ("crm.issues.sweep.periodic_sweep", 15 * 60),  # re-schedules itself after each run
    ("crm.financing.sweep.periodic_sweep", 15 * 60),  # the banks' deadlines (issue 17)
    ("crm.taskforces.sweep.periodic_sweep", 60 * 60),  # milestones, rhythm meetings
    ("crm.meetings.bulletin.periodic_weekly", 60 * 60),  # Monday bulletin, 考核 督办 (issue 18)
    ("crm.meetings.rollups.periodic_rollups", 15 * 60),  # closed months' rollups (issue 19)
    ("crm.liaisons.rollups.periodic_coverage", 15 * 60),  # weeks' coverage (issue 19)
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
