"""The visit list as an .xlsx workbook (openpyxl, write-only so memory stays flat)."""
from __future__ import annotations

import io

from flask_babel import gettext as _

from crm.core import xlsx
from crm.core.timeutil import to_local
from crm.enterprises.models import STATUSES
from crm.liaisons.models import FACTORS, VISIT_MODES

EXPORT_LIMIT = 50_000


def _factors(visit) -> str:
    parts = []
    for f in visit.factors:
        label = str(FACTORS.get(f.factor, f.factor))
        parts.append(f"{label}：{f.note}" if f.note else label)
    return "；".join(parts)


def visits_workbook(visits, numbers: dict, photos: dict, truncated: bool = False) -> io.BytesIO:
    """One sheet, one row per visit, Chinese headers; a note row when ``truncated``."""
    headers = [_("Date of the visit"), _("Enterprise"), _("Unified social credit code"),
               _("Recorded by"), _("Unit"), _("How"), _("Companions"), _("Policies delivered"),
               _("Services rendered"), _("Factors"), _("Problems raised"),
               _("Operating status seen"), _("What we saw and discussed"), _("Next step"),
               _("Reason for the late entry"), _("Photos"), _("Location"), _("Entered at")]
    widths = [12, 30, 22, 10, 16, 10, 16, 30, 30, 30, 40, 12, 50, 30, 20, 6, 22, 17]
    wb = xlsx.new_book()
    ws = xlsx.add_sheet(wb, _("Visits"), headers, widths)
    for v in visits:
        location = (f"{v.latitude:.5f}, {v.longitude:.5f}"
                    if v.latitude is not None and v.longitude is not None else "")
        row = [
            v.visit_date, v.enterprise.name, v.enterprise.credit_code, v.author.display_name,
            v.author.unit.name if v.author.unit else "", str(VISIT_MODES.get(v.mode, v.mode)),
            v.companions or "", "；".join(p.title for p in v.policies), v.services or "",
            _factors(v), "；".join(numbers.get(v.id, [])),
            str(STATUSES.get(v.status_seen, "")) if v.status_seen else "", v.summary or "",
            v.next_step or "", v.late_reason or "", photos.get(v.id, 0), location,
            to_local(v.created_at).replace(tzinfo=None),
        ]
        cells = [xlsx.cell(ws, value) for value in row]
        cells[0].number_format = "yyyy-mm-dd"
        cells[-1].number_format = "yyyy-mm-dd hh:mm"
        ws.append(cells)
    if truncated:
        ws.append([xlsx.cell(ws, _("Only the first %(n)d visits are exported. Narrow the filters "
                               "to export the rest.", n=EXPORT_LIMIT), bold=True)])
    return io.BytesIO(xlsx.to_bytes(wb))
