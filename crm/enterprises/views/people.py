"""包联 people: assigning and ending roles (one enterprise or many), away periods."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from crm.auth.models import User
from crm.core import transactions
from crm.enterprises import assignments, queries
from crm.enterprises.forms import ActionForm, AssignForm, AwayForm, BulkAssignForm
from crm.enterprises.models import ASSIGNMENT_ROLES, Assignment, Enterprise, LeaderAbsence
from crm.enterprises.queries import person_label
from crm.enterprises.views import bp, load_visible, require_editor
from crm.extensions import db


LOOKUP_ROLES = ("leader", "commissioner")


@bp.route("/people.json")
@login_required
def people_lookup():
    """Search-as-you-type for the person fields: ``?role=leader,commissioner&q=张``
    answers at most 20 active people whose name or unit contains ``q``."""
    roles = [r for r in (request.args.get("role") or "").split(",") if r in LOOKUP_ROLES]
    query = (request.args.get("q") or "").strip()[:50]
    if not roles or not query:
        return jsonify(people=[])
    with_role = len(roles) > 1
    rows = queries.people_matching(roles, name=query)
    return jsonify(people=[{"id": r.id, "label": person_label(
        r.display_name, r.unit_name, r.role if with_role else None)} for r in rows])


def _back(enterprise_id: int):
    return redirect(url_for("enterprises.detail", enterprise_id=enterprise_id) + "#people")


@bp.route("/<int:enterprise_id>/assign/<role>", methods=["POST"])
@login_required
def assign(enterprise_id: int, role: str):
    """Make someone leader A, leader B or a commissioner of the enterprise."""
    ent = load_visible(enterprise_id)
    require_editor(ent)
    if role not in assignments.REQUIRED_ROLE:
        abort(404)
    form = AssignForm(prefix=role, role=role)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "danger")
        return _back(ent.id)
    try:
        assignments.assign(ent, db.session.get(User, form.user_id.data), role, current_user,
                           on=form.start_date.data)
    except assignments.AssignmentError as exc:
        transactions.discard()
        flash(str(exc), "danger")
        return _back(ent.id)
    flash(_("%(role)s of %(name)s saved.", role=ASSIGNMENT_ROLES[role], name=ent.name),
          "success")
    return _back(ent.id)


@bp.route("/assignments/<int:assignment_id>/end", methods=["POST"])
@login_required
def end_assignment(assignment_id: int):
    """End an active assignment today; it stays in the history."""
    row = db.get_or_404(Assignment, assignment_id)
    ent = load_visible(row.enterprise_id)
    require_editor(ent)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        assignments.end_assignment(row, current_user)
    except assignments.AssignmentError as exc:
        transactions.discard()
        flash(str(exc), "danger")
        return _back(ent.id)
    flash(_("The assignment has ended and is kept in the history."), "success")
    return _back(ent.id)


@bp.route("/bulk-assign", methods=["POST"])
@login_required
def bulk_assign():
    """Give one role on every enterprise selected in the list to one person."""
    require_editor()
    form = BulkAssignForm()
    back = request.form.get("next") or ""
    back = back if back.startswith("/") and not back.startswith("//") else url_for(
        "enterprises.index")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "danger")
        return redirect(back)
    ents = list(db.session.scalars(select(Enterprise).where(
        Enterprise.id.in_(set(form.ids.data))).order_by(Enterprise.id)))
    user = db.session.get(User, form.user_id.data)
    try:
        if user is None or not ents:
            raise assignments.AssignmentError(_("Select enterprises in the list first."))
        result = assignments.bulk_assign(ents, user, form.role.data, current_user,
                                         on=form.start_date.data)
    except assignments.AssignmentError as exc:
        transactions.discard()
        flash(_("Nothing was changed: %(error)s", error=str(exc)), "danger")
        return redirect(back)
    flash(_("%(name)s is now %(role)s of %(n)d enterprises (%(same)d already were).",
            name=user.display_name, role=ASSIGNMENT_ROLES[form.role.data],
            n=result.changed + result.unchanged, same=result.unchanged), "success")
    return redirect(back)


# -- away periods -------------------------------------------------------------------

def _away_owner(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if not user.has_role("leader"):
        abort(404)
    if current_user.id != user.id and not current_user.sees_all:
        abort(403)
    return user


@bp.route("/leaders/<int:user_id>/away", methods=["GET", "POST"])
@login_required
def away(user_id: int):
    """A leader's away periods: while away, leader B acts for their enterprises."""
    leader = _away_owner(user_id)
    form = AwayForm()
    if form.validate_on_submit():
        try:
            assignments.mark_away(leader, form.start_date.data, form.end_date.data,
                                  current_user, note=form.note.data)
        except assignments.AssignmentError as exc:  # refused before writing; status 400
            form.end_date.errors.append(str(exc))
        else:
            flash(_("Away period saved: leader B acts for you during it."), "success")
            return redirect(url_for("enterprises.away", user_id=leader.id))
    return render_template("enterprises/away.html", leader=leader, form=form,
                           periods=assignments.absences_of(leader),
                           action_form=ActionForm()), 400 if form.errors else 200


@bp.route("/away/<int:absence_id>/cancel", methods=["POST"])
@login_required
def away_cancel(absence_id: int):
    """Cancel an away period."""
    absence = db.get_or_404(LeaderAbsence, absence_id)
    leader = _away_owner(absence.user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    assignments.cancel_away(absence, current_user)
    flash(_("Away period cancelled."), "success")
    return redirect(url_for("enterprises.away", user_id=leader.id))
