"""Bulk writers for the province generator: Core executemany on SQLite, COPY on PostgreSQL.

The generator hands over plain dicts with explicit primary keys; the writer fills the
columns' scalar/callable defaults itself so that COPY (which knows nothing of the ORM)
gets complete rows, and afterwards moves the PostgreSQL sequences past the loaded ids.
"""
from __future__ import annotations

import json
from typing import Iterable

from sqlalchemy import JSON, Table, text

from crm.extensions import db

CHUNK = 20_000


def _defaults(table: Table) -> dict:
    """The Python-side default of every column that has one (callables called once)."""
    out = {}
    for col in table.columns:
        default = col.default
        if default is None:
            continue
        if default.is_scalar:
            out[col.name] = default.arg
        elif default.is_callable and col.info.get("per_row"):
            out[col.name] = _PerRow(default.arg)  # a value of its own in every row
        elif default.is_callable:
            out[col.name] = default.arg(None)  # SQLAlchemy wraps it as fn(context)
    return out


class _PerRow:
    """A callable default that must differ between rows (a random code): called for
    each row instead of once (columns marked ``info={"per_row": True}``)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self):
        return self.fn(None)


def _value(default):
    return default() if isinstance(default, _PerRow) else default


class BulkWriter:
    """Writes rows to tables as fast as the database allows, in one connection."""

    def __init__(self, session=None):
        self.session = session or db.session
        self.conn = self.session.connection()
        self.dialect = self.conn.dialect.name
        self.counts: dict[str, int] = {}
        self._defaults: dict[str, dict] = {}

    def write(self, table: Table, rows: Iterable[dict]) -> int:
        """Insert ``rows`` into ``table`` in chunks; returns how many were written."""
        defaults = self._defaults.setdefault(table.name, _defaults(table))
        n, chunk = 0, []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                n += self._flush(table, defaults, chunk)
                chunk = []
        if chunk:
            n += self._flush(table, defaults, chunk)
        self.counts[table.name] = self.counts.get(table.name, 0) + n
        return n

    def _flush(self, table: Table, defaults: dict, rows: list[dict]) -> int:
        names = list(dict.fromkeys(k for row in rows for k in row))
        names += [k for k in defaults if k not in names]
        # A key missing from a row means the column's default, or NULL when it has none.
        full = [[row[k] if k in row else _value(defaults.get(k)) for k in names] for row in rows]
        if self.dialect == "postgresql":
            raw = self.conn.connection.driver_connection
            cols = ", ".join(f'"{k}"' for k in names)
            jsons = [i for i, k in enumerate(names) if isinstance(table.c[k].type, JSON)]
            for values in full:  # COPY takes JSON as its text
                for i in jsons:
                    if values[i] is not None:
                        values[i] = json.dumps(values[i], ensure_ascii=False)
            with raw.cursor() as cur:
                with cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
                    for values in full:
                        copy.write_row(values)
        else:
            self.conn.execute(table.insert(), [dict(zip(names, v)) for v in full])
        return len(rows)

    def fix_sequences(self, tables: Iterable[Table]) -> None:
        """On PostgreSQL, move each table's id sequence past the ids written explicitly."""
        if self.dialect != "postgresql":
            return
        for table in tables:
            if "id" not in table.columns:
                continue
            self.conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT max(id) FROM \"{table.name}\"), 0) + 1, false)"))


def fast_sqlite(session=None) -> None:
    """Turn off SQLite's per-commit fsync for a bulk load (WAL, synchronous=OFF).

    Only this connection is affected; a crash during the load loses the load, which
    is then simply run again.
    """
    conn = (session or db.session).connection()
    if conn.dialect.name == "sqlite":
        # SQLite changes neither inside a transaction, and the engine has just begun
        # one (crm/core/transactions.py): end it (the load has written nothing yet),
        # set them, and begin it again.
        raw = conn.connection.dbapi_connection
        began = raw.in_transaction
        if began:
            raw.execute("COMMIT")
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=OFF")
        if began:
            raw.execute("BEGIN")
