"""The visit list with filters and its .xlsx export, an enterprise's visits, and the
coverage page. Routes on the ``liaisons`` blueprint."""
from __future__ import annotations

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from crm.auth.models import Unit, User
from crm.auth.permissions import role_required
from crm.core.downloads import XLSX_MIME, send_download
from crm.core.timeutil import local_today
from crm.enterprises import permissions as enterprise_permissions
from crm.enterprises.models import Enterprise
from crm.extensions import MAX_PAGE, db
from crm.liaisons import catalogue, permissions, queries
from crm.liaisons import rollups  # noqa: F401  (keeps the coverage rollups in step with writes)
from crm.liaisons.coverage import coverage, parse_period, stale_enterprises, weekly_coverage
from crm.liaisons.export import EXPORT_LIMIT, visits_workbook
from crm.liaisons.forms import VisitFilterForm
from crm.liaisons.models import FACTORS, VISIT_MODES
from crm.liaisons.views import bp

LIST_ROLES = ("coordinator", "admin", "leader", "commissioner")


def _filters() -> tuple[VisitFilterForm, dict]:
    """The list filters from the query string; unreadable values are shown and ignored."""
    form = VisitFilterForm(formdata=request.args)
    units = db.session.execute(select(Unit.id, Unit.name).order_by(Unit.kind, Unit.name)).all()
    form.unit.choices = [("", _("Any"))] + [(u.id, u.name) for u in units]
    unit_id = form.unit.data if form.unit.data in {u.id for u in units} else None
    form.unit.data = unit_id
    people = []
    if unit_id or form.author.data:
        people = db.session.execute(
            select(User.id, User.display_name).where(
                (User.unit_id == unit_id) if unit_id else (User.id == form.author.data))
            .order_by(User.display_name)).all()
    form.author.choices = [("", _("Anyone"))] + [(p.id, p.display_name) for p in people]
    if form.author.data not in {p.id for p in people}:
        form.author.data = None
    form.validate()
    return form, form.values()


@bp.route("/")
@role_required(*LIST_ROLES)
def index():
    """Visits the user may see, filtered, newest first, 30 a page."""
    form, filters = _filters()
    pagination, rows = queries.visit_page(current_user, filters,
                                          min(max(request.args.get("page", 1, type=int), 1),
                                              MAX_PAGE))
    enterprise = (db.session.get(Enterprise, filters["enterprise"])
                  if "enterprise" in filters else None)
    return render_template("liaisons/list.html", form=form, pagination=pagination, rows=rows,
                           modes=VISIT_MODES, factors=FACTORS, enterprise=enterprise,
                           export_args={k: v for k, v in request.args.items() if k != "page"})


@bp.route("/export.xlsx")
@role_required(*LIST_ROLES)
def export():
    """The filtered list as an .xlsx workbook (at most ``EXPORT_LIMIT`` rows)."""
    _form, filters = _filters()
    visits, numbers, photos = queries.export_rows(current_user, filters, EXPORT_LIMIT)
    data = visits_workbook(visits[:EXPORT_LIMIT], numbers, photos,
                           truncated=len(visits) > EXPORT_LIMIT)
    name = _("visits-%(day)s.xlsx", day=local_today().isoformat())
    return send_download(data.getvalue(), name, XLSX_MIME)


@bp.route("/enterprise/<int:enterprise_id>")
@login_required
def enterprise_visits(enterprise_id: int):
    """One enterprise's visits and the policies that fit it (linked from its page)."""
    enterprise = db.get_or_404(Enterprise, enterprise_id)
    if not enterprise_permissions.can_view(current_user, enterprise):
        abort(404)
    history, total = queries.visit_history(enterprise, current_user, limit=50)
    return render_template(
        "liaisons/enterprise.html", enterprise=enterprise, visit_history=history,
        visit_total=total, can_log=permissions.can_log(current_user, enterprise),
        policy_rows=catalogue.enterprise_policies(enterprise),
        delivered_total=catalogue.delivered_to_enterprise(enterprise))


@bp.route("/coverage")
@role_required("coordinator", "admin", "leader")
def coverage_page():
    """Coverage for a week, month or quarter: overall and by unit, commissioner and
    leader for coordinators; a leader sees their own portfolio. Enterprises not visited
    for two weeks are listed."""
    today = local_today()
    period = parse_period(request.args.get("period"), request.args.get("date"), today)
    if period.start > today:
        flash(_("That period has not begun; showing the current one."), "info")
        period = parse_period(period.kind, None, today)
    if not current_user.sees_all:
        return render_template(
            "liaisons/coverage_leader.html", period=period,
            total=coverage(period, leader=current_user, as_of=today),
            trend=weekly_coverage(period, leader=current_user, as_of=today),
            stale=stale_enterprises(leader=current_user, today=today))
    expand = request.args.get("all")
    return render_template("liaisons/coverage.html", period=period, expand=expand,
                           **queries.coverage_overview(period, today, expand))
