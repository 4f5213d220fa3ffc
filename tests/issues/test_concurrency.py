"""Optimistic locking: two people act on the same problem at once; the second is told
who changed it and nothing of theirs is half-written (PostgreSQL, real sessions)."""
import threading

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.issues.errors import ConflictError
from crm.issues.models import Issue, IssueEvent
from crm.issues.workflow import transition
from tests.issues.conftest import make_world


def _events(issue_id):
    return db.session.scalars(select(IssueEvent.action).where(IssueEvent.issue_id == issue_id)
                              .order_by(IssueEvent.id)).all()


def test_second_session_acting_on_a_stale_problem_gets_the_conflict(pg_app):
    w = make_world()
    issue_id = w.issue("dispatched").id
    db.session.commit()
    handler_id, coordinator_id = w.handler.id, w.coordinator.id
    from crm.auth.models import User

    with pg_app.app_context():  # session A: the handler opens the problem
        a_issue = db.session.get(Issue, issue_id)
        a_handler = db.session.get(User, handler_id)
        with pg_app.app_context():  # session B: the coordinator closes it meanwhile
            b_issue = db.session.get(Issue, issue_id)
            transition(b_issue, "close", db.session.get(User, coordinator_id),
                       expected_version=b_issue.version, text="企业已注销")
            db.session.commit()
        # A still holds version 1 in memory: the UPDATE finds no such row version.
        assert a_issue.version == 1
        with pytest.raises(ConflictError) as exc:
            transition(a_issue, "sign", a_handler, expected_version=1)
        assert exc.value.message == "该问题已被 周协调 修改，请刷新后再操作"
        db.session.rollback()
    db.session.expire_all()
    fresh = db.session.get(Issue, issue_id)
    assert fresh.state == "closed" and fresh.handler_id is None
    assert _events(issue_id) == ["close"]  # the factory made no raise event


def test_stale_version_from_the_page_is_refused_before_anything_is_written(pg_app):
    w = make_world()
    issue = w.issue("dispatched")
    db.session.commit()
    transition(issue, "sign", w.handler, expected_version=issue.version)
    db.session.commit()
    with pytest.raises(ConflictError) as exc:
        transition(issue, "escalate", w.coordinator, expected_version=1)
    assert "韩经办" in exc.value.message
    assert issue.is_escalated is False


def test_two_threads_racing_on_the_same_version_one_wins(pg_app):
    w = make_world()
    issue_id = w.issue("dispatched").id
    db.session.commit()
    ids = {"sign": w.handler.id, "return": w.handler.id}
    barrier = threading.Barrier(2)
    results = {}

    def act(action):
        from crm.auth.models import User

        with pg_app.app_context():
            issue = db.session.get(Issue, issue_id)
            actor = db.session.get(User, ids[action])
            barrier.wait()
            try:
                transition(issue, action, actor, expected_version=1, text="非本单位职责")
                db.session.commit()
                results[action] = "ok"
            except ConflictError as exc:
                db.session.rollback()
                results[action] = exc.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=act, args=(a,)) for a in ("sign", "return")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results.values()).count("ok") == 1, results
    loser = next(v for v in results.values() if v != "ok")
    assert loser.startswith("该问题已被") and loser.endswith("请刷新后再操作")
    db.session.expire_all()
    final = db.session.get(Issue, issue_id)
    assert final.version == 2
    assert db.session.scalar(select(func.count()).select_from(IssueEvent)
                             .where(IssueEvent.issue_id == issue_id)) == 1
