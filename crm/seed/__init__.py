"""Generated data at a chosen scale: ``flask crm seed --scale province|county|tiny``.

``county`` is the demo county (``crm.seed.county``); ``province`` bulk-loads a year
of activity for 20,000 enterprises (``crm.seed.province``); ``tiny`` is the province
generator at a small factor, for tests.
"""
from __future__ import annotations

from crm.extensions import db
from crm.meetings.metrics import cache

SCALES = {"province": 1.0, "tiny": 0.005}


def seed(scale: str, seed: int = 20261127, today=None, echo=None) -> dict[str, int]:
    """Fill an empty database at ``scale``; commits. Returns the rows written per table."""
    if scale == "county":
        # Each scale loads only its own generator, when the command runs.
        from crm.seed.county import populate

        counts = populate(today=today, seed=seed)
        db.session.commit()
        return counts
    from crm.seed.bulk import fast_sqlite  # the province's generator, as above
    from crm.seed.province import populate_province

    fast_sqlite()
    counts = populate_province(SCALES[scale], seed=seed, today=today, echo=echo)
    cache.invalidate()  # the raw bulk load bypassed the session events
    return counts
