"""The problem page with its actions, raising a problem, the list and its export, and
the commissioner's rating link with its QR code."""
from __future__ import annotations

import segno
from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from crm.auth.models import Unit
from crm.core import transactions
from crm.core.downloads import XLSX_MIME, send_download
from crm.core.timeutil import to_local, utcnow
from crm.enterprises import permissions as enterprise_permissions
from crm.enterprises.models import Enterprise
from crm.enterprises.queries import filter_people
from crm.extensions import db
from crm.issues import cooperation, permissions, services
from crm.issues.actions import rating_label
from crm.issues.errors import ConflictError, InvalidInput, WorkflowError
from crm.issues.export import MAX_ROWS, workbook_bytes
from crm.issues.forms import CoopReplyForm, RaiseForm, action_form
from crm.issues.list_filters import ListFilter, describe
from crm.issues.models import LEVELS, LIGHTS, STATES, Category
from crm.issues.queries import board_page, list_query, rows_for
from crm.issues.views import bp
from crm.issues.views.common import PER_PAGE, safe_next, visible_issue_or_404
from crm.issues.workflow import ACTION_LABELS, Action, allowed_actions, check
from crm.issues.workflow import transition as do  # ``transition`` names the view below


def _prefilled(action: str, issue, proposal):
    """The form of ``action`` as first shown: the version seen and sensible defaults."""
    form = action_form(action, formdata=None)
    form.version.data = issue.version
    if action in ("dispatch", "redispatch"):
        # A returned problem gets no unit in advance: one click must not send it on.
        form.unit_id.data = proposal.unit_id or 0
        form.level.data = proposal.level
        form.category_id.data = issue.category_id or 0
        if action == "redispatch":
            form.due_date.data = proposal.due_day
            form.coop_unit_ids.data = [u.id for u in issue.coop_units]
    elif action == "grant_extension":
        form.until.data = issue.extension_requested_until
    return form


def render_detail(issue, forms=None, error: str | None = None, status: int = 200,
                  coop_form=None):
    """The problem page: facts, countdown, the viewer's actions, the cooperating units'
    stages (and the viewer's own opinion form when their unit cooperates), the
    timeline."""
    now = utcnow()
    actions = allowed_actions(issue, current_user, now)
    forms = dict(forms or {})
    proposal = (services.Proposer(now).propose(issue)
                if {"dispatch", "redispatch"} & set(actions) else None)
    for action in actions:
        if action not in forms:
            forms[action] = _prefilled(action, issue, proposal)
    if "redispatch" in forms:
        forms["redispatch"].mark_returning_unit(issue.lead_unit_id)
    (row,) = rows_for([issue], now)
    can_link = issue.state == "resolved" and "rate" in actions
    stages = cooperation.stages_for(issue, now)
    my_stage = next((s for s in stages if s.stage.unit_id == current_user.unit_id), None)
    if my_stage is not None and cooperation.can_reply(issue, current_user, my_stage.stage):
        coop_form = coop_form or CoopReplyForm(prefix="coop", formdata=None)
    else:
        coop_form = None
    return render_template(
        "issues/detail.html", issue=issue, row=row, actions=actions, forms=forms,
        labels=ACTION_LABELS, error=error, proposal=proposal, can_link=can_link,
        rating_label=rating_label, STATES=STATES, LEVELS=LEVELS, stages=stages,
        my_stage=my_stage, coop_form=coop_form,
    ), status


@bp.route("/<int:issue_id>")
@login_required
def detail(issue_id: int):
    """One problem: what it is, where it stands, what the viewer can do, its timeline."""
    return render_detail(visible_issue_or_404(issue_id))


@bp.route("/<int:issue_id>/do/<action>", methods=["POST"])
@login_required
def transition(issue_id: int, action: str):
    """Do one workflow action from its form on the problem page (or a board)."""
    issue = visible_issue_or_404(issue_id)
    if action not in Action.__members__.values():
        abort(404)
    form = action_form(action)
    if not form.validate_on_submit():
        try:  # a form the viewer was never offered: say why rather than show nothing
            check(issue, action, current_user)
        except WorkflowError as exc:
            return render_detail(issue, error=exc.message, status=403)
        return render_detail(issue, {action: form}, status=400)
    try:
        do(issue, action, current_user, expected_version=form.version.data, **form.payload())
    except WorkflowError as exc:
        transactions.discard()  # the page shows the problem as stored
        return _refused(issue_id, action, form, exc)
    flash(_("Done: %(action)s.", action=ACTION_LABELS[action]), "success")
    return redirect(safe_next(form.next.data) or url_for("issues.detail", issue_id=issue_id))


def _refused(issue_id: int, action: str, form, exc: WorkflowError):
    issue = visible_issue_or_404(issue_id)
    if isinstance(exc, InvalidInput) and exc.field and hasattr(form, exc.field):
        getattr(form, exc.field).errors = [*getattr(form, exc.field).errors, exc.message]
        return render_detail(issue, {action: form}, status=400)
    if isinstance(exc, ConflictError):
        form.version.data = issue.version  # the page now shows what changed
        return render_detail(issue, {action: form}, error=exc.message, status=409)
    return render_detail(issue, error=exc.message, status=403)


@bp.route("/new/<int:enterprise_id>", methods=["GET", "POST"])
@login_required
def new(enterprise_id: int):
    """Raise a problem for an enterprise directly (commissioner or coordinator)."""
    enterprise = db.get_or_404(Enterprise, enterprise_id)
    if not enterprise_permissions.can_view(current_user, enterprise):
        abort(404)
    if not permissions.can_raise_for(current_user, enterprise):
        abort(403)
    form = RaiseForm()
    if form.validate_on_submit():
        issue = services.raise_issue(enterprise, form.data_for_service(), current_user)
        flash(_("Problem %(number)s recorded; the coordinator will dispatch it.",
                number=issue.number), "success")
        return redirect(url_for("issues.detail", issue_id=issue.id))
    return render_template("issues/new.html", form=form, enterprise=enterprise)


def _filter_choices(f):
    """Choices for the list's filter bar (a fixed number of queries); people are
    searched as you type, only the chosen leader / commissioner is looked up."""
    # Rows, not units: a province has 3,270 of them (loading them as objects cost more
    # than the page's queries).
    units = db.session.execute(select(Unit.id, Unit.name)
                               .order_by(Unit.kind.desc(), Unit.name)).all()
    categories = db.session.scalars(select(Category).order_by(Category.position)).all()
    return {"units": units, "categories": categories, "chosen": filter_people(f)}


def _cursor(args, key: str) -> int | None:
    """``?after=`` / ``?before=``: a problem's id, or None."""
    raw = args.get(key, "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


@bp.route("/")
@login_required
def index():
    """Every problem the user may see, with filters; the same filters export to .xlsx.
    The overview's figures link here with the filters of the set each one counts; the
    page describes them in words and shows the count to compare. Pages go by keyset
    (``?after=`` / ``?before=`` a problem's id), so a page deep in a long list costs
    what the first one does."""
    now = utcnow()
    f = ListFilter.from_args(request.args)
    page = board_page(current_user, f, now, after=_cursor(request.args, "after"),
                      before=_cursor(request.args, "before"), per_page=PER_PAGE)
    enterprise = db.session.get(Enterprise, f.enterprise) if f.enterprise else None
    choices = _filter_choices(f)
    summary = describe(f, {u.id: u.name for u in choices["units"]})
    return render_template("issues/list.html", page=page, rows=page.rows, f=f,
                           enterprise=enterprise, STATES=STATES, LIGHTS=LIGHTS,
                           summary=summary, **choices)


@bp.route("/export.xlsx")
@login_required
def export():
    """The filtered list as an Excel workbook."""
    now = utcnow()
    f = ListFilter.from_args(request.args)
    issues = db.session.scalars(list_query(current_user, f, now).limit(MAX_ROWS)).all()
    data = workbook_bytes(rows_for(issues, now))
    name = _("Problem list")
    return send_download(data, f"{name}-{to_local(now):%Y%m%d-%H%M}.xlsx", XLSX_MIME)


@bp.route("/<int:issue_id>/rating-link", methods=["POST"])
@login_required
def rating_link_new(issue_id: int):
    """Issue a one-time rating link for the enterprise (the commissioner shows its QR)."""
    issue = visible_issue_or_404(issue_id)
    try:
        token = services.issue_rating_token(issue, current_user)
    except WorkflowError as exc:
        transactions.discard()  # the page shows the problem as stored
        return render_detail(visible_issue_or_404(issue_id), error=exc.message, status=403)
    # Only the hash is stored: the link itself lives in this cadre's session until shown.
    session["rating_link"] = {"issue_id": issue.id, "token": token}
    return redirect(url_for("issues.rating_link", issue_id=issue.id))


@bp.route("/<int:issue_id>/rating-link")
@login_required
def rating_link(issue_id: int):
    """The rating link and its QR code, to show on the commissioner's phone."""
    issue = visible_issue_or_404(issue_id)
    held = session.get("rating_link") or {}
    url = qr = None
    if held.get("issue_id") == issue.id and issue.state == "resolved":
        url = url_for("rating.rate", token=held["token"], _external=True)
        qr = segno.make(url, error="m").svg_inline(scale=6, dark="#000", light="#fff")
    return render_template("issues/rating_link.html", issue=issue, url=url, qr=qr)
