"""The coordinator's overview: the month at a glance."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import render_template, request, url_for
from flask_login import login_required

from crm.auth.permissions import role_required
from crm.core.timeutil import local_today
from crm.meetings import metrics, sections
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

    ``figures`` gives, for a period and a lead unit, the problem list filtered to each
    set a figure counts (``metrics.links``): the list filters by the same conditions
    the figures are counted with, so its count equals the figure."""

    def __init__(self):
        self.base = url_for("issues.index")
        self.visit_base = url_for("liaisons.index")

    def list(self, **filters) -> str:
        """The problem list filtered as given; empty filters are left out."""
        query = urlencode([(k, v) for k, v in filters.items() if v not in (None, "")])
        return f"{self.base}?{query}" if query else self.base

    def problem(self, issue_id: int) -> str:
        """A problem's page, /problems/<id>."""
        return f"{self.base}{issue_id}"

    def figures(self, period: metrics.Period, unit: int | None = None) -> dict[str, str]:
        """Set name (``metrics.links.SETS``) → the problem list of exactly that set in
        ``period``, for the lead unit ``unit`` (the county when None)."""
        return {name: self.list(**metrics.links.set_filters(name, period, unit))
                for name in metrics.links.SETS}

    def visits(self, period: metrics.Period) -> str:
        """The visit list of the period's dates (what the visits figure counts)."""
        query = urlencode({"date_from": period.start.isoformat(),
                           "date_to": period.end.isoformat()})
        return f"{self.visit_base}?{query}"


@bp.route("/overview")
@role_required("coordinator")
def overview():
    """The coordinator's home: the month at a glance against its comparison period, the
    red list by unit, the unit league table and the problems escalated to the next
    meeting. Every number opens the problems it counts."""
    form = MonthForm(request.args, today=local_today())
    form.validate()
    year, month = form.chosen()
    snapshot = metrics.cached_snapshot(year, month, red_per_unit=RED_PER_UNIT)
    links = ProblemLinks()
    return render_template(
        "meetings/overview.html", form=form, data=snapshot, o=snapshot.overview,
        league=metrics.league(snapshot.overview.by_unit), charts=month_charts(snapshot),
        today=form.today, red_units_shown=RED_UNITS, list_url=links.list,
        problem_url=links.problem, figure_links=links.figures, visits_url=links.visits,
        extra_sections=sections.overview_sections(snapshot.overview.period, snapshot.now),
    )


@bp.route("/figures")
@login_required
def definitions():
    """指标说明: what each figure counts, the same text as the monthly packet's last
    page (``metrics.DEFINITIONS``). Open to everyone signed in: the problem list links
    here from a figure's set, and every unit is measured by these rules."""
    return render_template("meetings/definitions.html", general=metrics.GENERAL,
                           definitions=metrics.DEFINITIONS)
