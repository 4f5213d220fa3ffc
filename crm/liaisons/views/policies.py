"""The policy catalogue (送政策): everyone who visits may read it; coordinators keep it.
Routes on the ``liaisons`` blueprint under /visits/policies."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.auth.permissions import role_required
from crm.enterprises.models import INDUSTRIES, OWNERSHIPS, SCALES
from crm.extensions import db
from crm.liaisons import catalogue
from crm.liaisons.models import POLICY_CATEGORIES, Policy
from crm.liaisons.policy_forms import PolicyFilterForm, PolicyForm
from crm.liaisons.views import bp

READ_ROLES = ("coordinator", "admin", "leader", "commissioner")


def _labels(policy: Policy) -> dict[str, list[str]]:
    """Eligibility codes turned into labels for the page."""
    def names(codes, table):
        return [str(table.get(c, c)) if table else c for c in (codes or "").split(",") if c]

    return {"industries": names(policy.industries, INDUSTRIES),
            "scales": names(policy.scales, SCALES),
            "ownerships": names(policy.ownerships, OWNERSHIPS),
            "clusters": names(policy.clusters, None)}


@bp.route("/policies/")
@role_required(*READ_ROLES)
def policies():
    """The catalogue with deliveries per policy; valid policies by default."""
    form = PolicyFilterForm(formdata=request.args)
    form.validate()
    filters = {k: form[k].data for k in ("q", "category", "validity") if not form[k].errors}
    pagination = db.paginate(catalogue.filtered_policies(filters), error_out=False,
                             per_page=30, max_per_page=100)
    items = list(pagination.items)
    return render_template("liaisons/policies.html", form=form, pagination=pagination,
                           items=items, categories=POLICY_CATEGORIES,
                           delivered=catalogue.delivered_counts(p.id for p in items))


@bp.route("/policies/<int:policy_id>")
@role_required(*READ_ROLES)
def policy_detail(policy_id: int):
    """One policy: eligibility, validity, where it was delivered."""
    policy = db.get_or_404(Policy, policy_id)
    return render_template("liaisons/policy.html", policy=policy, labels=_labels(policy),
                           categories=POLICY_CATEGORIES,
                           delivered=catalogue.delivered_counts([policy.id]).get(
                               policy.id, catalogue.Delivered()),
                           deliveries=catalogue.deliveries_of(policy, current_user))


@bp.route("/policies/new", methods=["GET", "POST"])
@role_required("coordinator")
def policy_new():
    """Add a policy to the catalogue."""
    form = PolicyForm()
    if form.validate_on_submit():
        policy = catalogue.save_policy(None, form.to_data(), current_user)
        flash(_("Policy added to the catalogue."), "success")
        return redirect(url_for("liaisons.policy_detail", policy_id=policy.id))
    return render_template("liaisons/policy_form.html", form=form, policy=None)


@bp.route("/policies/<int:policy_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def policy_edit(policy_id: int):
    """Change a policy (withdrawing one: untick "in use"; history keeps it)."""
    policy = db.get_or_404(Policy, policy_id)
    form = PolicyForm(obj=policy)
    if request.method == "GET":
        form.load(policy)
    if form.validate_on_submit():
        catalogue.save_policy(policy, form.to_data(), current_user)
        flash(_("Policy saved."), "success")
        return redirect(url_for("liaisons.policy_detail", policy_id=policy.id))
    return render_template("liaisons/policy_form.html", form=form, policy=policy)
