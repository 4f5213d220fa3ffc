"""Notices to a unit's group chat through its robot webhook (政务钉钉 or 企业微信).

The admin sets one webhook per unit (URL, and for 钉钉 the signing secret). A notice for
a unit is sent by the worker after the request's commit, with retries; without Redis it
is sent inline, once. Nothing is sent when the unit has no (active) webhook.

* 钉钉 (DingTalk) custom robot with "加签": the URL gets ``timestamp`` (ms) and ``sign`` =
  base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}")), URL-encoded.
* 企业微信 (WeCom) group robot: the URL carries its ``key``; no signature.

Both take ``{"msgtype": "text", "text": {"content": …}}`` and answer ``{"errcode": 0}``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Optional

from flask import current_app, has_request_context
from rq import Retry
from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from crm.core import audit
from crm.core.timeutil import utcnow
from crm.core.transactions import after_commit
from crm.extensions import db
from crm.jobs import get_queue

log = logging.getLogger(__name__)

KINDS = ("dingtalk", "wecom")
DEFAULT_RETRY_INTERVALS = (30, 120, 600)  # seconds before the 1st, 2nd, 3rd retry
TIMEOUT = 10


class UnitWebhook(db.Model):
    """A unit's group-robot webhook (one per unit)."""

    __tablename__ = "unit_webhooks"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[Optional[str]] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (CheckConstraint("kind IN ('dingtalk', 'wecom')", name="kind"),)


class DeliveryError(Exception):
    """The robot did not take the message (the worker retries)."""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉's 加签: base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}"))."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_url(hook: UnitWebhook, timestamp_ms: int | None = None) -> str:
    """The URL to post to: 钉钉 with ``timestamp`` and ``sign`` when a secret is set."""
    if hook.kind != "dingtalk" or not hook.secret:
        return hook.url
    ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    query = urllib.parse.urlencode({"timestamp": ts, "sign": dingtalk_sign(hook.secret, ts)})
    return f"{hook.url}{'&' if '?' in hook.url else '?'}{query}"


def message(text: str, link: str | None = None) -> dict:
    """The text message both robots take (with the page's address when known)."""
    content = text
    if link:
        base = current_app.config.get("PUBLIC_URL") or ""
        content = f"{text}\n{base.rstrip('/')}{link}" if base else text
    return {"msgtype": "text", "text": {"content": content}}


def deliver(unit_id: int, text: str, link: str | None = None) -> bool:
    """Post one notice to the unit's robot (a job; the worker retries on failure).
    Returns False when the unit has no active webhook (then nothing is sent)."""
    hook = db.session.get(UnitWebhook, unit_id)
    if hook is None or not hook.is_active:
        return False
    body = json.dumps(message(text, link), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(signed_url(hook), data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            answer = response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"unit {unit_id}: {exc}") from exc
    try:
        code = json.loads(answer or b"{}").get("errcode", 0)
    except ValueError:
        code = 0  # a 2xx without JSON: taken
    if code:
        raise DeliveryError(f"unit {unit_id}: robot answered errcode {code}")
    return True


def set_unit_webhook(unit, data: dict, actor) -> UnitWebhook | None:
    """Set the unit's webhook (an empty URL removes it; an empty secret keeps the stored
    one). Audited without the secret itself."""
    hook = db.session.get(UnitWebhook, unit.id)
    fields = ("kind", "url", "is_active")
    before = audit.snapshot(hook, fields) if hook else None
    if before is not None:
        before["has_secret"] = bool(hook.secret)
    if not data.get("url"):
        if hook is not None:
            db.session.delete(hook)
            db.session.flush()
            audit.record(actor, "delete", object_type="unit_webhooks", object_id=unit.id,
                         before=before, summary=f"删除单位 {unit.name} 的群机器人")
        return None
    if hook is None:
        hook = UnitWebhook(unit_id=unit.id)
        db.session.add(hook)
    hook.kind, hook.url, hook.is_active = data["kind"], data["url"], bool(data["is_active"])
    if data.get("secret"):
        hook.secret = data["secret"].strip()
    hook.updated_by_id = actor.id
    db.session.flush()
    after = audit.snapshot(hook, fields)
    after["has_secret"] = bool(hook.secret)
    if after != before:
        audit.record(actor, "update" if before else "create", object_type="unit_webhooks",
                     object_id=unit.id, before=before, after=after,
                     summary=f"设置单位 {unit.name} 的群机器人")
    return hook


def _send(unit_id: int, text: str, link: str | None) -> None:
    queue = get_queue()
    if queue is None:  # embedded set-up: once, inline; a failure is logged, not raised
        try:
            deliver(unit_id, text, link)
        except DeliveryError as exc:
            log.warning("webhook not delivered: %s", exc)
        return
    intervals = list(current_app.config.get("WEBHOOK_RETRY_INTERVALS",
                                            DEFAULT_RETRY_INTERVALS))
    queue.enqueue(deliver, unit_id, text, link, retry=Retry(max=len(intervals),
                                                            interval=intervals))


def notify_unit(unit_id: int | None, text: str, link: str | None = None) -> bool:
    """Send ``text`` to the unit's group when it has an active webhook: after the
    request's commit (inside a request) or now (jobs and commands commit first).
    Returns whether a message is on its way."""
    if not unit_id:
        return False
    active = db.session.scalar(select(UnitWebhook.unit_id).where(
        UnitWebhook.unit_id == unit_id, UnitWebhook.is_active))
    if active is None:
        return False
    if has_request_context():
        after_commit(_send, unit_id, text, link)
    else:
        _send(unit_id, text, link)
    return True
