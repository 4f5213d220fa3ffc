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


def _svg(width: int, height: int, title: str, body: list[str], testid: str | None) -> Markup:
    attrs = f' data-testid="{escape(testid)}"' if testid else ""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" '
        f'font-family="{FONT}" style="font-family: \'{FONT}\', sans-serif; max-width: {width}px"'
        f'{attrs}><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, width: int = 360,
              bar_height: int = 18, color: str = PALETTE[2],
              value_format: Callable[[float], str] = lambda v: _num(v),
              testid: str | None = None) -> Markup:
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
    return _svg(width, height, title, body, testid)


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *,
               title: str, width: int = 360, height: int = 180,
               colors: Sequence[str] = PALETTE, testid: str | None = None) -> Markup:
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
    return _svg(width, height, title, body, testid)


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

