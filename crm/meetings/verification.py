"""Follow-up calls (回访) and case groups (类案) on the coordinator's overview and in the
quarterly review: how many ratings the calls verified and how many of them contradicted
the rating (each a link to exactly those calls), and the case groups with what changed
in the quarter. Registered at the load of the meetings views."""
from __future__ import annotations

from datetime import timedelta

from flask import has_request_context, url_for
from sqlalchemy import func, select

from crm.core.timeutil import local_midnight_utc, utcnow
from crm.extensions import db
from crm.issues import case_groups
from crm.issues.followups import FollowUp
from crm.meetings.sections import Section, add_overview, add_packet


def call_figures(start, end, now=None) -> dict:
    """For the local days ``start``..``end``: calls made, ratings verified (reached, on a
    rating), verifications that contradicted the rating; and the calls waiting now and
    overdue (one query)."""
    now = now or utcnow()
    lo, hi = local_midnight_utc(start), local_midnight_utc(end + timedelta(days=1))
    in_period = FollowUp.done_at.is_not(None) & (FollowUp.done_at >= lo) & (FollowUp.done_at < hi)
    row = db.session.execute(select(
        func.count().filter(in_period),
        func.count().filter(in_period & FollowUp.is_reached.is_(True)
                            & FollowUp.rating.is_not(None)),
        func.count().filter(in_period & FollowUp.is_contradiction.is_(True)),
        func.count().filter(FollowUp.done_at.is_(None)),
        func.count().filter(FollowUp.done_at.is_(None) & (FollowUp.due_at < now)),
    ).select_from(FollowUp)).one()
    return dict(zip(("calls", "verified", "contradicted", "waiting", "overdue"),
                    (int(v or 0) for v in row)))


def _overview(period, now):
    figures = call_figures(period.start, period.end, now)
    links = None
    if has_request_context():
        month = f"{period.start:%Y-%m}"
        links = {"calls": url_for("issues.followups_queue", month=month),
                 "verified": url_for("issues.followups_queue", month=month, verified=1),
                 "contradicted": url_for("issues.followups_queue", month=month,
                                         contradiction=1),
                 "waiting": url_for("issues.followups_queue")}
    return {"fig": figures, "links": links}


add_overview(Section("followups", 30, "meetings/_followups_section.html", _overview))


def _case_groups(meeting, now):
    start = local_midnight_utc(meeting.period_start)
    end = local_midnight_utc(meeting.period_end + timedelta(days=1))
    rows = case_groups.changed_between(start, end)
    return {"rows": rows, "states": case_groups.STATES} if rows else None


add_packet("review", Section("case_groups", 60, "meetings/briefing/_case_groups.html",
                             _case_groups))
