"""The henan and county-large profiles of the province generator at tiny factors: the
sizes they ask for, in proportion; unique unit names; health flags and visit caps; and
henan refuses SQLite."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from crm.auth.models import Unit, User, UserRole
from crm.core.timeutil import week_start
from crm.enterprises.models import Assignment, Enterprise
from crm.extensions import db
from crm.financing.models import FinancingNeed
from crm.issues.followups import FollowUp
from crm.issues.models import Issue
from crm.liaisons.models import Visit, VisitCap, VisitFlag
from crm.seed import check_database, seed
from crm.seed.province import PROFILES, SIZES, populate_province

TODAY = date(2026, 11, 27)


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_profiles_in_proportion():
    henan, large, province = PROFILES["henan"], PROFILES["county-large"], PROFILES["province"]
    assert province.sizes == SIZES and province.weeks == 52 and not province.extras
    assert henan.sizes["enterprises"] == 135_000 and henan.weeks == 26
    assert henan.sizes["visits"] == 3_500_000 and henan.sizes["issues"] == 300_000
    assert henan.sizes["towns"] + henan.sizes["departments"] == 3_000
    assert henan.sizes["leaders"] + henan.sizes["commissioners"] + henan.sizes["handlers"] \
        == 76_000
    assert henan.finance == henan.sizes["enterprises"] / SIZES["enterprises"]
    assert large.sizes["enterprises"] == 3_000 and large.weeks == 104
    # Per enterprise and year, the large county visits and raises problems as the province.
    per_year = large.sizes["visits"] / large.sizes["enterprises"] / 2
    assert per_year == SIZES["visits"] / SIZES["enterprises"]
    assert large.sizes["issues"] / large.sizes["visits"] == SIZES["issues"] / SIZES["visits"]
    assert large.history_days > large.weeks * 7


@pytest.mark.parametrize("name,factor", [("henan", 0.002), ("county-large", 0.02)])
def test_profile_at_a_tiny_factor(pg_app, name, factor):
    prof = PROFILES[name]
    counts = populate_province(factor, today=TODAY, profile=name)
    assert counts["enterprises"] == prof.n("enterprises", factor, 5)
    assert counts["visits"] == prof.n("visits", factor, 10)
    assert _count(Issue, Issue.source == "visit") == prof.n("issues", factor, 5)
    assert _count(UserRole, UserRole.role == "commissioner") == prof.n("commissioners", factor, 2)
    assert _count(Unit, Unit.kind == "town") == prof.n("towns", factor, 3)
    # Every visit within the profile's weeks, none after today, none before its assignment.
    first = db.session.scalar(select(func.min(Visit.visit_date)))
    assert first >= week_start(TODAY) - timedelta(weeks=prof.weeks - 1)
    assert first < week_start(TODAY) - timedelta(weeks=prof.weeks - 2)
    assert db.session.scalar(select(func.max(Visit.visit_date))) <= TODAY
    assert db.session.scalar(select(func.min(Assignment.start_date))) <= first
    # Unique unit names and usernames; the demo sign-ins exist.
    assert _count(Unit) == db.session.scalar(select(func.count(func.distinct(Unit.name))))
    assert "commissioner" in set(db.session.scalars(select(User.username)))
    # This round's records, in every state, and the extras of the large profiles.
    assert {s for s in db.session.scalars(select(Issue.state).distinct())} >= {
        "new", "dispatched", "in_progress", "resolved", "closed"}
    assert _count(FinancingNeed) > 0 and _count(FollowUp) > 0
    assert _count(VisitFlag) > 0 and _count(VisitCap) > 0
    assert _count(Enterprise) == counts["enterprises"]
    if prof.cities:  # units of the cities: 郑州市…区…镇 and …局
        names = list(db.session.scalars(select(Unit.name).where(Unit.kind == "town")))
        assert all(any(n.startswith(c) for c in prof.cities) for n in names)


def test_henan_refuses_sqlite(app):
    if db.engine.dialect.name == "postgresql":
        check_database("henan")  # accepted
        return
    with pytest.raises(ValueError, match="PostgreSQL"):
        seed("henan", today=TODAY)
    assert _count(Enterprise) == 0
    check_database("county-large")  # SQLite carries the large county


def test_cli_refuses_sqlite(app):
    if db.engine.dialect.name == "postgresql":
        return
    result = app.test_cli_runner().invoke(args=["crm", "seed", "--scale", "henan"])
    assert result.exit_code != 0
    assert "needs PostgreSQL" in result.output
