"""The packet job. It takes an id, never an ORM object, and commits at each state change
so that the page polling the Briefing sees ``running``, then ``success`` or ``failed``."""
from __future__ import annotations

import hashlib
import logging
import os
import time
import traceback

from crm.core.timeutil import utcnow
from crm.extensions import db

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
    from crm.meetings.briefing import render_briefing
    from crm.meetings.models import Briefing

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
    try:
        rendered = render_briefing(briefing)
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
