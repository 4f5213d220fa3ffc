"""What goes into each packet: the context for the templates under
``templates/meetings/briefing/``. Every query here loads a whole section at once."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.auth.models import User
from crm.core.timeutil import local_today, utcnow
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.issues.models import OPEN_STATES, Issue
from crm.liaisons.models import Assignment, Visit

RECENT_VISITS = 3


def packet_title(briefing) -> str:
    """The packet's title, used on the cover, in the running header and the file name."""
    if briefing.kind == "portfolio":
        leader = db.session.get(User, briefing.leader_id)
        return _("Enterprises under %(name)s", name=leader.display_name)
    meeting = briefing.meeting if "meeting" in briefing.__dict__ else None
    if meeting is None:
        from crm.meetings.models import Meeting

        meeting = db.session.get(Meeting, briefing.meeting_id)
    return _("%(title)s — meeting packet", title=meeting.title)


def enterprise_dossiers(enterprise_ids: list[int], today: date | None = None) -> list[dict]:
    """One dict per enterprise: profile, contacts, active assignments, recent visits and
    open problems (with light), in a fixed number of queries whatever the count."""
    if not enterprise_ids:
        return []
    today = today or local_today()
    now = utcnow()
    enterprises = db.session.scalars(
        select(Enterprise).where(Enterprise.id.in_(enterprise_ids))
        .options(selectinload(Enterprise.contacts)).order_by(Enterprise.name)
    ).all()
    assignments = defaultdict(list)
    for a, user in db.session.execute(
        select(Assignment, User).join(User, User.id == Assignment.user_id).where(
            Assignment.enterprise_id.in_(enterprise_ids), Assignment.end_date.is_(None)
        ).order_by(Assignment.role)
    ):
        assignments[a.enterprise_id].append((a.role, user))
    ranked = (
        select(Visit.id, func.row_number().over(
            partition_by=Visit.enterprise_id,
            order_by=(Visit.visit_date.desc(), Visit.id.desc())).label("rn"))
        .where(Visit.enterprise_id.in_(enterprise_ids)).subquery()
    )
    visits = defaultdict(list)
    for v, author in db.session.execute(
        select(Visit, User).join(User, User.id == Visit.author_id)
        .join(ranked, ranked.c.id == Visit.id).where(ranked.c.rn <= RECENT_VISITS)
        .order_by(Visit.enterprise_id, Visit.visit_date.desc())
    ):
        visits[v.enterprise_id].append((v, author))
    issues = defaultdict(list)
    for issue in db.session.scalars(
        select(Issue).where(Issue.enterprise_id.in_(enterprise_ids),
                            Issue.state.in_(OPEN_STATES))
        .options(selectinload(Issue.lead_unit)).order_by(Issue.due_at.nulls_last(), Issue.id)
    ):
        issues[issue.enterprise_id].append(issue)
    return [
        {
            "enterprise": e,
            "contacts": list(e.contacts),
            "assignments": assignments[e.id],
            "visits": visits[e.id],
            "open_issues": issues[e.id],
            "red": sum(1 for i in issues[e.id] if i.light(now) == "red"),
        }
        for e in enterprises
    ]


def _portfolio_context(briefing) -> dict:
    leader = db.session.get(User, briefing.leader_id)
    ids = db.session.scalars(
        select(Assignment.enterprise_id).where(
            Assignment.user_id == leader.id, Assignment.end_date.is_(None),
            Assignment.role.in_(("leader_a", "leader_b")))
    ).all()
    roles = dict(db.session.execute(
        select(Assignment.enterprise_id, Assignment.role).where(
            Assignment.user_id == leader.id, Assignment.end_date.is_(None),
            Assignment.role.in_(("leader_a", "leader_b")))
    ).all())
    dossiers = enterprise_dossiers(sorted(set(ids)))
    dossiers.sort(key=lambda d: (-d["red"], -len(d["open_issues"]), d["enterprise"].name))
    return {"leader": leader, "dossiers": dossiers, "roles": roles}


def packet_context(briefing) -> dict:
    """Everything the packet template of ``briefing.kind`` needs."""
    from crm.enterprises.models import STATUSES
    from crm.issues.models import LIGHTS, STATES
    from crm.liaisons.models import ASSIGNMENT_ROLES

    context = {
        "statuses": STATUSES, "lights": LIGHTS, "issue_states": STATES,
        "assignment_roles": ASSIGNMENT_ROLES,
        "briefing": briefing,
        "title": packet_title(briefing),
        "generated_on": local_today(),
        "now": utcnow(),
    }
    if briefing.kind == "portfolio":
        context.update(_portfolio_context(briefing))
    else:
        from crm.meetings.models import Meeting

        context["meeting"] = db.session.get(Meeting, briefing.meeting_id)
    return context
