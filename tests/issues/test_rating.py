"""The enterprise's own rating through a one-time link and QR code, and a cadre's
recorded rating."""
import hashlib
import re
from datetime import timedelta

from sqlalchemy import select

from crm.core.models import Notification
from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues.models import Issue, IssueEvent, RatingToken
from crm.issues.services import issue_rating_token


def _html(r):
    return r.get_data(as_text=True)


def _resolved(w):
    return w.issue("resolved", handler_id=w.handler.id, resolution="已协调人社局推荐 52 人上岗",
                   resolved_at=utcnow(), title="招工缺口 50 人")


def _token_from(client, issue):
    r = client.post_form(f"/problems/{issue.id}/rating-link")
    assert r.status_code == 302
    html = _html(client.get(r.headers["Location"]))
    assert "<svg" in html and 'data-testid="rating-qr"' in html
    return re.search(r'data-testid="rating-url">[^<]*/r/([A-Za-z0-9_-]+)<', html).group(1)


def test_commissioner_shows_a_qr_and_the_enterprise_rates_without_signing_in(app, client,
                                                                             login_as, world):
    w = world
    issue = _resolved(w)
    db.session.commit()
    login_as(w.commissioner)
    token = _token_from(client, issue)
    stored = db.session.scalar(select(RatingToken).where(RatingToken.issue_id == issue.id))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    assert stored.expires_at - stored.created_at == timedelta(days=7)

    phone = app.test_client()  # the enterprise contact's own phone, not signed in
    page = _html(phone.get(f"/r/{token}"))
    for text in ("青石机械制造有限公司", "招工缺口 50 人", "已协调人社局推荐 52 人上岗",
                 "非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert text in page, text
    r = phone.post_form(f"/r/{token}", {"rating": "5", "text": "服务很到位", "contact": "赵经理"})
    assert "感谢您的评价" in _html(r) and "非常满意" in _html(r)
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert issue.state == "closed" and issue.rating == 5 and issue.rating_channel == "self"
    assert issue.rating_contact == "赵经理" and issue.rating_comment == "服务很到位"
    event = db.session.scalar(select(IssueEvent).where(IssueEvent.action == "rate"))
    assert event.actor_id is None and event.actor_name == "赵经理"
    # Single use.
    again = phone.get(f"/r/{token}")
    assert again.status_code == 410 and "该评价链接已失效" in _html(again)
    assert phone.post_form(f"/r/{token}", {"rating": "1"}).status_code == 410


def test_a_low_rating_reopens_and_tells_the_unit_and_the_coordinator(app, client, login_as, world):
    w = world
    issue = _resolved(w)
    db.session.commit()
    login_as(w.commissioner)
    token = _token_from(client, issue)
    phone = app.test_client()
    r = phone.post_form(f"/r/{token}", {"rating": "2", "text": "只到岗 20 人"})
    assert r.status_code == 200
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert issue.state == "reopened" and issue.reopen_count == 1
    for person in (w.handler, w.coordinator):
        note = db.session.scalars(select(Notification).where(
            Notification.user_id == person.id).order_by(Notification.id.desc())).first()
        assert "不满意" in note.text and "重办" in note.text
        assert note.link == f"/problems/{issue.id}"


def test_bad_expired_and_replaced_links(app, client, login_as, world):
    w = world
    issue = _resolved(w)
    db.session.commit()
    phone = app.test_client()
    r = phone.get("/r/not-a-real-token")
    assert r.status_code == 404 and "链接无效" in _html(r)
    first = issue_rating_token(issue, w.commissioner)
    second = issue_rating_token(issue, w.commissioner)  # a new link revokes the old one
    db.session.commit()
    assert phone.get(f"/r/{first}").status_code == 410
    assert phone.get(f"/r/{second}").status_code == 200
    row = db.session.scalar(select(RatingToken).where(RatingToken.used_at.is_(None),
                                                      RatingToken.expires_at > utcnow()))
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    r = phone.get(f"/r/{second}")
    assert r.status_code == 410 and "已过期" in _html(r)
    # Invalid rating keeps the page with a Chinese message.
    third = issue_rating_token(issue, w.commissioner)
    db.session.commit()
    r = phone.post_form(f"/r/{third}", {"rating": "9", "text": "很好"})
    assert r.status_code == 200 and "请选择 1 至 5 分的评价" in _html(r) and "很好" in _html(r)


def test_rating_page_is_rate_limited(app, world):
    w = world
    issue = _resolved(w)
    token = issue_rating_token(issue, w.commissioner)
    db.session.commit()
    phone = app.test_client()
    codes = [phone.get(f"/r/{token}x{i}").status_code for i in range(21)]
    assert codes[:20] == [404] * 20 and codes[20] == 429


def test_only_resolved_problems_get_links_and_only_their_cadres(client, login_as, world):
    w = world
    open_issue = w.issue("in_progress")
    resolved = _resolved(w)
    db.session.commit()
    login_as(w.handler)
    r = client.post_form(f"/problems/{resolved.id}/rating-link")
    assert r.status_code == 403
    client.post_form("/logout")
    login_as(w.commissioner)
    r = client.post_form(f"/problems/{open_issue.id}/rating-link")
    assert r.status_code == 403 and "只有已办结的问题" in _html(r)
    assert db.session.scalar(select(RatingToken)) is None


def test_cadre_records_a_phone_rating_with_the_contacts_name(client, login_as, world):
    w = world
    issue = _resolved(w)
    db.session.commit()
    login_as(w.commissioner)
    r = client.post_form(f"/problems/{issue.id}/do/rate", {
        "rate-version": issue.version, "rate-rating": "4"})
    assert r.status_code == 400 and "请填写作出评价的企业联系人姓名" in _html(r)
    r = client.post_form(f"/problems/{issue.id}/do/rate", {
        "rate-version": issue.version, "rate-rating": "4", "rate-contact": "赵经理",
        "rate-text": "电话回访，企业表示满意"})
    assert r.status_code == 302
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert (issue.state, issue.rating, issue.rating_channel, issue.rating_contact) == (
        "closed", 4, "recorded", "赵经理")
