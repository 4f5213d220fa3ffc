"""停减产帮扶: the coordinator's list by town, the support card's form, production resumed."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.auth.permissions import role_required
from crm.core.timeutil import local_today
from crm.enterprises.models import STATUSES, Enterprise
from crm.enterprises.queries import town_choices
from crm.extensions import db
from crm.financing import permissions, support
from crm.financing.forms import ResumeForm, SupportForm
from crm.financing.models import SUPPORT_REASONS
from crm.financing.services import FinancingError
from crm.financing.views import bp


@bp.route("/support/")
@role_required("coordinator", "admin")
def support_list():
    """Enterprises halted or reduced now, by town, with the days stopped."""
    town = request.args.get("town", "")
    town = int(town) if town.isdigit() and len(town) < 10 else None
    today = local_today()
    counts = support.stopped_counts(town)
    # A province has thousands stopped: beyond ``LIST_ALL`` the towns' counts come
    # first, each a link to that town's enterprises.
    listed = town is not None or sum(c.total for c in counts) <= support.LIST_ALL
    return render_template("financing/support_list.html", today=today, town=town,
                           towns=town_choices(), counts=counts,
                           groups=support.stopped_by_town(today, town) if listed else None,
                           reasons=SUPPORT_REASONS, statuses=STATUSES)


@bp.route("/support/<int:enterprise_id>", methods=["GET", "POST"])
@role_required("coordinator", "commissioner", "leader")
def support_card(enterprise_id: int):
    """Record since when and why an enterprise halted or reduced production."""
    ent = db.get_or_404(Enterprise, enterprise_id)
    if not permissions.can_raise_for(current_user, ent):
        abort(403)
    case = support.open_case(ent.id)
    form = SupportForm(obj=case)
    if form.validate_on_submit():
        try:
            support.record_case(ent, form.to_data(), current_user)
        except FinancingError as exc:
            form.reason.errors = [str(exc)]
        else:
            flash(_("The support card is saved."), "success")
            return redirect(url_for("enterprises.detail", enterprise_id=ent.id))
    return render_template("financing/support_form.html", form=form, enterprise=ent,
                           case=case, statuses=STATUSES)


@bp.route("/support/<int:enterprise_id>/resume", methods=["POST"])
@role_required("coordinator")
def support_resume(enterprise_id: int):
    """Production resumed: close the card, the registry status back to normal."""
    ent = db.get_or_404(Enterprise, enterprise_id)
    form = ResumeForm()
    if form.validate_on_submit():
        try:
            support.resume(ent, form.resumed_on.data, current_user)
        except FinancingError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Production resumed: the support card is closed."), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "danger")
    return redirect(url_for("enterprises.detail", enterprise_id=ent.id))
