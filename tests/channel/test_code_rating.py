"""The enterprise rates a resolved problem through its own code page (``/c/<code>``):
1–5 with a reason for 1–2 (the one-time link's form), once per problem, into the same
回访 rules; nothing of another enterprise can be rated or seen; hostile input is
answered with a Chinese message, never a 500; the form is rate-limited."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm.channel.models import CodeRating
from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues.followups import FollowUp
from crm.issues.models import Issue, IssueEvent
from tests import factories


def _html(r) -> str:
    return r.get_data(as_text=True)


def _resolved(w, ent=None, **kw):
    kw.setdefault("title", "招工缺口 50 人")
    return factories.issue(ent or w.enterprise, w.commissioner, state="resolved",
                           lead_unit_id=w.unit.id, handler_id=w.handler.id,
                           resolution="已协调人社局推荐 52 人上岗", resolved_at=utcnow(),
                           dispatched_at=utcnow() - timedelta(days=5), **kw)


def test_the_page_offers_the_rating_and_a_good_one_closes_the_problem(app, world):
    w = world
    issue = _resolved(w)
    db.session.commit()
    phone, code = app.test_client(), w.enterprise.channel_code
    page = _html(phone.get(f"/c/{code}"))
    link = re.search(r'href="(/c/[^"]+/rate/[^"]+)" data-testid="channel-rate">评价办理情况<', page)
    assert link and link.group(1) == f"/c/{code}/rate/{issue.number}"
    form = _html(phone.get(link.group(1)))
    assert "招工缺口 50 人" in form and "已协调人社局推荐 52 人上岗" in form
    assert "市人力资源和社会保障局" in form and "5 · 非常满意" in form
    r = phone.post_form(link.group(1), {"rating": "5", "contact": "赵经理"})
    assert r.status_code == 302 and r.headers["Location"] == f"/c/{code}"
    page = _html(phone.get(f"/c/{code}"))
    assert "感谢您的评价：非常满意" in page
    assert 'data-testid="channel-rate"' not in page
    assert "您的评价：5 分" in page
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert (issue.state, issue.rating, issue.rating_channel, issue.rating_contact) == (
        "closed", 5, "self", "赵经理")
    assert db.session.scalar(select(CodeRating.rating).where(CodeRating.issue_id == issue.id)) == 5


def test_a_low_rating_needs_a_reason_reopens_and_enters_the_follow_up_queue(app, world):
    w = world
    issue = _resolved(w)
    db.session.commit()
    phone, url = app.test_client(), f"/c/{w.enterprise.channel_code}/rate/{issue.number}"
    r = phone.post_form(url, {"rating": "2", "text": " "})
    assert r.status_code == 400
    assert "请告诉承办单位哪里不满意：点选原因或写几句话。" in _html(r)
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).state == "resolved"
    assert db.session.scalar(select(func.count()).select_from(CodeRating)) == 0
    r = phone.post_form(url, {"rating": "1", "reasons": ["slow"], "text": "只到岗 20 人"})
    assert r.status_code == 302
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert issue.state == "reopened" and issue.rating == 1
    assert issue.rating_comment == "不满意原因：办理太慢。\n只到岗 20 人"
    fu = db.session.scalar(select(FollowUp).where(FollowUp.issue_id == issue.id))
    assert fu.source == "low_rating" and fu.rating == 1 and fu.rating_channel == "self"
    event = db.session.scalar(select(IssueEvent).where(IssueEvent.issue_id == issue.id,
                                                       IssueEvent.action == "rate"))
    assert event.data["channel"] == "self"


def test_once_per_problem(app, world):
    w = world
    issue = _resolved(w)
    db.session.commit()
    phone, url = app.test_client(), f"/c/{w.enterprise.channel_code}/rate/{issue.number}"
    assert phone.post_form(url, {"rating": "2", "reasons": ["slow"]}).status_code == 302
    # Resolved again after the reopening: the code does not rate it a second time.
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    issue.state, issue.resolved_at = "resolved", utcnow()
    db.session.commit()
    r = phone.get(url)
    assert r.status_code == 410 and "这个问题现在不能评价" in _html(r)
    r = phone.post_form(url, {"rating": "5"})
    assert r.status_code == 410
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).rating == 2
    assert db.session.scalar(select(func.count()).select_from(CodeRating)) == 1


def test_a_problem_not_waiting_for_a_rating_is_refused(app, world):
    w = world
    open_one = w.issue("in_progress", title="仍在办理")
    db.session.commit()
    phone = app.test_client()
    r = phone.post_form(f"/c/{w.enterprise.channel_code}/rate/{open_one.number}",
                        {"rating": "5"})
    assert r.status_code == 410
    db.session.expire_all()
    assert db.session.get(Issue, open_one.id).rating is None
    assert 'data-testid="channel-rate"' not in _html(phone.get(f"/c/{w.enterprise.channel_code}"))


def test_another_enterprises_problem_cannot_be_rated_or_seen(app, world):
    w = world
    theirs = _resolved(w, ent=w.other_enterprise, title="远山商业秘密问题")
    db.session.commit()
    phone, code = app.test_client(), w.enterprise.channel_code
    for method in ("get", "post"):
        r = (phone.get if method == "get" else phone.post_form)(
            f"/c/{code}/rate/{theirs.number}", **({} if method == "get"
                                                  else {"data": {"rating": "1"}}))
        assert r.status_code == 404, method
        assert "远山" not in _html(r) and "这个问题无法识别" in _html(r)
    db.session.expire_all()
    assert db.session.get(Issue, theirs.id).state == "resolved"
    # A rotated code rates nothing.
    own = _resolved(w)
    from crm.channel import services

    services.rotate(w.enterprise, w.coordinator)
    db.session.commit()
    assert phone.post_form(f"/c/{code}/rate/{own.number}", {"rating": "5"}).status_code == 410
    db.session.expire_all()
    assert db.session.get(Issue, own.id).state == "resolved"


@pytest.mark.parametrize("number", ["x" * 500, "%00", "2026-0001%27%20OR%201=1", "..%2F..",
                                    "𬌗" * 30, "-1"])
def test_hostile_numbers_are_unknown_not_500(app, world, number):
    r = app.test_client().get(f"/c/{world.enterprise.channel_code}/rate/{number}")
    assert r.status_code in (400, 404)


@pytest.mark.parametrize("data", [
    {"rating": "9"}, {"rating": "abc"}, {"rating": "-1"}, {"rating": ""},
    {"rating": "5", "text": "x" * 100_000}, {"rating": "5", "contact": "y" * 500},
    {"rating": ["1", "5"]}, {"rating": "1", "reasons": ["<script>"]},
])
def test_hostile_ratings_get_a_chinese_message_and_write_nothing(app, world, data):
    w = world
    issue = _resolved(w)
    db.session.commit()
    r = app.test_client().post_form(f"/c/{w.enterprise.channel_code}/rate/{issue.number}", data)
    assert r.status_code == 400
    assert re.search(r'class="invalid-feedback[^"]*"[^>]*>[^<]*[\u4e00-\u9fff]', _html(r))
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).state == "resolved"


def test_the_rating_form_is_rate_limited_like_the_raise_form(app, world):
    w = world
    issue = _resolved(w)
    db.session.commit()
    phone, url = app.test_client(), f"/c/{w.enterprise.channel_code}/rate/{issue.number}"
    codes = [phone.post_form(url, {"rating": "9"}).status_code for _ in range(11)]
    assert codes[:10] == [400] * 10 and codes[10] == 429
