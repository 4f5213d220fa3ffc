"""The coordinator's 回访 queue and call form, and the admin's share of good ratings
called back (crm.issues.followups)."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.auth.permissions import role_required
from crm.core.timeutil import local_midnight_utc, utcnow
from crm.extensions import db
from crm.issues import followups
from crm.issues.errors import InvalidInput, WorkflowError
from crm.issues.followup_forms import CallForm, SampleForm
from crm.issues.followups import SOURCES, VERDICTS, FollowUp
from crm.issues.models import Issue
from crm.issues.views import bp

LIMIT = 200


def _month(value: str | None) -> tuple[date, date] | None:
    """``?month=2026-11`` as its first day and the first day of the next month."""
    try:
        first = date.fromisoformat(f"{value}-01")
    except (TypeError, ValueError):
        return None
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def filtered(args) -> tuple[list[FollowUp], dict]:
    """The done calls an overview figure links to: ``month`` (when the call was made),
    ``verified=1`` (reached, a rating verified), ``contradiction=1``."""
    stmt = (select(FollowUp).where(FollowUp.done_at.is_not(None))
            .options(joinedload(FollowUp.issue).joinedload(Issue.enterprise),
                     joinedload(FollowUp.issue).joinedload(Issue.lead_unit))
            .order_by(FollowUp.done_at.desc(), FollowUp.id.desc()))
    applied = {}
    month = _month(args.get("month"))
    if month:
        stmt = stmt.where(FollowUp.done_at >= local_midnight_utc(month[0]),
                          FollowUp.done_at < local_midnight_utc(month[1]))
        applied["month"] = args.get("month")
    if args.get("verified") == "1":
        stmt = stmt.where(FollowUp.is_reached.is_(True), FollowUp.rating.is_not(None))
        applied["verified"] = True
    if args.get("contradiction") == "1":
        stmt = stmt.where(FollowUp.is_contradiction.is_(True))
        applied["contradiction"] = True
    return list(db.session.scalars(stmt.limit(LIMIT)).unique()), applied


@bp.route("/follow-ups")
@role_required("coordinator")
def followups_queue():
    """Calls to make (oldest due first, red when overdue) and the calls made."""
    now = utcnow()
    done, applied = filtered(request.args)
    return render_template("issues/followups.html", waiting=followups.queue(now), done=done,
                           applied=applied, now=now, SOURCES=SOURCES, VERDICTS=VERDICTS)


@bp.route("/follow-ups/<int:followup_id>", methods=["GET", "POST"])
@role_required("coordinator")
def followup_call(followup_id: int):
    """Record one call; 不满意 sends the problem back to a unit (重办)."""
    fu = db.session.scalar(select(FollowUp).where(FollowUp.id == followup_id).options(
        joinedload(FollowUp.issue).joinedload(Issue.enterprise),
        joinedload(FollowUp.issue).joinedload(Issue.lead_unit)))
    if fu is None:
        abort(404)
    form = CallForm().setup(fu.issue.lead_unit_id)
    status = 200
    if fu.done_at is None and form.validate_on_submit():
        try:
            followups.record_call(fu, form.data_for_service(), current_user)
        except InvalidInput as exc:
            getattr(form, exc.field, form.reached).errors = [exc.message]
            status = 400
        except WorkflowError as exc:
            flash(str(exc), "error")
            status = 409
        else:
            flash(_("The call was recorded."), "success")
            return redirect(url_for("issues.followups_queue"))
    elif form.is_submitted():
        status = 400
    return render_template("issues/followup_call.html", fu=fu, form=form, SOURCES=SOURCES,
                           VERDICTS=VERDICTS), status


@bp.route("/admin/follow-ups", methods=["GET", "POST"])
@role_required("admin")
def followup_settings():
    """The share of ratings of 4 or 5 that are called back."""
    form = SampleForm()
    if not form.is_submitted():
        form.percent.data = followups.sample_percent()
    if form.validate_on_submit():
        followups.set_sample_percent(form.percent.data, current_user)
        flash(_("Saved."), "success")
        return redirect(url_for("issues.followup_settings"))
    return render_template("issues/admin/followups.html", form=form), (
        400 if form.is_submitted() else 200)
