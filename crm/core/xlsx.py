"""The one spreadsheet writer: every .xlsx the product hands out goes through here.

Text typed by people (problem titles, enterprise names, visit summaries) must never
become a formula in a coordinator's Excel. openpyxl stores a string that starts with
``=`` as a formula, and spreadsheet programs re-interpret cells that start with ``+``,
``-``, ``@``, a tab or a carriage return (CSV/formula injection). Such strings are
written as typed text cells — the value the reader sees is exactly what was typed, with
no apostrophe or other visible change.

Sheets are write-only (memory stays flat for 50,000-row exports).
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = PatternFill("solid", fgColor="DDE7F5")


def is_risky(value) -> bool:
    """Whether ``value`` is text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def cell(sheet, value, *, bold: bool = False, fill: PatternFill | None = None,
         number_format: str | None = None, color: str | None = None) -> Cell:
    """One cell of a write-only ``sheet``; risky text is stored as plain text."""
    if isinstance(value, Cell):
        return value
    out = WriteOnlyCell(sheet, value=value)
    if is_risky(value):
        out.data_type = "s"
    if bold or color:
        out.font = Font(bold=bold, color=color)
    if fill is not None:
        out.fill = fill
    if number_format:
        out.number_format = number_format
    return out


def new_book() -> Workbook:
    """An empty write-only workbook."""
    return Workbook(write_only=True)


def add_sheet(book: Workbook, title: str, headers: Sequence, widths: Sequence[float] = (),
              *, fill: PatternFill | None = None, freeze: bool = True):
    """A sheet titled ``title`` (cut to Excel's 31 characters) with a bold header row,
    column widths and the header frozen."""
    sheet = book.create_sheet(str(title)[:31])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if freeze:
        sheet.freeze_panes = "A2"
    sheet.append([cell(sheet, str(h), bold=True, fill=fill) for h in headers])
    return sheet


def append(sheet, values: Iterable) -> None:
    """Append one row of values (text-safe)."""
    sheet.append([cell(sheet, v) for v in values])


def to_bytes(book: Workbook) -> bytes:
    """The workbook as .xlsx bytes."""
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
