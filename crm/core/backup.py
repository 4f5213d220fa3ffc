"""Backup and restore of the embedded SQLite database.

SQLite's online backup API copies a consistent snapshot while the app keeps running.
PostgreSQL deployments use ``pg_dump``/``pg_restore`` instead (see README).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """Backup or restore refused; the message says why."""


def sqlite_path(database_uri: str) -> Path:
    """The file behind a ``sqlite:///…`` URI (refuses other databases and :memory:)."""
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite":
        raise BackupError("backup/restore here is for SQLite; use pg_dump/pg_restore "
                          "for PostgreSQL (see README)")
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(url.database)


def backup(database_uri: str, target: Path) -> int:
    """Copy the live database to ``target`` (a consistent snapshot). Returns its size."""
    source = sqlite_path(database_uri)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    return target.stat().st_size


def restore(database_uri: str, source: Path) -> None:
    """Replace the database with the snapshot at ``source`` (checked first)."""
    target = sqlite_path(database_uri)
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    with sqlite3.connect(source) as snap:
        try:
            ok = snap.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            tables = {r[0] for r in snap.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not an SQLite database: {exc}") from exc
        if not ok:
            raise BackupError(f"{source} is damaged")
        if "alembic_version" not in tables and "enterprises" not in tables:
            raise BackupError(f"{source} is not a backup of this application")
        with sqlite3.connect(target) as dst:
            snap.backup(dst)
