"""The coordinator's overview: the month at a glance."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import render_template, request, url_for

from crm.auth.permissions import role_required
from crm.core.timeutil import local_today
from crm.meetings import metrics
from crm.meetings.charts import month_charts
from crm.meetings.forms import MonthForm
from crm.meetings.views import bp


# Units and problems per unit on the red list (the full list is one tap away).
RED_UNITS = 12
RED_PER_UNIT = 3


@bp.app_template_filter("percent")
def percent_filter(value):
    """``{{ rate|percent }}``: a 0–1 rate as 87.5% (the packets use the same)."""
    return metrics.percent(value)


class ProblemLinks:
    """Links into the problem pages, built from one ``url_for`` (a page may hold a
    thousand of them).

    The list's query-string names: state, light, unit, category, leader, commissioner,
    enterprise, period (YYYY-MM, the month raised), raised_from, raised_to."""

    def __init__(self):
        self.base = url_for("issues.index")

    def list(self, **filters) -> str:
        """The problem list filtered as given; empty filters are left out."""
        query = urlencode([(k, v) for k, v in filters.items() if v not in (None, "")])
        return f"{self.base}?{query}" if query else self.base

    def problem(self, issue_id: int) -> str:
        """A problem's page, /problems/<id>."""
        return f"{self.base}{issue_id}"

    def figures(self, month_key: str, **group) -> dict[str, str]:
        """Where each figure's number leads: the problem list filtered to what the figure
        counts, as closely as the list's filters allow. ``group`` adds the group's
        filter (e.g. ``unit=3``). The list has no "resolved in" or "supervised"
        filter, so those figures lead to the nearest list (the month's resolved
        problems, the red ones)."""
        def link(**filters):
            return self.list(**group, **filters)

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


@bp.route("/overview")
@role_required("coordinator")
def overview():
    """The coordinator's home: the month at a glance against last month, the red list
    by unit, the unit league table and the problems escalated to the next meeting."""
    form = MonthForm(request.args, today=local_today())
    form.validate()
    year, month = form.chosen()
    snapshot = metrics.cached_snapshot(year, month, red_per_unit=RED_PER_UNIT)
    links = ProblemLinks()
    return render_template(
        "meetings/overview.html", form=form, data=snapshot, o=snapshot.overview,
        league=metrics.league(snapshot.overview.by_unit), charts=month_charts(snapshot),
        today=form.today, red_units_shown=RED_UNITS, list_url=links.list,
        problem_url=links.problem, figure_links=links.figures,
    )
