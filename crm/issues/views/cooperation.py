"""A cooperating unit's opinion to the lead unit (协办意见), sent from the problem page."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.core import transactions
from crm.issues import cooperation
from crm.issues.errors import InvalidInput, WorkflowError
from crm.issues.forms import CoopReplyForm
from crm.issues.views import bp
from crm.issues.views.common import visible_issue_or_404
from crm.issues.views.pages import render_detail


@bp.route("/<int:issue_id>/coop-reply", methods=["POST"])
@login_required
def coop_reply(issue_id: int):
    """Record the viewer's unit's opinion; a missing one is explained next to the field."""
    issue = visible_issue_or_404(issue_id)
    form = CoopReplyForm(prefix="coop")
    refusal = cooperation.refusal(issue, current_user, cooperation.stage_of(issue, current_user))
    if refusal:
        return render_detail(issue, error=refusal, status=403)
    if not form.validate_on_submit():
        return render_detail(issue, coop_form=form, status=400)
    try:
        cooperation.reply(issue, current_user, form.text.data)
    except WorkflowError as exc:
        transactions.discard()  # the page shows the problem as stored
        issue = visible_issue_or_404(issue_id)
        if isinstance(exc, InvalidInput):
            form.text.errors = [*form.text.errors, exc.message]
            return render_detail(issue, coop_form=form, status=400)
        return render_detail(issue, error=exc.message, status=403)
    flash(_("Your unit's cooperation opinion was sent to the lead unit."), "success")
    return redirect(url_for("issues.detail", issue_id=issue_id))
