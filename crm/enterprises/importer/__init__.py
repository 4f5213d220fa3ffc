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
from crm.enterprises.importer.planning import Plan, PlannedRow, plan
from crm.enterprises.importer.reading import (
    MAX_BYTES,
    MAX_ROWS,
    ImportFileError,
    Table,
    read_table,
)
from crm.enterprises.importer.writing import (
    ImportResult,
    ImportRowError,
    apply,
    create_batch,
    discard_batch,
    purge_old_batches,
)

__all__ = [
    "MAX_BYTES", "MAX_ROWS", "ImportFileError", "ImportResult", "ImportRowError", "Plan",
    "PlannedRow", "Table", "apply", "create_batch", "discard_batch", "plan",
    "purge_old_batches", "read_table",
]
