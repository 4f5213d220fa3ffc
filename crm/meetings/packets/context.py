"""What goes into each packet: the context for the templates under
``templates/meetings/briefing/``. Every query here loads a whole section at once."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
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
from crm.meetings import charts, documents, metrics
from crm.meetings import sections
from crm.meetings.packets import analysis, kinds, summaries
from crm.meetings.decisions import decisions_of
from crm.meetings.models import AgendaItem, Decision, Meeting, TypicalCase
from crm.meetings.services import month_period, previous_meeting, quarter_period

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
    # Sections the packages above add (crm.meetings.sections), e.g. the task forces led.
    return {"leader": leader, "dossiers": dossiers, "roles": roles,
            "extra_sections": sections.packet_sections("portfolio", leader, utcnow())}


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
    if briefing.kind == "minutes":
        context = minutes_context(meeting, now)
    elif briefing.kind == "joint":
        context = _joint_context(meeting, now, full_lists)
    else:
        context = _review_context(meeting, now)
    series = "minutes" if briefing.kind == "minutes" else "packet"
    context.update(document_parts(meeting, series, briefing.kind, now))
    context["meeting"] = meeting
    # Sections the packages above add (crm.meetings.sections).
    context["extra_sections"] = sections.packet_sections(briefing.kind, meeting, now)
    return context


def _leader_can_view(user, briefing) -> bool:
    return user.has_role("leader")


def _final_problems(briefing) -> list[str]:
    return documents.final_problems(db.session.get(Meeting, briefing.meeting_id),
                                    briefing.kind)


kinds.register(kinds.PacketKind(
    "joint", _meeting_packet, _meeting_title, _leader_can_view,
    "meetings/briefing/joint.html", check_final=_final_problems))
kinds.register(kinds.PacketKind(
    "review", _meeting_packet, _meeting_title, _leader_can_view,
    "meetings/briefing/review.html", check_final=_final_problems))
kinds.register(kinds.PacketKind(
    "portfolio", lambda briefing, full_lists: _portfolio_context(briefing), _portfolio_title,
    lambda user, briefing: briefing.leader_id == user.id,
    "meetings/briefing/portfolio.html"))


def unit_labels() -> dict[int, str]:
    """Each unit's printed label: the short name the admin set (人社局), else its name."""
    return {uid: short or name for uid, short, name in db.session.execute(
        select(Unit.id, Unit.short_name, Unit.name))}


def _relabel(rows, labels: dict) -> list:
    """Copies of figures or red-list rows labelled with the units' short names."""
    return [replace(r, label=labels.get(r.key, r.label)) if r.key is not None else r
            for r in rows]


def month_glance(year: int, month: int, now) -> dict:
    """The month's figures exactly as the coordinator's overview computes them
    (``metrics.snapshot``: while the month runs, so far and against the same days of
    the month before), with visit coverage, the charts and the 指标说明 printed as the
    packet's last page."""
    snap = metrics.snapshot(year, month, now)
    period = period_for("month", date(year, month, 1))
    labels = unit_labels()
    glance = {"o": snap.overview, "figures": charts.packet_month_charts(snap, labels),
              "league": metrics.league(snap.overview.by_unit),
              "red_units": _relabel(snap.red_units, labels),
              "coverage": coverage(period), "prev_coverage": coverage(period.previous()),
              "general": metrics.GENERAL, "definitions": metrics.DEFINITIONS}
    glance["summary"] = analysis.month_summary(glance)
    return glance


def document_parts(meeting, series: str, kind: str, now) -> dict:
    """What makes a meeting's paper an official document: the 文号 of its series, the
    attendance, the issuing block (印发机关, 印发日期, 共印 N 份) and, for packets,
    what is still missing before it can be final."""
    number = documents.document_number(meeting, series)
    suffix = _("(minutes)") if series == "minutes" else _("(papers)")
    return {
        "title_lines": title_lines(meeting.title + suffix),
        "docno": number.text if number is not None else None,
        "attendance": documents.attendance(meeting),
        "issuer": current_app.config.get("PACKET_ISSUER", documents.ISSUER),
        "issued_on": local_today(),
        "copies": meeting.copies,
        "not_final_yet": documents.final_problems(meeting, kind),
    }


TITLE_LINE = 14


def title_lines(title: str) -> list[str]:
    """A cover title in balanced lines (GB/T 9704: 梯形/菱形), never broken inside a
    word: a long title breaks after its date part (年, 月, 季度) when that leaves both
    lines readable, else after the first half."""
    if len(title) <= TITLE_LINE:
        return [title]
    for mark in ("季度", "月", "年"):
        at = title.find(mark)
        if 3 <= at + len(mark) <= len(title) - 5:
            cut = at + len(mark)
            return [title[:cut], *title_lines(title[cut:])]
    cut = (len(title) + 1) // 2
    return [title[:cut], title[cut:]]


def agenda_rows(agenda: list[dict]) -> list[dict]:
    """The agenda page (议程): order, item, presenting unit (the problem's lead unit
    unless the coordinator chose another) and minutes allotted."""
    rows = []
    for n, a in enumerate(agenda, 1):
        item, issue = a["item"], a["issue"]
        unit = item.presenting_unit or (issue.lead_unit if issue is not None else None)
        rows.append({"order": n, "title": issue.title if issue is not None else item.title,
                     "enterprise": issue.enterprise.name if issue is not None
                     and issue.enterprise is not None else None,
                     "unit": unit, "minutes": item.minutes_allotted})
    return rows


def written_analysis(meeting, total, units, red_units, open_decisions: int,
                     agenda_items: int) -> dict:
    """存在问题 and 下步工作: the coordinator's text, or the generated draft (marked as a
    draft in the packet) until they write it."""
    return {
        "problems": meeting.problems_text or analysis.draft_problems(
            total, units, red_units, open_decisions),
        "problems_draft": not (meeting.problems_text or "").strip(),
        "next_steps": meeting.next_steps_text or analysis.draft_next_steps(
            total, red_units, agenda_items),
        "next_steps_draft": not (meeting.next_steps_text or "").strip(),
    }


def analysis_drafts(meeting, now) -> dict:
    """The drafts offered on the meeting page (generated from the same figures)."""
    if meeting.kind == "review":
        start, end = meeting.period_start, meeting.period_end
        total = metrics.county_figures(start, end, now)
        labels = unit_labels()
        units = _relabel(metrics.group_figures(start, end, "unit", now), labels)
        red = _relabel(metrics.red_list(now), labels)
        agenda = 0
    else:
        snap = metrics.snapshot(meeting.period_start.year, meeting.period_start.month, now)
        labels = unit_labels()
        total = snap.overview.current
        units = _relabel(snap.overview.by_unit, labels)
        red = _relabel(snap.red_units, labels)
        agenda = db.session.scalar(select(func.count()).select_from(AgendaItem).where(
            AgendaItem.meeting_id == meeting.id)) or 0
    _prev, prev_decisions = previous_decisions(meeting)
    open_decisions = sum(1 for d in prev_decisions
                         if d.issue is not None and d.issue.state in OPEN_STATES)
    return {"problems": analysis.draft_problems(total, units, red, open_decisions),
            "next_steps": analysis.draft_next_steps(total, red, agenda)}


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
    glance = month_glance(meeting.period_start.year, meeting.period_start.month, now)
    prev_minutes = documents.document_number(prev, "minutes") if prev is not None else None
    open_decisions = sum(1 for d in prev_decisions
                         if d.issue is not None and d.issue.state in OPEN_STATES)
    return {
        "glance": glance,
        "analysis": written_analysis(
            meeting, glance["o"].current, _relabel(glance["o"].by_unit, unit_labels()),
            glance["red_units"], open_decisions, len(agenda)),
        "agenda": agenda,
        "agenda_rows": agenda_rows(agenda),
        "prev_minutes_no": prev_minutes.text if prev_minutes is not None else None,
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


def _quarter_of(day: date):
    return quarter_period(day.year, (day.month - 1) // 3 + 1)


def quarter_decisions(start: date, end: date) -> list:
    """The decisions of the joint meetings of the period with their progress, by
    meeting and position (one query)."""
    return db.session.scalars(
        select(Decision).join(Meeting, Meeting.id == Decision.meeting_id)
        .where(Meeting.period_start >= start, Meeting.period_end <= end)
        .options(selectinload(Decision.issue), selectinload(Decision.unit),
                 selectinload(Decision.meeting))
        .order_by(Meeting.period_start, Decision.position, Decision.id)).all()


UNIT_OPEN_SHOWN = 8


def unit_profiles(start: date, end: date, now, units, labels: dict) -> list[dict]:
    """Per lead unit with problems in the period: its figures month by month and its
    open problems (the most overdue first, at most ``UNIT_OPEN_SHOWN``), in a fixed
    number of queries."""
    monthly = []
    for first, last in _months(start, end):
        monthly.append((first, {f.key: f for f in metrics.group_figures(first, last,
                                                                         "unit", now)}))
    open_rows = defaultdict(list)
    for issue, enterprise in db.session.execute(
            select(Issue, Enterprise).outerjoin(Enterprise, Enterprise.id == Issue.enterprise_id)
            .where(Issue.state.in_(OPEN_STATES), Issue.lead_unit_id.is_not(None))
            .order_by(Issue.due_at.nulls_last(), Issue.id)):
        open_rows[issue.lead_unit_id].append((issue, enterprise))
    out = []
    for f in units:
        if f.key is None:
            continue
        rows = open_rows.get(f.key, [])
        out.append({"figures": f, "label": labels.get(f.key, f.label),
                    "months": [(first, by_unit.get(f.key)) for first, by_unit in monthly],
                    "open": rows[:UNIT_OPEN_SHOWN], "open_total": len(rows)})
    return out


def _review_context(meeting, now) -> dict:
    """The quarterly review: the quarter against the previous quarter and the same
    quarter last year, its months, the units (charts, table, a profile each), the
    commissioners' coverage, the typical cases, the decisions of the quarter's
    meetings and the overdue problems."""
    start, end = meeting.period_start, meeting.period_end
    labels = unit_labels()
    months = []
    for first, last in _months(start, end):
        months.append({"start": first, "figures": metrics.county_figures(first, last, now),
                       "visits": metrics.visits_summary(first, last),
                       "coverage": coverage(CoveragePeriod("month", first, last))})
    span = end - start
    previous = _quarter_of(start - timedelta(days=1))
    prev_start, prev_end = previous.start, min(previous.end, previous.start + span)
    year_start = start.replace(year=start.year - 1)
    year_end = min(_quarter_of(year_start).end, year_start + span)
    quarter = metrics.county_figures(start, end, now)
    prev_q = metrics.county_figures(prev_start, prev_end, now)
    last_year = metrics.county_figures(year_start, year_end, now)
    quarter_visits = metrics.visits_summary(start, end)
    quarter_coverage = coverage(CoveragePeriod("quarter", start, end))
    units = metrics.league(metrics.group_figures(start, end, "unit", now))
    prev_units = {f.key: f for f in metrics.group_figures(prev_start, prev_end, "unit", now)}
    commissioners = commissioner_table(start, end, now)
    red_units = _relabel(metrics.red_list(now), labels)
    decisions = quarter_decisions(start, end)
    open_decisions = sum(1 for d in decisions
                         if d.issue is not None and d.issue.state in OPEN_STATES)
    compare = [(_("This quarter"), quarter), (_("Previous quarter"), prev_q),
               (_("Same quarter last year"), last_year)]
    figures = [charts.comparison_chart(compare),
               charts.months_chart([(f'{m["start"].month}月', m["figures"])
                                    for m in months])]
    figures += charts.unit_charts(units, labels)
    covered = [(r["user"].display_name, float(r["coverage"].percent))
               for r in commissioners if r["coverage"] and r["coverage"].percent is not None]
    coverage_figure = charts.coverage_chart(covered[:40]) if covered else None
    return {
        "quarter": quarter,
        "previous_quarter": prev_q,
        "last_year": last_year,
        "compare_periods": {"previous": (prev_start, prev_end), "last_year": (year_start,
                                                                             year_end)},
        "quarter_visits": quarter_visits,
        "prev_visits": metrics.visits_summary(prev_start, prev_end),
        "year_visits": metrics.visits_summary(year_start, year_end),
        "quarter_coverage": quarter_coverage,
        "months": months,
        "summary": analysis.quarter_summary(quarter, prev_q, last_year, visits=quarter_visits,
                                            coverage=quarter_coverage),
        "figures": figures,
        "coverage_figure": coverage_figure,
        "units": units,
        "prev_units": prev_units,
        "profiles": unit_profiles(start, end, now, units, labels),
        "commissioners": commissioners,
        "cases": typical_cases(meeting),
        "agenda_rows": agenda_rows(agenda_dossiers(meeting)),
        "decisions": decisions,
        "red_units": red_units,
        "red_by_unit": red_list_by_unit(now),
        "analysis": written_analysis(meeting, quarter, _relabel(units, labels), red_units,
                                     open_decisions, 0),
        "definitions": metrics.DEFINITIONS, "general": metrics.GENERAL,
    }


def minutes_context(meeting, now) -> dict:
    """The 纪要: the meeting, its time, place, chair and attendance, the items it
    discussed and what it decided, item by item with the responsible unit and due day
    (the tracked decisions)."""
    agenda = agenda_dossiers(meeting)
    return {"decisions": decisions_of(meeting), "agenda_rows": agenda_rows(agenda)}


def _minutes_title(briefing) -> str:
    meeting = briefing.meeting if "meeting" in briefing.__dict__ else None
    if meeting is None:
        meeting = db.session.get(Meeting, briefing.meeting_id)
    return _("%(title)s — minutes", title=meeting.title)


kinds.register(kinds.PacketKind(
    "minutes", _meeting_packet, _minutes_title, _leader_can_view,
    "meetings/briefing/minutes.html"))


def agenda_dossiers(meeting) -> list[dict]:
    """The problems put to the meeting: background, units, a timeline summary and the
    question asked, in agenda order (a fixed number of queries)."""
    items = db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
        .options(selectinload(AgendaItem.presenting_unit),
                 selectinload(AgendaItem.issue).selectinload(Issue.enterprise),
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
