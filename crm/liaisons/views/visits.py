"""Visits: the commissioner's week, the visit form (new and edit), a visit's page and
its photos.

The visit form answers two kinds of POST: an ordinary form post (the server renders the
form again with the errors) and the browser's fetch (``X-Requested-With: fetch``), which
gets JSON with errors by field name so the page can show them without a reload and keep
what was typed.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import undefer
from werkzeug.routing import BuildError

from crm.auth.permissions import role_required
from crm.core.downloads import send_download
from crm.core.timeutil import local_today, to_local, week_start
from crm.enterprises.models import STATUSES, Enterprise
from crm.extensions import db
from crm.financing.links import visit_offer
from crm.issues.models import STATES as ISSUE_STATES
from crm.liaisons import catalogue, permissions, queries, services
from crm.liaisons.coverage import coverage, period_for, stale_enterprises
from crm.liaisons.forms import VisitForm
from crm.liaisons.models import (
    FACTORS,
    HEALTH_FLAGS,
    POLICY_CATEGORIES,
    VISIT_MODES,
    Visit,
    VisitPhoto,
)

from crm.liaisons.views import bp


@bp.app_context_processor
def visit_labels() -> dict:
    """Label tables for the visit templates and partials (also used on other pages)."""
    return {"visit_labels": {"modes": VISIT_MODES, "factors": FACTORS, "statuses": STATUSES,
                             "issue_states": ISSUE_STATES, "policy_categories": POLICY_CATEGORIES,
                             "flags": HEALTH_FLAGS}}


@bp.app_template_global("url_if")
def url_if(endpoint: str, **values) -> str | None:
    """``url_for`` or None when the endpoint does not exist (yet): links into pages that
    other parts of the application provide."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def wants_json() -> bool:
    """True for the visit page's own fetch requests."""
    return request.headers.get("X-Requested-With") == "fetch"


def refuse(message: str, status: int = 403):
    """A refusal with its reason, as the page or as JSON for fetch."""
    if wants_json():
        return jsonify(ok=False, message=message), status
    return render_template("errors/error.html", code=status, title=_("Not allowed"),
                           message=message), status


def _week_arg(value: str | None, today: date) -> date:
    """The Monday of the week asked for; anything unreadable means this week."""
    this_monday = week_start(today)
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        return this_monday
    # Ten years back at most; never a week that has not begun.
    return week_start(min(max(day, today - timedelta(weeks=520)), today))


@bp.route("/week")
@role_required("commissioner")
def my_week():
    """The commissioner's home: this week's enterprises, coverage and what is overdue."""
    today = local_today()
    monday = _week_arg(request.args.get("week"), today)
    stale = stale_enterprises(commissioner=current_user, today=today)
    return render_template(
        "liaisons/week.html", rows=queries.week_rows(current_user, monday, today),
        monday=monday, sunday=monday + timedelta(days=6), prev_week=monday - timedelta(weeks=1),
        next_week=monday + timedelta(weeks=1), this_monday=week_start(today),
        shown=coverage(period_for("week", monday), commissioner=current_user, as_of=today),
        this_week=coverage(period_for("week", today), commissioner=current_user, as_of=today),
        # A past week shows its own month; this week the month so far.
        this_month=coverage(period_for("month", min(monday + timedelta(days=6), today)),
                            commissioner=current_user, as_of=today),
        stale=stale, stale_by_id={s.enterprise_id: s for s in stale})


def _policy_choices(enterprise, visit: Visit | None, ids=None):
    """(matching, other, kept) policies for the form: with ``ids``, only those."""
    matching, other = catalogue.form_policies(enterprise, ids=ids)
    if request.method == "GET":  # the best fits first; a submit only needs the choices
        matching = catalogue.best_first(enterprise, matching)
    offered = {p.id for p in matching + other}
    kept = [p for p in visit.policies if p.id not in offered] if visit else []
    return matching, other, kept


def _visit_form(enterprise, visit: Visit | None = None) -> VisitForm:
    """The form for ``enterprise``, pre-filled from ``visit`` when editing (GET). A
    submit is checked against the policies it names only (the catalogue holds
    thousands); the form shown again after an error offers them all (``_form_page``)."""
    named = None
    if request.method == "POST":
        named = {int(v) for v in request.form.getlist("policies") if v.isdigit()}
    matching, other, kept = _policy_choices(enterprise, visit, named)
    if visit is not None and request.method == "GET":
        form = VisitForm(data=_initial(visit))
    else:
        form = VisitForm(status_seen=enterprise.status if visit is None else None)
    ref = to_local(visit.created_at).date() if visit is not None else local_today()
    return form.setup(policies_matching=matching, policies_other=other,
                      categories=services.active_categories(), reference_date=ref,
                      existing_photo_ids=[p.id for p in visit.photos] if visit else (),
                      kept_policy_choices=kept)


def _initial(visit: Visit) -> dict:
    data = {f: getattr(visit, f) for f in services.VISIT_FIELDS}
    data.update(policies=[p.id for p in visit.policies], factors=[f.factor for f in visit.factors],
                health_flags=[f.flag for f in visit.flags],
                version_token=services.version_token(visit), client_uuid=visit.client_uuid)
    data.update({f"factor_note_{f.factor}": f.note for f in visit.factors})
    return data


def _saved(visit: Visit, issues, created: bool, appended: bool = False):
    """Answer a successful (or repeated) submit (committed at the end of the request).

    The answer is a redirect (Post/Redirect/Get; the page's script replaces the form in
    the history with the target), so neither Back nor a reload shows a submitted form.
    """
    visit_id, numbers = visit.id, [i.number for i in issues]
    mine = current_user.has_role("commissioner") and visit.author_id == current_user.id
    if not created:
        message = _("This visit had already been saved; it was not saved twice.")
    elif appended:
        message = _("Added to the visit recorded earlier that day.")
        if numbers:
            message += " " + _("Problems registered: %(numbers)s.",
                               numbers=_(", ").join(numbers))
    elif numbers:
        message = _("Visit saved. Problems registered: %(numbers)s.",
                    numbers=_(", ").join(numbers))
    else:
        message = _("Visit saved.")
    flash(message, "success")
    # 资金紧张 / 融资 on the visit: offer the financing need, prefilled (crm.financing).
    financing = visit_offer(visit, current_user) if created else None
    if financing:
        flash(Markup('<a class="alert-link" href="{}" data-testid="financing-offer">{}</a>')
              .format(financing, _("Register the financing need this visit recorded")), "info")
    target = (url_for("liaisons.my_week") if mine
              else url_for("liaisons.detail", visit_id=visit_id))
    if wants_json():
        return jsonify(ok=True, created=created, visit_id=visit_id, redirect=target,
                       message=message, problems=numbers, appended=appended,
                       financing=financing)
    return redirect(target)


def _form_page(form: VisitForm, enterprise, visit: Visit | None = None, error: str | None = None,
               earlier: Visit | None = None):
    """The form again, with the errors by the fields and everything typed kept; with
    ``earlier`` (a visit of the same day) it asks whether to add to it or log another."""
    status = 422 if request.method == "POST" else 200
    if error:
        status = 409
    same_day = None
    if earlier is not None:
        same_day = {"visit_id": earlier.id, "time": to_local(earlier.created_at).strftime("%H:%M"),
                    "url": url_for("liaisons.detail", visit_id=earlier.id)}
    if wants_json():
        return jsonify(ok=False, message=error, errors=form.field_errors(),
                       same_day=same_day), status
    if request.method == "POST":  # checked against the named policies only: offer all
        form.offer_policies(*_policy_choices(enterprise, visit))
    issues = queries.visit_issues(visit) if visit is not None else []
    return render_template("liaisons/form.html", form=form, enterprise=enterprise, visit=visit,
                           issues=issues, factors=FACTORS, error=error,
                           same_day=same_day), status


@bp.route("/new/<int:enterprise_id>", methods=["GET", "POST"])
@login_required
def new_visit(enterprise_id: int):
    """Log a visit (the enterprise page's QR code opens this). Idempotent submit."""
    enterprise = db.get_or_404(Enterprise, enterprise_id)
    if not permissions.can_log(current_user, enterprise):
        return refuse(_("%(name)s is not assigned to you, so you cannot log a visit for it. "
                        "If this is wrong, ask the coordinator to check the assignment.",
                        name=enterprise.name))
    form = _visit_form(enterprise)
    if request.method != "POST":
        return _form_page(form, enterprise)
    try:
        stored = services.existing_submission(form.client_uuid.data, enterprise, current_user)
        if stored is not None:
            return _saved(stored, [], False)
        if not form.validate():
            return _form_page(form, enterprise)
        visit, issues, created = services.record_visit(
            enterprise, form.to_data(), current_user, prechecked=True,
            same_day=form.same_day.data or "ask")
    except services.SameDayVisit as exc:
        return _form_page(form, enterprise, error=str(exc), earlier=exc.visit)
    except services.VisitError as exc:
        return _form_page(form, enterprise, error=str(exc))
    return _saved(visit, issues, created, appended=visit.client_uuid != form.client_uuid.data)


@bp.route("/<int:visit_id>/edit", methods=["GET", "POST"])
@login_required
def edit(visit_id: int):
    """Correct a visit: the author within 7 days, a coordinator at any time."""
    visit = services.load_for_edit(visit_id)
    if visit is None or not permissions.can_view(current_user, visit):
        abort(404)
    if not permissions.can_edit(current_user, visit):
        return refuse(_("You can no longer change this visit: the author may edit it for "
                        "%(days)d days, a coordinator at any time.", days=permissions.EDIT_DAYS))
    form = _visit_form(visit.enterprise, visit)
    if request.method != "POST" or not form.validate():
        return _form_page(form, visit.enterprise, visit)
    try:
        _visit, issues = services.update_visit(visit, form.to_data(), current_user,
                                               token=form.version_token.data)
    except services.VisitError as exc:
        return _form_page(form, visit.enterprise, visit, error=str(exc))
    message = _("Changes saved.")
    if issues:
        message += " " + _("Problems registered: %(numbers)s.",
                           numbers=_(", ").join(i.number for i in issues))
    flash(message, "success")
    target = url_for("liaisons.detail", visit_id=visit.id)
    if wants_json():
        return jsonify(ok=True, redirect=target, visit_id=visit.id)
    return redirect(target)


@bp.route("/<int:visit_id>")
@login_required
def detail(visit_id: int):
    """One visit: the four deliveries, problems raised, photos, location."""
    visit = queries.visit_detail(visit_id)
    if visit is None or not permissions.can_view(current_user, visit):
        abort(404)
    edited = (visit.updated_at - visit.created_at).total_seconds() > 60
    return render_template("liaisons/detail.html", visit=visit, edited=edited,
                           issues=queries.visit_issues(visit),
                           can_edit=permissions.can_edit(current_user, visit))


@bp.route("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    """A visit photo, to those who may see the visit.

    The bytes were decoded and written again by Pillow (never the uploaded file) and
    the type is fixed from what we wrote. Opened on its own the photo is a download
    (``attachment``), never a page of this site; ``nosniff`` stops content sniffing and
    a sandboxing CSP makes the response inert anyway. ``<img>`` on the visit page
    ignores the disposition and shows it.
    """
    item = db.session.scalar(select(VisitPhoto).where(VisitPhoto.id == photo_id)
                             .options(undefer(VisitPhoto.data)))
    visit = db.session.get(Visit, item.visit_id) if item is not None else None
    if visit is None or not permissions.can_view(current_user, visit):
        abort(404)
    ext = "jpg" if item.content_type == "image/jpeg" else "png"
    name = _("%(enterprise)s-visit %(day)s-photo %(n)d.%(ext)s",
             enterprise=db.session.get(Enterprise, visit.enterprise_id).name, day=visit.visit_date.isoformat(), n=item.id,
             ext=ext)
    response = send_download(item.data, name, item.content_type)
    response.headers.update({
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=86400",
    })
    return response
