"""A coordinator on a phone builds the agenda, generates the packet through a real rq
worker, watches the page until it is ready and downloads the PDF."""
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from crm.core.timeutil import local_today, utcnow
from crm.extensions import db
from tests import factories
from tests.e2e.conftest import sign_in

ROOT = Path(__file__).resolve().parents[2]


def test_coordinator_builds_agenda_generates_and_downloads_packet(live_app, phone, redis_url):
    with live_app.app_context():
        factories.user(roles=["coordinator"], username="coordinator", display_name="联席办李娜")
        ent = factories.enterprise(name="兴发制管有限公司")
        past = utcnow() - timedelta(days=3)
        factories.issue(ent, state="in_progress", title="扩建用地指标未落实", is_escalated=True,
                        due_at=past, warn_at=past - timedelta(days=1))
        db.session.commit()
    live_app.config["REDIS_URL"] = redis_url
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py")], cwd=ROOT,
        env=dict(os.environ, REDIS_URL=redis_url,
                 DATABASE_URL=live_app.config["SQLALCHEMY_DATABASE_URI"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        sign_in(phone, "coordinator", factories.PASSWORD)
        phone.goto("/meetings/new")
        phone.get_by_label("月份").fill(local_today().strftime("%Y-%m"))
        phone.get_by_label("地点").fill("市政府3号会议室")
        phone.get_by_role("button", name="创建").click()
        assert "企业帮扶联席会议" in phone.get_by_test_id("meeting-title").inner_text()
        phone.get_by_test_id("build-agenda").click()
        assert "扩建用地指标未落实" in phone.get_by_test_id("agenda-item").first.inner_text()
        phone.get_by_test_id("generate-packet").click()
        state = phone.get_by_test_id("briefing-state")
        assert state.get_attribute("data-state") in ("pending", "running", "success")
        # The page refreshes itself until the worker has finished.
        phone.wait_for_selector('[data-testid="briefing-state"][data-state="success"]',
                                timeout=120_000)
        with phone.expect_download() as info:
            phone.get_by_test_id("download").click()
        download = info.value
        assert download.suggested_filename.endswith(".pdf")
        assert "联席会议" in download.suggested_filename
        assert Path(download.path()).read_bytes().startswith(b"%PDF")
    finally:
        live_app.config["REDIS_URL"] = None
        worker.terminate()
        worker.wait(30)
