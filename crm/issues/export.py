"""The problem list as an .xlsx workbook (same filters, same visibility as the page)."""
from __future__ import annotations

from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from crm.core.timeutil import to_local
from crm.issues.actions import rating_label
from crm.issues.models import LEVELS, LIGHTS, STATES

MAX_ROWS = 20000


def _dt(value) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def workbook_bytes(rows) -> bytes:
    """An .xlsx of ``rows`` (``queries.Row``) with a header and frozen first row."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Problems")[:31]
    headers = [_("Number"), _("Problem"), _("Enterprise"), _("Category"), _("Level"),
               _("Lead unit"), _("Handler"), _("State"), _("Light"), _("Countdown"),
               _("Raised at"), _("Dispatched at"), _("Due at"), _("Resolved at"),
               _("Rating"), _("Supervised"), _("Escalated")]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        i = row.issue
        ws.append([
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
    widths = [11, 40, 30, 16, 8, 22, 10, 12, 8, 22, 17, 17, 17, 17, 12, 8, 8]
    for idx, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    ws.freeze_panes = "A2"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
