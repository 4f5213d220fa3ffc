"""The demo county (``crm.seed.county.populate``): sign-ins, registry, problems, determinism.

Self-contained: the app and its in-memory SQLite database are made here (populated
once per module), so these tests do not depend on ``tests/conftest.py``. With
TEST_DATABASE_URL set, the demo is also loaded into a scratch PostgreSQL database.
"""
from __future__ import annotations

import os
import uuid
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from crm import create_app
from crm.auth.models import User
from crm.config import TestConfig
from crm.core.timeutil import local_midnight_utc, to_local, week_start
from crm.enterprises import credit_code
from crm.enterprises.models import Assignment, Contact, Enterprise
from crm.extensions import db
from crm.issues.models import STATES, Issue, IssueEvent
from crm.liaisons.models import Visit
from crm.meetings.models import Decision, Meeting
from crm.seed.county import DEMO_PASSWORD, DEMO_SIGNINS, populate

TODAY = date(2026, 11, 27)           # a Friday
NOW = local_midnight_utc(TODAY) + timedelta(hours=12)   # the demo clock: noon local


def _app(url: str = "sqlite://"):
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(Cfg)


@pytest.fixture(scope="module")
def demo_app():
    """One app with the demo county loaded (and committed) on in-memory SQLite."""
    app = _app()
    with app.app_context():
        db.create_all()
        counts = populate(today=TODAY)
        db.session.commit()
        db.session.remove()
    app.config["DEMO_COUNTS"] = counts
    return app


@pytest.fixture
def demo(demo_app):
    """The populate() counts, inside an app context on the demo database."""
    with demo_app.app_context():
        yield demo_app.config["DEMO_COUNTS"]
        db.session.rollback()


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _active(user: User, role: str) -> list[int]:
    return list(db.session.scalars(select(Assignment.enterprise_id).where(
        Assignment.user_id == user.id, Assignment.role == role, Assignment.end_date.is_(None))))


def test_counts_describe_a_county(demo):
    assert demo["enterprises"] == 120
    assert 25 <= demo["units"] <= 30
    assert demo["users"] >= 80
    assert demo["policies"] == 50
    assert demo["categories"] == 11
    assert demo["visits"] > 2000
    assert 250 <= demo["issues"] <= 330
    assert demo["issue_events"] > demo["issues"] * 4
    assert demo["decisions"] == 3
    assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 120
    assert db.session.scalar(select(func.count()).select_from(Issue)) == demo["issues"]


def test_demo_signins_exist_with_their_roles_and_the_password(demo):
    for username, role in DEMO_SIGNINS:
        user = _user(username)
        assert user is not None, username
        assert user.roles == {role}
        assert user.is_active and user.unit_id is not None
        assert user.check_password(DEMO_PASSWORD)
    assert not _user("admin").check_password("wrong")


def test_every_user_has_a_chinese_name_and_a_mobile_number(demo):
    for user in db.session.scalars(select(User)):
        assert user.display_name and all("\u4e00" <= ch <= "\u9fff" for ch in user.display_name)
        assert len(user.phone) == 11 and user.phone[0] == "1" and user.phone[1] in "3456789"
    roles = Counter(r for u in db.session.scalars(select(User)) for r in u.roles)
    assert roles["leader"] == 10 and roles["commissioner"] == 30
    assert roles["coordinator"] == 2 and roles["admin"] == 1 and roles["handler"] >= 26


def test_enterprises_have_valid_unique_credit_codes_and_search_keys(demo):
    ents = db.session.scalars(select(Enterprise)).all()
    assert len(ents) == 120
    assert all(credit_code.is_valid(e.credit_code) for e in ents)
    assert len({e.credit_code for e in ents}) == 120
    assert len({e.name for e in ents}) == 120
    for e in ents:
        assert e.name_pinyin and e.name_pinyin == e.name_pinyin.lower() and " " not in e.name_pinyin
        assert e.name_initials and e.name_initials.isalpha()
    assert Counter(e.industry for e in ents).most_common(1)[0][0] == "C"
    assert sum(e.is_chain_leader for e in ents) == 10
    assert {e.status for e in ents} >= {"normal", "reduced"}
    primaries = Counter(db.session.scalars(select(Contact.enterprise_id).where(Contact.is_primary)))
    assert len(primaries) == 120 and set(primaries.values()) == {1}


def test_each_enterprise_has_exactly_one_active_leader_a(demo):
    rows = db.session.execute(
        select(Assignment.enterprise_id, func.count()).where(
            Assignment.role == "leader_a", Assignment.end_date.is_(None))
        .group_by(Assignment.enterprise_id)).all()
    assert len(rows) == 120 and {n for _, n in rows} == {1}
    leader_a = dict(db.session.execute(select(Assignment.enterprise_id, Assignment.user_id).where(
        Assignment.role == "leader_a", Assignment.end_date.is_(None))).all())
    for ent_id, user_id in db.session.execute(select(Assignment.enterprise_id, Assignment.user_id)
                                              .where(Assignment.role == "leader_b")):
        assert user_id != leader_a[ent_id]
    commissioners = Counter(db.session.scalars(select(Assignment.enterprise_id).where(
        Assignment.role == "commissioner", Assignment.end_date.is_(None))))
    assert len(commissioners) == 120 and set(commissioners.values()) <= {1, 2}
    ended = db.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.end_date.is_not(None)))
    assert ended >= 10
    leader = _user("leader")
    assert len(_active(leader, "leader_a")) == 12
    assert 1 <= len(_active(leader, "leader_b")) <= 5


def test_problems_exist_in_every_state_with_consistent_fields(demo):
    issues = db.session.scalars(select(Issue)).all()
    assert {i.state for i in issues} == set(STATES)
    assert len({i.number for i in issues}) == len(issues)
    assert {i.source for i in issues} == {"visit", "direct", "decision"}
    for i in issues:
        assert i.number.startswith(f"{to_local(i.raised_at).year}-")
        if i.state not in ("new", "returned", "closed"):
            assert i.dispatched_at and i.due_at and i.warn_at and i.lead_unit_id
            assert i.dispatched_at <= i.warn_at <= i.due_at
        if i.state in ("in_progress", "paused", "resolved"):
            assert i.signed_at and i.handler_id
        if i.state == "resolved":
            assert i.resolved_at and i.resolution and i.resolved_on_time is not None
        if i.state == "closed" and i.dispatched_at:
            assert 3 <= i.rating <= 5 and i.rating_channel in ("self", "recorded") and i.rated_at
        if i.state == "reopened":
            # After a low rating, or handled again (重办) after a follow-up call.
            redone = db.session.scalar(select(func.count()).select_from(IssueEvent).where(
                IssueEvent.issue_id == i.id, IssueEvent.action == "redo"))
            assert redone or (i.rating in (1, 2) and i.reopen_count == 1)
        if i.source == "visit":
            visit = db.session.get(Visit, i.visit_id)
            assert visit.author_id == i.raised_by_id and visit.enterprise_id == i.enterprise_id
    lights = Counter(i.light(NOW) for i in issues)
    assert lights["green"] and lights["yellow"] and lights["red"]
    assert any(i.supervise_count for i in issues) and any(i.is_escalated for i in issues)


def test_every_problem_tells_its_story_in_order(demo):
    events: dict[int, list[IssueEvent]] = {}
    for e in db.session.scalars(select(IssueEvent).order_by(IssueEvent.id)):
        events.setdefault(e.issue_id, []).append(e)
    for issue in db.session.scalars(select(Issue)):
        story = events[issue.id]
        assert story[0].action == "raise" and story[0].to_state == "new"
        assert [e.at for e in story] == sorted(e.at for e in story)
        assert story[-1].at <= NOW
        state = None
        for e in story:
            if e.to_state:
                assert e.from_state == state, (issue.number, e.action)
                state = e.to_state
        assert state == issue.state, issue.number


def test_commissioner_has_visited_some_but_not_all_enterprises_this_week(demo):
    commissioner = _user("commissioner")
    mine = _active(commissioner, "commissioner")
    assert 4 <= len(mine) <= 6
    monday = week_start(TODAY)
    visited = set(db.session.scalars(select(Visit.enterprise_id).where(
        Visit.enterprise_id.in_(mine), Visit.visit_date >= monday, Visit.visit_date <= TODAY)))
    assert visited and visited != set(mine)
    open_raised = db.session.scalar(select(func.count()).select_from(Issue).where(
        Issue.raised_by_id == commissioner.id, Issue.state.in_(["new", "dispatched", "in_progress"])))
    assert open_raised >= 3


def test_visits_are_on_working_days_up_to_today(demo):
    from crm.issues.deadlines import is_workday

    dates = db.session.scalars(select(Visit.visit_date)).all()
    assert max(dates) <= TODAY
    assert min(dates) >= week_start(TODAY) - timedelta(weeks=25)
    assert all(is_workday(d) for d in dates)
    uuids = db.session.scalars(select(Visit.client_uuid)).all()
    assert len(set(uuids)) == len(uuids) and all(uuid.UUID(u) for u in uuids)


def test_handler_unit_has_dispatched_and_in_progress_problems(demo):
    handler = _user("handler")
    states = set(db.session.scalars(select(Issue.state).where(
        Issue.lead_unit_id == handler.unit_id)))
    assert {"dispatched", "in_progress"} <= states


def test_meetings_decisions_and_agenda(demo):
    meetings = db.session.scalars(select(Meeting)).all()
    joint = [m for m in meetings if m.kind == "joint"]
    assert sum(m.state == "minuted" for m in joint) == 4
    assert sum(m.state == "planning" for m in joint) == 1
    assert any(m.kind == "review" and m.state == "minuted" for m in meetings)
    # The joint meetings' decisions (the 专班's rhythm meetings have their own:
    # tests/taskforces/test_demo.py).
    decisions = db.session.scalars(select(Decision).join(Meeting).where(
        Meeting.kind != "taskforce")).all()
    assert len(decisions) == 3
    for d in decisions:
        issue = db.session.get(Issue, d.issue_id)
        assert issue.source == "decision" and issue.enterprise_id is None
        assert issue.lead_unit_id == d.unit_id and issue.dispatched_at and issue.due_at


def _fingerprint(seed: int = 20261127):
    """Load the demo into a fresh database; return what identifies its content."""
    app = _app()
    with app.app_context():
        db.create_all()
        populate(today=TODAY, seed=seed)
        ents = db.session.execute(select(Enterprise.name, Enterprise.credit_code)
                                  .order_by(Enterprise.id)).all()
        issues = db.session.execute(select(Issue.number, Issue.title, Issue.state, Issue.due_at)
                                    .order_by(Issue.id)).all()
        visits = db.session.scalars(select(Visit.client_uuid).order_by(Visit.id)).all()
        db.session.rollback()   # populate() does not commit: nothing stays behind
        left = db.session.scalar(select(func.count()).select_from(Enterprise))
        db.session.remove()
    return ents, issues, visits, left


def test_same_seed_gives_the_same_county_and_populate_does_not_commit():
    first, second = _fingerprint(), _fingerprint()
    assert first[0] == second[0]          # enterprise names and credit codes
    assert first[1:3] == second[1:3]      # problems and visits
    assert first[3] == 0
    assert _fingerprint(seed=7)[0] != first[0]


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL is not set")
def test_demo_loads_on_postgresql():
    """The demo respects PostgreSQL's CHECK constraints and partial unique indexes too
    (loaded into a scratch database, dropped afterwards)."""
    import psycopg

    base = os.environ["TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    name = f"crm_demo_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        app = _app(base.rsplit("/", 1)[0] + "/" + name)
        with app.app_context():
            db.create_all()
            counts = populate(today=TODAY)
            db.session.commit()
            assert db.session.scalar(select(func.count()).select_from(Issue)) == counts["issues"]
            db.session.remove()
            db.engine.dispose()
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
