"""Readable problem numbers come from an atomic counter."""
from datetime import datetime

from sqlalchemy import select

from crm.core.counters import next_value, peek
from crm.extensions import db
from crm.issues.models import IssueEvent
from crm.issues.services import next_issue_number, raise_issue
from tests import factories


def test_counter_counts_from_one_per_key(app):
    assert [next_value("a"), next_value("a"), next_value("b"), next_value("a")] == [1, 2, 1, 3]
    assert peek("a") == 3 and peek("never") == 0


def test_issue_numbers_follow_the_local_year(app):
    # 2026-12-31 17:00 UTC is already 2027-01-01 01:00 in Asia/Shanghai.
    assert next_issue_number(datetime(2026, 12, 31, 15, 0)) == "2026-0001"
    assert next_issue_number(datetime(2026, 12, 31, 17, 0)) == "2027-0001"
    assert next_issue_number(datetime(2026, 12, 31, 15, 59)) == "2026-0002"


def test_raise_issue_records_new_problem_with_its_first_event(app):
    ent = factories.enterprise()
    who = factories.user(roles=["commissioner"])
    issue = raise_issue(ent, {"title": "  用工缺口 50 人 ", "description": ""}, who)
    db.session.commit()
    assert issue.state == "new" and issue.title == "用工缺口 50 人" and issue.description is None
    assert issue.source == "direct" and issue.raised_by_id == who.id
    events = db.session.scalars(select(IssueEvent).where(IssueEvent.issue_id == issue.id)).all()
    assert [(e.action, e.to_state, e.actor_id) for e in events] == [("raise", "new", who.id)]
