"""The bank's side: its queue of needs pushed to it (with the enterprise's consent) and
its answer to each. The only pages of the product a bank's account manager reaches."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from crm.auth.isolation import isolated_page
from crm.auth.models import Unit
from crm.auth.permissions import role_required
from crm.core.timeutil import utcnow
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.financing import permissions, queries, services
from crm.financing.deadlines import countdown, countdowns
from crm.financing.forms import AnswerForm
from crm.financing.models import BankResponse, FinancingEvent, FinancingNeed
from crm.financing.views import bp
from crm.financing.views.needs import LABELS

QUEUE_STATES = ("open", "disbursed", "declined", "withdrawn", "all")


@bp.route("/bank/")
@isolated_page
@role_required("bank")
def queue():
    """The bank's 推荐清单: what it owes first, by deadline, with lights."""
    state = request.args.get("state", "open")
    if state not in QUEUE_STATES:
        state = "open"
    now = utcnow()
    pagination = db.paginate(queries.bank_queue(current_user, now, state), error_out=False,
                             per_page=30, max_per_page=100)
    rows = list(pagination.items)
    bank = db.session.get(Unit, current_user.unit_id) if current_user.unit_id else None
    return render_template("financing/bank_queue.html", pagination=pagination, rows=rows,
                           state=state, states=QUEUE_STATES, now=now, bank=bank,
                           countdowns=countdowns(rows, now),
                           **LABELS)


def _response_or_404(response_id: int):
    row = db.session.execute(
        select(BankResponse, FinancingNeed, Enterprise)
        .join(FinancingNeed, FinancingNeed.id == BankResponse.need_id)
        .join(Enterprise, Enterprise.id == FinancingNeed.enterprise_id)
        .where(BankResponse.id == response_id,
               permissions.response_visibility(current_user))).first()
    if row is None:
        abort(404)
    return row


@bp.route("/bank/<int:response_id>", methods=["GET", "POST"])
@isolated_page
@role_required("bank")
def response(response_id: int):
    """One need pushed to the bank: the facts it may see and the next step to record."""
    resp, need, enterprise = _response_or_404(response_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            services.answer(resp, form.action.data, current_user, form.to_data())
        except services.FinancingError as exc:
            form.action.errors = [str(exc)]
        else:
            flash(_("Your answer is recorded."), "success")
            return redirect(url_for("financing.response", response_id=resp.id))
    now = utcnow()
    events = list(db.session.scalars(
        select(FinancingEvent).where(FinancingEvent.response_id == resp.id)
        .order_by(FinancingEvent.at, FinancingEvent.id)))
    return render_template("financing/bank_response.html", resp=resp, need=need,
                           enterprise=enterprise, form=form, now=now, events=events,
                           countdown=countdown(resp, now),
                           actions=services.actions_for(resp, need), **LABELS)
