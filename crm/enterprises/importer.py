"""Importing enterprises (with a contact and their 包联 people) from .xlsx or .csv.

Three steps, each its own request:

1. ``read_table`` turns the upload into header keys and rows of strings, or raises
   ``ImportFileError`` with a message for the whole file (wrong type, encoding,
   missing columns, too large, empty);
2. ``create_batch`` keeps those rows in an ``ImportBatch`` row (see its docstring for
   why the database and not a temporary file) and ``plan`` validates every row
   against the registry: what will be created or updated (matched by credit code),
   and every error as (row number, column, message);
3. ``apply`` re-plans (the registry may have changed since the preview) and, only
   when no row has an error, writes everything in the caller's transaction, which
   commits all of it or — on any failure — none.

Empty cells in an update leave the stored value as it is. Leaders A and B replace
the current holder (the old assignment ends today); commissioners are added to those
already assigned, never removed.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import selectinload

from crm.auth.forms import PHONE_RE
from crm.auth.models import Unit, User
from crm.core import audit
from crm.core.timeutil import utcnow
from crm.enterprises import columns as cols
from crm.enterprises import credit_code as cc
from crm.enterprises import services
from crm.enterprises.models import Contact, Enterprise, ImportBatch
from crm.extensions import db

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
EXTENSIONS = (".xlsx", ".csv")
_SPLIT_USERS = re.compile(r"[\s,，、;；/]+")
_PHONE = re.compile(PHONE_RE)
_CHUNK = 900  # bound parameters per IN (...) stay far below every database's limit


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
    from openpyxl import load_workbook

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


# -- the batch between preview and confirmation ----------------------------------

def create_batch(filename: str, data: bytes, table: Table, actor) -> ImportBatch:
    """Keep the parsed rows in the database until the user confirms or discards them."""
    purge_old_batches()
    batch = ImportBatch(filename=(filename or "")[:200], sha256=hashlib.sha256(data).hexdigest(),
                        headers=table.keys, rows=table.rows, created_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    return batch


def purge_old_batches(now: datetime | None = None) -> int:
    """Forget unconfirmed previews after two days and confirmed files after 30."""
    now = now or utcnow()
    result = db.session.execute(delete(ImportBatch).where(or_(
        (ImportBatch.state != "committed") & (ImportBatch.created_at < now - timedelta(days=2)),
        ImportBatch.created_at < now - timedelta(days=30))))
    return result.rowcount or 0


def discard_batch(batch: ImportBatch) -> None:
    """The user abandoned the preview."""
    batch.state = "discarded"
    db.session.flush()


# -- validation and the plan -------------------------------------------------------

@dataclass
class PlannedRow:
    """One data row: what will happen to it and what is wrong with it."""

    number: int
    action: str = "create"  # create / update / unchanged
    name: str = ""
    credit_code: str = ""
    values: dict = field(default_factory=dict)
    contact: dict | None = None
    leaders: dict = field(default_factory=dict)  # role -> User
    commissioners: list = field(default_factory=list)
    changes: list = field(default_factory=list)  # column labels, for the preview
    fields_changed: bool = False
    contact_changed: bool = False
    people: list = field(default_factory=list)  # (role, User) not held yet
    errors: list = field(default_factory=list)  # (column label, message)
    enterprise: Enterprise | None = None
    is_new: bool = True


@dataclass
class Plan:
    """The outcome of validating a batch."""

    rows: list[PlannedRow]

    @property
    def errors(self) -> list[tuple[int, str, str]]:
        """Every problem as (row number, column, message), in file order."""
        return [(r.number, col, msg) for r in self.rows for col, msg in r.errors]

    def count(self, action: str) -> int:
        """Rows without errors that will be ``action``-ed."""
        return sum(1 for r in self.rows if r.action == action and not r.errors)

    @property
    def ok(self) -> bool:
        """True when the batch can be committed."""
        return not any(r.errors for r in self.rows)


def _chunks(values):
    values = list(values)
    for i in range(0, len(values), _CHUNK):
        yield values[i:i + _CHUNK]


class _Context:
    """Lookups for a whole batch, loaded once (a few queries for any number of rows)."""

    def __init__(self, table_rows, keys):
        idx = {k: i for i, k in enumerate(keys)}
        codes, names = set(), set()
        for _number, cells in table_rows:
            if "credit_code" in idx:
                codes.add(cc.normalise(cells[idx["credit_code"]]))
            for key in ("leader_a", "leader_b", "commissioners"):
                if key in idx:
                    names.update(n.lower() for n in _SPLIT_USERS.split(cells[idx[key]]) if n)
        self.existing: dict[str, Enterprise] = {}
        for chunk in _chunks(c for c in codes if c):
            for ent in db.session.scalars(select(Enterprise).options(
                    selectinload(Enterprise.contacts)).where(Enterprise.credit_code.in_(chunk))):
                self.existing[ent.credit_code] = ent
        self.users: dict[str, User] = {}
        for chunk in _chunks(names):
            for user in db.session.scalars(select(User).where(
                    func.lower(User.username).in_(chunk))):
                self.users[user.username.lower()] = user
        self.towns = {cols.norm(u.name): u for u in db.session.scalars(
            select(Unit).where(Unit.kind == "town"))}
        self.choices = {k: cols.choice_lookup(k) for k in
                        ("industry", "cluster", "scale", "size", "ownership", "status")}


def _label(key: str) -> str:
    return str(cols.BY_KEY[key].label)


def _industry(value: str, lookup: dict) -> str | None:
    code = lookup.get(cols.norm(value))
    if code:
        return code
    head, rest = value[:1].upper(), cols.norm(value[1:])
    if head in lookup.values() and (not rest or lookup.get(rest) == head):
        return head  # "C 制造业", "C-Manufacturing"
    return None


def _parse_row(number: int, raw: dict, ctx: _Context) -> PlannedRow:
    row = PlannedRow(number=number)
    err = row.errors.append

    name = raw.get("name", "")
    code = cc.normalise(raw.get("credit_code", ""))
    row.name, row.credit_code = name, code
    if len(name) > 200:
        err((_label("name"), _("At most 200 characters.")))
    if not code:
        err((_label("credit_code"), _("Enter the unified social credit code.")))
    elif not cc.is_valid(code):
        err((_label("credit_code"), services.credit_code_message(code)))
    row.enterprise = ctx.existing.get(code)
    row.is_new = row.enterprise is None
    if row.is_new and not name:
        err((_label("name"), _("Enter the enterprise's name.")))

    values: dict = {}
    if name:
        values["name"] = name
    if code:
        values["credit_code"] = code
    for key, limit in (("legal_rep", 64), ("park", 100), ("address", 300), ("tags", 300)):
        if raw.get(key):
            if len(raw[key]) > limit:
                err((_label(key), _("At most %(n)d characters.", n=limit)))
            else:
                values[key] = raw[key]
    for key in ("industry", "cluster", "scale", "size", "ownership", "status"):
        value = raw.get(key, "")
        if not value:
            continue
        code_value = (_industry(value, ctx.choices[key]) if key == "industry"
                      else ctx.choices[key].get(cols.norm(value)))
        if code_value is None:
            err((_label(key), _("\"%(value)s\" is not one of: %(allowed)s.", value=value,
                                allowed=cols.choice_labels(key))))
        else:
            values[key] = code_value
    if raw.get("is_chain_leader"):
        flag = cols.norm(raw["is_chain_leader"])
        if flag in cols.YES:
            values["is_chain_leader"] = True
        elif flag in cols.NO:
            values["is_chain_leader"] = False
        else:
            err((_label("is_chain_leader"), _("Enter Yes or No.")))
    if raw.get("town"):
        town = ctx.towns.get(cols.norm(raw["town"]))
        if town is None:
            err((_label("town"), _("No town office named \"%(name)s\".", name=raw["town"])))
        else:
            values["town_id"] = town.id
    if raw.get("employees"):
        try:
            employees = int(raw["employees"].replace(",", ""))
            if employees < 0 or employees > 10_000_000:
                raise ValueError
            values["employees"] = employees
        except ValueError:
            err((_label("employees"), _("Enter a whole number of people.")))
    if raw.get("annual_output"):
        try:
            output = Decimal(raw["annual_output"].replace(",", ""))
            if not output.is_finite() or output < 0 or output >= Decimal("1e12"):
                raise InvalidOperation
            values["annual_output"] = output
        except InvalidOperation:
            err((_label("annual_output"), _("Enter an amount in 10,000 yuan, e.g. 1250.5.")))
    row.values = values

    contact_name, phone = raw.get("contact_name", ""), raw.get("contact_phone", "")
    if phone and not _PHONE.match(phone.replace(" ", "")):
        err((_label("contact_phone"), _("Enter an 11-digit mobile number or a landline such "
                                        "as 0931-1234567.")))
    if (phone or raw.get("contact_title")) and not contact_name:
        err((_label("contact_name"), _("Enter the contact person's name.")))
    if contact_name:
        row.contact = {"name": contact_name[:64], "title": raw.get("contact_title", "")[:64],
                       "phone": phone.replace(" ", "")}

    for role in ("leader_a", "leader_b"):
        if raw.get(role):
            user = _user(raw[role], "leader", role, ctx, err)
            if user is not None:
                row.leaders[role] = user
    if row.leaders.get("leader_a") is not None and \
            row.leaders.get("leader_a") is row.leaders.get("leader_b"):
        err((_label("leader_b"), _("Leader A and leader B must be different people.")))
    for username in _SPLIT_USERS.split(raw.get("commissioners", "")):
        if username:
            user = _user(username, "commissioner", "commissioners", ctx, err)
            if user is not None and user not in row.commissioners:
                row.commissioners.append(user)
    return row


def _user(username: str, role: str, column: str, ctx: _Context, err) -> User | None:
    user = ctx.users.get(username.strip().lower())
    if user is None:
        err((_label(column), _("No user with the user name \"%(name)s\".", name=username)))
        return None
    if not user.is_active:
        err((_label(column), _("%(name)s's account is deactivated.", name=user.display_name)))
        return None
    if not user.has_role(role):
        message = (_("%(name)s is not a city leader.", name=user.display_name) if role == "leader"
                   else _("%(name)s is not a commissioner.", name=user.display_name))
        err((_label(column), message))
        return None
    return user


def _plain(key: str, value):
    if key == "annual_output":
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    return value


def _plan_changes(row: PlannedRow) -> None:
    ent = row.enterprise
    current = services.enterprise_snapshot(ent)
    row.values.pop("credit_code", None)  # the match key: never changed by an import
    for key, value in row.values.items():
        if current.get(key) != _plain(key, value):
            row.changes.append(_label("town" if key == "town_id" else key))
    row.fields_changed = bool(row.changes)
    if row.contact:
        known = {c.name: c for c in ent.contacts}
        existing = known.get(row.contact["name"])
        if existing is None or any(row.contact[k] and getattr(existing, k) != row.contact[k]
                                   for k in ("title", "phone")):
            row.contact_changed = True
            row.changes.append(_label("contact_name"))
    row.action = "update"


def plan(batch: ImportBatch) -> Plan:
    """Validate every row of ``batch`` against the registry as it is now."""
    ctx = _Context(batch.rows, batch.headers)
    first_seen: dict[str, int] = {}
    rows = []
    for number, cells in batch.rows:
        raw = dict(zip(batch.headers, cells))
        row = _parse_row(number, raw, ctx)
        if row.credit_code:
            if row.credit_code in first_seen:
                row.errors.append((_label("credit_code"), _(
                    "The same code is already in row %(n)d of this file.",
                    n=first_seen[row.credit_code])))
            else:
                first_seen[row.credit_code] = number
        if row.enterprise is not None and not row.errors:
            _plan_changes(row)
        rows.append(row)
    _check_people(rows)
    return Plan(rows=rows)


def _check_people(rows: list[PlannedRow]) -> None:
    """Which people of each update row do not hold their role yet (one query per 900
    rows); a row with no field, contact or people change is "unchanged"."""
    from crm.liaisons.models import Assignment

    updates = [r for r in rows if r.action == "update" and not r.errors]
    held = set()
    for chunk in _chunks(r.enterprise.id for r in updates):
        held.update(tuple(t) for t in db.session.execute(
            select(Assignment.enterprise_id, Assignment.user_id, Assignment.role)
            .where(Assignment.enterprise_id.in_(chunk), Assignment.end_date.is_(None))))
    for row in updates:
        wanted = sorted(row.leaders.items()) + [("commissioner", u) for u in row.commissioners]
        row.people = [(role, u) for role, u in wanted
                      if (row.enterprise.id, u.id, role) not in held]
        if row.people:
            row.changes.append(_("liaison people"))
        if not row.changes:
            row.action = "unchanged"


# -- writing -------------------------------------------------------------------------

@dataclass
class ImportResult:
    """What a confirmed import wrote."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


def apply(batch: ImportBatch, actor) -> tuple[Plan, ImportResult | None]:
    """Re-validate ``batch`` and, when every row is valid, write all of it.

    Returns the plan and the result (``None`` when rows have errors and nothing was
    written). Exceptions propagate so that the caller's transaction is rolled back.
    New enterprises are written in bulk (their contact and people were validated by
    the plan and have no history to end); updates go through the registry and
    assignment services one by one, which apply the replacement rules.
    """
    if batch.state != "preview":
        raise ImportFileError(_("This file has already been imported or discarded."))
    result_plan = plan(batch)
    if not result_plan.ok:
        return result_plan, None
    result = ImportResult()
    creates = [r for r in result_plan.rows if r.is_new]
    _create_all(creates, actor)
    result.created = len(creates)
    for row in result_plan.rows:
        if row.is_new:
            continue
        if row.action == "unchanged":
            result.unchanged += 1
            continue
        _update_one(row, actor)
        result.updated += 1
    batch.state = "committed"
    batch.committed_at = utcnow()
    db.session.flush()
    audit.record(actor, "import", batch, after={
        "filename": batch.filename, "sha256": batch.sha256, "created": result.created,
        "updated": result.updated, "unchanged": result.unchanged},
        summary=f"导入企业 {batch.filename}")
    return result_plan, result


def _create_all(rows: list[PlannedRow], actor) -> None:
    from crm.core.timeutil import local_today
    from crm.liaisons.assignments import ASSIGNMENT_FIELDS
    from crm.liaisons.models import Assignment

    for row in rows:
        row.enterprise = services.build_enterprise(row.values)
    db.session.add_all(r.enterprise for r in rows)
    db.session.flush()
    today, children = local_today(), []
    for row in rows:
        ent = row.enterprise
        audit.record(actor, "create", ent, after=services.enterprise_snapshot(ent),
                     summary=f"导入登记企业 {ent.name}", flush=False)
        if row.contact:
            children.append(Contact(enterprise_id=ent.id, is_primary=True,
                                    name=row.contact["name"],
                                    title=row.contact["title"] or None,
                                    phone=row.contact["phone"] or None))
        people = list(row.leaders.items()) + [("commissioner", u) for u in row.commissioners]
        for role, user in people:
            children.append(Assignment(enterprise_id=ent.id, user_id=user.id, role=role,
                                       start_date=today, created_by_id=actor.id))
    db.session.add_all(children)
    db.session.flush()
    for obj in children:
        if isinstance(obj, Contact):
            audit.record(actor, "create", obj, after=audit.snapshot(obj, services.CONTACT_FIELDS),
                         summary=f"导入联系人 {obj.name}", flush=False)
        else:
            audit.record(actor, "create", obj, after=audit.snapshot(obj, ASSIGNMENT_FIELDS),
                         summary="导入包联关系", flush=False)
    db.session.flush()


def _update_one(row: PlannedRow, actor) -> None:
    from crm.liaisons.assignments import AssignmentError, assign

    ent = row.enterprise
    if row.fields_changed:
        services.update_enterprise(ent, row.values, actor)
    if row.contact_changed:
        existing = next((c for c in ent.contacts if c.name == row.contact["name"]), None)
        if existing is None:
            services.add_contact(ent, row.contact, actor)
        else:
            services.update_contact(existing, {k: v for k, v in row.contact.items() if v},
                                    actor)
    try:
        for role, user in row.people:
            assign(ent, user, role, actor, tell=False)
    except AssignmentError as exc:
        raise ImportRowError(row.number, str(exc)) from exc


class ImportRowError(Exception):
    """A row failed while writing; the transaction must be rolled back."""

    def __init__(self, number: int, message: str):
        super().__init__(_("Row %(n)d: %(message)s", n=number, message=message))
        self.number = number

