"""Requesting, retrying, finalising and reaping packet (Briefing) jobs. These flush and
never commit; sending a committed packet to the queue is ``crm.meetings.packets.job.dispatch``."""
from __future__ import annotations

from datetime import timedelta, timezone

from flask import current_app
from redis.exceptions import RedisError
from rq.job import Job
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import defer

from crm.core import audit
from crm.core.timeutil import utcnow
from crm.enterprises.models import Assignment, Enterprise
from crm.extensions import db
from crm.issues.models import Issue, IssueEvent
from crm.jobs import redis_connection
from crm.liaisons.models import Visit
from crm.meetings.models import Briefing
from crm.meetings.packets import kinds


class BriefingError(Exception):
    """A refused briefing operation; ``str(exc)`` is the message. ``shown``: it is
    written for the user (translated), not a fixed reason the view words itself."""

    def __init__(self, message: str, *, shown: bool = False):
        super().__init__(message)
        self.shown = shown


def same_subject(briefing: Briefing):
    """SQL condition: the versions of ``briefing``'s subject."""
    if briefing.meeting_id:
        return Briefing.meeting_id == briefing.meeting_id
    if briefing.leader_id:
        return Briefing.leader_id == briefing.leader_id
    return Briefing.subject_key == briefing.subject_key


def request_briefing(kind: str, actor, *, meeting=None, leader=None,
                     subject_key: str | None = None) -> Briefing:
    """Create the next version of a packet in state ``pending`` (once it is committed,
    ``job.dispatch`` sends it to the queue). Its subject is a meeting, a leader or a
    key (``crm.meetings.packets.kinds``)."""
    if meeting is not None:
        subject = Briefing.meeting_id == meeting.id
    elif leader is not None:
        subject = Briefing.leader_id == leader.id
    else:
        subject = Briefing.subject_key == subject_key
    last = db.session.scalar(
        select(func.max(Briefing.version)).where(Briefing.kind == kind, subject)
    ) or 0
    briefing = Briefing(
        kind=kind,
        meeting_id=meeting.id if meeting is not None else None,
        leader_id=leader.id if leader is not None else None,
        subject_key=subject_key if meeting is None and leader is None else None,
        version=last + 1,
        state="pending",
        requested_by_id=getattr(actor, "id", None),
        requested_at=utcnow(),
    )
    db.session.add(briefing)
    db.session.flush()
    return briefing


def retry(briefing: Briefing, actor) -> Briefing:
    """Put a failed briefing back to pending (once committed, ``tasks.dispatch``)."""
    if briefing.state != "failed":
        raise BriefingError("only a failed packet can be retried")
    briefing.state = "pending"
    briefing.error = None
    briefing.started_at = briefing.finished_at = None
    briefing.job_id = None
    briefing.requested_at = utcnow()
    db.session.flush()
    return briefing


def mark_final(briefing: Briefing, actor) -> Briefing:
    """Mark a successful packet as final (定稿): it never changes afterwards."""
    if briefing.state != "success":
        raise BriefingError("only a finished packet can be made final")
    check = kinds.get(briefing.kind).check_final
    problems = check(briefing) if check is not None and not briefing.is_final else []
    if problems:
        raise BriefingError(" ".join(problems), shown=True)
    if not briefing.is_final:
        briefing.is_final = True
        db.session.flush()
        audit.record(actor, "finalise", briefing, after={"sha256": briefing.sha256,
                                                         "version": briefing.version},
                     summary=f"定稿 v{briefing.version}")
    return briefing


def reap_stale(now=None) -> int:
    """Mark failed the briefings whose job died (worker killed, job lost or timed out).

    A running briefing whose rq job is gone, failed or stopped, whose worker stopped
    sending heartbeats (a SIGKILLed or vanished host: rq updates a started job's
    heartbeat every ``JOB_HEARTBEAT_SECONDS``), or that has run longer than the job
    timeout, can never finish: the coordinator must see it failed and be able to
    retry. Returns how many were marked.
    """
    now = now or utcnow()
    timeout = timedelta(seconds=current_app.config["JOB_TIMEOUT"] + 60)
    silence = timedelta(seconds=3 * current_app.config["JOB_HEARTBEAT_SECONDS"] + 5)
    rows = db.session.scalars(select(Briefing).where(Briefing.state == "running")).all()
    dead = []
    jobs = _job_states([b.job_id for b in rows if b.job_id])
    for b in rows:
        state, beat = jobs.get(b.job_id, (None, None)) if b.job_id else (None, None)
        if ((b.started_at and now - b.started_at > timeout)
                or state in ("failed", "stopped", "canceled", "missing")
                or (state == "started" and beat is not None and now - beat > silence)):
            dead.append(b)
    for b in dead:
        b.state = "failed"
        b.finished_at = now
        b.error = "生成过程中断（后台任务已退出或超时），请点击“重试”。"
    db.session.flush()
    return len(dead)


def _job_states(job_ids: list[str]) -> dict[str, tuple]:
    """(rq status, last heartbeat as naive UTC) of each job id (``missing`` when Redis no
    longer has it)."""
    if not job_ids or not current_app.config.get("REDIS_URL"):
        return {}
    try:
        conn = redis_connection()
        jobs = Job.fetch_many(job_ids, connection=conn)
    except RedisError:
        return {}
    out = {}
    for jid, job in zip(job_ids, jobs):
        if job is None:
            out[jid] = ("missing", None)
            continue
        beat = job.last_heartbeat
        if beat is not None and beat.tzinfo is not None:
            beat = beat.astimezone(timezone.utc).replace(tzinfo=None)
        out[jid] = (job.get_status(refresh=False), beat)
    return out


PORTFOLIO_REUSE_MINUTES = 10


def recent_portfolio(leader, now=None) -> Briefing | None:
    """A portfolio PDF of ``leader`` asked for within the last few minutes (being made or
    made) whose data has not changed since: no enterprise, problem, problem event, visit
    or assignment of the leader's enterprises is newer than the request. Another tap on
    the button shows that one instead of making an identical new version."""
    now = now or utcnow()
    recent = db.session.scalar(
        select(Briefing).options(defer(Briefing.pdf))
        .where(Briefing.kind == "portfolio", Briefing.leader_id == leader.id,
               Briefing.state.in_(("pending", "running", "success")),
               Briefing.requested_at >= now - timedelta(minutes=PORTFOLIO_REUSE_MINUTES))
        .order_by(Briefing.version.desc()).limit(1))
    if recent is None:
        return None
    since = recent.requested_at
    ents = select(Assignment.enterprise_id).where(
        Assignment.user_id == leader.id, Assignment.role.in_(("leader_a", "leader_b")))
    changed = db.session.scalar(select(or_(
        exists().where(Assignment.user_id == leader.id, Assignment.created_at > since),
        exists().where(Enterprise.id.in_(ents), Enterprise.updated_at > since),
        exists().where(Issue.enterprise_id.in_(ents), Issue.updated_at > since),
        exists().where(IssueEvent.issue_id == Issue.id, Issue.enterprise_id.in_(ents),
                       IssueEvent.at > since),
        exists().where(Visit.enterprise_id.in_(ents), Visit.updated_at > since),
    )))
    return None if changed else recent
