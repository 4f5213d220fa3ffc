"""Excel files: the import template and the export of a filtered list.

Both use the columns of ``crm.enterprises.columns`` with Chinese headers, so an
exported list can be corrected and imported again.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from crm.core import xlsx
from crm.core.xlsx import HEADER_FILL as _HEADER_FILL
from crm.enterprises import columns as cols
from crm.enterprises.models import CLUSTERS, INDUSTRIES, OWNERSHIPS, SCALES, SIZES, STATUSES

_TEXT_COLUMNS = ("credit_code", "contact_phone")
NOTES = (
    _l("Rows are matched by the unified social credit code: a known code updates that "
       "enterprise, a new code registers a new one."),
    _l("In an update, empty cells leave the stored value unchanged."),
    _l("Leader A and leader B replace the current ones (the old assignment ends today and "
       "stays in the history); commissioners are added to those already assigned."),
    _l("Nothing is saved until you confirm the preview, and then every row is saved or none."),
)


def _zh(text) -> str:
    return cols.zh(text)


def template_workbook() -> bytes:
    """The import template: a header row, drop-down lists and an explanation sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = _zh(_l("Enterprise list"))
    for index, col in enumerate(cols.COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=_zh(col.label))
        cell.font = Font(bold=True, color="C00000" if col.required else "000000")
        cell.fill = _HEADER_FILL
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = col.width + 4
        if col.key in _TEXT_COLUMNS:
            for row in range(2, 2002):  # keep codes and phone numbers as typed
                sheet.cell(row=row, column=index).number_format = "@"
        values = _dropdown(col.key)
        if values:
            rule = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                                  allow_blank=True)
            rule.add(f"{letter}2:{letter}5001")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"

    notes = book.create_sheet(_zh(_l("Instructions")))
    notes.append([_zh(_l("Column")), _zh(_l("Required")), _zh(_l("How to fill it in"))])
    for cell in notes[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for col in cols.COLUMNS:
        notes.append([_zh(col.label), _zh(_l("Yes")) if col.required else "",
                      _zh(col.hint) if col.hint else _explain(col.key)])
    for line in NOTES:
        notes.append([])
        notes.append([_zh(line)])
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 8
    notes.column_dimensions["C"].width = 90
    for row in notes.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return _save(book)


def _dropdown(key: str) -> list[str]:
    if key == "cluster":
        return list(CLUSTERS)
    if key == "is_chain_leader":
        return [_zh(_l("Yes")), _zh(_l("No"))]
    choices = {"scale": SCALES, "size": SIZES, "ownership": OWNERSHIPS, "status": STATUSES}
    return [_zh(label) for label in choices[key].values()] if key in choices else []


def _explain(key: str) -> str:
    if key in ("scale", "size", "ownership", "status", "cluster"):
        return _zh(_l("One of: %(values)s")) % {"values": cols.choice_labels(key)}
    if key == "industry":
        return "；".join(f"{code} {_zh(label)}" for code, label in INDUSTRIES.items())
    return ""


def _save(book: Workbook) -> bytes:
    """The template (a regular workbook: it carries drop-down validations) as bytes."""
    return xlsx.to_bytes(book)


def export_workbook(rows) -> bytes:
    """The filtered list as .xlsx: importable columns, then facts (problems, visits).

    ``rows`` yields ``(enterprise, RowFacts)`` as ``crm.dossier.queries.export_rows`` does.
    """
    headers = [_zh(c.label) for c in cols.COLUMNS] + [_zh(label) for _k, label in
                                                      cols.EXPORT_FACTS]
    widths = [c.width + 4 for c in cols.COLUMNS] + [16] * len(cols.EXPORT_FACTS)
    book = xlsx.new_book()
    sheet = xlsx.add_sheet(book, _zh(_l("Enterprise list")), headers, widths, fill=_HEADER_FILL)
    labels = {key: {code: _zh(label) for code, label in choices.items()}
              for key, choices in (("scale", SCALES), ("size", SIZES),
                                   ("ownership", OWNERSHIPS), ("status", STATUSES))}
    yes, no = _zh(_l("Yes")), _zh(_l("No"))
    for ent, facts in rows:
        contact = ent.contacts[0] if ent.contacts else None
        leaders = dict(facts.leaders)
        values = {
            "name": ent.name, "credit_code": ent.credit_code, "legal_rep": ent.legal_rep,
            "industry": (f"{ent.industry} {_zh(INDUSTRIES[ent.industry])}"
                         if ent.industry in INDUSTRIES else None),
            "cluster": ent.cluster, "is_chain_leader": yes if ent.is_chain_leader else no,
            "scale": labels["scale"].get(ent.scale), "size": labels["size"].get(ent.size),
            "ownership": labels["ownership"].get(ent.ownership),
            "town": ent.town.name if ent.town else None, "park": ent.park,
            "address": ent.address, "employees": ent.employees,
            "annual_output": float(ent.annual_output) if ent.annual_output is not None
            else None,
            "status": labels["status"].get(ent.status), "tags": ent.tags,
            "contact_name": contact.name if contact else None,
            "contact_title": contact.title if contact else None,
            "contact_phone": contact.phone if contact else None,
            "leader_a": leaders["leader_a"].username if "leader_a" in leaders else None,
            "leader_b": leaders["leader_b"].username if "leader_b" in leaders else None,
            "commissioners": "、".join(u.username for u in facts.commissioners) or None,
        }
        line = [values[c.key] for c in cols.COLUMNS]
        line += [facts.open_count, facts.red_count,
                 facts.last_visit.isoformat() if facts.last_visit else None,
                 yes if facts.visited_this_week else no]
        xlsx.append(sheet, line)
    return _save(book)
