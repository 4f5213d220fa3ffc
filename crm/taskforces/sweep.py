"""The task forces' periodic job: milestone notices and the next rhythm meetings.

Registered in ``crm.scheduling.PERIODIC`` next to the problems' deadline sweep, and run
by ``flask crm sweep`` too; it re-schedules itself the same way.
"""
from __future__ import annotations

import logging

from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.jobs import reschedule
from crm.taskforces import milestones, rhythm

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 60 * 60  # seconds: milestones are due by the day
SWEEP_JOB = "crm.taskforces.sweep.periodic_sweep"


def sweep(now=None) -> dict[str, int]:
    """Send the milestone notices due at ``now`` and plan the rhythm meetings of the
    coming weeks. Flushes; the caller commits."""
    now = now or utcnow()
    counts = milestones.sweep(now)
    counts["rhythm_meetings_planned"] = rhythm.plan_all(now)
    return counts


def periodic_sweep() -> dict[str, int]:
    """The rq job: sweep, commit, schedule the next run (one chain, as in
    ``crm.issues.sweep.periodic_sweep``)."""
    counts = sweep()
    db.session.commit()
    reschedule(SWEEP_JOB, SWEEP_INTERVAL)
    log.info("task force sweep: %s", counts)
    return counts
