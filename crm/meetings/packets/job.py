"""The packet job and its dispatch. Both are units of work of their own and commit
themselves: the job at each state change, so that the page polling the Briefing sees
``running``, then ``success`` or ``failed``; the dispatch once the job id is known.
The job takes an id, never an ORM object."""
from __future__ import annotations

import hashlib
import logging
import os
import time
import traceback
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import select

from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.jobs import enqueue
from crm.meetings.models import Briefing

log = logging.getLogger(__name__)


def _fault_injection_pause() -> None:
    """Fault-injection hook for the reliability tests: with CRM_FAULT_RENDER_PAUSE set
    (seconds), a job waits while marked running, so that a test can kill its worker
    mid-packet. Never set in production."""
    pause = os.environ.get("CRM_FAULT_RENDER_PAUSE")
    if pause:
        time.sleep(float(pause))


def build_briefing(briefing_id: int) -> str:
    """Render Briefing ``briefing_id`` and store the PDF with its sha256, size and pages.

    Idempotent for finished briefings: a duplicate delivery of the job does nothing.
    On failure the Briefing is marked failed with the error, and the exception is
    re-raised so that rq records it too.
    """
    briefing = db.session.get(Briefing, briefing_id)
    if briefing is None:
        log.warning("briefing %s vanished before its job ran", briefing_id)
        return "missing"
    if briefing.state == "success":
        return "already done"
    briefing.state = "running"
    briefing.started_at = briefing.heartbeat_at = utcnow()
    briefing.error = None
    db.session.commit()
    _fault_injection_pause()
    # WeasyPrint takes about 2 s to import: web processes, which only queue packets,
    # never load it (the worker imports it before forking, worker.py).
    from crm.meetings.packets import render as rendering

    try:
        rendered = rendering.render_briefing(briefing)
        # End the render's long read before storing: on SQLite a read transaction
        # cannot become a write once someone else has written meanwhile.
        db.session.rollback()
        briefing = db.session.get(Briefing, briefing_id)
        briefing.pdf = rendered.pdf
        briefing.sha256 = hashlib.sha256(rendered.pdf).hexdigest()
        briefing.size = len(rendered.pdf)
        briefing.pages = rendered.pages
        briefing.state = "success"
        briefing.finished_at = utcnow()
        db.session.commit()
        return briefing.sha256
    except Exception as exc:
        db.session.rollback()
        briefing = db.session.get(Briefing, briefing_id)
        if briefing is not None:
            briefing.state = "failed"
            briefing.finished_at = utcnow()
            briefing.error = f"{type(exc).__name__}: {exc}"[:2000]
            db.session.commit()
        log.error("briefing %s failed:\n%s", briefing_id, traceback.format_exc())
        raise


def dispatch(briefing_id: int) -> str:
    """Hand a committed, pending briefing to the job queue (or render it inline), and
    commit its job id.

    Call it only once the row is committed (a fast worker finds nothing otherwise): a
    request does so through ``crm.core.transactions.after_commit``. Returns ``queued``,
    ``inline`` or ``deferred`` (Redis configured but unreachable: the briefing stays
    pending, without a job id, for ``requeue_pending``). Never raises for a rendering
    failure: the Briefing row then says ``failed``.
    """
    try:
        queued = enqueue(build_briefing, briefing_id)
    except RedisError as exc:
        db.session.rollback()
        log.warning("queue unavailable, briefing %s deferred: %s", briefing_id, exc)
        return "deferred"
    except Exception:  # noqa: BLE001 - inline rendering failed; the row says why
        db.session.rollback()
        return "inline"
    if queued.inline:
        return "inline"
    briefing = db.session.get(Briefing, briefing_id)
    if briefing is not None and briefing.state == "pending":
        briefing.job_id = queued.job_id
        db.session.commit()
    return "queued"


def requeue_pending(max_age_seconds: int = 60) -> int:
    """Dispatch pending briefings that have no job (queued while Redis was down)."""
    cutoff = utcnow() - timedelta(seconds=max_age_seconds)
    ids = db.session.scalars(select(Briefing.id).where(
        Briefing.state == "pending", Briefing.job_id.is_(None), Briefing.requested_at < cutoff
    )).all()
    db.session.commit()  # end the read; each dispatch is a unit of work of its own
    return sum(1 for bid in ids if dispatch(bid) in ("queued", "inline"))
