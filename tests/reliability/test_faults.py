"""Faults: Redis down, a worker killed in the middle of a packet, a database error in
the middle of a request."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.meetings.packets import job, versions
from crm.meetings.models import Briefing
from tests import factories
from tests.meetings.test_briefing_pipeline import _leader_with_portfolio
from tests.security.test_crawler import crawl
from tests.security.test_permission_matrix import build_world

ROOT = Path(__file__).resolve().parents[2]
DEAD_REDIS = "redis://127.0.0.1:1/0"   # nothing listens on port 1


@pytest.fixture
def redis_down(app):
    """REDIS_URL points at a Redis that does not answer."""
    app.config["REDIS_URL"] = DEAD_REDIS
    try:
        yield app
    finally:
        app.config["REDIS_URL"] = None


def test_with_redis_down_every_page_works_and_health_says_so(redis_down, client, login_as):
    """A coordinator walks the whole app; /healthz reports redis down, no 500 anywhere."""
    world = build_world("coordinator")
    login_as(world["me"])
    seen, _inline = crawl(client)
    assert all(code < 500 for code in seen.values()), seen
    assert len(seen) >= 20
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json["redis"] == "down" and health.json["status"] == "degraded"


def test_with_redis_down_a_packet_request_is_queued_for_later(redis_down, client, login_as):
    """The leader asks for a packet: it is kept pending and the page says it is queued."""
    leader, _ents = _leader_with_portfolio()
    db.session.commit()
    login_as(leader)
    response = client.post_form("/briefings/portfolio", {}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "排队" in page or "恢复" in page, page[:3000]
    b = db.session.scalar(select(Briefing))
    assert b.state == "pending" and b.job_id is None
    assert job.dispatch(b.id) == "deferred"


def test_a_packet_deferred_while_redis_was_down_is_made_once_it_is_back(redis_down, client,
                                                                       login_as, clock):
    """Redis comes back (no REDIS_URL here: jobs run inline); the worker's start-up
    sweep (``requeue_pending``, also run by worker.py) makes the waiting packet."""
    leader, _ents = _leader_with_portfolio()
    db.session.commit()
    login_as(leader)
    client.post_form("/briefings/portfolio", {})
    b = db.session.scalar(select(Briefing))
    assert b.state == "pending" and b.job_id is None
    redis_down.config["REDIS_URL"] = None
    assert job.requeue_pending() == 0          # too recent: its request may still dispatch
    clock.travel("2026-11-25 14:35")
    assert job.requeue_pending() == 1
    assert _state(b.id) == "success"
    assert job.requeue_pending() == 0          # nothing left waiting


def _wait_for(predicate, seconds: float = 120):
    """Poll ``predicate`` (a bounded wait for another process, not a timing assertion)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _state(bid: int) -> str:
    db.session.expire_all()
    return db.session.get(Briefing, bid).state


@pytest.mark.real_clock  # the worker process beats on the machine's clock
def test_worker_killed_mid_packet_is_failed_then_retried(pg_app, redis_url):
    """SIGKILL a real worker.py while it renders: the stale-job check marks the packet
    failed, the coordinator sees it, nothing half-written is served, retry succeeds."""
    app = pg_app
    client = app.test_client()
    app.config.update(REDIS_URL=redis_url, JOB_HEARTBEAT_SECONDS=1)
    try:
        leader, _ = _leader_with_portfolio()
        coordinator = factories.user(roles=["coordinator"])
        b = versions.request_briefing("portfolio", leader, leader=leader)
        db.session.commit()
        assert job.dispatch(b.id) == "queued"
        env = dict(os.environ, REDIS_URL=redis_url, JOB_HEARTBEAT_SECONDS="1",
                   DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                   CRM_FAULT_RENDER_PAUSE="120")
        worker = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], env=env,
                                  cwd=ROOT, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert _wait_for(lambda: _state(b.id) == "running"), "the worker never started"
        finally:
            os.killpg(worker.pid, signal.SIGKILL)   # the worker and its work-horse
            worker.wait()
        # Nothing is served while it is running or dead.
        client.post_form("/login", {"username": coordinator.username,
                                    "password": factories.PASSWORD})
        assert client.get(f"/briefings/{b.id}/pdf").status_code == 404

        def reaped():
            found = versions.reap_stale()
            db.session.commit()
            return found == 1

        assert _wait_for(reaped, 60), "the dead job was never noticed"
        db.session.expire_all()
        dead = db.session.get(Briefing, b.id)
        assert dead.state == "failed" and dead.pdf is None and dead.sha256 is None
        page = client.get(f"/briefings/{b.id}").get_data(as_text=True)
        assert "生成过程中断" in page and "重试" in page
        assert client.get(f"/briefings/{b.id}/pdf").status_code == 404

        retried = versions.retry(dead, coordinator)
        db.session.commit()
        assert job.dispatch(retried.id) == "queued"
        env.pop("CRM_FAULT_RENDER_PAUSE")
        done = subprocess.run([sys.executable, str(ROOT / "worker.py"), "--burst"], env=env,
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        db.session.expire_all()
        ok = db.session.get(Briefing, retried.id)
        assert ok.state == "success"
        pdf = client.get(f"/briefings/{ok.id}/pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        assert hashlib.sha256(pdf.data).hexdigest() == ok.sha256
    finally:
        app.config.update(REDIS_URL=None, JOB_HEARTBEAT_SECONDS=10)


def test_database_error_mid_request_rolls_back_everything(app, client, login_as,
                                                         monkeypatch):
    """An enterprise create whose audit write fails leaves no enterprise behind."""
    from crm.core import audit

    login_as("coordinator")
    town = factories.unit("青石镇", kind="town")
    db.session.commit()
    count = db.session.scalar(select(func.count()).select_from(Enterprise))

    def broken(*args, **kwargs):
        db.session.execute(select(func.count()).select_from(Enterprise))
        raise RuntimeError("database went away")

    monkeypatch.setattr(audit, "record", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.post_form("/enterprises/new", {
            "name": "半截写入有限公司", "credit_code": factories.code(), "town_id": town.id,
            "status": "normal", "industry": "", "cluster": "", "scale": "", "size": "",
            "ownership": "", "contact_name": "赵经理", "contact_phone": "13800000001"})
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert "未保存" in response.get_data(as_text=True) or "没有保存" in response.get_data(
        as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Enterprise)) == count
