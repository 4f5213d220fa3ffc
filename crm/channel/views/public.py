"""The enterprise's own pages, opened with its code on its own phone (no account).

Everything shown is selected by the enterprise the code belongs to; no page takes a
record id from the request (the rating page takes a problem's number, looked up among
the code's own enterprise's problems only). A code that was rotated answers 410 with a polite page.
Limits: per code and per address (Flask-Limiter), request size (MAX_CONTENT_LENGTH),
field lengths and at most three re-encoded photos.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.channel import services
from crm.channel.forms import RaiseForm
from crm.channel.views import bp
from crm.enterprises.models import ASSIGNMENT_ROLES
from crm.extensions import db, limiter
from crm.issues.actions import rating_label
from crm.issues.errors import InvalidInput, WorkflowError
from crm.issues.forms import PublicRateForm
from crm.issues.models import Issue


def code_key() -> str:
    """The rate-limit key of the code in the URL (one bucket per enterprise code)."""
    return "channel-code:" + str((request.view_args or {}).get("code", ""))[:services.CODE_MAX]


def _refused(status: str):
    code = 410 if status == "retired" else 404
    return render_template("channel/gone.html", status=status), code


@bp.route("/c/<code>")
@limiter.limit("300 per hour", key_func=code_key)
@limiter.limit("60 per minute; 600 per day")
def page(code: str):
    """The enterprise's own page: its problems with their progress, its contacts in
    government, the policies that fit it, and the button to raise a problem."""
    ent, status = services.find(code)
    if ent is None:
        return _refused(status)
    return render_template("channel/page.html", p=services.own_page(ent), code=code,
                           steps=services.STEPS, step_labels=services.STEP_LABELS,
                           role_labels=ASSIGNMENT_ROLES)


@bp.route("/c/<code>/raise", methods=["GET", "POST"])
@limiter.limit("10 per hour; 30 per day", key_func=code_key, methods=["POST"])
@limiter.limit("10 per hour; 30 per day", methods=["POST"])
@limiter.limit("60 per minute")
def raise_problem(code: str):
    """The form to raise a problem: it enters the coordinator's triage."""
    ent, status = services.find(code)
    if ent is None:
        return _refused(status)
    form = RaiseForm().setup(services.categories())
    if form.validate_on_submit():
        issue = services.raise_problem(ent, form.data_for_service(), form.clean_photos)
        flash(_("Thank you. Your problem %(number)s was received; you can follow it on this "
                "page.", number=issue.number), "success")
        return redirect(url_for("channel.page", code=code))
    status_code = 400 if form.is_submitted() else 200
    return render_template("channel/raise.html", form=form, ent=ent, code=code), status_code


def _not_ratable(code: str, status: str):
    return render_template("channel/rate_closed.html", status=status, code=code), (
        404 if status == "unknown" else 410)


@bp.route("/c/<code>/rate/<number>", methods=["GET", "POST"])
@limiter.limit("10 per hour; 30 per day", key_func=code_key, methods=["POST"])
@limiter.limit("10 per hour; 30 per day", methods=["POST"])
@limiter.limit("60 per minute")
def rate(code: str, number: str):
    """The enterprise rates one of its resolved problems (1–5, a reason for 1–2), once
    per problem: the same form and rules as the one-time rating link."""
    ent, status = services.find(code)
    if ent is None:
        return _refused(status)
    issue, state = services.problem_to_rate(ent, number)
    if state != "ok":
        return _not_ratable(code, state)
    issue = db.session.scalar(select(Issue).where(Issue.id == issue.id).options(
        joinedload(Issue.enterprise), joinedload(Issue.lead_unit)))
    form = PublicRateForm()
    back = url_for("channel.page", code=code)
    if form.validate_on_submit():
        try:
            services.rate_problem(ent, issue, {"rating": form.rating.data,
                                               "text": form.comment(),
                                               "contact": form.contact.data})
        except InvalidInput as exc:  # status 400: nothing of it is kept
            form.rating.errors = [exc.message]
            return render_template("issues/rate_public.html", issue=issue, form=form,
                                   back=back), 400
        except WorkflowError:  # rated meanwhile (another tab, the one-time link)
            return _not_ratable(code, "rated")
        flash(_("Thank you for your rating: %(label)s.",
                label=rating_label(int(form.rating.data))), "success")
        return redirect(back)
    status_code = 400 if form.is_submitted() else 200
    return render_template("issues/rate_public.html", issue=issue, form=form,
                           back=back), status_code
