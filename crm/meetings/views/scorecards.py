"""The unit scorecard (考核): the ranking page (month and year, with the breakdown) and
the admin's weights and thresholds with the formula written out
(crm.meetings.scorecards)."""
from __future__ import annotations

from datetime import date
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
from crm.meetings import metrics, scorecards
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


# Figure → (numerator set, base set) of the problem list (``metrics.links.SETS``) that
# count exactly the same problems; the others (a verified satisfaction's numerator,
# returns counted by event, overdue at the period's end, notices counted one by one)
# have no list filter of their own.
LIST_SETS = {"sign_rate": (None, "dispatched"), "on_time_rate": ("on_time", "resolved"),
             "reopen_rate": ("redone", "resolved"), "satisfaction_rate": (None, "rated")}


def list_links(start: date, end: date):
    """``link(unit_id, set name)`` → the problem list of that set for the unit."""
    period, base = metrics.Period(start, end), url_for("issues.index")

    def link(unit_id: int, name: str | None) -> str | None:
        if name is None:
            return None
        return f"{base}?{urlencode(metrics.links.set_filters(name, period, unit_id))}"

    return link


@bp.route("/scorecards")
@role_required("coordinator", "leader", "admin")
def scorecards_page():
    """The month's and the year's ranking, each unit's breakdown."""
    year, month = _month_arg(request.args.get("month"))
    data = scorecards.ranking(year, month)
    prev = date(year - (month == 1), (month - 2) % 12 + 1, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return render_template("meetings/scorecards.html", data=data, FIGURES=FIGURES,
                           LIST_SETS=LIST_SETS,
                           month_link=list_links(data["start"], data["end"]),
                           year_link=list_links(date(year, 1, 1), data["end"]),
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
