"""政银企座谈会: the sessions, inviting enterprises from open needs by filters, outcomes
per enterprise × bank. The one-page list (PDF, packet kind ``matching``) is requested
from crm/meetings/financing.py, which sits above the packet pipeline."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.auth.permissions import role_required
from crm.core.timeutil import local_today
from crm.enterprises.queries import town_choices
from crm.extensions import db
from crm.financing import matching, queries
from crm.financing.forms import OutcomeForm, SessionForm
from crm.financing.models import MATCH_RESULTS, FinancingNeed, MatchSession
from crm.financing.services import FinancingError
from crm.financing.views import bp
from crm.financing.views.needs import LABELS


@bp.route("/sessions/")
@role_required("coordinator", "admin")
def sessions():
    """The matchmaking sessions."""
    return render_template("financing/sessions.html", items=matching.upcoming(local_today()),
                           today=local_today())


def _load(session_id: int) -> MatchSession:
    session = db.session.scalar(select(MatchSession).where(MatchSession.id == session_id)
                                .options(joinedload(MatchSession.banks)))
    if session is None:
        abort(404)
    return session


def _session_form(session=None):
    form = SessionForm(obj=session)
    banks = queries.banks(active_only=False)
    form.banks.choices = [(b.id, b.name) for b in banks]
    if request.method == "GET" and session is not None:
        form.banks.data = [b.id for b in session.banks]
    return form, banks


@bp.route("/sessions/new", methods=["GET", "POST"])
@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def session_form(session_id: int | None = None):
    """Create or change a session."""
    session = None
    if session_id is not None:
        session = _load(session_id)
    form, banks = _session_form(session)
    if form.validate_on_submit():
        chosen = [b for b in banks if b.id in set(form.banks.data)]
        session = matching.save_session(session, {
            "title": form.title.data, "held_on": form.held_on.data,
            "place": form.place.data or None, "note": form.note.data or None},
            chosen, current_user)
        flash(_("The session is saved."), "success")
        return redirect(url_for("financing.session", session_id=session.id))
    return render_template("financing/session_form.html", form=form, session=session)


def _candidate_filters() -> dict:
    args = request.args
    town = args.get("town", "")
    try:
        min_amount = Decimal(args.get("min_amount", "") or "0")
    except InvalidOperation:
        min_amount = Decimal(0)
    return {"town": int(town) if town.isdigit() and len(town) < 10 else None,
            "purpose": args.get("purpose") if args.get("purpose") in LABELS["purposes"] else None,
            "min_amount": min_amount if 0 < min_amount < 10_000_000 else None,
            "credit": bool(args.get("credit"))}


@bp.route("/sessions/<int:session_id>")
@role_required("coordinator", "admin")
def session(session_id: int):
    """A session: its banks, the invited enterprises with the outcome grid, and the open
    needs to invite (filtered)."""
    data = matching.sheet(session_id)
    if not data:
        abort(404)
    filters = _candidate_filters()
    invited = {n.id for n in data["needs"]}
    pool = [n for n in matching.candidates(filters) if n.id not in invited]
    return render_template("financing/session.html", **data, pool=pool, filters=filters,
                           towns=town_choices(), results=MATCH_RESULTS,
                           outcome_form=OutcomeForm(), **LABELS)


@bp.route("/sessions/<int:session_id>/invite", methods=["POST"])
@role_required("coordinator")
def session_invite(session_id: int):
    """Invite the ticked needs' enterprises."""
    session = db.get_or_404(MatchSession, session_id)
    ids = [int(v) for v in request.form.getlist("need") if v.isdigit() and len(v) < 10]
    needs = list(db.session.scalars(select(FinancingNeed).where(FinancingNeed.id.in_(ids))))
    added = matching.invite(session, needs, current_user) if needs else 0
    flash(_("%(n)d enterprises invited.", n=added), "success" if added else "info")
    return redirect(url_for("financing.session", session_id=session.id))


@bp.route("/sessions/<int:session_id>/outcome", methods=["POST"])
@role_required("coordinator")
def session_outcome(session_id: int):
    """Record one outcome (an invited need × a bank of the session)."""
    session = _load(session_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        try:
            matching.record_outcome(session, form.need_id.data, form.bank_id.data,
                                    form.result.data or None, form.amount.data,
                                    form.note.data, current_user)
        except FinancingError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("The outcome is recorded."), "success")
    else:
        flash(_("The outcome could not be recorded: check the values."), "danger")
    return redirect(url_for("financing.session", session_id=session.id))
