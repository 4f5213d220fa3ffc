"""The pages that compose everything about enterprises: the list with its problem and
visit facts and its export, the enterprise page, and the leader's home (我包联的企业).

They keep their places on the ``enterprises`` blueprint (``enterprises.index``,
``enterprises.detail``…: URLs and endpoint names are the registry's), but are
registered from here, above the packages they compose; ``create_app`` imports this
module before it registers the blueprint.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.auth.permissions import role_required
from crm.core.downloads import XLSX_MIME, send_download
from crm.core.timeutil import local_today, utcnow
from crm.dossier import pages, queries
from crm.dossier import support  # noqa: F401  (the page's 政银企 card, a template global)
from crm.enterprises import exporter, history
from crm.enterprises import queries as registry
from crm.enterprises.assignments import absences_of, is_away
from crm.enterprises.forms import ActionForm, AssignForm, BulkAssignForm
from crm.enterprises.links import absolute_url, qr_svg, visit_form_path
from crm.enterprises.models import CLUSTERS
from crm.enterprises.views import bp, load_visible, registry_labels
from crm.extensions import db
from crm.issues.models import STATES
from crm.liaisons.coverage import stale_enterprises
from crm.liaisons.models import POLICY_CATEGORIES, VISIT_MODES

PER_PAGE = 25


@bp.route("/")
@login_required
def index():
    """The enterprises the user may see: search, filters, sort, pages, counts."""
    flt = registry.ListFilters.from_args(request.args)
    now, today = utcnow(), local_today()
    stmt = queries.filtered(current_user, flt, now, today)
    counts = queries.list_counts(current_user, stmt, now, today,
                                 whole=current_user.sees_all and not flt.active)
    # The pager's total is the counts' total (no second pass over the filtered set).
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False, count=False)
    page.total = counts["total"]
    ids = [e.id for e in page.items]
    facts = queries.row_facts(current_user, ids, now, today)
    editor = current_user.sees_all
    bulk = BulkAssignForm(formdata=None) if editor else None
    return render_template(
        "enterprises/list.html", page=page, facts=facts, flt=flt, bulk=bulk, editor=editor,
        former=registry.former_ids(current_user, ids),
        counts=counts,
        towns=registry.town_choices(), chosen=registry.filter_people(flt),
        clusters=CLUSTERS, sorts=list(registry.SORTS.items()))


@bp.route("/export.xlsx")
@login_required
def export():
    """The filtered list as an Excel file with Chinese headers."""
    flt = registry.ListFilters.from_args(request.args)
    stmt = queries.filtered(current_user, flt)
    data = exporter.export_workbook(queries.export_rows(current_user, stmt))
    name = _("Enterprise list")
    return send_download(data, f"{name}-{local_today():%Y%m%d}.xlsx", XLSX_MIME)


@bp.route("/<int:enterprise_id>")
@login_required
def detail(enterprise_id: int):
    """The enterprise page: profile, people, visits, problems, policies, QR code, audit."""
    ent = load_visible(enterprise_id)
    data = pages.enterprise_page(current_user, ent)
    forms = {}
    if data.can_edit:
        forms = {role: AssignForm(formdata=None, prefix=role, role=role)
                 for role in ("leader_a", "leader_b", "commissioner")}
    url = absolute_url(visit_form_path(ent.id))
    labels = {**registry_labels(), "issue_state": STATES, "visit_mode": VISIT_MODES,
              "policy_category": POLICY_CATEGORIES}
    return render_template("enterprises/detail.html", p=data, ent=ent, now=utcnow(),
                           labels=labels, assign_forms=forms, action_form=ActionForm(),
                           qr=qr_svg(url, ent.name), qr_url=url,
                           audit_changes=history.audit_changes,
                           audit_objects=history.AUDIT_OBJECTS,
                           audit_actions=history.AUDIT_ACTIONS)


@bp.route("/mine")
@role_required("leader")
def portfolio():
    """One card per enterprise I hold as leader A or B, red problems first."""
    now, today = utcnow(), local_today()
    cards = pages.portfolio(current_user, now, today)
    return render_template("enterprises/portfolio.html", cards=cards, now=now,
                           away_now=is_away(current_user, today),
                           periods=absences_of(current_user),
                           stale=stale_enterprises(leader=current_user, today=today))
