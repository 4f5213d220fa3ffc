"""Meeting pages: list, create, agenda, decisions, minutes, typical cases, states."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import defer, selectinload

from crm.auth.models import Unit
from crm.auth.permissions import role_required
from crm.core import transactions
from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues import permissions as issue_permissions
from crm.issues.errors import WorkflowError
from crm.issues.models import Issue
from crm.core.downloads import send_download
from crm.meetings import documents, services
from crm.meetings.decisions import add_decision, decisions_of
from crm.meetings.forms import (
    AgendaItemForm,
    AnalysisForm,
    AttendanceForm,
    DecisionForm,
    MeetingEditForm,
    MeetingForm,
    MinutesForm,
    ProposalForm,
    TypicalCaseForm,
    active_units,
)
from crm.meetings.packets.context import analysis_drafts, packet_context
from crm.meetings.packets.minutes_docx import DOCX_MIME, minutes_docx
from crm.meetings.models import (
    BRIEFING_STATES,
    MEETING_KINDS,
    MEETING_STATES,
    AgendaItem,
    Briefing,
    Meeting,
    TypicalCase,
)
from crm.meetings.views import bp

PER_PAGE = 20


def _meeting_or_404(meeting_id: int) -> Meeting:
    return db.get_or_404(Meeting, meeting_id)


def _back(meeting: Meeting, anchor: str = ""):
    return redirect(url_for("meetings.detail", meeting_id=meeting.id) + anchor)


def _issue_by_number(number: str) -> Issue | None:
    return db.session.scalar(select(Issue).where(Issue.number == (number or "").strip()))


@bp.route("/")
@role_required("coordinator", "leader")
def index():
    """All meetings, newest period first."""
    # A task force's rhythm meetings are listed on its own page (crm.taskforces).
    page = db.paginate(select(Meeting).where(Meeting.kind != "taskforce")
                       .order_by(Meeting.period_start.desc(), Meeting.id.desc()),
                       per_page=PER_PAGE, error_out=False)
    return render_template("meetings/index.html", page=page, kinds=MEETING_KINDS,
                           states=MEETING_STATES)


@bp.route("/new", methods=["GET", "POST"])
@role_required("coordinator")
def new():
    """Create a joint meeting, a review meeting or a special meeting; a second one of
    the same kind in the same month only once the coordinator confirms it."""
    form = MeetingForm()
    duplicates = []
    if form.validate_on_submit():
        period = form.period()
        duplicates = services.same_month_meetings(form.kind.data, period, form.starts_at.data)
        if not form.flag_duplicates(duplicates, period):
            try:
                meeting = services.create_meeting(
                    form.kind.data, period, current_user, title=form.title.data,
                    starts_at=form.starts_at.data, place=form.place.data,
                    attendees=form.attendees.data)
            except services.MeetingError as exc:
                transactions.discard()  # answered with the form (status 200)
                form.refused(exc)
            else:
                flash(_("Meeting %(title)s created.", title=meeting.title), "success")
                return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    return render_template("meetings/new.html", form=form, duplicates=duplicates,
                           kinds=MEETING_KINDS)


@bp.route("/<int:meeting_id>")
@role_required("coordinator", "leader")
def detail(meeting_id: int, decision_form: DecisionForm | None = None,
           edit_form: MeetingEditForm | None = None,
           attendance_form: AttendanceForm | None = None,
           analysis_form: AnalysisForm | None = None):
    """The meeting: agenda, decisions, minutes, attendance, written analysis, packets."""
    meeting = _meeting_or_404(meeting_id)
    agenda = db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
        .options(selectinload(AgendaItem.issue).selectinload(Issue.enterprise),
                 selectinload(AgendaItem.issue).selectinload(Issue.lead_unit),
                 selectinload(AgendaItem.presenting_unit))
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    cases = db.session.execute(
        select(TypicalCase, Issue).join(Issue, Issue.id == TypicalCase.issue_id)
        .where(TypicalCase.meeting_id == meeting.id).order_by(TypicalCase.position)
    ).all()
    packets = db.session.scalars(
        select(Briefing).options(defer(Briefing.pdf)).where(Briefing.meeting_id == meeting.id)
        .order_by(Briefing.version.desc())
    ).all()
    decisions = decisions_of(meeting)
    coordinator = current_user.has_role("coordinator")
    units = active_units()   # one query for the forms' unit lists
    if coordinator and attendance_form is None:
        attendance_form = _attendance_form(meeting, units=units)
    drafted = False
    if coordinator and analysis_form is None:
        analysis_form = AnalysisForm(formdata=None, obj=meeting)
        if request.args.get("draft") and meeting.kind in ("joint", "review"):
            # Asked for: empty paragraphs start from the draft generated from the
            # figures (computed on demand: it costs the figures' queries).
            drafts = analysis_drafts(meeting, utcnow())
            analysis_form.problems_text.data = meeting.problems_text or drafts["problems"]
            analysis_form.next_steps_text.data = (meeting.next_steps_text
                                                  or drafts["next_steps"])
            drafted = True
    return render_template(
        "meetings/detail.html", meeting=meeting, agenda=agenda, cases=cases, packets=packets,
        attendance_form=attendance_form, analysis_form=analysis_form, drafted=drafted,
        numbers=documents.document_numbers(meeting),
        item_form=AgendaItemForm(formdata=None, units=units) if coordinator else None,
        missing_for_final=documents.final_problems(
            meeting, "review" if meeting.kind == "review" else "joint", agenda),
        decisions=decisions, viewable=_viewable_issue_ids(agenda, cases, decisions),
        kinds=MEETING_KINDS, states=MEETING_STATES,
        briefing_states=BRIEFING_STATES, now=utcnow(),
        edit_form=edit_form or MeetingEditForm(obj=meeting),
        minutes_form=MinutesForm(obj=meeting),
        proposal_form=ProposalForm(formdata=None), case_form=TypicalCaseForm(formdata=None),
        decision_form=decision_form or DecisionForm(formdata=None, units=units),
    )


def _viewable_issue_ids(agenda, cases, decisions) -> set[int]:
    """The problems on this page the user may open: a leader reads the whole agenda, but
    only links to problems of their own enterprises (the others would answer 404)."""
    ids = {item.issue.id for item in agenda if item.issue}
    ids |= {issue.id for _case, issue in cases}
    ids |= {d.issue.id for d in decisions if getattr(d, "issue", None)}
    if not ids or current_user.sees_all:
        return ids
    return set(db.session.scalars(
        select(Issue.id).where(Issue.id.in_(ids), issue_permissions.visibility(current_user))
    ))


def _refused(meeting: Meeting, exc: Exception, anchor: str = ""):
    """A refused change: nothing of it is kept, the reason is shown on the meeting."""
    transactions.discard()
    flash(str(exc), "warning")
    return _back(meeting, anchor)


@bp.route("/<int:meeting_id>/edit", methods=["POST"])
@role_required("coordinator")
def edit(meeting_id: int):
    """Change title, time, place and attendees (a new time may renumber the meetings
    of the kind); a refusal is shown next to the field, with what was typed."""
    meeting = _meeting_or_404(meeting_id)
    form = MeetingEditForm()
    if form.validate_on_submit():
        try:
            services.update_meeting(meeting, {k: form.data[k] for k in
                                              ("title", "starts_at", "place", "attendees",
                                               "chair", "copies")},
                                    current_user)
        except services.MeetingError as exc:
            transactions.discard()  # the page shows the meeting as stored
            form.starts_at.errors.append(str(exc))
        else:
            flash(_("Saved."), "success")
            return _back(meeting)
    return detail(meeting_id, edit_form=form), 400


@bp.route("/<int:meeting_id>/agenda/build", methods=["POST"])
@role_required("coordinator")
def agenda_build(meeting_id: int):
    """Add the escalated and repeatedly supervised red problems to the agenda."""
    meeting = _meeting_or_404(meeting_id)
    try:
        added = services.build_agenda(meeting, current_user, utcnow())
    except services.MeetingError as exc:
        return _refused(meeting, exc, "#agenda")
    flash(_("%(n)d items added to the agenda.", n=added), "success")
    return _back(meeting, "#agenda")


@bp.route("/<int:meeting_id>/agenda", methods=["POST"])
@role_required("coordinator", "leader")
def agenda_add(meeting_id: int):
    """A proposal for the agenda (leaders and coordinators)."""
    meeting = _meeting_or_404(meeting_id)
    form = ProposalForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errs in form.errors.values() for e in errs), "danger")
        return _back(meeting, "#agenda")
    issue = None
    if (form.issue_number.data or "").strip():
        issue = _issue_by_number(form.issue_number.data)
        if issue is None or not issue_permissions.can_view(current_user, issue):
            flash(_("No problem with number %(n)s.", n=form.issue_number.data.strip()), "danger")
            return _back(meeting, "#agenda")
    try:
        services.add_agenda_item(meeting, current_user, issue=issue, title=form.title.data,
                                 question=form.question.data)
    except services.MeetingError as exc:
        return _refused(meeting, exc, "#agenda")
    flash(_("Added to the agenda."), "success")
    return _back(meeting, "#agenda")


def _item_or_404(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        abort(404)
    return item


@bp.route("/<int:meeting_id>/agenda/<int:item_id>", methods=["POST"])
@role_required("coordinator")
def agenda_item(meeting_id: int, item_id: int):
    """Move an item up or down, remove it, or set the question put to the meeting."""
    meeting = _meeting_or_404(meeting_id)
    item = _item_or_404(meeting, item_id)
    action = request.form.get("action")
    try:
        if action in ("up", "down"):
            services.move_agenda_item(item, -1 if action == "up" else 1, current_user)
        elif action == "remove":
            services.remove_agenda_item(item, current_user)
        elif action == "question":
            form = AgendaItemForm()
            if not form.validate_on_submit():
                flash(" ".join(str(e) for errs in form.errors.values() for e in errs), "danger")
                return _back(meeting, "#agenda")
            documents.set_agenda_details(
                item, question=form.question.data, actor=current_user,
                presenting_unit_id=form.presenting_unit_id.data or None,
                minutes_allotted=form.minutes_allotted.data)
        else:
            abort(400)
    except services.MeetingError as exc:
        return _refused(meeting, exc, "#agenda")
    return _back(meeting, "#agenda")


@bp.route("/<int:meeting_id>/minutes", methods=["POST"])
@role_required("coordinator")
def minutes(meeting_id: int):
    """Save the minutes (and, for a review meeting, the coordinator's remarks)."""
    meeting = _meeting_or_404(meeting_id)
    form = MinutesForm()
    if form.validate_on_submit():
        services.update_meeting(meeting, {"minutes": form.minutes.data,
                                          "review_remarks": form.review_remarks.data},
                                current_user)
        flash(_("Saved."), "success")
    else:
        flash(" ".join(str(e) for errs in form.errors.values() for e in errs), "danger")
    return _back(meeting, "#minutes")


@bp.route("/<int:meeting_id>/cases", methods=["POST"])
@role_required("coordinator")
def case_add(meeting_id: int):
    """Choose a typical case for the review packet."""
    meeting = _meeting_or_404(meeting_id)
    form = TypicalCaseForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errs in form.errors.values() for e in errs), "danger")
        return _back(meeting, "#cases")
    issue = _issue_by_number(form.issue_number.data)
    if issue is None:
        flash(_("No problem with number %(n)s.", n=form.issue_number.data.strip()), "danger")
        return _back(meeting, "#cases")
    try:
        services.add_typical_case(meeting, issue, form.note.data, current_user)
    except services.MeetingError as exc:
        return _refused(meeting, exc, "#cases")
    return _back(meeting, "#cases")


@bp.route("/<int:meeting_id>/advance", methods=["POST"])
@role_required("coordinator")
def advance(meeting_id: int):
    """Move the meeting to its next state."""
    meeting = _meeting_or_404(meeting_id)
    try:
        services.advance(meeting, current_user, utcnow())
    except services.MeetingError as exc:
        return _refused(meeting, exc)
    flash(_("The meeting is now: %(state)s.", state=MEETING_STATES[meeting.state]), "success")
    return _back(meeting)


@bp.route("/<int:meeting_id>/decisions", methods=["POST"])
@role_required("coordinator")
def decision_add(meeting_id: int):
    """Record a decision: it is dispatched to the responsible unit and tracked like a
    problem until done."""
    meeting = _meeting_or_404(meeting_id)
    form = DecisionForm()
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        try:
            add_decision(meeting, form.text.data, unit, form.due_date.data, current_user)
        except WorkflowError as exc:
            transactions.discard()  # the page shows the meeting as stored
            target = {"due_date": form.due_date, "unit_id": form.unit_id}.get(exc.field,
                                                                             form.text)
            target.errors.append(exc.message)
        else:
            flash(_("Decision recorded and dispatched."), "success")
            return _back(meeting, "#decisions")
    return detail(meeting_id, decision_form=form), 400


def _attendance_form(meeting: Meeting, formdata=None, units=None) -> AttendanceForm:
    current = {}
    att = documents.attendance(meeting)
    for role in documents.ROLES:
        current.update({f"leader_{u.id}": role for u in att.people[role]})
        current.update({f"unit_{u.id}": role for u in att.units[role]})
    return AttendanceForm.build(documents.city_leaders(), documents.member_units(units),
                                current, formdata=formdata)


@bp.route("/<int:meeting_id>/attendance", methods=["POST"])
@role_required("coordinator")
def attendance(meeting_id: int):
    """Who is present (出席), sits in (列席) or is excused (请假): each city leader, in
    protocol order, and each member unit."""
    meeting = _meeting_or_404(meeting_id)
    form = _attendance_form(meeting, formdata=request.form)
    if form.validate_on_submit():
        people, units = form.roles()
        documents.save_attendance(meeting, people, units, current_user)
        flash(_("Saved."), "success")
        return _back(meeting, "#attendance")
    return detail(meeting_id, attendance_form=form), 400


@bp.route("/<int:meeting_id>/analysis", methods=["POST"])
@role_required("coordinator")
def analysis(meeting_id: int):
    """The packet's 存在问题 and 下步工作 paragraphs, as the coordinator wrote or edited
    them from the draft."""
    meeting = _meeting_or_404(meeting_id)
    form = AnalysisForm()
    if form.validate_on_submit():
        services.update_meeting(meeting, {"problems_text": form.problems_text.data,
                                          "next_steps_text": form.next_steps_text.data},
                                current_user)
        flash(_("Saved."), "success")
        return _back(meeting, "#analysis")
    return detail(meeting_id, analysis_form=form), 400


@bp.route("/<int:meeting_id>/minutes.docx")
@role_required("coordinator", "leader")
def minutes_word(meeting_id: int):
    """The 纪要 as a Word document (offices edit in Word or WPS): the same content as
    its PDF, computed now."""
    meeting = _meeting_or_404(meeting_id)
    context = packet_context(Briefing(kind="minutes", meeting_id=meeting.id, version=0))
    data = minutes_docx(context)
    return send_download(data, f"{context['title']}.docx", DOCX_MIME)
