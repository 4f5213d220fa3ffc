"""Keeping the registry: create, edit and delete an enterprise, its contacts, its QR sheet."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from crm.core import transactions
from crm.enterprises import history, queries, services
from crm.enterprises.forms import ActionForm, ContactForm, EnterpriseForm, duplicate_message
from crm.enterprises.links import absolute_url, qr_svg, visit_form_path
from crm.enterprises.models import Contact
from crm.enterprises.views import bp, load_visible, require_editor
from crm.extensions import db


@bp.route("/<int:enterprise_id>/qr")
@login_required
def qr(enterprise_id: int):
    """A printable sheet with the QR code that opens the visit form for this enterprise."""
    ent = load_visible(enterprise_id)
    url = absolute_url(visit_form_path(ent.id))
    return render_template("enterprises/qr.html", ent=ent, qr=qr_svg(url, ent.name), qr_url=url)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    """Register an enterprise."""
    require_editor()
    form = EnterpriseForm(viewer=current_user, towns=queries.town_choices())
    if form.validate_on_submit():
        try:
            ent = services.create_enterprise(form.profile(), current_user, contact=form.contact())
        except services.DuplicateCreditCode as exc:
            form.credit_code.errors.append(duplicate_message(exc.existing, current_user))
        except IntegrityError:
            # Someone registered the same code a moment ago (the unique index decided).
            transactions.discard()
            form.credit_code.errors.append(_("This credit code is already registered."))
        else:
            flash(_("%(name)s has been registered.", name=ent.name), "success")
            return redirect(url_for("enterprises.detail", enterprise_id=ent.id))
    return render_template("enterprises/form.html", form=form, ent=None), \
        400 if form.errors else 200


@bp.route("/<int:enterprise_id>/edit", methods=["GET", "POST"])
@login_required
def edit(enterprise_id: int):
    """Edit the profile; a save made by someone else meanwhile is never overwritten."""
    ent = load_visible(enterprise_id)
    require_editor(ent)
    form = EnterpriseForm(obj=ent, enterprise=ent, viewer=current_user,
                          towns=queries.town_choices())
    if request.method == "GET":
        form.version.data, form.town_id.data = ent.version, ent.town_id or 0
    conflict = None
    if form.validate_on_submit():
        try:
            services.update_enterprise(ent, form.profile(), current_user,
                                       expected_version=form.loaded_version())
        except services.EditConflict:
            transactions.discard()  # the conflict shows the stored version
            conflict = history.edit_conflict(db.session.get(type(ent), enterprise_id), form)
        except services.DuplicateCreditCode as exc:
            form.credit_code.errors.append(duplicate_message(exc.existing, current_user))
        else:
            flash(_("Changes to %(name)s saved.", name=ent.name), "success")
            return redirect(url_for("enterprises.detail", enterprise_id=ent.id))
    status = 409 if conflict else (400 if form.errors else 200)
    return render_template("enterprises/form.html", form=form, ent=ent, conflict=conflict), status


@bp.route("/<int:enterprise_id>/delete", methods=["POST"])
@login_required
def delete(enterprise_id: int):
    """Delete an enterprise registered by mistake (refused once it has a history)."""
    ent = load_visible(enterprise_id)
    require_editor(ent)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = ent.name
    try:
        services.delete_enterprise(ent, current_user)
    except services.RegistryError as exc:
        transactions.discard()
        flash(str(exc), "danger")
        return redirect(url_for("enterprises.detail", enterprise_id=enterprise_id))
    flash(_("%(name)s has been deleted.", name=name), "success")
    return redirect(url_for("enterprises.index"))


# -- contacts ---------------------------------------------------------------------

def _load_contact(enterprise_id: int, contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.enterprise_id != enterprise_id:
        abort(404)
    return contact


@bp.route("/<int:enterprise_id>/contacts/new", methods=["GET", "POST"])
@bp.route("/<int:enterprise_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
@login_required
def contact_form(enterprise_id: int, contact_id: int | None = None):
    """Add or edit a contact person."""
    ent = load_visible(enterprise_id)
    require_editor(ent)
    contact = _load_contact(ent.id, contact_id) if contact_id else None
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        if contact is None:
            services.add_contact(ent, form.data, current_user)
        else:
            services.update_contact(contact, form.data, current_user)
        flash(_("Contact %(name)s saved.", name=form.name.data), "success")
        return redirect(url_for("enterprises.detail", enterprise_id=ent.id) + "#contacts")
    return render_template("enterprises/contact_form.html", form=form, ent=ent,
                           contact=contact), 400 if form.errors else 200


@bp.route("/<int:enterprise_id>/contacts/<int:contact_id>/delete", methods=["POST"])
@login_required
def contact_delete(enterprise_id: int, contact_id: int):
    """Remove a contact person."""
    ent = load_visible(enterprise_id)
    require_editor(ent)
    contact = _load_contact(ent.id, contact_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = contact.name
    services.delete_contact(contact, current_user)
    flash(_("Contact %(name)s removed.", name=name), "success")
    return redirect(url_for("enterprises.detail", enterprise_id=ent.id) + "#contacts")
