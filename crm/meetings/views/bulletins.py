"""The weekly bulletins (周通报): the list of weeks with their versions, the
coordinator's 点评 (which makes a new version), and making a week's bulletin by hand
(crm.meetings.bulletin)."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import TextAreaField
from wtforms.validators import Length

from crm.auth.permissions import role_required
from crm.core import transactions
from crm.core.forms import BaseForm
from crm.core.timeutil import local_today
from crm.issues.errors import InvalidInput
from crm.meetings import bulletin
from crm.meetings.packets import job
from crm.meetings.views import bp


class RemarksForm(BaseForm):
    remarks = TextAreaField(_l("Remarks (点评)"), validators=[Length(max=4000)])


def _monday(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        abort(404)
    if day.weekday() != 0 or not date(2000, 1, 1) <= day <= local_today():
        abort(404)
    return day


@bp.route("/bulletins")
@role_required("coordinator", "leader")
def bulletins():
    """The latest weeks: each week's newest version, its final one and the remarks."""
    return render_template("meetings/bulletins.html", weeks=bulletin.weeks(),
                           last=bulletin.last_week(local_today()), form=RemarksForm())


@bp.route("/bulletins/<week>/remarks", methods=["POST"])
@role_required("coordinator")
def bulletin_remarks(week: str):
    """Write the 点评 and make a new version with it."""
    monday = _monday(week)
    form = RemarksForm()
    if form.validate_on_submit():
        try:
            bulletin.write_remarks(monday, form.remarks.data, current_user)
        except InvalidInput as exc:
            flash(exc.message, "error")
            return redirect(url_for("meetings.bulletins"))
        briefing = bulletin.create(monday, current_user)
        transactions.after_commit(job.dispatch, briefing.id)
        flash(_("Remarks saved; a new version is being made."), "success")
        return redirect(url_for("briefings.detail", briefing_id=briefing.id))
    flash(_("At most %(n)d characters.", n=4000), "error")
    return redirect(url_for("meetings.bulletins"))


@bp.route("/bulletins/<week>/make", methods=["POST"])
@role_required("coordinator")
def bulletin_make(week: str):
    """Make (a new version of) a week's bulletin now."""
    monday = _monday(week)
    if not BaseForm().validate_on_submit():
        abort(400)
    briefing = bulletin.create(monday, current_user)
    transactions.after_commit(job.dispatch, briefing.id)
    return redirect(url_for("briefings.detail", briefing_id=briefing.id))
