"""Appeals (申诉) against a rating: the lead unit files one on the problem, a coordinator
decides it (crm.issues.appeals)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.auth.permissions import role_required
from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues import appeals
from crm.core.downloads import send_download
from crm.issues.appeals import STATES, Appeal, AppealFile
from crm.issues.errors import InvalidInput, NotAllowed
from crm.issues.followup_forms import AppealForm, DecisionForm, yes_no
from crm.issues.models import Issue
from crm.issues.views import bp
from crm.issues.views.common import visible_issue_or_404


@bp.route("/<int:issue_id>/appeal", methods=["GET", "POST"])
@role_required("handler")
def appeal_new(issue_id: int):
    """The lead unit's appeal against the problem's rating, within 3 working days."""
    issue = visible_issue_or_404(issue_id)
    message = appeals.refusal(issue, current_user, utcnow())
    if message:
        abort(403, message)
    form = AppealForm()
    status = 200
    if form.validate_on_submit():
        try:
            appeals.file_appeal(issue, {"reason": form.reason.data,
                                        "evidence": form.evidence.data}, current_user,
                                files=form.clean_files)
        except InvalidInput as exc:
            getattr(form, exc.field).errors = [exc.message]
            status = 400
        else:
            flash(_("The appeal was sent to the coordinators."), "success")
            return redirect(url_for("issues.detail", issue_id=issue.id))
    elif form.is_submitted():
        status = 400
    return render_template("issues/appeal_new.html", issue=issue, form=form,
                           deadline=appeals.appeal_deadline(issue)), status


@bp.route("/appeals", endpoint="appeals")
@role_required("coordinator")
def appeals_page():
    """The appeals waiting for a decision, and each one's decision form."""
    pending = appeals.pending()
    return render_template("issues/appeals.html", pending=pending, form=DecisionForm(),
                           STATES=STATES, files=appeals.files_of(a.id for a in pending))


@bp.route("/appeals/<int:appeal_id>", methods=["POST"])
@role_required("coordinator")
def appeal_decide(appeal_id: int):
    """Uphold (the rating leaves the unit's figures) or reject an appeal."""
    appeal = db.session.scalar(select(Appeal).where(Appeal.id == appeal_id).options(
        joinedload(Appeal.issue)))
    if appeal is None:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        appeals.decide(appeal, yes_no(form.upheld.data), form.decision.data, current_user)
    except (InvalidInput, NotAllowed) as exc:
        flash(exc.message, "error")
        pending = appeals.pending()
        return render_template("issues/appeals.html", pending=pending, form=form,
                               STATES=STATES, failed=appeal.id,
                               files=appeals.files_of(a.id for a in pending)), 400
    flash(_("The appeal was decided."), "success")
    return redirect(url_for("issues.appeals"))


@bp.route("/appeals/<int:appeal_id>/files/<int:file_id>", endpoint="appeal_file")
@role_required("coordinator", "handler")
def appeal_file_download(appeal_id: int, file_id: int):
    """A file of an appeal's evidence, as a download, to those who may see the appeal
    (the coordinators, the unit that filed it) and its problem; 404 for anyone else."""
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        abort(404)
    visible_issue_or_404(appeal.issue_id)
    if not appeals.can_view(current_user, appeal):
        abort(404)
    item = db.session.scalar(select(AppealFile).where(
        AppealFile.id == file_id, AppealFile.appeal_id == appeal.id))
    if item is None:
        abort(404)
    return send_download(item.data, appeals.download_name(item), item.content_type)


def appeal_panel(issue: Issue) -> dict | None:
    """What the problem page says about the current rating's appeal, and whether the
    viewer may appeal it (no query for an unrated problem)."""
    if issue.rating is None or not current_user.is_authenticated:
        return None
    appeal = appeals.current_appeal(issue)
    may = (appeal is None and current_user.has_role("handler")
           and appeals.refusal(issue, current_user, utcnow()) is None)
    if appeal is None and not may:
        return None
    files = (appeals.files_of([appeal.id]).get(appeal.id, [])
             if appeal is not None and appeals.can_view(current_user, appeal) else [])
    return {"appeal": appeal, "may": may, "deadline": appeals.appeal_deadline(issue),
            "STATES": STATES, "files": files}


@bp.app_context_processor
def appeal_helpers():
    return {"issue_appeal": appeal_panel}

