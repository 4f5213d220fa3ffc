"""Validating the rows of a batch against the registry as it is now: the plan."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.auth.forms import PHONE_RE
from crm.auth.models import Unit, User
from crm.enterprises import columns as cols
from crm.enterprises import credit_code as cc
from crm.enterprises import services
from crm.enterprises.models import Assignment, Enterprise, ImportBatch
from crm.extensions import db

_SPLIT_USERS = re.compile(r"[\s,，、;；/]+")
_PHONE = re.compile(PHONE_RE)
_CHUNK = 900  # bound parameters per IN (...) stay far below every database's limit


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
