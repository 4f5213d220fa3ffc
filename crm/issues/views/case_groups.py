"""Case groups (类案): the coordinator's list, a new group, a group's page with its
members, progress and answer (crm.issues.case_groups)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.auth.permissions import role_required
from crm.core.timeutil import utcnow
from crm.issues import case_groups
from crm.issues.case_groups import STATES
from crm.issues.errors import InvalidInput
from crm.issues.followup_forms import CaseGroupForm, CaseMembersForm, CaseUpdateForm
from crm.issues.views import bp


@bp.route("/case-groups", methods=["GET", "POST"], endpoint="case_groups")
@role_required("coordinator")
def case_groups_page():
    """Every case group, and the form for a new one (``?new=1``, or after a submit
    with errors): the form offers every unit as lead — 3,000 in a province — so the
    list alone does not build it."""
    writing = request.method == "POST" or request.args.get("new") == "1"
    form = CaseGroupForm().setup() if writing else None
    status = 200
    if form is None:
        return render_template("issues/case_groups.html", groups=case_groups.groups_with_counts(),
                               form=None, STATES=STATES)
    if form.validate_on_submit():
        try:
            group = case_groups.create_group({
                "title": form.title.data, "cause": form.cause.data,
                "lead_unit_id": form.lead_unit_id.data, "numbers": form.number_list()},
                current_user)
        except InvalidInput as exc:
            getattr(form, exc.field).errors = [exc.message]
            status = 400
        else:
            flash(_("The case group was created."), "success")
            return redirect(url_for("issues.case_group", group_id=group.id))
    elif form.is_submitted():
        status = 400
    return render_template("issues/case_groups.html", groups=case_groups.groups_with_counts(),
                           form=form, STATES=STATES), status


def _page(group, update_form=None, members_form=None, status=200):
    return render_template("issues/case_group.html", group=group,
                           update_form=update_form or CaseUpdateForm(formdata=None),
                           members_form=members_form or CaseMembersForm(formdata=None),
                           STATES=STATES), status


def _group_or_404(group_id: int):
    group = case_groups.load(group_id)
    if group is None:
        abort(404)
    return group


@bp.route("/case-groups/<int:group_id>")
@role_required("coordinator")
def case_group(group_id: int):
    """A group: cause, lead unit, answer, member problems, progress notes."""
    return _page(_group_or_404(group_id))


@bp.route("/case-groups/<int:group_id>/update", methods=["POST"])
@role_required("coordinator")
def case_group_update(group_id: int):
    """A progress note or the answer, written on every member problem."""
    group = _group_or_404(group_id)
    form = CaseUpdateForm()
    if form.validate_on_submit():
        try:
            case_groups.post_update(group, form.text.data, current_user,
                                    answer=form.kind.data == "answer")
        except InvalidInput as exc:
            form.text.errors = [exc.message]
        else:
            flash(_("Written on every problem of the group."), "success")
            return redirect(url_for("issues.case_group", group_id=group.id))
    return _page(group, update_form=form, status=400)


@bp.route("/case-groups/<int:group_id>/members", methods=["POST"])
@role_required("coordinator")
def case_group_members(group_id: int):
    """More problems for the group."""
    group = _group_or_404(group_id)
    form = CaseMembersForm()
    if form.validate_on_submit():
        try:
            added = case_groups.add_members(
                group, case_groups.issues_by_numbers(form.number_list()), current_user,
                utcnow())
        except InvalidInput as exc:
            form.numbers.errors = [exc.message]
        else:
            flash(_("%(n)d problems added.", n=added), "success")
            return redirect(url_for("issues.case_group", group_id=group.id))
    return _page(group, members_form=form, status=400)
