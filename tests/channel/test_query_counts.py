"""The issue-18 pages cost the same number of queries at two data sizes, within a
budget: the enterprise's own page, the 回访 queue, appeals, case groups, the scorecard,
the bulletins."""
from __future__ import annotations

from crm.extensions import db
from crm.issues import case_groups
from crm.issues.followups import FollowUp
from tests import factories
from tests.conftest import count_queries
from tests.issues.conftest import utc

BUDGET = 12  # the product-wide per-page budget


def cost(client, url) -> int:
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200, url
    return q.count


def populate(n, ent, comm, unit, coord):
    numbers = []
    for _ in range(n):
        factories.red_issue(ent, comm, lead_unit_id=unit.id)
        closed = factories.issue(ent, comm, state="closed", rating=5, lead_unit_id=unit.id,
                                 rated_at=utc(2026, 11, 20, 2), resolved_at=utc(2026, 11, 19, 2),
                                 resolution="已办结", dispatched_at=utc(2026, 11, 10, 2))
        factories.policy()
        db.session.add(FollowUp(issue_id=closed.id, source="sample", rating=5,
                                rated_at=closed.rated_at, due_at=utc(2026, 11, 24, 10)))
        numbers.append(closed.number)
        other = factories.issue(ent, comm, state="in_progress", lead_unit_id=unit.id)
        numbers.append(other.number)
    db.session.flush()
    case_groups.create_group({"title": f"类案{n}", "cause": "同因", "lead_unit_id": unit.id,
                              "numbers": numbers}, coord)
    db.session.commit()


def test_pages_stay_within_budget_and_do_not_grow(app, client, login_as):
    coord = factories.user(["coordinator", "leader"])
    comm = factories.user(["commissioner"])
    unit = factories.unit("市发改委")
    ent = factories.enterprise()
    factories.assignment(ent, comm)
    db.session.commit()
    login_as(coord)
    populate(2, ent, comm, unit, coord)
    code = ent.channel_code
    urls = [f"/c/{code}", f"/c/{code}/raise", "/problems/follow-ups", "/problems/appeals",
            "/problems/case-groups", "/problems/case-groups/1", "/meetings/scorecards",
            "/meetings/bulletins", f"/enterprises/{ent.id}/code"]
    phone = app.test_client()

    def measure():
        return [cost(phone if u.startswith("/c/") else client, u) for u in urls]

    small = measure()
    populate(12, ent, comm, unit, coord)
    large = measure()
    print("\nqueries per page:", dict(zip(urls, large)))
    assert small == large, dict(zip(urls, zip(small, large)))
    assert max(large) <= BUDGET, dict(zip(urls, large))
