"""The enterprise's own pages behind its code (企业码): opened on a phone without an
account, they show its problems in plain words, its contacts and fitting policies, and
take a new problem into the coordinator's triage."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from crm.channel.models import ChannelPhoto, ChannelSubmission, RetiredCode
from crm.core.models import AuditLog, Notification
from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues.models import Issue, IssueEvent
from tests import factories
from tests.channel.conftest import jpeg


def _html(r) -> str:
    return r.get_data(as_text=True)


def _raise(phone, code, **over):
    data = {"title": "配电容量不足", "description": "新增两条产线后变压器容量不够，经常跳闸。",
            "category_id": "0", "contact_name": "赵经理", "contact_phone": "13812345678"}
    data.update(over)
    return phone.post_form(f"/c/{code}/raise", data, content_type="multipart/form-data")


def test_a_new_enterprise_gets_a_long_random_code(app):
    a, b = factories.enterprise(), factories.enterprise()
    assert a.channel_code and b.channel_code and a.channel_code != b.channel_code
    assert len(a.channel_code) >= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", a.channel_code)


def test_code_opened_signed_out_shows_the_enterprise_page(app, world):
    w = world
    factories.policy("技改设备补贴")
    done = w.issue("closed", title="招工缺口 50 人", resolution="推荐 52 人上岗",
                   resolved_at=utcnow() - timedelta(days=3))
    w.issue("in_progress", title="排污许可证延续", due_at=utcnow() + timedelta(days=4))
    db.session.commit()
    phone = app.test_client()
    r = phone.get(f"/c/{w.enterprise.channel_code}")
    assert r.status_code == 200
    page = _html(r)
    assert "青石机械制造有限公司" in page
    # Open problem: the plain words, the unit, the due day.
    assert "排污许可证延续" in page and "办理中" in page and "市人力资源和社会保障局" in page
    assert "受理" in page and "交办" in page and "已办结" in page
    # Closed problem with its resolution.
    assert "招工缺口 50 人" in page and "推荐 52 人上岗" in page and done.number in page
    # Contacts with phones; fitting policies.
    for text in ("李市长", "13900000001", "白副市长", "陈特派", "13900000003", "技改设备补贴"):
        assert text in page, text
    assert "远山食品有限公司" not in page


def test_a_problem_raised_through_the_code_lands_in_triage(app, client, login_as, world):
    w = world
    phone = app.test_client()
    code = w.enterprise.channel_code
    form = _html(phone.get(f"/c/{code}/raise"))
    assert "用工招工" in form  # the short list of categories
    r = _raise(phone, code, category_id=str(w.category.id),
               photos=[(io.BytesIO(jpeg()), "现场.jpg")])
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/c/{code}")
    page = _html(phone.get(f"/c/{code}"))
    assert "配电容量不足" in page and "已受理" in page

    issue = db.session.scalar(select(Issue).where(Issue.title == "配电容量不足"))
    assert issue.state == "new" and issue.source == "enterprise"
    assert issue.enterprise_id == w.enterprise.id and issue.raised_by_id is None
    assert issue.category_id == w.category.id
    sub = db.session.scalar(select(ChannelSubmission))
    assert (sub.issue_id, sub.contact_name, sub.contact_phone) == (issue.id, "赵经理",
                                                                  "13812345678")
    photo = db.session.scalar(select(ChannelPhoto))
    assert photo.issue_id == issue.id and photo.content_type == "image/jpeg"
    assert db.session.scalar(select(IssueEvent.action).where(IssueEvent.issue_id == issue.id)
                             ) == "raise"
    # The commissioner is told, with the contact.
    note = db.session.scalar(select(Notification).where(Notification.user_id == w.commissioner.id))
    assert note is not None and "配电容量不足" in note.text and "13812345678" in note.text

    # The coordinator finds it in triage, marked as raised by the enterprise itself.
    login_as(w.coordinator)
    assert "配电容量不足" in _html(client.get("/problems/triage"))
    detail = _html(client.get(f"/problems/{issue.id}"))
    assert 'data-testid="channel-submission"' in detail and "赵经理" in detail
    img = client.get(f"/channel/photos/{photo.id}")
    assert img.status_code == 200 and img.mimetype == "image/jpeg"


def test_progress_in_plain_words_after_dispatch(app, client, login_as, world):
    w = world
    phone = app.test_client()
    code = w.enterprise.channel_code
    _raise(phone, code, title="用电报装")
    issue = db.session.scalar(select(Issue).where(Issue.title == "用电报装"))
    login_as(w.coordinator)
    from crm.issues.workflow import transition
    transition(issue, "dispatch", w.coordinator, unit_id=w.unit.id, level="ordinary")
    db.session.commit()
    page = _html(phone.get(f"/c/{code}"))
    card = page[page.index("用电报装"):]
    assert "已交办" in card and "市人力资源和社会保障局" in card and "前办结" in card


def test_a_rotated_code_answers_410_politely(app, client, login_as, world):
    w = world
    old = w.enterprise.channel_code
    login_as(w.coordinator)
    manage = _html(client.get(f"/enterprises/{w.enterprise.id}/code"))
    assert old in manage and "<svg" in manage
    r = client.post_form(f"/enterprises/{w.enterprise.id}/code/rotate")
    assert r.status_code == 302
    db.session.expire_all()
    new = w.enterprise.channel_code
    assert new != old and db.session.scalar(select(RetiredCode.code)) == old
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "rotate_code"))
    assert audit.actor_id == w.coordinator.id and audit.object_id == w.enterprise.id

    phone = app.test_client()
    gone = phone.get(f"/c/{old}")
    assert gone.status_code == 410 and "该企业码已停用" in _html(gone)
    assert "青石机械制造有限公司" not in _html(gone)
    assert _raise(phone, old).status_code == 410
    assert phone.get(f"/c/{new}").status_code == 200
    unknown = phone.get("/c/" + "x" * 40)
    assert unknown.status_code == 404 and "青石" not in _html(unknown)


def test_only_a_coordinator_rotates(app, client, login_as, world):
    w = world
    login_as(w.commissioner)
    assert client.post_form(f"/enterprises/{w.enterprise.id}/code/rotate").status_code == 403
    page = _html(client.get(f"/enterprises/{w.enterprise.id}/code"))
    assert 'data-testid="channel-rotate"' not in page


def test_enterprise_page_shows_the_code_as_qr(app, client, login_as, world):
    login_as(world.coordinator)
    page = _html(client.get(f"/enterprises/{world.enterprise.id}"))
    section = page[page.index('data-testid="channel-qr"'):]
    assert "<svg" in section[:5000] and f"/enterprises/{world.enterprise.id}/code" in section


def test_a5_card_names_the_leaders_and_the_commissioner(app, client, login_as, world):
    login_as(world.coordinator)
    r = client.get(f"/enterprises/{world.enterprise.id}/code/card.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(r.data))
    box = reader.pages[0].mediabox
    assert len(reader.pages) == 1
    assert abs(float(box.width) - 419.5) < 2 and abs(float(box.height) - 595.3) < 2  # A5
    text = reader.pages[0].extract_text()
    for s in ("青石机械制造有限公司", "李市长", "13900000001", "白副市长", "13900000002",
              "陈特派", "13900000003"):
        assert s in text, s


@pytest.mark.parametrize("over,field", [
    ({"title": ""}, "title"),
    ({"title": "x" * 101}, "title"),
    ({"title": "a\x00b"}, ""),  # refused by the app's NUL-byte guard, before the form
    ({"description": "长" * 2001}, "description"),
    ({"contact_name": ""}, "contact_name"),
    ({"contact_phone": "call me"}, "contact_phone"),
    ({"contact_phone": "<script>"}, "contact_phone"),
    ({"category_id": "99999999999999999999"}, None),
    ({"category_id": "987654"}, "category_id"),
    ({"title": "\u202e反转"}, "title"),
])
def test_hostile_values_are_refused_and_nothing_is_written(app, world, over, field):
    phone = app.test_client()
    r = _raise(phone, world.enterprise.channel_code, **over)
    assert r.status_code in (302, 400)
    if field is not None:
        assert r.status_code == 400
        assert db.session.scalar(select(func.count()).select_from(Issue)) == 0
    if field:
        assert f'data-field="{field}"' in _html(r)
        assert db.session.scalar(select(func.count()).select_from(Issue)) == 0
        # What was typed is kept (except the refused characters' field).
        assert "赵经理" in _html(r) or over.get("contact_name") == ""


def test_photos_are_checked(app, world):
    phone = app.test_client()
    code = world.enterprise.channel_code
    four = [(io.BytesIO(jpeg()), f"{i}.jpg") for i in range(4)]
    r = _raise(phone, code, photos=four)
    assert r.status_code == 400 and "最多" in _html(r)
    fake = _raise(phone, code, photos=[(io.BytesIO(b"<html>not a photo</html>"), "a.jpg")])
    assert fake.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Issue)) == 0
    assert db.session.scalar(select(func.count()).select_from(ChannelPhoto)) == 0


def test_request_size_is_limited(app, world):
    phone = app.test_client()
    big = io.BytesIO(b"\xff" * (app.config["MAX_CONTENT_LENGTH"] + 1024))
    r = _raise(phone, world.enterprise.channel_code, photos=[(big, "big.jpg")])
    assert r.status_code == 413
    assert db.session.scalar(select(func.count()).select_from(Issue)) == 0


def test_rate_limits_per_code_and_per_address(app, world):
    code = world.enterprise.channel_code
    answers = [_raise(app.test_client(), code, title=f"问题{i}").status_code for i in range(11)]
    assert answers[:10] == [302] * 10 and answers[10] == 429
    # Another enterprise's code is not held back by this one's limit…
    other = world.other_enterprise.channel_code
    r = app.test_client().post_form(f"/c/{other}/raise", {
        "title": "另一家", "contact_name": "王", "contact_phone": "13800000000",
        "category_id": "0"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert r.status_code == 302
    # …but one address cannot raise without end through many codes.
    codes = [factories.enterprise().channel_code for _ in range(11)]
    db.session.commit()
    env = {"REMOTE_ADDR": "10.0.0.7"}
    got = [app.test_client().post_form(f"/c/{c}/raise", {
        "title": "刷单", "contact_name": "王", "contact_phone": "13800000000",
        "category_id": "0"}, environ_base=env).status_code for c in codes]
    assert got[:10] == [302] * 10 and got[10] == 429
