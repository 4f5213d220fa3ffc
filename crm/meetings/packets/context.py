"""What goes into each packet: the context for the templates under
``templates/meetings/briefing/``. Every query here loads a whole section at once."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.auth.models import Unit, User, UserRole
from crm.core.timeutil import local_today, utcnow
from crm.enterprises.models import ASSIGNMENT_ROLES, STATUSES, Assignment, Enterprise
from crm.extensions import db
from crm.issues.models import LIGHTS, OPEN_STATES, STATES, Issue, IssueEvent
from crm.issues.workflow import ACTION_LABELS
from crm.liaisons.coverage import Period as CoveragePeriod
from crm.liaisons.coverage import coverage, coverage_by, period_for
from crm.liaisons.models import Visit
from crm.meetings import metrics
from crm.meetings import sections
from crm.meetings.packets import kinds, summaries
from crm.meetings.charts import month_charts
from crm.meetings.decisions import decisions_of
from crm.meetings.models import AgendaItem, Meeting, TypicalCase
from crm.meetings.services import month_period, previous_meeting

RECENT_VISITS = 3


def packet_title(briefing) -> str:
    """The packet's title, used on the cover, in the running header and the file name."""
    return kinds.get(briefing.kind).title(briefing)


def pdf_filename(briefing) -> str:
    """A readable Chinese download name, e.g. ``2026年第11次联席会议材料-v2.pdf``."""
    return f"{packet_title(briefing)}-v{briefing.version}.pdf"


def _portfolio_title(briefing) -> str:
    leader = db.session.get(User, briefing.leader_id)
    return _("Enterprises under %(name)s", name=leader.display_name)


def _meeting_title(briefing) -> str:
    meeting = briefing.meeting if "meeting" in briefing.__dict__ else None
    if meeting is None:
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


def packet_context(briefing, *, full_lists: bool = False) -> dict:
    """Everything the packet template of ``briefing.kind`` needs. ``full_lists`` adds
    the full lists that a long section prints only in summary form (the Excel tables
    need them; the PDF does not)."""
    context = {
        "event_labels": ACTION_LABELS,
        "statuses": STATUSES, "lights": LIGHTS, "issue_states": STATES,
        "assignment_roles": ASSIGNMENT_ROLES,
        "briefing": briefing,
        "title": packet_title(briefing),
        "generated_on": local_today(),
        "now": utcnow(),
    }
    context.update(kinds.get(briefing.kind).context(briefing, full_lists))
    return context


def _meeting_packet(briefing, full_lists: bool) -> dict:
    meeting = db.session.get(Meeting, briefing.meeting_id)
    now = utcnow()
    if briefing.kind == "joint":
        context = _joint_context(meeting, now, full_lists)
    else:
        context = _review_context(meeting, now)
    context["meeting"] = meeting
    # Sections the packages above add (crm.meetings.sections).
    context["extra_sections"] = sections.packet_sections(briefing.kind, meeting, now)
    return context


def _leader_can_view(user, briefing) -> bool:
    return user.has_role("leader")


kinds.register(kinds.PacketKind(
    "joint", _meeting_packet, _meeting_title, _leader_can_view,
    "meetings/briefing/joint.html"))
kinds.register(kinds.PacketKind(
    "review", _meeting_packet, _meeting_title, _leader_can_view,
    "meetings/briefing/review.html"))
kinds.register(kinds.PacketKind(
    "portfolio", lambda briefing, full_lists: _portfolio_context(briefing), _portfolio_title,
    lambda user, briefing: briefing.leader_id == user.id,
    "meetings/briefing/portfolio.html"))


def month_glance(year: int, month: int, now) -> dict:
    """The month's figures exactly as the coordinator's overview computes them
    (``metrics.snapshot``: while the month runs, so far and against the same days of
    the month before), with visit coverage, the charts and the 指标说明 printed as the
    packet's last page."""
    snap = metrics.snapshot(year, month, now)
    period = period_for("month", date(year, month, 1))
    return {"o": snap.overview, "charts": month_charts(snap),
            "league": metrics.league(snap.overview.by_unit),
            "coverage": coverage(period), "prev_coverage": coverage(period.previous()),
            "general": metrics.GENERAL, "definitions": metrics.DEFINITIONS}


def _joint_context(meeting, now, full_lists: bool = False) -> dict:
    """The monthly packet. Each long section switches to its summary form when its rows
    pass the configured limit (``crm.meetings.summaries``)."""
    limits = summaries.PacketLimits.from_config(current_app.config)
    prev, prev_decisions = previous_decisions(meeting)
    agenda = agenda_dossiers(meeting)
    on_agenda = {a["issue"].enterprise_id for a in agenda
                 if a["issue"] is not None and a["issue"].enterprise_id is not None}
    open_enterprises = summaries.open_enterprises(now, on_agenda)
    leaders = leader_sections(meeting.period_start, meeting.period_end, now)
    appendix_ids, appendix = summaries.appendix_selection(open_enterprises,
                                                          limits.appendix_pages)
    dossiers = enterprise_dossiers(appendix_ids)
    if appendix is not None:  # most urgent first, not by name
        order = {eid: n for n, eid in enumerate(appendix_ids)}
        dossiers.sort(key=lambda d: order[d["enterprise"].id])
    red_rows = summaries.red_count(now)
    red_summary = None
    if red_rows > limits.red_rows:
        red_summary = summaries.red_summary(now, limits.red_oldest)
    leader_rows = sum(s["enterprises"] for s in leaders)
    leader_summary = None
    if leader_rows > limits.leader_rows:
        leader_summary = summaries.leader_summary(leaders, open_enterprises, on_agenda,
                                                  limits.leader_named)
    return {
        "glance": month_glance(meeting.period_start.year, meeting.period_start.month, now),
        "agenda": agenda,
        "red_by_unit": red_list_by_unit(now) if red_summary is None or full_lists else [],
        "red_rows": red_rows,
        "red_summary": red_summary,
        "prev_meeting": prev,
        "prev_decisions": prev_decisions,
        "leaders": leaders,
        "leader_rows": leader_rows,
        "leader_summary": leader_summary,
        "open_enterprises": open_enterprises,
        "appendix": appendix,
        "dossiers": dossiers,
        "limits": limits,
    }


def _months(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months within [start, end] as (first, last) pairs."""
    months, day = [], start.replace(day=1)
    while day <= end:
        p = month_period(day.year, day.month)
        months.append((max(p.start, start), min(p.end, end)))
        day = p.end + timedelta(days=1)
    return months


def commissioner_table(start: date, end: date, now) -> list[dict]:
    """Per commissioner: coverage, visits, problems raised and resolved in the period."""
    cov = coverage_by(CoveragePeriod("quarter", start, end), "commissioner")
    visits = dict(db.session.execute(
        select(Visit.author_id, func.count()).where(Visit.visit_date.between(start, end))
        .group_by(Visit.author_id)).all())
    figures = {f.key: f for f in metrics.group_figures(start, end, "commissioner", now)}
    people = db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "commissioner").order_by(User.display_name)
        .options(selectinload(User.unit))).all()
    rows = []
    for u in people:
        f = figures.get(u.id)
        c = cov.get(u.id)
        rows.append({"user": u, "coverage": c, "visits": visits.get(u.id, 0),
                     "raised": f.raised if f else 0, "resolved": f.resolved if f else 0})
    rows.sort(key=lambda r: (-(r["coverage"].rate or 0) if r["coverage"] else 1,
                             r["user"].display_name))
    return rows


def typical_cases(meeting) -> list[dict]:
    """The coordinator's typical cases with their problems, enterprises and timelines."""
    rows = db.session.execute(
        select(TypicalCase, Issue).join(Issue, Issue.id == TypicalCase.issue_id)
        .where(TypicalCase.meeting_id == meeting.id)
        .options(selectinload(Issue.enterprise), selectinload(Issue.lead_unit))
        .order_by(TypicalCase.position)).all()
    ids = [issue.id for _case, issue in rows]
    events = defaultdict(list)
    if ids:
        for event, actor in db.session.execute(
            select(IssueEvent, User).outerjoin(User, User.id == IssueEvent.actor_id)
            .where(IssueEvent.issue_id.in_(ids)).order_by(IssueEvent.at, IssueEvent.id)):
            events[event.issue_id].append((event, actor))
    return [{"case": case, "issue": issue, "events": events[issue.id]} for case, issue in rows]


def _review_context(meeting, now) -> dict:
    start, end = meeting.period_start, meeting.period_end
    months = []
    for first, last in _months(start, end):
        months.append({"start": first, "figures": metrics.county_figures(first, last, now),
                       "visits": metrics.visits_summary(first, last),
                       "coverage": coverage(CoveragePeriod("month", first, last))})
    return {
        "quarter": metrics.county_figures(start, end, now),
        "quarter_visits": metrics.visits_summary(start, end),
        "quarter_coverage": coverage(CoveragePeriod("quarter", start, end)),
        "months": months,
        "units": metrics.league(metrics.group_figures(start, end, "unit", now)),
        "commissioners": commissioner_table(start, end, now),
        "cases": typical_cases(meeting),
    }


def agenda_dossiers(meeting) -> list[dict]:
    """The problems put to the meeting: background, units, a timeline summary and the
    question asked, in agenda order (a fixed number of queries)."""
    items = db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
        .options(selectinload(AgendaItem.issue).selectinload(Issue.enterprise),
                 selectinload(AgendaItem.issue).selectinload(Issue.lead_unit),
                 selectinload(AgendaItem.issue).selectinload(Issue.coop_units))
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    issue_ids = [i.issue_id for i in items if i.issue_id]
    events = defaultdict(list)
    if issue_ids:
        for event, actor in db.session.execute(
            select(IssueEvent, User).outerjoin(User, User.id == IssueEvent.actor_id)
            .where(IssueEvent.issue_id.in_(issue_ids)).order_by(IssueEvent.at, IssueEvent.id)
        ):
            events[event.issue_id].append((event, actor))
    return [{"item": item, "issue": item.issue,
             "events": events.get(item.issue_id, [])} for item in items]


def red_list_by_unit(now) -> list[tuple]:
    """Open overdue problems grouped by lead unit: [(unit, [(issue, enterprise)])],
    units with the most red first."""
    rows = db.session.execute(
        select(Issue, Enterprise, Unit)
        .outerjoin(Enterprise, Enterprise.id == Issue.enterprise_id)
        .outerjoin(Unit, Unit.id == Issue.lead_unit_id)
        .where(Issue.light_expr(now) == "red").order_by(Unit.name, Issue.due_at)
    ).all()
    groups: dict = {}
    for issue, enterprise, unit in rows:
        groups.setdefault(unit, []).append((issue, enterprise))
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0].name if kv[0] else ""))


def previous_decisions(meeting) -> tuple:
    """The previous meeting of the same kind and the progress of its decisions."""
    prev = previous_meeting(meeting)
    return prev, (decisions_of(prev) if prev is not None else [])


def leader_sections(period_start: date, period_end: date, now) -> list[dict]:
    """Per leader: their enterprises (A and B), visited in the period, open and red problems."""
    # Plain columns, the Users apart: a province has 40,000 leader rows but 300 leaders.
    leaders = db.session.execute(
        select(User.id, Assignment.enterprise_id, Enterprise.name, Assignment.role)
        .join(Assignment, Assignment.user_id == User.id)
        .join(Enterprise, Enterprise.id == Assignment.enterprise_id)
        .where(Assignment.end_date.is_(None), Assignment.role.in_(("leader_a", "leader_b")))
        .order_by(User.display_name)
    ).all()
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({row[0] for row in leaders})))} if leaders else {}
    visited = set(db.session.scalars(
        select(Visit.enterprise_id).where(Visit.visit_date.between(period_start, period_end))
        .distinct()))
    open_counts = dict(db.session.execute(
        select(Issue.enterprise_id, func.count()).where(Issue.state.in_(OPEN_STATES))
        .group_by(Issue.enterprise_id)).all())
    red_counts = dict(db.session.execute(
        select(Issue.enterprise_id, func.count()).where(Issue.light_expr(now) == "red")
        .group_by(Issue.enterprise_id)).all())
    sections: dict[int, dict] = {}
    for user_id, enterprise_id, name, role in leaders:
        s = sections.setdefault(user_id, {"leader": users[user_id], "rows": []})
        s["rows"].append({"id": enterprise_id, "name": name, "role": role,
                          "visited": enterprise_id in visited,
                          "open": open_counts.get(enterprise_id, 0),
                          "red": red_counts.get(enterprise_id, 0)})
    for s in sections.values():
        s["rows"].sort(key=lambda r: (-r["red"], -r["open"], r["name"]))
        s["enterprises"] = len(s["rows"])
        s["visited"] = sum(1 for r in s["rows"] if r["visited"])
        s["open"] = sum(r["open"] for r in s["rows"])
        s["red"] = sum(r["red"] for r in s["rows"])
    return list(sections.values())
