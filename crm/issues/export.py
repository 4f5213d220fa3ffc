"""The problem list as an .xlsx workbook (same filters, same visibility as the page)."""
from __future__ import annotations

from flask_babel import gettext as _

from crm.core import xlsx
from crm.core.timeutil import to_local
from crm.issues.actions import rating_label
from crm.issues.models import LEVELS, LIGHTS, STATES

MAX_ROWS = 20000


def _dt(value) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def workbook_bytes(rows) -> bytes:
    """An .xlsx of ``rows`` (``queries.Row``) with a header and frozen first row."""
    headers = [_("Number"), _("Problem"), _("Enterprise"), _("Category"), _("Level"),
               _("Lead unit"), _("Handler"), _("State"), _("Light"), _("Countdown"),
               _("Raised at"), _("Dispatched at"), _("Due at"), _("Resolved at"),
               _("Rating"), _("Supervised"), _("Escalated")]
    widths = [11, 40, 30, 16, 8, 22, 10, 12, 8, 22, 17, 17, 17, 17, 12, 8, 8]
    book = xlsx.new_book()
    ws = xlsx.add_sheet(book, _("Problems"), headers, widths)
    for row in rows:
        i = row.issue
        xlsx.append(ws, [
            i.number, i.title, i.enterprise.name if i.enterprise else "",
            i.category.name if i.category else "", str(LEVELS.get(i.level, i.level)),
            i.lead_unit.name if i.lead_unit else "",
            i.handler.display_name if i.handler else "",
            str(STATES.get(i.state, i.state)), str(LIGHTS[row.light]) if row.light else "",
            row.countdown.text if row.countdown else "",
            _dt(i.raised_at), _dt(i.dispatched_at), _dt(i.due_at), _dt(i.resolved_at),
            f"{i.rating} {rating_label(i.rating)}" if i.rating else "",
            i.supervise_count or 0, _("Yes") if i.is_escalated else "",
        ])
    return xlsx.to_bytes(book)
