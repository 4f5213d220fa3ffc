"""Atomic named counters (readable numbers such as 2026-0137)."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from crm.core.models import Counter
from crm.extensions import db


def next_value(key: str) -> int:
    """Increment counter ``key`` and return the new value.

    The UPDATE takes a row lock (PostgreSQL) or the write lock (SQLite), so two
    concurrent transactions never get the same value. A counter loaded in the session
    is brought up to date from the returned row ("fetch"), rather than by testing the
    condition on every object the session holds (thousands in a generator's session).
    """
    for _attempt in range(3):
        result = db.session.execute(
            update(Counter).where(Counter.key == key).values(value=Counter.value + 1)
            .returning(Counter.value).execution_options(synchronize_session="fetch")
        ).scalar()
        if result is not None:
            return result
        try:
            with db.session.begin_nested():
                db.session.add(Counter(key=key, value=0))
        except IntegrityError:
            pass  # another transaction created it first; retry the UPDATE
    raise RuntimeError(f"counter {key} could not be incremented")


def peek(key: str) -> int:
    """The current value of ``key`` (0 when it has never been used)."""
    return db.session.scalar(select(Counter.value).where(Counter.key == key)) or 0
