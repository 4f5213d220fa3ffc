"""Reading an uploaded .xlsx or .csv into header keys and rows of strings."""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import load_workbook

from crm.enterprises import columns as cols

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
EXTENSIONS = (".xlsx", ".csv")


class ImportFileError(Exception):
    """The file as a whole cannot be read; ``str(exc)`` is the message to show."""


# -- reading the file ----------------------------------------------------------

def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps phone numbers and counts as floats
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(data: bytes):
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(_("The file is not a valid .xlsx workbook. Save it from Excel or "
                                "WPS as an Excel workbook (.xlsx) and upload it again.")) from exc
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
    finally:
        book.close()


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")  # Excel's "Unicode text" export
    if b"\x00" in data:
        raise ImportFileError(_("The file does not look like a CSV text file."))
    for encoding in ("utf-8-sig", "gb18030"):  # GB18030 is a superset of GBK and GB2312
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The CSV file's text encoding could not be recognised. Save it as "
                            "\"CSV UTF-8\" or as an Excel workbook (.xlsx)."))


def _csv_rows(data: bytes):
    text = _decode(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield [c.strip() for c in row]
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file is malformed: %(error)s", error=str(exc))) from exc


@dataclass
class Table:
    """The readable content of an upload: column keys and rows of strings."""

    keys: list[str]
    rows: list[list]  # [row number, [cell per key]]
    ignored: list[str] = field(default_factory=list)


def read_table(filename: str, data: bytes) -> Table:
    """Read an upload into a ``Table`` or raise ``ImportFileError``."""
    name = (filename or "").lower()
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(mb)d MB. Split it into smaller files.",
                                mb=MAX_BYTES // (1024 * 1024)))
    if name.endswith(".xls"):
        raise ImportFileError(_("The old .xls format is not supported. Open the file in Excel "
                                "or WPS and save it as .xlsx."))
    if not name.endswith(EXTENSIONS):
        raise ImportFileError(_("Upload an .xlsx or .csv file."))
    if not data:
        raise ImportFileError(_("The file is empty."))
    source = _xlsx_rows(data) if name.endswith(".xlsx") else _csv_rows(data)
    lookup = cols.header_lookup()
    positions: dict[str, int] = {}
    ignored: list[str] = []
    rows: list[list] = []
    header_seen = False
    for number, cells in enumerate(source, start=1):
        if not any(cells):
            continue
        if not header_seen:
            header_seen = True
            for index, title in enumerate(cells):
                key = lookup.get(cols.norm(title))
                if key is None:
                    if title:
                        ignored.append(title)
                    continue
                if key in positions:
                    raise ImportFileError(_("The column \"%(name)s\" appears twice.", name=title))
                positions[key] = index
            missing = [cols.zh(cols.BY_KEY[k].label) for k in cols.REQUIRED if k not in positions]
            if missing:
                raise ImportFileError(_("Required columns are missing: %(names)s. Use the "
                                        "template's first row as the header.",
                                        names="、".join(missing)))
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(_("The file has more than %(n)d rows. Split it into smaller "
                                    "files.", n=MAX_ROWS))
        rows.append([number, [cells[i] if i < len(cells) else "" for i in positions.values()]])
    if not header_seen:
        raise ImportFileError(_("The file is empty."))
    if not rows:
        raise ImportFileError(_("The file has a header but no enterprise rows."))
    return Table(keys=list(positions), rows=rows, ignored=ignored)
