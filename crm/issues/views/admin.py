"""The admin's reference data for the workflow: categories, deadline rules and the
holiday calendar (with the years whose arrangement is still missing)."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from crm.auth.models import User
from crm.auth.permissions import role_required
from crm.core.timeutil import local_today
from crm.extensions import db
from crm.issues import admin_services as svc
from crm.issues import deadlines as dl
from crm.issues.admin_forms import HolidayNoticeForm
from crm.issues.forms import CategoryForm, OverrideForm, RuleForm
from crm.issues.holidays import statutory_days
from crm.issues.models import (
    LEVELS,
    Category,
    DeadlineRule,
    HolidayArrangement,
    WorkdayOverride,
)
from crm.issues.views import bp


def _render(template: str, **ctx):
    return render_template(template, missing_years=svc.missing_holiday_years(), LEVELS=LEVELS,
                           **ctx)


@bp.route("/admin/categories")
@role_required("admin")
def categories():
    """Categories with their default lead unit and level."""
    rows = db.session.scalars(select(Category).order_by(Category.position, Category.id)).all()
    return _render("issues/admin/categories.html", categories=rows)


@bp.route("/admin/categories/new", methods=["GET", "POST"])
@bp.route("/admin/categories/<int:category_id>", methods=["GET", "POST"])
@role_required("admin")
def category_form(category_id: int | None = None):
    """Create or edit a category."""
    category = db.get_or_404(Category, category_id) if category_id else None
    form = CategoryForm(obj=category, category=category)
    if request.method == "GET" and category is not None:
        form.lead_unit_id.data = category.lead_unit_id or 0
    if form.validate_on_submit():
        name = form.name.data.strip()
        svc.save_category(category, {
            "name": name, "lead_unit_id": form.lead_unit_id.data or None,
            "default_level": form.default_level.data, "position": form.position.data or 0,
            "is_active": form.is_active.data}, current_user)
        flash(_("Category %(name)s saved.", name=name), "success")
        return redirect(url_for("issues.categories"))
    return _render("issues/admin/category_form.html", form=form, category=category)


@bp.route("/admin/rules")
@role_required("admin")
def rules():
    """Stage limits per level, and per category where one differs."""
    rows = db.session.scalars(select(DeadlineRule).order_by(
        DeadlineRule.category_id.is_not(None), DeadlineRule.category_id, DeadlineRule.level)).all()
    names = dict(db.session.execute(select(Category.id, Category.name)).all())
    return _render("issues/admin/rules.html", rules=rows, names=names)


@bp.route("/admin/rules/new", methods=["GET", "POST"])
@bp.route("/admin/rules/<int:rule_id>", methods=["GET", "POST"])
@role_required("admin")
def rule_form(rule_id: int | None = None):
    """Create or edit a deadline rule."""
    rule = db.get_or_404(DeadlineRule, rule_id) if rule_id else None
    form = RuleForm(obj=rule)
    if request.method == "GET" and rule is not None:
        form.category_id.data = rule.category_id or 0
    if form.validate_on_submit():
        category_id = form.category_id.data or None
        if svc.rule_exists(category_id, form.level.data, rule_id):
            form.level.errors.append(_("A rule for this category and level exists already."))
        else:
            data = {k: getattr(form, k).data for k in svc.RULE_FIELDS}
            data["category_id"] = category_id
            svc.save_rule(rule, data, current_user)
            flash(_("Deadline rule saved."), "success")
            return redirect(url_for("issues.rules"))
    return _render("issues/admin/rule_form.html", form=form, rule=rule)


@bp.route("/admin/rules/<int:rule_id>/delete", methods=["POST"])
@role_required("admin")
def rule_delete(rule_id: int):
    """Delete a category's own rule (defaults per level are kept)."""
    rule = db.get_or_404(DeadlineRule, rule_id)
    if rule.category_id is None:
        abort(400)
    svc.delete_rule(rule, current_user)
    flash(_("Deadline rule deleted; the level's default applies."), "success")
    return redirect(url_for("issues.rules"))


def _calendar_year(raw: str | None) -> int:
    """The year asked for, or this year when the query is not a plausible year."""
    raw = raw or ""
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else local_today().year


def _notice_form(year: int, **kwargs) -> HolidayNoticeForm:
    return HolidayNoticeForm(prefix="notice", year=year,
                             can_confirm=not dl.library_knows(year), **kwargs)


def _calendar_page(year: int, form: OverrideForm, notice_form: HolidayNoticeForm):
    rows = db.session.scalars(select(WorkdayOverride).where(
        WorkdayOverride.day.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(WorkdayOverride.day)).all()
    state = dl.arrangement_state(year)
    arrangement = db.session.scalar(
        select(HolidayArrangement).where(HolidayArrangement.year == year))
    confirmed_by = (db.session.get(User, arrangement.confirmed_by_id)
                    if arrangement is not None and arrangement.confirmed_by_id else None)
    return _render("issues/admin/calendar.html", form=form, notice_form=notice_form,
                   rows=rows, year=year, state=state, library_knows=state == "library",
                   statutory=statutory_days(year) if state != "library" else (),
                   arrangement=arrangement, confirmed_by=confirmed_by)


@bp.route("/admin/calendar", methods=["GET", "POST"])
@role_required("admin")
def calendar():
    """Holidays and make-up working days entered by the admin, for a year; for a year
    the holiday package does not know, the statutory days counted and the form for the
    State Council's notice."""
    year = _calendar_year(request.args.get("year"))
    form = OverrideForm()
    if form.validate_on_submit():
        row = svc.set_override(form.day.data, form.is_workday.data == "1", form.note.data,
                               current_user)
        flash(_("%(day)s saved.", day=row.day.isoformat()), "success")
        return redirect(url_for("issues.calendar", year=row.day.year))
    return _calendar_page(year, form, _notice_form(year, formdata=None))


@bp.route("/admin/calendar/notice", methods=["POST"])
@role_required("admin")
def calendar_notice():
    """The State Council's notice for the page's year pasted in one go: every line is
    read before anything is written; optionally the year's arrangement is confirmed."""
    year = _calendar_year(request.args.get("year"))
    notice_form = _notice_form(year)
    if not notice_form.validate_on_submit():
        return _calendar_page(year, OverrideForm(formdata=None), notice_form)
    counts = svc.apply_holiday_notice(notice_form.parsed, current_user)
    confirming = notice_form.can_confirm and notice_form.confirm.data
    if confirming:
        svc.confirm_arrangement(year, notice_form.notice.data, current_user)
    flash(_("%(year)d: %(written)d days entered, %(already)d already counted that way.",
            year=year, **counts), "success")
    if confirming:
        flash(_("The arrangement for %(year)d is confirmed.", year=year), "success")
    return redirect(url_for("issues.calendar", year=year))


@bp.route("/admin/calendar/arrangement/delete", methods=["POST"])
@role_required("admin")
def calendar_withdraw():
    """Withdraw the confirmation of a year's arrangement (given by mistake); nothing to
    withdraw is not an error (a second click)."""
    year = _calendar_year(request.args.get("year"))
    row = db.session.scalar(select(HolidayArrangement).where(HolidayArrangement.year == year))
    if row is not None:
        svc.withdraw_arrangement(row, current_user)
        flash(_("The confirmation for %(year)d is withdrawn.", year=year), "success")
    return redirect(url_for("issues.calendar", year=year))


@bp.route("/admin/calendar/<int:override_id>/delete", methods=["POST"])
@role_required("admin")
def calendar_delete(override_id: int):
    """Remove an override."""
    row = db.get_or_404(WorkdayOverride, override_id)
    year = row.day.year
    svc.delete_override(row, current_user)
    flash(_("Override removed."), "success")
    return redirect(url_for("issues.calendar", year=year))
