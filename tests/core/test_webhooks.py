"""Notices to a unit's 政务钉钉 / 企业微信 group through its robot webhook, tested against
a local HTTP server that records what it receives: signed as 钉钉 requires, sent by the
worker with retries, nothing when no webhook is set; the admin sets it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from crm.core.models import AuditLog
from crm.core.webhooks import UnitWebhook, notify_unit
from crm.extensions import db
from crm.issues.workflow import transition
from tests import factories
from tests.issues.conftest import make_world, utc


class Robot:
    """A local stand-in for the robot: records each request, answers from ``answers``
    (HTTP status, JSON body) in turn, then 200 / errcode 0."""

    def __init__(self, answers=()):
        self.received: list[dict] = []
        self.answers = list(answers)
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                url = urllib.parse.urlsplit(self.path)
                robot.received.append({"path": url.path,
                                       "query": dict(urllib.parse.parse_qsl(url.query)),
                                       "body": json.loads(self.rfile.read(length) or b"{}")})
                status, body = robot.answers.pop(0) if robot.answers else (200, {"errcode": 0})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def robot():
    r = Robot()
    yield r
    r.close()


def _hook(unit, kind, url, secret=None, active=True):
    db.session.add(UnitWebhook(unit_id=unit.id, kind=kind, url=url, secret=secret,
                               is_active=active))
    db.session.commit()


def test_dingtalk_notice_is_signed_as_dingtalk_requires(app, robot):
    unit = factories.unit("人社局")
    secret = "SEC0123456789abcdef"
    _hook(unit, "dingtalk", f"{robot.url}/robot/send?access_token=abc", secret)
    assert notify_unit(unit.id, "问题 2026-0137 已交办贵单位，请于 1 个工作日内签收。",
                       link="/problems/7")
    [got] = robot.received
    assert got["path"] == "/robot/send" and got["query"]["access_token"] == "abc"
    ts = got["query"]["timestamp"]
    expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert got["query"]["sign"] == expected
    assert got["body"]["msgtype"] == "text"
    assert got["body"]["text"]["content"].startswith("问题 2026-0137 已交办贵单位")


def test_wecom_notice_goes_to_the_key_url_unsigned(app, robot):
    unit = factories.unit("发改局")
    _hook(unit, "wecom", f"{robot.url}/cgi-bin/webhook/send?key=K-123")
    notify_unit(unit.id, "有一件问题即将超期。")
    [got] = robot.received
    assert got["query"] == {"key": "K-123"}
    assert got["body"] == {"msgtype": "text", "text": {"content": "有一件问题即将超期。"}}


def test_nothing_is_sent_without_an_active_webhook(app, robot):
    bare = factories.unit("无机器人单位")
    paused = factories.unit("暂停单位")
    _hook(paused, "wecom", f"{robot.url}/send?key=x", active=False)
    assert notify_unit(bare.id, "测试") is False
    assert notify_unit(paused.id, "测试") is False
    assert notify_unit(None, "测试") is False
    assert robot.received == []


def test_a_dispatch_reaches_the_lead_units_group(app, robot):
    w = make_world()
    _hook(w.unit, "wecom", f"{robot.url}/send?key=k")
    issue = w.issue("new", title="用电增容", category_id=w.category.id)
    transition(issue, "dispatch", w.coordinator, unit_id=w.unit.id, level="ordinary",
               now=utc(2026, 11, 16, 2, 0))
    db.session.commit()
    assert any(issue.number in r["body"]["text"]["content"] for r in robot.received)


def test_the_worker_retries_until_the_robot_takes_it(app, redis_url):
    from redis import Redis
    from rq import SimpleWorker

    from crm import jobs

    robot = Robot(answers=[(500, {}), (200, {"errcode": 310000, "errmsg": "sign not match"})])
    try:
        unit = factories.unit("住建局")
        _hook(unit, "wecom", f"{robot.url}/send?key=k")
        app.config.update(REDIS_URL=redis_url, WEBHOOK_RETRY_INTERVALS=[0, 0, 0])
        try:
            assert notify_unit(unit.id, "重试测试")
            assert robot.received == []  # queued, not sent by the caller
            previous = jobs._worker_app
            jobs.set_worker_app(app)
            try:
                SimpleWorker([jobs.get_queue()], connection=Redis.from_url(redis_url),
                             job_class=jobs.AppJob).work(burst=True)
            finally:
                jobs.set_worker_app(previous)
        finally:
            app.config["REDIS_URL"] = None
        # Refused twice (HTTP 500, then an errcode), taken the third time.
        assert len(robot.received) == 3
        assert all(r["body"]["text"]["content"] == "重试测试" for r in robot.received)
    finally:
        robot.close()


def test_the_admin_sets_the_webhook_and_the_secret_is_never_shown(app, client, login_as):
    admin = login_as("admin")
    unit = factories.unit("工信局")
    db.session.commit()
    page = client.get(f"/admin/units/{unit.id}/webhook")
    assert page.status_code == 200
    r = client.post_form(f"/admin/units/{unit.id}/webhook", {
        "kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
        "secret": "SECtopsecret", "is_active": "y"})
    assert r.status_code == 302
    hook = db.session.get(UnitWebhook, unit.id)
    assert (hook.kind, hook.secret, hook.is_active) == ("dingtalk", "SECtopsecret", True)
    html = client.get(f"/admin/units/{unit.id}/webhook").get_data(as_text=True)
    assert "SECtopsecret" not in html and 'data-testid="secret-stored"' in html
    log = db.session.scalar(select(AuditLog).where(AuditLog.object_type == "unit_webhooks"))
    assert log.actor_id == admin.id and "SECtopsecret" not in json.dumps(log.after)
    bad = client.post_form(f"/admin/units/{unit.id}/webhook", {"kind": "wecom",
                                                               "url": "javascript:alert(1)"})
    assert bad.status_code == 200 and "请填写机器人地址" in bad.get_data(as_text=True)
    # Saving without a secret keeps the stored one; an empty address removes the hook.
    client.post_form(f"/admin/units/{unit.id}/webhook", {
        "kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=u",
        "is_active": "y"})
    db.session.expire_all()
    assert db.session.get(UnitWebhook, unit.id).secret == "SECtopsecret"
    client.post_form(f"/admin/units/{unit.id}/webhook", {"kind": "dingtalk", "url": ""})
    db.session.expire_all()
    assert db.session.get(UnitWebhook, unit.id) is None
