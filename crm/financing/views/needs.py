"""The coordinator's side of 政银企: needs, raising one, pushing it to banks, closing it,
and the 推荐清单 of a bank as .xlsx."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.auth.isolation import isolated_page
from crm.auth.models import Unit
from crm.auth.permissions import role_required
from crm.core.downloads import XLSX_MIME, send_download
from crm.core.timeutil import local_today, utcnow
from crm.enterprises.models import Enterprise
from crm.enterprises.queries import town_choices as town_units
from crm.extensions import db
from crm.financing import export, permissions, queries, services
from crm.financing.deadlines import countdowns
from crm.financing.figures import STAGE_LABELS
from crm.financing.forms import CloseForm, NeedForm, PushForm
from crm.financing.models import (
    CLOSE_REASONS,
    DECLINE_REASONS,
    NEED_STATES,
    OFFERS,
    PURPOSES,
    RESPONSE_STATES,
    URGENCIES,
    BankResponse,
    FinancingEvent,
    FinancingNeed,
)
from crm.financing.views import bp

LABELS = {"purposes": PURPOSES, "offers": OFFERS, "urgencies": URGENCIES,
          "need_states": NEED_STATES, "response_states": RESPONSE_STATES,
          "close_reasons": CLOSE_REASONS, "decline_reasons": DECLINE_REASONS,
          "stage_labels": STAGE_LABELS}
FILTER_KEYS = ("state", "town", "bank", "credit", "light", "stage", "date_from", "date_to",
               "q", "enterprise")


def _filters() -> dict:
    """The list's filters from the query string; anything unreadable is left out."""
    out = {}
    for key in FILTER_KEYS:
        value = (request.args.get(key) or "").strip()[:100]
        if key in ("town", "bank", "enterprise"):
            value = int(value) if value.isdigit() and len(value) < 10 else None
        elif key in ("date_from", "date_to"):
            try:
                value = date.fromisoformat(value) if value else None
            except ValueError:
                value = None
            if value is not None and not 2000 <= value.year <= 2100:
                value = None
        out[key] = value or None
    return out


@bp.route("/")
@role_required("coordinator", "admin")
def index():
    """Every financing need, filtered; each row with its banks' answers and lights."""
    filters, now = _filters(), utcnow()
    if filters["state"] is None and "state" not in request.args:
        filters = {**filters, "state": "open"}   # open needs unless asked otherwise
    pagination = db.paginate(queries.needs_query(current_user, filters, now),
                             error_out=False, per_page=30, max_per_page=100)
    return render_template("financing/index.html", pagination=pagination,
                           items=list(pagination.items), filters=filters, now=now,
                           banks=queries.banks(False), towns=town_units(), **LABELS)


def _enterprise_arg():
    value = request.args.get("enterprise_id", "")
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        abort(404)
    return db.get_or_404(Enterprise, int(value))


@bp.route("/new", methods=["GET", "POST"])
@role_required("coordinator", "commissioner", "leader")
def new():
    """Register a need: from the enterprise page or a visit (the enterprise given), or
    by a coordinator naming the enterprise by its credit code."""
    enterprise = _enterprise_arg()
    if enterprise is None and not current_user.has_role("coordinator"):
        abort(403)
    if enterprise is not None and not permissions.can_raise_for(current_user, enterprise):
        abort(403)
    visit_id = request.args.get("visit_id", "")
    visit_id = int(visit_id) if visit_id.isdigit() and len(visit_id) < 10 else None
    form = NeedForm(enterprise=enterprise)
    if request.method == "GET":
        form.amount.data = _decimal_arg("amount")
        form.note.data = (request.args.get("note") or "").strip()[:2000] or None
    if form.validate_on_submit():
        if not permissions.can_raise_for(current_user, form.enterprise):
            abort(403)
        source = "visit" if visit_id else ("enterprise_page" if enterprise else "coordinator")
        need = services.raise_need(form.enterprise, form.to_data(), current_user,
                                   source=source,
                                   visit_id=_visit_ref(visit_id, form.enterprise))
        flash(_("The financing need is registered."), "success")
        if current_user.has_role("coordinator"):
            return redirect(url_for("financing.detail", need_id=need.id))
        return redirect(url_for("enterprises.detail", enterprise_id=form.enterprise.id))
    return render_template("financing/form.html", form=form, enterprise=enterprise, need=None)


def _decimal_arg(name):
    try:
        value = Decimal(request.args.get(name, ""))
    except InvalidOperation:
        return None
    return value if 0 < value < 10_000_000 else None


def _visit_ref(visit_id, enterprise):
    """The id of the visit the need came from, when it is one of this enterprise's.
    Visits live in a package above this one: the table is read by name, not imported."""
    if not visit_id:
        return None
    visits = db.metadata.tables["visits"]
    return db.session.scalar(select(visits.c.id).where(
        visits.c.id == visit_id, visits.c.enterprise_id == enterprise.id))


def _need_or_404(need_id: int) -> FinancingNeed:
    need = db.session.scalar(select(FinancingNeed).where(FinancingNeed.id == need_id).options(
        joinedload(FinancingNeed.enterprise), joinedload(FinancingNeed.raised_by)))
    if need is None or not permissions.can_view(current_user, need):
        abort(404)
    return need


@bp.route("/<int:need_id>")
@role_required(*permissions.READERS)
def detail(need_id: int):
    """A need: the facts, the 银税互动 flag, each bank's answer with its light, the timeline."""
    need, now = _need_or_404(need_id), utcnow()
    responses = list(db.session.scalars(
        select(BankResponse).where(BankResponse.need_id == need.id)
        .options(joinedload(BankResponse.bank)).order_by(BankResponse.id)))
    events = list(db.session.scalars(
        select(FinancingEvent).where(FinancingEvent.need_id == need.id)
        .options(joinedload(FinancingEvent.actor)).order_by(FinancingEvent.at,
                                                           FinancingEvent.id)))
    return render_template("financing/detail.html", need=need, responses=responses,
                           events=events, now=now, close_form=CloseForm(),
                           countdowns=countdowns(responses, now),
                           disbursed=sum((r.disbursed_amount or 0) for r in responses
                                         if r.state == "disbursed"), **LABELS)


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def edit(need_id: int):
    """Correct an open need."""
    need = _need_or_404(need_id)
    form = NeedForm(obj=need, enterprise=need.enterprise)
    if request.method == "GET":
        form.load(need)
    if form.validate_on_submit():
        try:
            services.update_need(need, form.to_data(), current_user)
        except services.FinancingError as exc:
            form.has_consent.errors = [str(exc)]
        else:
            flash(_("The financing need is saved."), "success")
            return redirect(url_for("financing.detail", need_id=need.id))
    return render_template("financing/form.html", form=form, enterprise=need.enterprise,
                           need=need)


@bp.route("/<int:need_id>/push", methods=["GET", "POST"])
@role_required("coordinator")
def push(need_id: int):
    """The push screen: choose the banks (推荐清单); says when the need qualifies for a
    credit loan (银税互动) and refuses without the enterprise's consent."""
    need = _need_or_404(need_id)
    pushed = set(db.session.scalars(select(BankResponse.bank_id)
                                    .where(BankResponse.need_id == need.id)))
    choices = [b for b in queries.banks() if b.id not in pushed]
    form = PushForm()
    form.banks.choices = [(b.id, b.name) for b in choices]
    if form.validate_on_submit():
        chosen = [b for b in choices if b.id in set(form.banks.data)]
        try:
            added = services.push_need(need, chosen, current_user)
        except services.FinancingError as exc:
            form.banks.errors = [str(exc)]
        else:
            flash(_("Pushed to %(n)d bank(s).", n=len(added)), "success")
            return redirect(url_for("financing.detail", need_id=need.id))
    return render_template("financing/push.html", need=need, form=form, pushed=pushed,
                           all_banks=queries.banks(False), **LABELS)


@bp.route("/<int:need_id>/close", methods=["POST"])
@role_required("coordinator")
def close(need_id: int):
    """Close a need with a reason."""
    need = _need_or_404(need_id)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            services.close_need(need, form.reason.data, form.note.data or None, current_user)
        except services.FinancingError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("The financing need is closed."), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "danger")
    return redirect(url_for("financing.detail", need_id=need.id))


@bp.route("/banks/<int:bank_id>/list.xlsx")
@isolated_page
@role_required("coordinator", "admin", "bank")
def export_list(bank_id: int):
    """The 推荐清单 of one bank as .xlsx (a bank's manager: his own bank's only)."""
    bank = db.get_or_404(Unit, bank_id)
    if bank.kind != "bank":
        abort(404)
    if not current_user.sees_all and current_user.unit_id != bank.id:
        abort(403)
    data = export.recommendation_list(bank, current_user, local_today())
    return send_download(data, f"推荐清单-{bank.name}-{local_today().isoformat()}.xlsx",
                         XLSX_MIME)

