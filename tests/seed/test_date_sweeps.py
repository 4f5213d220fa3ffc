"""The generators on every sweep day (tests/clock.py): ``flask crm demo`` into an empty
database, and the province generator at a tiny factor.

Both follow the clock, so their data must make sense whatever day (and hour) they run:
nothing has happened later than now, no problem is due before it was dispatched, no
rating precedes the resolution, every running deadline ends a working day at 18:00,
and the pages people land on answer.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import time, timedelta

from sqlalchemy import func, or_, select

from crm.auth.models import User
from crm.core.models import Notification
from crm.core.timeutil import local_today, to_local, utcnow
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.models import OPEN_STATES, Issue, IssueEvent
from crm.liaisons.models import Visit
from crm.meetings.models import Decision, Meeting
from crm.seed.county import DEMO_SIGNINS
from crm.seed.province import populate_province

DUE_TIME = time(18, 0)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _assert_the_data_can_have_happened_by_now() -> None:
    """The rules every generated county keeps, on whatever day it was generated."""
    now, today = utcnow(), local_today()
    overrides = dl.overrides_between(today - timedelta(days=500), today + timedelta(days=200))
    # Nothing in the future: visits, the problems' timelines, notices, meetings set up.
    assert _count(Visit) and _count(Visit, Visit.visit_date > today) == 0
    assert _count(Visit, Visit.created_at > now) == 0
    assert _count(IssueEvent, IssueEvent.at > now) == 0
    assert _count(Issue, or_(Issue.raised_at > now, Issue.dispatched_at > now,
                             Issue.resolved_at > now, Issue.rated_at > now)) == 0
    assert _count(Notification, Notification.created_at > now) == 0
    assert _count(Meeting, Meeting.created_at > now) == 0
    # The clock starts at dispatch: no deadline before it, yellow before red.
    assert _count(Issue, Issue.due_at < Issue.dispatched_at) == 0
    assert _count(Issue, Issue.sign_due_at < Issue.dispatched_at) == 0
    assert _count(Issue, Issue.warn_at > Issue.due_at) == 0
    # A rating follows a resolution, in the record and in the timeline.
    assert _count(Issue, Issue.rated_at < Issue.resolved_at) == 0
    timeline = defaultdict(list)
    for issue_id, action, at in db.session.execute(
            select(IssueEvent.issue_id, IssueEvent.action, IssueEvent.at)
            .where(IssueEvent.action.in_(("raise", "resolve", "rate")))
            .order_by(IssueEvent.issue_id, IssueEvent.at, IssueEvent.id)):
        timeline[issue_id].append((action, at))
    for issue_id, events in timeline.items():
        assert events[0][0] == "raise", issue_id
        resolved = 0
        for action, _at in events:
            resolved += action == "resolve"
            if action == "rate":
                assert resolved, f"problem {issue_id} rated before it was resolved"
                resolved -= 1
    # Every running deadline of an open problem ends a working day, at 18:00 local.
    running = db.session.execute(select(
        Issue.number, Issue.sign_due_at, Issue.progress_due_at, Issue.due_at).where(
        Issue.state.in_(OPEN_STATES), Issue.dispatched_at.is_not(None))).all()
    assert running
    for number, *deadlines in running:
        for value in deadlines:
            if value is None:
                continue
            local = to_local(value)
            assert local.time() == DUE_TIME, (number, local)
            assert dl.is_workday(local.date(), overrides), (number, local)
    # A meeting decision is due on a working day (as the dispatch form demands).
    for due in db.session.scalars(select(Decision.due_date)):
        assert dl.is_workday(due, overrides), due


def _sign_in(client, username: str) -> None:
    """Open a session as ``username``, as the sign-in form does when it succeeds.

    The form itself (and the demo password) is tested in tests/core/test_demo.py and
    tests/auth; here it would cost a deliberately slow password hash per home page,
    fifty times over the sweep days and databases.
    """
    user = db.session.scalar(select(User).where(User.username == username))
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"], session["_fresh"] = user.get_id(), True


# What each demo sign-in sees first on its home page, whatever the day.
HOME_SHOWS = {"admin": "/admin/users", "coordinator": 'data-testid="kpis"',
              "leader": "/enterprises/", "commissioner": 'data-testid="week-row"',
              "handler": 'data-testid="section-in_hand"',
              "bank": 'data-testid="queue-row"'}   # the bank's 推荐清单 (issue 17)


def _assert_each_home_page_answers(client) -> None:
    """Each demo sign-in lands on its home page (the coordinator's is the overview)."""
    for username, _role in DEMO_SIGNINS:
        _sign_in(client, username)
        response = client.get("/", follow_redirects=True)
        assert response.status_code == 200, username
        html = response.get_data(as_text=True)
        assert 'data-testid="home-heading"' in html, username
        assert HOME_SHOWS[username] in html, username
    assert client.get("/meetings/overview").status_code == 403, "the handler has no overview"


def test_flask_crm_demo_on_every_sweep_day(app, client, sweep_now):
    result = app.test_cli_runner().invoke(args=["crm", "demo"])
    assert result.exit_code == 0, result.output
    assert "issues:" in result.output
    db.session.remove()
    _assert_the_data_can_have_happened_by_now()
    _assert_each_home_page_answers(client)


def test_tiny_province_on_every_sweep_day(app, client, sweep_now):
    populate_province(0.002, seed=3)
    _assert_the_data_can_have_happened_by_now()
    _assert_each_home_page_answers(client)
