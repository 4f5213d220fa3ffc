"""The enterprise's own rating: a public page behind a one-time link (no sign-in)."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.extensions import db, limiter
from crm.issues import services
from crm.issues.actions import rating_label
from crm.issues.errors import InvalidInput, WorkflowError
from crm.issues.forms import PublicRateForm
from crm.issues.models import Issue
from crm.issues.views import rating_bp


def _invalid(status: str):
    code = 404 if status == "unknown" else 410
    return render_template("issues/rate_invalid.html", status=status), code


@rating_bp.route("/r/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute; 120 per hour")
def rate(token: str):
    """Show the problem and its resolution, take a 1–5 rating with a comment; 1–2 need
    a reason (tapped or written) that the unit then reads."""
    row, status = services.find_rating_token(token)
    if status != "ok":
        return _invalid(status)
    issue = db.session.scalar(select(Issue).where(Issue.id == row.issue_id).options(
        joinedload(Issue.enterprise), joinedload(Issue.lead_unit)))
    form = PublicRateForm()
    if form.validate_on_submit():
        try:
            services.rate_by_token(token, {"rating": form.rating.data, "text": form.comment(),
                                           "contact": form.contact.data})
        except InvalidInput as exc:  # status 400: nothing of it is kept
            form.rating.errors = [exc.message]
            return render_template("issues/rate_public.html", issue=issue, form=form), 400
        except WorkflowError:
            return _invalid("used")  # an error status: nothing of it is kept
        return render_template("issues/rate_done.html", issue=issue,
                               label=rating_label(int(form.rating.data)))
    return render_template("issues/rate_public.html", issue=issue, form=form)
