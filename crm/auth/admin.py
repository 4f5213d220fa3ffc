"""Administration of units and users (admins only)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from crm.auth import services
from crm.auth.forms import ResetPasswordForm, UnitForm, UserForm, WebhookForm
from crm.auth.models import Unit, User, UserRole
from crm.auth.permissions import role_required
from crm.core.webhooks import UnitWebhook, set_unit_webhook
from crm.extensions import db

bp = Blueprint("admin", __name__)

PER_PAGE = 50


@bp.route("/users")
@role_required("admin")
def users():
    """All users, filterable by name, unit and role."""
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    stmt = select(User).order_by(User.is_active.desc(), User.username)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(User.username.ilike(like) | User.display_name.ilike(like))
    if role:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    return render_template("admin/users.html", page=page, q=q, role=role)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def user_new():
    """Create a user with roles and an initial password."""
    form = UserForm()
    if form.validate_on_submit():
        data = form.data | {"unit_id": form.unit_id.data or None}
        user = services.create_user(data, current_user)
        flash(_("User %(name)s created.", name=user.username), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def user_edit(user_id: int):
    """Edit a user's profile, unit, roles; deactivate or reactivate."""
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user, user=user)
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.unit_id.data = user.unit_id or 0
    if form.validate_on_submit():
        if user.id == current_user.id and (not form.is_active.data or "admin" not in form.roles.data):
            form.roles.errors.append(_("You cannot remove your own administrator role or "
                                       "deactivate yourself."))
        else:
            data = {k: form.data[k] for k in ("display_name", "phone", "title", "protocol_order",
                                              "roles", "is_active")}
            data["unit_id"] = form.unit_id.data or None
            services.update_user(user, data, current_user)
            flash(_("Changes to %(name)s saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user,
                           reset_form=ResetPasswordForm(formdata=None))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@role_required("admin")
def user_password(user_id: int):
    """Reset a user's password and end their sessions."""
    user = db.get_or_404(User, user_id)
    reset_form = ResetPasswordForm()
    if reset_form.validate_on_submit():
        services.reset_password(user, reset_form.password.data, current_user)
        flash(_("Password of %(name)s reset.", name=user.username), "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    form = UserForm(obj=user, user=user, formdata=None)
    form.roles.data = sorted(user.roles)
    form.unit_id.data = user.unit_id or 0
    return render_template("admin/user_form.html", form=form, user=user, reset_form=reset_form), 400


@bp.route("/units")
@role_required("admin")
def units():
    """All units with their kind and state."""
    rows = db.session.scalars(select(Unit).order_by(Unit.kind.desc(), Unit.name)).all()
    return render_template("admin/units.html", units=rows)


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@role_required("admin")
def unit_form(unit_id: int | None = None):
    """Create or edit a unit."""
    unit = db.get_or_404(Unit, unit_id) if unit_id else None
    form = UnitForm(obj=unit, unit=unit)
    if form.validate_on_submit():
        data = {"name": form.name.data.strip(), "kind": form.kind.data,
                "short_name": form.short_name.data, "is_active": form.is_active.data}
        if unit is None:
            unit = services.create_unit(data["name"], data["kind"], current_user,
                                        short_name=data["short_name"])
            services.update_unit(unit, {"is_active": data["is_active"]}, current_user)
        else:
            services.update_unit(unit, data, current_user)
        flash(_("Unit %(name)s saved.", name=unit.name), "success")
        return redirect(url_for("admin.units"))
    if unit_id and unit is None:
        abort(404)
    return render_template("admin/unit_form.html", form=form, unit=unit)


@bp.route("/units/<int:unit_id>/webhook", methods=["GET", "POST"])
@role_required("admin")
def unit_webhook(unit_id: int):
    """The unit's group-robot webhook (政务钉钉 / 企业微信): notices for the unit also go
    to its group chat. The secret is never shown again once stored."""
    unit = db.get_or_404(Unit, unit_id)
    hook = db.session.get(UnitWebhook, unit.id)
    form = WebhookForm(obj=hook if request.method == "GET" else None)
    if request.method == "GET":
        form.secret.data = ""
    if form.validate_on_submit():
        set_unit_webhook(unit, {"kind": form.kind.data, "url": form.url.data,
                                         "secret": form.secret.data,
                                         "is_active": form.is_active.data}, current_user)
        flash(_("Group chat of %(name)s saved.", name=unit.name), "success")
        return redirect(url_for("admin.unit_form", unit_id=unit.id))
    return render_template("admin/unit_webhook.html", form=form, unit=unit, hook=hook)


# The audit log page lives in its own module on this blueprint.
from crm.auth import audit_log  # noqa: E402,F401
