"""The province generator at a tiny factor: same invariants as the real data."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from crm.auth.models import User
from crm.enterprises import credit_code
from crm.enterprises.models import Assignment, Enterprise
from crm.extensions import db
from crm.issues.models import Issue, IssueEvent
from crm.liaisons.models import Visit
from crm.meetings.models import Meeting
from crm.seed import seed
from tests.conftest import _clean

TODAY = date(2026, 11, 27)


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_tiny_province_keeps_the_invariants(app, client):
    counts = seed("tiny", today=TODAY)
    # The sizes asked for, exactly: a year of visits and the problems they raised.
    from crm.seed.province import SIZES

    factor = counts["enterprises"] / SIZES["enterprises"]
    assert counts["enterprises"] == 100
    assert counts["visits"] == round(SIZES["visits"] * factor)
    assert _count(Issue, Issue.source == "visit") == round(SIZES["issues"] * factor)
    assert counts["issues"] == _count(Issue, Issue.source.in_(["visit", "decision"]))
    # Valid credit codes and pinyin search keys on every enterprise.
    for code, pinyin, initials in db.session.execute(
            select(Enterprise.credit_code, Enterprise.name_pinyin, Enterprise.name_initials)):
        assert credit_code.check_char(code[:17]) == code[17]
        assert pinyin and initials
    # Exactly one active leader_a per enterprise.
    per_ent = select(Assignment.enterprise_id, func.count().label("n")).where(
        Assignment.role == "leader_a", Assignment.end_date.is_(None)).group_by(
        Assignment.enterprise_id).subquery()
    assert db.session.scalar(select(func.count()).select_from(per_ent)) == 100
    assert db.session.scalar(select(func.max(per_ent.c.n))) == 1
    # Problems in every state, each with its raise event; clock fields where the clock runs.
    states = set(db.session.scalars(select(Issue.state).distinct()))
    assert states == {"new", "dispatched", "returned", "in_progress", "paused", "resolved",
                      "reopened", "closed"}
    assert _count(Issue, Issue.state != "new", Issue.state != "returned",
                  Issue.due_at.is_(None)) == 0
    assert _count(Issue, Issue.due_at.is_not(None), Issue.warn_at > Issue.due_at) == 0
    raised = select(IssueEvent.issue_id).where(IssueEvent.action == "raise")
    assert _count(Issue, Issue.id.not_in(raised)) == 0
    assert _count(Visit, Visit.visit_date > TODAY) == 0
    assert _count(Meeting, Meeting.kind != "taskforce") == 12  # joint and review
    assert _count(Meeting, Meeting.kind == "taskforce") > 0  # the task forces' rhythm
    # The five demo sign-ins work, and the numbering continues after the loaded problems.
    assert set(db.session.scalars(select(User.username).where(User.username.in_(
        ["admin", "coordinator", "leader", "commissioner", "handler"])))) == {
        "admin", "coordinator", "leader", "commissioner", "handler"}
    response = client.post_form("/login", {"username": "commissioner", "password": "crm-demo"})
    assert response.status_code == 302
    from crm.issues.services import next_issue_number

    assert next_issue_number() not in set(db.session.scalars(select(Issue.number)))


def test_same_seed_same_rows(app):
    def snapshot():
        return db.session.execute(select(
            Enterprise.name, Enterprise.credit_code, func.count(Visit.id)).join(
            Visit, Visit.enterprise_id == Enterprise.id).group_by(
            Enterprise.id).order_by(Enterprise.id)).all()

    seed("tiny", today=TODAY, seed=7)
    first = snapshot()
    numbers = sorted(db.session.scalars(select(Issue.number)))
    _clean(app)
    seed("tiny", today=TODAY, seed=7)
    assert snapshot() == first
    assert sorted(db.session.scalars(select(Issue.number))) == numbers
