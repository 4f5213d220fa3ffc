"""The coordinator's side of the visit planner (无事不扰): enterprises visited by several
cadres in one week, and the per-enterprise visit cap that the commissioners' week shows."""
from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.auth.permissions import role_required
from crm.core.timeutil import local_today, week_start
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.liaisons import queries, services
from crm.liaisons.forms import VisitCapForm
from crm.liaisons.models import VisitCap
from crm.liaisons.views import bp
from crm.liaisons.views.visits import _week_arg


CAPS_PAGE = 50  # visit caps listed at a time


@bp.route("/shared")
@role_required("coordinator")
def shared_visits():
    """Enterprises that several cadres visited in the week, with the caps in force."""
    today = local_today()
    monday = _week_arg(request.args.get("week"), today)
    # The caps in force, a page at a time after the last one shown (keyset: a province
    # sets thousands).
    after = request.args.get("caps_after", type=int) or 0
    if not 0 <= after < 2**31:
        after = 0
    caps = list(db.session.scalars(select(VisitCap).options(
        joinedload(VisitCap.enterprise)).where(VisitCap.enterprise_id > after)
        .order_by(VisitCap.enterprise_id).limit(CAPS_PAGE + 1)))
    more = caps[CAPS_PAGE - 1].enterprise_id if len(caps) > CAPS_PAGE else None
    return render_template(
        "liaisons/shared.html", rows=queries.shared_visits(monday), monday=monday,
        sunday=monday + timedelta(days=6), prev_week=monday - timedelta(weeks=1),
        next_week=monday + timedelta(weeks=1), this_monday=week_start(today),
        caps=caps[:CAPS_PAGE], caps_more=more,
        cap_form=VisitCapForm(formdata=None))


@bp.route("/caps/<int:enterprise_id>", methods=["POST"])
@role_required("coordinator")
def set_cap(enterprise_id: int):
    """Set or remove an enterprise's visit cap (back to the page it was set from)."""
    enterprise = db.get_or_404(Enterprise, enterprise_id)
    form = VisitCapForm()
    back = url_for("liaisons.shared_visits", week=request.form.get("week") or None)
    if not form.validate():
        for errors in form.errors.values():
            for e in errors:
                flash(str(e), "danger")
        return redirect(back)
    cap = services.set_visit_cap(enterprise, form.per_week.data, form.unless_problem.data,
                                 current_user)
    if cap is None:
        flash(_("%(name)s has no visit cap now.", name=enterprise.name), "success")
    else:
        flash(_("%(name)s: at most %(n)d visit(s) a week.", name=enterprise.name,
                n=cap.per_week), "success")
    return redirect(back)
