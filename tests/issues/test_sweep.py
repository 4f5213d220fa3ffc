"""The deadline sweep: due-soon and overdue notices once per stage, safe to run twice;
the CLI command and the periodic rq job that re-schedules itself."""
from datetime import date, timedelta

from sqlalchemy import func, select

from crm.core.models import Notification
from crm.core.timeutil import local_today
from crm.enterprises.models import LeaderAbsence
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.sweep import SWEEP_JOB, periodic_sweep, sweep
from crm.issues.workflow import transition
from tests.issues.conftest import utc


def _texts(user):
    return db.session.scalars(select(Notification.text).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def _total():
    return db.session.scalar(select(func.count()).select_from(Notification))


def _dispatched(w):
    issue = w.issue()
    # Monday 2026-03-02 10:00 local: sign by 03-03, resolve by 03-11, yellow from 03-10 18:00.
    transition(issue, "dispatch", w.coordinator, now=utc(2026, 3, 2, 2), unit_id=w.unit.id,
               level="ordinary")
    return issue


def test_sign_overdue_then_due_soon_then_overdue_each_once(world):
    w = world
    issue = _dispatched(w)
    db.session.commit()
    base = _total()
    assert sweep(utc(2026, 3, 3, 9)) == {}  # before the sign deadline: nothing
    counts = sweep(utc(2026, 3, 4, 1))
    assert counts == {"sign_overdue": 2}  # the unit's handler and the coordinator
    assert "尚未签收" in _texts(w.handler)[-1]
    assert sweep(utc(2026, 3, 4, 2)) == {"sign_overdue": 0}, "safe to run twice"
    transition(issue, "sign", w.handler, now=utc(2026, 3, 4, 3))
    transition(issue, "progress", w.handler, now=utc(2026, 3, 4, 4), text="已对接")
    assert sweep(utc(2026, 3, 10, 9)) == {}  # still green
    assert sweep(utc(2026, 3, 10, 11)) == {"due_soon": 1}  # yellow: the signed handler
    assert "即将到期" in _texts(w.handler)[-1]
    assert sweep(utc(2026, 3, 11, 5)) == {"due_soon": 0}
    counts = sweep(utc(2026, 3, 12, 1))  # red: unit, coordinators, leader A
    assert counts == {"overdue": 3}
    assert "已超期" in _texts(w.leader)[-1] and not _texts(w.leader_b)
    assert sweep(utc(2026, 3, 13, 1)) == {"overdue": 0}
    db.session.commit()
    assert _total() - base == 2 + 1 + 3


def test_a_granted_extension_gets_fresh_notices_for_its_new_deadline(world):
    w = world
    issue = _dispatched(w)
    transition(issue, "sign", w.handler, now=utc(2026, 3, 2, 3))
    transition(issue, "progress", w.handler, now=utc(2026, 3, 3, 3), text="已对接")
    assert sweep(utc(2026, 3, 10, 11)) == {"due_soon": 1}
    transition(issue, "request_extension", w.handler, now=utc(2026, 3, 10, 12),
               until=date(2026, 3, 20), text="需协调")
    transition(issue, "grant_extension", w.coordinator, now=utc(2026, 3, 10, 13))
    assert sweep(utc(2026, 3, 11, 5)) == {}  # green again
    assert sweep(utc(2026, 3, 19, 11)) == {"due_soon": 1}


def test_leader_b_gets_the_overdue_notice_while_leader_a_is_away(world):
    w = world
    today = local_today()
    db.session.add(LeaderAbsence(user_id=w.leader.id, start_date=today,
                                 end_date=today + timedelta(days=7), note="学习培训"))
    issue = _dispatched(w)
    issue.due_at = dl.end_of_day(today - timedelta(days=3))
    issue.state = "in_progress"  # test set-up only
    db.session.flush()
    sweep()
    assert any("已超期" in t for t in _texts(w.leader_b))
    assert any("已超期" in t for t in _texts(w.leader))  # A reads it on return


def test_paused_resolved_and_closed_problems_are_left_alone(world):
    w = world
    for state in ("paused", "resolved", "closed", "new"):
        w.issue(state, due_at=utc(2026, 1, 1), warn_at=utc(2025, 12, 30),
                sign_due_at=utc(2025, 12, 30))
    assert sweep(utc(2026, 3, 1)) == {}


def test_flask_crm_sweep_command(app, world):
    w = world
    _dispatched(w)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["crm", "sweep"])
    assert result.exit_code == 0, result.output
    assert "sign_overdue 2" in result.output  # the problem's sign deadline passed in March
    again = app.test_cli_runner().invoke(args=["crm", "sweep"])
    assert "sign_overdue 0" in again.output


def test_periodic_job_reschedules_itself_once(app, world, redis_url):
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from crm.jobs import AppJob
    from crm.scheduling import PERIODIC, register_periodic_jobs

    assert (SWEEP_JOB, 900) in PERIODIC
    _dispatched(world)
    db.session.commit()
    app.config["REDIS_URL"] = redis_url
    try:
        from crm.jobs import get_queue

        queue = get_queue()
        register_periodic_jobs(queue)
        register_periodic_jobs(queue)  # a second worker starting: no second chain
        registry = ScheduledJobRegistry(queue=queue)
        # One chain per periodic job (each domain registers its own in PERIODIC).
        assert len(registry.get_job_ids()) == len(PERIODIC)
        counts = periodic_sweep()
        counts_again = periodic_sweep()  # a duplicate chain running: no second successor
    finally:
        app.config["REDIS_URL"] = None
    assert counts == {"sign_overdue": 2, "overdue": 3}
    assert counts_again == {"sign_overdue": 0, "overdue": 0}
    jobs = [Queue(queue.name, connection=queue.connection, job_class=AppJob).fetch_job(j)
            for j in registry.get_job_ids()]
    assert [j.func_name for j in jobs].count(SWEEP_JOB) == 2
