"""The unit scorecard (考核): the ranking page (month and year, with the breakdown) and
the admin's weights and thresholds with the formula written out
(crm.meetings.scorecards)."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from crm.auth.permissions import role_required
from crm.core.forms import BaseForm
from crm.core.timeutil import local_today
from crm.issues.errors import InvalidInput
from crm.meetings import scorecards
from crm.meetings.scorecards import FIGURES
from crm.meetings.views import bp


def _month_arg(value: str | None) -> tuple[int, int]:
    today = local_today()
    try:
        day = date.fromisoformat(f"{value}-01")
    except (TypeError, ValueError):
        return today.year, today.month
    if not 2000 <= day.year <= today.year + 1:
        return today.year, today.month
    return day.year, day.month


def list_links(start: date, end: date):
    """``link(unit_id, figure, which)`` → the problem list of exactly the problems a
    figure of the unit's card counts (``which`` 0: the count or numerator, 1: a rate's
    base; ``scorecards.LINKS``)."""
    base = url_for("issues.index")

    def link(unit_id: int, name: str, which: int = 0) -> str | None:
        args = scorecards.link_args(name, which, unit_id, start, end)
        return f"{base}?{urlencode(args)}" if args is not None else None

    return link


# Units per page of the two rankings: a province has thousands of units, and a page of
# every unit's breakdown (seven figures, each with its links) would be megabytes.
PAGE_SIZE = 50


def _pages(data: dict) -> SimpleNamespace:
    """The ``page`` argument (1 when missing or bad) over the longer of the two rankings,
    for the ``pager`` macro; slices ``data["month"]`` and ``data["year"]`` to it."""
    total = max(len(data["month"]), len(data["year"]), 1)
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    page = request.args.get("page", 1, type=int) or 1
    page = min(max(page, 1), pages)
    lo = (page - 1) * PAGE_SIZE
    data["units"] = len(data["month"])
    data["below"] = sum(1 for c in data["month"] if c.below(data["settings"]["threshold"]))
    data["month"], data["year"] = data["month"][lo:lo + PAGE_SIZE], data["year"][lo:lo + PAGE_SIZE]
    return SimpleNamespace(page=page, pages=pages, has_prev=page > 1, prev_num=page - 1,
                           has_next=page < pages, next_num=page + 1)


@bp.route("/scorecards")
@role_required("coordinator", "leader", "admin")
def scorecards_page():
    """The month's and the year's ranking, each unit's breakdown (by pages of units)."""
    year, month = _month_arg(request.args.get("month"))
    data = scorecards.ranking(year, month)
    page = _pages(data)
    prev = date(year - (month == 1), (month - 2) % 12 + 1, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return render_template("meetings/scorecards.html", data=data, FIGURES=FIGURES, page=page,
                           month_link=list_links(data["start"], data["end"]),
                           year_link=list_links(data["year_start"], data["end"]),
                           month=f"{year}-{month:02d}", prev=f"{prev:%Y-%m}",
                           next=f"{nxt:%Y-%m}" if nxt <= local_today() else None)


def settings_form(cfg: dict | None = None):
    """A form with one weight per figure, the threshold and the two penalties."""
    fields = {f"w_{name}": IntegerField(label, validators=[
        InputRequired(_("Enter a whole number from 0 to 100.")),
        NumberRange(0, 100, _("Enter a whole number from 0 to 100."))])
        for name, (label, _kind) in FIGURES.items()}
    for name in ("threshold", "overdue_penalty", "supervise_penalty"):
        fields[name] = IntegerField(name, validators=[
            InputRequired(_("Enter a whole number from 0 to 100.")),
            NumberRange(0, 100, _("Enter a whole number from 0 to 100."))])
    form = type("ScorecardSettingsForm", (BaseForm,), fields)()
    if cfg is not None and not form.is_submitted():
        for name in FIGURES:
            form[f"w_{name}"].data = cfg["weights"][name]
        for name in ("threshold", "overdue_penalty", "supervise_penalty"):
            form[name].data = cfg[name]
    return form


@bp.route("/admin/scorecard", methods=["GET", "POST"])
@role_required("admin")
def scorecard_settings():
    """Weights, threshold and penalties, with the formula written out."""
    cfg = scorecards.settings()
    form = settings_form(cfg)
    status = 200
    if form.validate_on_submit():
        try:
            scorecards.save_settings(form.data, current_user)
        except InvalidInput as exc:
            form[exc.field].errors = [exc.message]
            status = 400
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("meetings.scorecard_settings"))
    elif form.is_submitted():
        status = 400
    terms = " + ".join(f"{cfg['weights'][n]} × s({label})" for n, (label, _k) in FIGURES.items())
    return render_template("meetings/scorecard_settings.html", form=form, cfg=cfg,
                           FIGURES=FIGURES, terms=terms), status
