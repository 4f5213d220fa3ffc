"""The deadline sweep: due-soon and overdue notices, exactly once per stage.

The sweep only sends notices; the lights themselves are derived from ``due_at`` and
``warn_at`` in every query. Each notice carries a dedupe key made of the problem, the
stage, the light and the stage's deadline, so running the sweep twice (two workers, cron
and rq together) adds nothing, while a moved deadline (an extension granted, a pause
resumed, a re-dispatch, a reopen) gets notices of its own.

Stages: ``sign`` (overdue only: dispatched or reopened, not yet signed), ``progress`` (overdue
only: signed, no progress reported yet), ``resolve`` (yellow when due soon, red when
overdue), and each cooperating unit's opinion (yellow and red, to that unit's handlers,
worded for a cooperating unit: ``crm.issues.cooperation.sweep``).

It runs from ``flask crm sweep`` (cron) or as a periodic rq job (``periodic_sweep``,
registered in ``crm.scheduling.PERIODIC``) that re-schedules itself.
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues import cooperation
from crm.issues.models import CLOCK_STATES, Issue
from crm.issues.notices import Audience, Notice, local_dt, send, zh
from crm.jobs import reschedule

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 15 * 60  # seconds between two runs of the periodic job
SWEEP_JOB = "crm.issues.sweep.periodic_sweep"
# States in which the unit still has to sign (again, after a reopen).
SIGN_STATES = ("dispatched", "reopened")


def _stamp(value: datetime) -> str:
    return value.strftime("%Y%m%d%H%M")


def _due_issues(now: datetime) -> list[Issue]:
    light = Issue.light_expr(now)
    stmt = select(Issue).where(
        (light.in_(("yellow", "red")))
        | (Issue.state.in_(SIGN_STATES) & (Issue.sign_due_at < now))
        | ((Issue.state == "in_progress") & Issue.first_progress_at.is_(None)
           & (Issue.progress_due_at < now))
    ).order_by(Issue.id)
    return list(db.session.scalars(stmt))


def _notices_for(issue: Issue, now: datetime) -> list[tuple[str, Notice]]:
    """(dedupe key, notice) for each stage of ``issue`` that needs one now."""
    ref = f"{issue.number}《{issue.title}》"
    out = []
    if issue.state in SIGN_STATES and issue.sign_due_at and issue.sign_due_at < now:
        out.append((f"sweep:{issue.id}:sign:red:{_stamp(issue.sign_due_at)}", Notice(
            "sign_overdue", ("unit", "coordinators"), zh(_l(
                "%(ref)s has not been signed for; it was due by %(due)s.",
                ref=ref, due=local_dt(issue.sign_due_at))))))
    if (issue.state == "in_progress" and issue.first_progress_at is None
            and issue.progress_due_at and issue.progress_due_at < now):
        out.append((f"sweep:{issue.id}:progress:red:{_stamp(issue.progress_due_at)}", Notice(
            "progress_overdue", ("handler",), zh(_l(
                "No progress has been reported on %(ref)s; the first report was due by "
                "%(due)s.", ref=ref, due=local_dt(issue.progress_due_at))))))
    light = issue.light(now)
    if light == "yellow":
        out.append((f"sweep:{issue.id}:resolve:yellow:{_stamp(issue.due_at)}", Notice(
            "due_soon", ("handler",), zh(_l(
                "%(ref)s is due soon: it must be resolved by %(due)s.",
                ref=ref, due=local_dt(issue.due_at))))))
    elif light == "red":
        out.append((f"sweep:{issue.id}:resolve:red:{_stamp(issue.due_at)}", Notice(
            "overdue", ("unit", "coordinators", "leaders"), zh(_l(
                "%(ref)s is overdue: it was due by %(due)s.",
                ref=ref, due=local_dt(issue.due_at))))))
    return out


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Send the due-soon and overdue notices that are due at ``now`` (default: now).

    Safe to run any number of times. Returns {notice kind: notifications added}.
    Flushes; the caller commits.
    """
    now = now or utcnow()
    issues = _due_issues(now)
    audience = Audience(issues)
    counts: dict[str, int] = {}
    for issue in issues:
        if issue.state not in CLOCK_STATES:
            continue
        for key, notice in _notices_for(issue, now):
            added = send(issue, [notice], key=key, audience=audience)
            counts[notice.kind] = counts.get(notice.kind, 0) + added
    for kind, added in cooperation.sweep(now).items():
        counts[kind] = counts.get(kind, 0) + added
    return counts


def periodic_sweep() -> dict[str, int]:
    """The rq job: run the sweep, commit, and schedule the next run.

    Several workers may each start a chain; the ``:next`` lock lets only one run per
    interval schedule its successor, so duplicate chains die out.
    """
    counts = sweep()
    db.session.commit()
    reschedule(SWEEP_JOB, SWEEP_INTERVAL)
    log.info("deadline sweep: %s", counts)
    return counts
