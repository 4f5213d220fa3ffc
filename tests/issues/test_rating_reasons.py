"""A rating of 1–2 needs a reason (tapped or written), and the unit reads it."""
from sqlalchemy import select

from crm.extensions import db
from crm.issues.models import Issue, IssueEvent
from tests.issues.test_rating import _html, _resolved, _token_from


def _link(app, client, login_as, w):
    issue = _resolved(w)
    db.session.commit()
    login_as(w.commissioner)
    return issue.id, _token_from(client, issue), app.test_client()


def test_a_low_rating_without_a_reason_is_refused_and_nothing_is_kept(app, client, login_as,
                                                                      world):
    issue_id, token, phone = _link(app, client, login_as, world)
    page = _html(phone.get(f"/r/{token}"))
    assert "哪里不满意？（可多选）" in page and "办理太慢" in page
    r = phone.post_form(f"/r/{token}", {"rating": "2", "text": " "})
    assert r.status_code == 200
    assert "请告诉承办单位哪里不满意：点选原因或写几句话。" in _html(r)
    db.session.expire_all()
    assert db.session.get(Issue, issue_id).state == "resolved"


def test_tapped_reasons_and_text_are_stored_and_shown_to_the_unit(app, client, login_as, world):
    w = world
    issue_id, token, phone = _link(app, client, login_as, w)
    r = phone.post_form(f"/r/{token}", {"rating": "1", "reasons": ["slow", "unsolved"],
                                         "text": "只到岗 20 人"})
    assert r.status_code == 200
    db.session.expire_all()
    issue = db.session.get(Issue, issue_id)
    assert issue.state == "reopened" and issue.rating == 1
    assert issue.rating_comment == "不满意原因：办理太慢、问题没有真正解决。\n只到岗 20 人"
    event = db.session.scalars(select(IssueEvent).where(IssueEvent.issue_id == issue_id,
                                                        IssueEvent.action == "rate")).one()
    assert "办理太慢" in event.text
    login_as(w.handler)
    page = _html(client.get(f"/problems/{issue_id}"))
    assert "不满意原因：办理太慢、问题没有真正解决。" in page


def test_a_tapped_reason_alone_is_enough(app, client, login_as, world):
    issue_id, token, phone = _link(app, client, login_as, world)
    assert phone.post_form(f"/r/{token}", {"rating": "2", "reasons": ["passed_on"]}
                           ).status_code == 200
    db.session.expire_all()
    assert db.session.get(Issue, issue_id).rating_comment == "不满意原因：推诿扯皮、来回跑。"


def test_made_up_reasons_are_dropped_and_good_ratings_need_none(app, client, login_as, world):
    issue_id, token, phone = _link(app, client, login_as, world)
    assert phone.post_form(f"/r/{token}", {"rating": "4", "reasons": ["<b>x</b>"]}
                           ).status_code == 200
    db.session.expire_all()
    issue = db.session.get(Issue, issue_id)
    assert issue.state == "closed" and issue.rating_comment is None
