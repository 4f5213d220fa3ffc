"""The pages that compose everything about enterprises: the list with its problem and
visit facts and its export, the enterprise page, and the leader's home (我包联的企业).

They keep their places on the ``enterprises`` blueprint (``enterprises.index``,
``enterprises.detail``…: URLs and endpoint names are the registry's), but are
registered from here, above the packages they compose; ``create_app`` imports this
module before it registers the blueprint.
"""
from __future__ import annotations

from dataclasses import dataclass

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
from crm.enterprises.assignments import absences_of
from crm.enterprises.forms import ActionForm, AssignForm, BulkAssignForm
from crm.enterprises.links import absolute_url, qr_svg, visit_form_path
from crm.enterprises.models import CLUSTERS
from crm.enterprises.views import bp, load_visible, registry_labels
from crm.extensions import MAX_PAGE, db
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
    page = _list_page(stmt, flt, counts["total"])
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


@dataclass
class ListPage:
    """One page of the list and the links to its neighbours (query-string arguments,
    the filters and sort included), for ``enterprises/list.html``."""

    items: list
    page: int
    pages: int
    prev: dict | None = None
    next: dict | None = None


def _list_page(stmt, flt: registry.ListFilters, total: int) -> ListPage:
    """The page asked for: after or before a row (``after`` / ``before``, keyset) for
    orders on stored columns; by number (OFFSET) for the orders by a figure and for a
    typed ``?page=N``. The pager's total is the counts' total (no second pass)."""
    pages = max(1, -(-total // PER_PAGE))
    number = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    args = flt.as_args()
    after = queries.decode_cursor(flt.sort, request.args.get("after"))
    before = None if after else queries.decode_cursor(flt.sort, request.args.get("before"))
    if flt.sort in queries.KEYSET_ORDERS and (after or before or number == 1):
        rows, more = queries.keyset_page(stmt, flt.sort, after or before, PER_PAGE,
                                         reverse=before is not None)
        if before is not None and not more:
            number = 1
        has_prev = number > 1
        has_next = more if before is None else True
        page = ListPage(rows, number, max(pages, number))
        if has_next and rows:
            page.next = dict(args, page=number + 1,
                             after=queries.encode_cursor(flt.sort, rows[-1]))
        if has_prev:
            page.prev = dict(args, page=number - 1)
            if number > 2 and rows:
                page.prev["before"] = queries.encode_cursor(flt.sort, rows[0])
        return page
    found = db.paginate(stmt, page=number, per_page=PER_PAGE, error_out=False, count=False)
    page = ListPage(list(found.items), number, max(pages, number))
    if number > 1:
        page.prev = dict(args, page=number - 1)
    if number < pages:
        page.next = dict(args, page=number + 1)
    return page


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
    """One card per enterprise I hold as leader A or B, red problems first. Beyond
    ``pages.FIRST_CARDS`` enterprises the first view shows those with red or yellow
    problems; ``?rest=N`` is page N of the others, as a fragment for the page's script
    (``X-Requested-With: fetch``) or, without a script, as a page of its own."""
    now, today = utcnow(), local_today()
    if "rest" in request.args:
        raw = request.args.get("rest", "")
        page = int(raw) if raw.isdigit() and 0 < int(raw) < 10000 else 1
        data = pages.portfolio(current_user, now, today, rest_page=page)
        fragment = request.headers.get("X-Requested-With") == "fetch"
        return render_template("enterprises/_portfolio_cards.html" if fragment
                               else "enterprises/portfolio_rest.html", p=data, now=now)
    data = pages.portfolio(current_user, now, today)
    periods = absences_of(current_user)  # also says whether I am away today
    return render_template("enterprises/portfolio.html", p=data, now=now,
                           away_now=any(a.start_date <= today <= a.end_date for a in periods),
                           periods=periods,
                           stale=stale_enterprises(leader=current_user, today=today))
