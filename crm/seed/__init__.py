"""Generated data at a chosen scale: ``flask crm seed --scale
province|henan|county-large|county|tiny``.

``county`` is the demo county (``crm.seed.county``); ``province`` bulk-loads a year
of activity for 20,000 enterprises (``crm.seed.province``); ``henan`` is Henan's
万人助万企 (135,000 enterprises, 76,000 cadres, 26 weeks of visits; PostgreSQL only);
``county-large`` 3,000 enterprises with two years of visits; ``tiny`` is the province
generator at a small factor, for tests. Each bulk scale is a profile of the same
generator (``crm.seed.province.PROFILES``) at a factor.
"""
from __future__ import annotations

from crm.extensions import db
from crm.liaisons import rollups as coverage_rollups
from crm.meetings import rollups
from crm.meetings.metrics import cache

SCALES = {"province": 1.0, "tiny": 0.005, "henan": 1.0, "county-large": 1.0}
PROFILE_OF = {"tiny": "province"}  # a scale's generator profile, when not its own name
POSTGRESQL_ONLY = {"henan"}


def check_database(scale: str) -> None:
    """Refuse a scale the database cannot carry (raises ValueError with the reason)."""
    if scale in POSTGRESQL_ONLY and db.engine.dialect.name != "postgresql":
        raise ValueError(f"--scale {scale} needs PostgreSQL (3.5 million visits; COPY); "
                         f"this database is {db.engine.dialect.name}. Set DATABASE_URL to a "
                         "postgresql:// database.")


def seed(scale: str, seed: int = 20261127, today=None, echo=None) -> dict[str, int]:
    """Fill an empty database at ``scale``; commits. Returns the rows written per table."""
    check_database(scale)
    if scale == "county":
        # Each scale loads only its own generator, when the command runs.
        from crm.seed.county import populate

        counts = populate(today=today, seed=seed)
        db.session.commit()
        return write_rollups(counts, today)
    from crm.seed.bulk import fast_sqlite  # the province's generator, as above
    from crm.seed.province import populate_province

    fast_sqlite()
    counts = populate_province(SCALES[scale], seed=seed, today=today, echo=echo,
                               profile=PROFILE_OF.get(scale, scale))
    cache.invalidate()  # the raw bulk load bypassed the session events
    return write_rollups(counts, today, echo)


def write_rollups(counts: dict, today, echo=None) -> dict[str, int]:
    """The figures written once from the loaded rows: closed months' by unit for the
    overview (``crm.meetings.rollups``) and weeks' coverage (``crm.liaisons.rollups``)."""
    counts["rollup_months"] = len(rollups.rebuild_all())
    if echo:
        echo("  month rollups written")
    counts["coverage_weeks"] = len(coverage_rollups.rebuild_all(today))
    if echo:
        echo("  coverage weeks written")
    return counts
