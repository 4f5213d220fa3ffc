"""The coordinator's overview: the month at a glance."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import render_template, request, url_for
from flask_babel import get_locale
from flask_login import login_required
from markupsafe import Markup, escape

from crm.auth.permissions import role_required
from crm.core.timeutil import local_today
from crm.meetings import metrics, sections
from crm.meetings import rollups  # noqa: F401  (the late-write hook on closed months' rollups)
from crm.meetings.charts import month_charts
from crm.meetings.forms import MonthForm
from crm.meetings.views import bp


# Units and problems per unit on the red list (the full list is one tap away).
RED_UNITS = 12
RED_PER_UNIT = 3
# A league longer than this shows its top and bottom LEAGUE_EDGE units and links to the
# league page with every unit (a province has thousands of lead units).
LEAGUE_EDGE = 15
LEAGUE_SHOWN = 2 * LEAGUE_EDGE + 10


def league_shown(league: list, everything: bool = False) -> list:
    """(rank, figures) of the league's rows to show; None between a long league's top
    and bottom (the link to the league page)."""
    ranked = list(enumerate(league, start=1))
    if everything or len(ranked) <= LEAGUE_SHOWN:
        return ranked
    return ranked[:LEAGUE_EDGE] + [(None, None)] + ranked[-LEAGUE_EDGE:]


@bp.app_template_filter("percent")
def percent_filter(value):
    """``{{ rate|percent }}``: a 0–1 rate as 87.5% (the packets use the same)."""
    return metrics.percent(value)


@bp.app_template_global("figure_link")
def figure_link(href: str, count, name: str, text=None, class_: str = "") -> Markup:
    """A number that opens the problems it counts: ``data-figure`` names the set and
    ``data-count`` is how many problems the list behind it holds. The markup of
    ``_figures.html``'s ``figure`` (which calls this): the league calls it thousands of
    times, where a macro call costs several times a function call."""
    cls = f' class="{escape(class_)}"' if class_ else ""
    shown = escape(count if text is None else text)
    return Markup(f'<a{cls} href="{escape(href)}" data-figure="{escape(name)}" '
                  f'data-count="{escape(count)}">{shown}</a>')


@bp.app_template_global("figure_parts")
def figure_parts(links: dict, f, num: str, base: str) -> Markup:
    """A rate's numerator and base under it, each opening its problems (``parts``)."""
    return Markup(f'<span class="small text-muted text-nowrap">'
                  f'{figure_link(links[num], getattr(f, num), num)}/'
                  f'{figure_link(links[base], getattr(f, base), base)}</span>')


class ProblemLinks:
    """Links into the problem pages, built from one ``url_for`` (a page may hold a
    thousand of them).

    ``figures`` gives, for a period and a lead unit, the problem list filtered to each
    set a figure counts (``metrics.links``): the list filters by the same conditions
    the figures are counted with, so its count equals the figure."""

    def __init__(self):
        self.base = url_for("issues.index")
        self.visit_base = url_for("liaisons.index")
        self._sets: dict[metrics.Period, dict[str, str]] = {}

    def list(self, **filters) -> str:
        """The problem list filtered as given; empty filters are left out."""
        query = urlencode([(k, v) for k, v in filters.items() if v not in (None, "")])
        return f"{self.base}?{query}" if query else self.base

    def problem(self, issue_id: int) -> str:
        """A problem's page, /problems/<id>."""
        return f"{self.base}{issue_id}"

    def figures(self, period: metrics.Period, unit: int | None = None) -> dict[str, str]:
        """Set name (``metrics.links.SETS``) → the problem list of exactly that set in
        ``period``, for the lead unit ``unit`` (the county when None).

        The period's part of each link is encoded once per page (a league of a few
        hundred units asks for thousands); ``set_filters`` puts the unit last."""
        county = self._sets.get(period)
        if county is None:
            county = self._sets[period] = {
                name: self.list(**metrics.links.set_filters(name, period))
                for name in metrics.links.SETS}
        if unit is None:
            return county
        tail = urlencode({"lead_unit": unit})
        return {name: f"{url}&{tail}" if "?" in url else f"{url}?{tail}"
                for name, url in county.items()}

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
    league = metrics.league(snapshot.overview.by_unit)
    league_rows = _league_rows(year, month, snapshot, league, links)
    return render_template(
        "meetings/overview.html", form=form, data=snapshot, o=snapshot.overview,
        league=league, league_rows=league_rows, charts=month_charts(snapshot),
        today=form.today, red_units_shown=RED_UNITS, list_url=links.list,
        problem_url=links.problem, figure_links=links.figures, visits_url=links.visits,
        extra_sections=sections.overview_sections(snapshot.overview.period, snapshot.now,
                                                  snapshot),
    )


def _league_rows(year: int, month: int, snapshot, league: list, links: ProblemLinks,
                 everything: bool = False) -> Markup:
    """The league's rows (a dozen links each), rendered once per computation of the
    figures: the key holds the instant they were taken at."""
    return metrics.cached(
        ("league rows", year, month, snapshot.now, str(get_locale()), everything),
        lambda: sections.render_fragment(
            "meetings/_league_rows.html", league=league_shown(league, everything),
            total=len(league), o=snapshot.overview, figure_links=links.figures),
        domains=("problems",))


@bp.route("/overview/league")
@role_required("coordinator")
def league():
    """Every unit of the overview's league, in the league's order (the overview shows
    a long league's top and bottom); every number opens the problems it counts."""
    form = MonthForm(request.args, today=local_today())
    form.validate()
    year, month = form.chosen()
    snapshot = metrics.cached_snapshot(year, month, red_per_unit=RED_PER_UNIT)
    links = ProblemLinks()
    ranked = metrics.league(snapshot.overview.by_unit)
    return render_template(
        "meetings/league.html", form=form, o=snapshot.overview, league=ranked,
        league_rows=_league_rows(year, month, snapshot, ranked, links, everything=True))


@bp.route("/figures")
@login_required
def definitions():
    """指标说明: what each figure counts, the same text as the monthly packet's last
    page (``metrics.DEFINITIONS``). Open to everyone signed in: the problem list links
    here from a figure's set, and every unit is measured by these rules."""
    return render_template("meetings/definitions.html", general=metrics.GENERAL,
                           definitions=metrics.DEFINITIONS)
