"""The weekly bulletin (周通报): every Monday the worker renders last week's bulletin as a
packet (kind ``bulletin``, subject ``bulletin:<monday>``) through the packet pipeline and
tells the coordinators and the leaders; the coordinator writes a short 点评 (remarks),
which goes into a new version, before making it final.

What it holds, for the week Monday–Sunday: visits and coverage by the enterprises’ town and by
commissioner; problems raised, resolved and overdue by unit; red problems overdue for
more than N days (``RED_DAYS``); the units below the scorecard threshold this month;
the sections other packages add for ``bulletin`` (task-force milestones that turned
red, …: ``crm.meetings.sections.packet_sections("bulletin", None, now)``); the remarks.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Optional

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Text, and_, case, distinct, func, or_, select
from sqlalchemy.orm import Mapped, defer, joinedload, mapped_column

from crm.auth.models import Unit, User, UserRole
from crm.core.notify import notify
from crm.core.timeutil import local_today, to_local, utcnow, week_start
from crm.enterprises.models import Assignment, Enterprise
from crm.extensions import db
from crm.issues.errors import InvalidInput
from crm.issues.models import Issue
from crm.issues.notices import zh
from crm.jobs import reschedule
from crm.liaisons.coverage import COMMISSIONER_ROLES, Coverage, coverage, coverage_by, period_for
from crm.liaisons.models import Visit
from crm.meetings import metrics, scorecards, sections
from crm.meetings.models import Briefing
from crm.meetings.packets import job, kinds, versions

log = logging.getLogger(__name__)

KIND = "bulletin"
RED_DAYS = 5  # red problems listed when overdue for more than this many days
JOB = "crm.meetings.bulletin.periodic_weekly"
INTERVAL = 60 * 60


class BulletinNote(db.Model):
    """The coordinator's 点评 on one week's bulletin."""

    __tablename__ = "bulletin_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date] = mapped_column(unique=True)
    remarks: Mapped[str] = mapped_column(Text)
    written_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)


def subject_key(monday: date) -> str:
    return f"{KIND}:{monday.isoformat()}"


def monday_of(briefing) -> date:
    return date.fromisoformat(briefing.subject_key.split(":", 1)[1])


def last_week(today: date) -> date:
    """The Monday of the week before ``today``'s."""
    return week_start(today) - timedelta(days=7)


# -- the content ------------------------------------------------------------------------------

def week_context(monday: date, now: datetime | None = None) -> dict:
    """Everything the bulletin of the week starting ``monday`` prints."""
    now = now or utcnow()
    sunday = monday + timedelta(days=6)
    period = period_for("week", monday)
    as_of = min(sunday, to_local(now).date())
    names = dict(db.session.execute(select(User.id, User.display_name)).all())
    units = dict(db.session.execute(select(Unit.id, Unit.name)).all())
    visits = dict(db.session.execute(
        select(Visit.author_id, func.count()).where(Visit.visit_date >= monday,
                                                    Visit.visit_date <= sunday)
        .group_by(Visit.author_id)).all())
    by_comm = coverage_by(period, "commissioner", as_of=as_of)
    commissioners = sorted(
        ({"name": names.get(uid, "—"), "visits": int(visits.get(uid, 0)), "cov": cov}
         for uid, cov in by_comm.items()), key=lambda r: (r["cov"].rate or 0, r["name"]))
    towns = by_town(monday, sunday, as_of, units)
    by_unit = [f for f in metrics.group_figures(monday, sunday, "unit", now)
               if f.key is not None and (f.raised or f.resolved or f.overdue_now)]
    red_cut = now - timedelta(days=RED_DAYS)
    red = db.session.scalars(
        select(Issue).where(Issue.red_expr(red_cut))
        .options(joinedload(Issue.enterprise), joinedload(Issue.lead_unit))
        .order_by(Issue.due_at).limit(60)).all()
    month_start = sunday.replace(day=1)
    cfg = scorecards.settings()
    below = [c for c in scorecards.compute(month_start, sunday, now)
             if c.below(cfg["threshold"])]
    note = db.session.scalar(select(BulletinNote).where(BulletinNote.week_start == monday))
    visits_total = sum(visits.values())
    return {
        "monday": monday, "sunday": sunday, "week": period.label,
        "visits_total": int(visits_total), "coverage": coverage(period, as_of=as_of),
        "commissioners": commissioners, "towns": towns, "by_unit": by_unit,
        "county": metrics.group_figures(monday, sunday, "county", now),
        "red": red, "red_days": RED_DAYS, "now": now,
        "below": below, "threshold": cfg["threshold"], "FIGURES": scorecards.FIGURES,
        "note": note,
        "extra_sections": sections.packet_sections(KIND, None, now),
    }


def by_town(monday: date, sunday: date, as_of: date, unit_names: dict[int, str]) -> list[dict]:
    """The week's visits and coverage by the town of the enterprise (``Enterprise.town_id``,
    not the commissioner's own unit): per town the visits to its enterprises, and of
    the enterprises with a commissioner assigned during the week (as the coverage
    figure counts them, ``crm.liaisons.coverage``) how many were visited. Enterprises
    without a town make one row of their own. Lowest coverage first; one query."""
    in_week = and_(Visit.visit_date >= monday, Visit.visit_date <= sunday)
    assigned = select(Assignment.id).where(
        Assignment.enterprise_id == Enterprise.id, Assignment.role.in_(COMMISSIONER_ROLES),
        Assignment.start_date <= min(sunday, as_of),
        or_(Assignment.end_date.is_(None), Assignment.end_date >= monday)).exists()
    visited = select(Visit.id).where(Visit.enterprise_id == Enterprise.id, in_week).exists()
    visits = select(func.count(Visit.id)).where(
        Visit.enterprise_id == Enterprise.id, in_week).scalar_subquery()
    rows = db.session.execute(
        select(Enterprise.town_id,
               func.count(distinct(case((assigned, Enterprise.id)))),
               func.count(distinct(case((and_(assigned, visited), Enterprise.id)))),
               func.coalesce(func.sum(visits), 0))
        .where(or_(assigned, visited)).group_by(Enterprise.town_id)).all()
    out = [{"town_id": tid, "name": unit_names.get(tid, "—") if tid is not None
            else _("No town"), "visits": int(n_visits),
            "cov": Coverage(int(n_visited), int(n_assigned))}
           for tid, n_assigned, n_visited, n_visits in rows]
    return sorted(out, key=lambda r: (r["town_id"] is None, r["cov"].rate or 0, r["name"]))


def _packet(briefing, full_lists: bool) -> dict:
    return week_context(monday_of(briefing))


def _title(briefing) -> str:
    monday = monday_of(briefing)
    return _("Weekly bulletin %(a)s – %(b)s", a=monday.isoformat(),
             b=(monday + timedelta(days=6)).isoformat())


def _can_view(user, briefing) -> bool:
    return user.has_role("coordinator", "leader")


def _check_final(briefing) -> list[str]:
    """The 点评 must be written, and be in this version, before it is final."""
    note = db.session.scalar(select(BulletinNote).where(
        BulletinNote.week_start == monday_of(briefing)))
    if note is None:
        return [_("Write the coordinator's remarks (点评) before making the bulletin final.")]
    if briefing.requested_at is not None and note.written_at > briefing.requested_at:
        return [_("The remarks were changed after this version was made: make a new version "
                  "with them, then make that one final.")]
    return []


kinds.register(kinds.PacketKind(
    KIND, _packet, _title, _can_view, "meetings/briefing/bulletin.html",
    back=lambda b: url_for("meetings.bulletins"), check_final=_check_final))


# -- making it ----------------------------------------------------------------------------------

def recipients() -> set[int]:
    """Every active coordinator and leader."""
    return set(db.session.scalars(
        select(User.id).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_(("coordinator", "leader")), User.is_active.is_(True))))


def create(monday: date, actor=None, now: datetime | None = None) -> Briefing:
    """A new version of the week's bulletin (pending: ``job.dispatch`` after commit)."""
    return versions.request_briefing(KIND, actor, subject_key=subject_key(monday))


def write_remarks(monday: date, text: str, actor, now: datetime | None = None) -> BulletinNote:
    """The coordinator's 点评 (a new version is then made with it)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Write the remarks."), "remarks")
    now = now or utcnow()
    note = db.session.scalar(select(BulletinNote).where(BulletinNote.week_start == monday))
    if note is None:
        note = BulletinNote(week_start=monday, remarks=text)
        db.session.add(note)
    note.remarks, note.written_by_id, note.written_at = text[:4000], actor.id, now
    db.session.flush()
    return note


def weekly(now: datetime | None = None) -> int | None:
    """On a Monday (local): make last week's bulletin if it was not made yet, and tell
    the coordinators and the leaders. Returns the new briefing's id (None: nothing to
    do). Commits, then dispatches the job."""
    now = now or utcnow()
    today = to_local(now).date()
    if today.weekday() != 0:
        return None
    monday = last_week(today)
    exists = db.session.scalar(select(Briefing.id).where(
        Briefing.kind == KIND, Briefing.subject_key == subject_key(monday)).limit(1))
    if exists is not None:
        return None
    briefing = create(monday, None, now)
    notify(recipients(), "bulletin", zh(_l(
        "The weekly bulletin for %(a)s – %(b)s is ready; coordinators add the remarks "
        "(点评) before making it final.", a=monday.isoformat(),
        b=(monday + timedelta(days=6)).isoformat())),
        link=f"/briefings/{briefing.id}", dedupe_key=subject_key(monday))
    db.session.commit()
    job.dispatch(briefing.id)
    return briefing.id


def periodic_weekly() -> Optional[int]:
    """The rq job (hourly): the Monday bulletin, and the scorecard's 督办 notices for the
    month just ended (idempotent); commits and schedules the next run."""
    now = utcnow()
    today = local_today()
    first = today.replace(day=1)
    previous = first - timedelta(days=1)
    scorecards.notify_below_threshold(previous.year, previous.month, now)
    db.session.commit()
    made = weekly(now)
    reschedule(JOB, INTERVAL)
    log.info("weekly bulletin: %s", made)
    return made


def weeks(limit: int = 12) -> list[dict]:
    """The latest weeks with their newest version and remarks (bulletin list page)."""
    rows = db.session.scalars(select(Briefing).where(Briefing.kind == KIND)
                              .order_by(Briefing.subject_key.desc(), Briefing.version.desc())
                              .options(defer(Briefing.pdf))).all()
    notes = {n.week_start: n for n in db.session.scalars(select(BulletinNote))}
    out: dict[date, dict] = {}
    for b in rows:
        m = monday_of(b)
        out.setdefault(m, {"monday": m, "latest": b, "final": None, "note": notes.get(m)})
        if b.is_final and out[m]["final"] is None:
            out[m]["final"] = b
    return sorted(out.values(), key=lambda r: r["monday"], reverse=True)[:limit]
