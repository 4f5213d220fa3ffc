"""Meetings and the coordinator's overview."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from crm.auth.permissions import role_required
from crm.core.timeutil import local_today
from crm.meetings import metrics
from crm.meetings.charts import bar_chart, line_chart
from crm.meetings.forms import MonthForm

bp = Blueprint("meetings", __name__)

# Red units drawn in the bar chart (the list below it shows them all).
CHART_UNITS = 10


@bp.app_template_filter("percent")
def percent_filter(value):
    """``{{ rate|percent }}``: a 0–1 rate as 87.5% (the packets use the same)."""
    return metrics.percent(value)


def problem_list_url(**filters) -> str:
    """The problem list filtered as given. The names are the list's query string:
    state, light, unit, category, leader, commissioner, enterprise, period (YYYY-MM,
    the month raised), raised_from, raised_to. Empty filters are left out."""
    return url_for("issues.index", **{k: v for k, v in filters.items() if v not in (None, "")})


def problem_url(issue_id: int) -> str:
    """A problem's page, /problems/<id>."""
    return f"{url_for('issues.index')}{issue_id}"


def figure_links(month_key: str, **group) -> dict[str, str]:
    """Where each figure's number leads: the problem list filtered to what the figure
    counts, as closely as the list's filters allow. ``group`` adds the group's filter
    (e.g. ``unit=3``). The list has no "resolved in" or "supervised" filter, so those
    figures lead to the nearest list (the month's resolved problems, the red ones)."""
    def link(**filters):
        return problem_list_url(**group, **filters)

    return {
        "raised": link(period=month_key),
        "resolution_rate": link(period=month_key),
        "resolved": link(state="resolved", period=month_key),
        "on_time_rate": link(state="resolved", period=month_key),
        "avg_days": link(state="resolved", period=month_key),
        "satisfaction_rate": link(state="closed", period=month_key),
        "reopened": link(state="reopened"),
        "supervised": link(light="red"),
        "overdue_now": link(light="red"),
    }


def overview_charts(snapshot: metrics.MonthSnapshot) -> dict:
    """The overview's two SVG charts: the monthly trend and red problems by unit."""
    trend = snapshot.overview.trend
    charts = {"trend": line_chart(
        [format_date(t.period.start, "MMM") for t in trend],
        [(_("Raised"), [t.raised for t in trend]), (_("Resolved"), [t.resolved for t in trend])],
        title=_("Problems raised and resolved by month"), testid="chart-trend",
    )}
    if snapshot.red_units:
        charts["red"] = bar_chart(
            [(u.label or _("No lead unit"), u.count) for u in snapshot.red_units[:CHART_UNITS]],
            title=_("Overdue problems by lead unit"), testid="chart-red",
        )
    return charts


@bp.route("/overview")
@role_required("coordinator")
def overview():
    """The coordinator's home: the month at a glance against last month, the red list
    by unit, the unit league table and the problems escalated to the next meeting."""
    form = MonthForm(request.args, today=local_today())
    form.validate()
    year, month = form.chosen()
    snapshot = metrics.cached_snapshot(year, month)
    return render_template(
        "meetings/overview.html", form=form, data=snapshot, o=snapshot.overview,
        league=metrics.league(snapshot.overview.by_unit), charts=overview_charts(snapshot),
        today=form.today, list_url=problem_list_url, problem_url=problem_url,
        figure_links=figure_links,
    )


@bp.route("/")
@role_required("coordinator", "leader")
def index():
    """Meetings list."""
    return render_template("home/placeholder.html", heading=_("Meetings"))
