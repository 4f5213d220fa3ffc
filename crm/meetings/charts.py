"""Small inline SVG charts drawn on the server: a horizontal bar chart and a
month-over-month line chart.

Plain SVG strings, no script and no external files, so that the same markup works on
the page (under the CSP) and in WeasyPrint PDFs. Every ``<svg>`` names the CJK font
itself: WeasyPrint does not inherit the page font into SVG text.
"""
from __future__ import annotations

from typing import Callable, Sequence

from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup, escape

FONT = "Noto Sans CJK SC"
PALETTE = ("#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1")


def _num(value: float) -> str:
    """Coordinates with at most one decimal keep the markup short."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, title: str, body: list[str], testid: str | None,
         font: str = FONT) -> Markup:
    attrs = f' data-testid="{escape(testid)}"' if testid else ""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" '
        f'font-family="{font}" style="font-family: \'{font}\', sans-serif; max-width: {width}px"'
        f'{attrs}><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, width: int = 360,
              bar_height: int = 18, color: str = PALETTE[2],
              value_format: Callable[[float], str] = lambda v: _num(v),
              testid: str | None = None, font: str = FONT) -> Markup:
    """Horizontal bars, one per ``(label, value)``, labels on the left (reads well on a
    phone and needs no rotated text). Returns safe SVG markup."""
    label_w, value_w, gap = min(120, width // 3), 44, 6
    plot_w = width - label_w - value_w
    top = max((v for _l, v in items), default=0) or 1
    body = []
    for i, (label, value) in enumerate(items):
        y = i * (bar_height + gap)
        w = max(plot_w * value / top, 1 if value else 0)
        text = escape(label if len(label) <= 9 else label[:8] + "…")
        body.append(
            f'<text x="{label_w - 6}" y="{_num(y + bar_height * 0.72)}" font-size="12" '
            f'text-anchor="end" fill="#212529">{text}</text>'
            f'<rect x="{label_w}" y="{y}" width="{_num(w)}" height="{bar_height}" '
            f'fill="{color}" rx="2"><title>{escape(label)}: {escape(value_format(value))}'
            f'</title></rect>'
            f'<text x="{_num(label_w + w + 4)}" y="{_num(y + bar_height * 0.72)}" '
            f'font-size="12" fill="#495057">{escape(value_format(value))}</text>'
        )
    height = max(len(items) * (bar_height + gap) - gap, bar_height)
    return _svg(width, height, title, body, testid, font)


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *,
               title: str, width: int = 360, height: int = 180,
               colors: Sequence[str] = PALETTE, testid: str | None = None,
               font: str = FONT) -> Markup:
    """Month-over-month lines: ``labels`` on the x axis, one line per
    ``(name, values)`` with a legend and the value at each point."""
    left, right, top_pad, legend_h, axis_h = 28, 12, 14, 18, 20
    plot_w = width - left - right
    plot_h = height - top_pad - legend_h - axis_h
    top = max((v for _n, values in series for v in values), default=0) or 1
    n = max(len(labels), 1)
    step = plot_w / (n - 1) if n > 1 else 0

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top_pad + legend_h + plot_h * (1 - v / top)

    base_y = top_pad + legend_h + plot_h
    body = [f'<line x1="{left}" y1="{_num(base_y)}" x2="{width - right}" y2="{_num(base_y)}" '
            f'stroke="#adb5bd" stroke-width="1"/>']
    for i, label in enumerate(labels):
        x, _y = xy(i, 0)
        body.append(f'<text x="{_num(x)}" y="{_num(base_y + 15)}" font-size="11" '
                    f'text-anchor="middle" fill="#495057">{escape(label)}</text>')
    for s, (name, values) in enumerate(series):
        color = colors[s % len(colors)]
        points = " ".join(f"{_num(x)},{_num(y)}" for x, y in
                          (xy(i, v) for i, v in enumerate(values)))
        body.append(f'<polyline points="{points}" fill="none" stroke="{color}" '
                    f'stroke-width="2"/>')
        for i, v in enumerate(values):
            x, y = xy(i, v)
            body.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3" fill="{color}">'
                        f'<title>{escape(labels[i])} {escape(name)}: {_num(v)}</title></circle>'
                        f'<text x="{_num(x)}" y="{_num(y - 6)}" font-size="10" '
                        f'text-anchor="middle" fill="{color}">{_num(v)}</text>')
        lx = left + s * 96
        body.append(f'<rect x="{lx}" y="2" width="12" height="12" fill="{color}" rx="2"/>'
                    f'<text x="{lx + 16}" y="12" font-size="12" fill="#212529">'
                    f'{escape(name)}</text>')
    return _svg(width, height, title, body, testid, font)


# Red units drawn in the bar chart (the full list is in the table beside it).
CHART_UNITS = 10


def month_charts(snapshot) -> dict:
    """The month's two charts, as on the overview and in the monthly packet: problems
    received (dispatched) and resolved by month — the current month so far — and
    overdue problems per lead unit."""
    trend = snapshot.overview.trend
    charts = {"trend": line_chart(
        [format_date(t.period.start, "MMM") for t in trend],
        [(_("Received"), [t.dispatched for t in trend]),
         (_("Resolved"), [t.resolved for t in trend])],
        title=_("Problems received and resolved by month"), testid="chart-trend",
    )}
    if snapshot.red_units:
        charts["red"] = bar_chart(
            [(u.label or _("No lead unit"), u.count) for u in snapshot.red_units[:CHART_UNITS]],
            title=_("Overdue problems per lead unit"), testid="chart-red",
        )
    return charts



# ----------------------------------------------------------------- packet charts
# In the packets each chart is a <figure> with its title and unit above it, drawn at
# the width of the type area (156 mm ≈ 590 px) with the units' short names.
PACKET_WIDTH = 620
# The packets' body face (one font fewer for the worker to load and embed).
PACKET_FONT = "Noto Serif CJK SC"


def figure(title: str, unit: str, svg: Markup) -> dict:
    """A packet chart: its title, its unit (件, %, 次) and the SVG."""
    return {"title": title, "unit": unit, "svg": svg}


def packet_month_charts(snapshot, labels: dict) -> list[dict]:
    """The monthly packet's charts: the trend of received and resolved problems, and
    the overdue problems per lead unit (short names, ``labels``: unit id → label)."""
    trend = snapshot.overview.trend
    charts = [figure(
        _("Problems received and resolved by month"), _("Unit: problems"),
        line_chart([format_date(t.period.start, "MMM") for t in trend],
                   [(_("Received"), [t.dispatched for t in trend]),
                    (_("Resolved"), [t.resolved for t in trend])],
                   title=_("Problems received and resolved by month"),
                   width=PACKET_WIDTH, height=220, testid="chart-trend", font=PACKET_FONT))]
    if snapshot.red_units:
        charts.append(figure(
            _("Overdue problems per lead unit"), _("Unit: problems"),
            bar_chart([(labels.get(u.key) or u.label or _("No lead unit"), u.count)
                       for u in snapshot.red_units[:CHART_UNITS]],
                      title=_("Overdue problems per lead unit"), width=PACKET_WIDTH,
                      testid="chart-red", font=PACKET_FONT)))
    return charts


def unit_charts(units, labels: dict, *, limit: int = 15) -> list[dict]:
    """Per lead unit: problems resolved, and the on-time rate (units with a
    resolution), short names, the most first."""
    named = [u for u in units if u.key is not None]
    by_resolved = sorted(named, key=lambda u: (-u.resolved, labels.get(u.key) or ""))[:limit]
    charts = [figure(_("Problems resolved per lead unit"), _("Unit: problems"),
                     bar_chart([(labels.get(u.key) or u.label, u.resolved)
                                for u in by_resolved],
                               title=_("Problems resolved per lead unit"),
                               width=PACKET_WIDTH, color=PALETTE[1],
                               testid="chart-unit-resolved", font=PACKET_FONT))]
    rated = sorted((u for u in named if u.on_time_rate is not None),
                   key=lambda u: (-u.on_time_rate, labels.get(u.key) or ""))[:limit]
    if rated:
        charts.append(figure(_("On-time rate per lead unit"), _("Unit: %"),
                             bar_chart([(labels.get(u.key) or u.label,
                                         round(u.on_time_rate * 100, 1)) for u in rated],
                                       title=_("On-time rate per lead unit"),
                                       width=PACKET_WIDTH, color=PALETTE[0],
                                       testid="chart-unit-on-time", font=PACKET_FONT)))
    return charts


def months_chart(months: list[tuple[str, object]]) -> dict:
    """The quarter's three months: problems raised, received and resolved, with the
    on-time rate, as lines."""
    labels = [label for label, _f in months]
    return figure(_("The quarter's months: problems raised, received and resolved"),
                  _("Unit: problems"),
                  line_chart(labels, [(_("Raised"), [f.raised for _l, f in months]),
                                      (_("Received"), [f.dispatched for _l, f in months]),
                                      (_("Resolved"), [f.resolved for _l, f in months])],
                             title=_("The quarter's months: problems raised, received and "
                                     "resolved"), width=PACKET_WIDTH, height=220,
                             testid="chart-months", font=PACKET_FONT))


def comparison_chart(rows: list[tuple[str, object]]) -> dict:
    """This quarter, the previous one and the same quarter last year side by side."""
    items = []
    for label, f in rows:
        items.append((f"{label}·{_('Raised')}", f.raised))
        items.append((f"{label}·{_('Resolved')}", f.resolved))
    return figure(_("This quarter against the previous quarter and last year"),
                  _("Unit: problems"),
                  bar_chart(items, title=_("This quarter against the previous quarter and "
                                           "last year"), width=PACKET_WIDTH,
                            color=PALETTE[0], testid="chart-comparison", font=PACKET_FONT))


def coverage_chart(rows: list[tuple[str, float]]) -> dict:
    """Visit coverage per commissioner (%), the highest first."""
    return figure(_("Visit coverage per commissioner"), _("Unit: %"),
                  bar_chart(rows, title=_("Visit coverage per commissioner"),
                            width=PACKET_WIDTH, color=PALETTE[4], bar_height=14,
                            testid="chart-coverage", font=PACKET_FONT))
