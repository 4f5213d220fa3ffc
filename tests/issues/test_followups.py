"""The 回访 queue: its three sources and deadline, the recorded call, 重办 through the
workflow, and the admin's share of good ratings checked."""
from __future__ import annotations

import re
from datetime import datetime
from html import unescape

import pytest
from sqlalchemy import select

from crm.core.timeutil import to_utc
from crm.extensions import db
from crm.issues import followups
from crm.issues.errors import InvalidInput
from crm.issues.followups import FollowUp
from crm.issues.models import Issue, IssueEvent
from crm.issues.workflow import transition
from tests.issues.conftest import utc


def _html(r) -> str:
    return r.get_data(as_text=True)


def _resolved(w, title="招工缺口 50 人"):
    issue = w.issue("new", title=title, category_id=w.category.id)
    transition(issue, "dispatch", w.coordinator, unit_id=w.unit.id, level="ordinary",
               now=utc(2026, 11, 16, 2, 0))
    transition(issue, "sign", w.handler, now=utc(2026, 11, 16, 3, 0))
    transition(issue, "resolve", w.handler, text="已推荐 52 人上岗", now=utc(2026, 11, 20, 3, 0))
    return issue


def _rate(w, issue, rating, when=utc(2026, 11, 25, 6, 30)):
    transition(issue, "rate", w.commissioner, rating=rating, contact="赵经理", now=when,
               text="只到岗 20 人", reason="人员不足")


# Wednesday 2026-11-25 14:30 local: two working days on is Friday 27th, 18:00 local.
FRIDAY_18 = to_utc(datetime(2026, 11, 27, 18, 0))


def test_low_rating_enters_the_queue_due_in_two_working_days(world):
    w = world
    issue = _resolved(w)
    _rate(w, issue, 2)
    fu = db.session.scalar(select(FollowUp))
    assert (fu.issue_id, fu.source, fu.rating, fu.rating_channel) == (
        issue.id, "low_rating", 2, "recorded")
    assert fu.due_at == FRIDAY_18 and fu.done_at is None


@pytest.mark.now("2026-09-30 10:00")
def test_the_deadline_skips_the_national_day_holiday(world):
    w = world
    issue = _resolved(w)
    _rate(w, issue, 1, when=to_utc(datetime(2026, 9, 30, 10, 0)))
    fu = db.session.scalar(select(FollowUp))
    # 1–7 October are off: the two working days are 8 and 9 October.
    assert fu.due_at == to_utc(datetime(2026, 10, 9, 18, 0))


def test_closed_without_resolution_enters_the_queue(world):
    w = world
    issue = w.issue("new", title="重复提交")
    transition(issue, "dispatch", w.coordinator, unit_id=w.unit.id, level="ordinary")
    transition(issue, "close", w.coordinator, text="企业已注销")
    fu = db.session.scalar(select(FollowUp))
    assert fu.source == "unresolved" and fu.rating is None


def test_a_rating_of_three_never_and_good_ones_by_the_admins_share(world):
    w = world
    a, b, c = _resolved(w, "甲"), _resolved(w, "乙"), _resolved(w, "丙")
    _rate(w, a, 3)
    followups.set_sample_percent(0, w.admin)
    _rate(w, b, 5)
    assert db.session.scalar(select(FollowUp)) is None
    followups.set_sample_percent(100, w.admin)
    _rate(w, c, 4)
    fu = db.session.scalar(select(FollowUp))
    assert fu.issue_id == c.id and fu.source == "sample"


def test_the_draw_takes_about_the_share_asked():
    taken = sum(followups.is_sampled(i, datetime(2026, 11, 25, 6, 30), 10) for i in range(2000))
    assert 140 <= taken <= 260  # 10 % of 2,000, give or take


def test_queue_page_lists_the_calls_to_make(client, login_as, world):
    w = world
    issue = _resolved(w)
    _rate(w, issue, 1)
    db.session.commit()
    login_as(w.coordinator)
    page = _html(client.get("/problems/follow-ups"))
    assert issue.number in page and "评价为 1–2 分" in page and "2026-11-27 18:00" in page


def test_dissatisfied_after_a_low_rating_goes_to_another_unit(client, login_as, world):
    w = world
    issue = _resolved(w)
    _rate(w, issue, 2)
    fu = db.session.scalar(select(FollowUp))
    db.session.commit()
    login_as(w.coordinator)
    r = client.post_form(f"/problems/follow-ups/{fu.id}", {
        "reached": "yes", "said": "人社局推荐的人都不合适", "verdict": "dissatisfied",
        "self_confirmed": "", "unit_id": str(w.other_unit.id), "reason": "改由自然资源局牵头"})
    assert r.status_code == 302
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert issue.state == "reopened" and issue.lead_unit_id == w.other_unit.id
    assert issue.handler_id is None
    fu = db.session.get(FollowUp, fu.id)
    assert fu.is_reached and fu.verdict == "dissatisfied" and fu.is_redone
    assert fu.is_contradiction is False  # 2 and not satisfied agree
    actions = list(db.session.scalars(select(IssueEvent.action).where(
        IssueEvent.issue_id == issue.id).order_by(IssueEvent.id)))
    assert actions[-2:] == ["redo", "follow_up"]
    # The other unit's handler now signs it.
    transition(issue, "sign", w.other_handler)
    assert issue.state == "in_progress"


def test_dissatisfied_after_a_good_rating_reopens_and_contradicts(world):
    w = world
    followups.set_sample_percent(100, w.admin)
    issue = _resolved(w)
    _rate(w, issue, 5)
    assert issue.state == "closed"
    fu = db.session.scalar(select(FollowUp))
    followups.record_call(fu, {"reached": True, "said": "其实没解决", "verdict": "dissatisfied",
                               "self_confirmed": False}, w.coordinator)
    assert issue.state == "reopened" and issue.closed_at is None
    assert issue.lead_unit_id == w.unit.id and issue.reopen_count == 1
    assert fu.is_contradiction is True and fu.is_redone


def test_a_self_rating_the_enterprise_did_not_give_contradicts(world):
    w = world
    followups.set_sample_percent(100, w.admin)
    from crm.issues.workflow import EnterpriseRater
    issue = _resolved(w)
    transition(issue, "rate", EnterpriseRater("赵经理"), rating=5)
    fu = db.session.scalar(select(FollowUp))
    followups.record_call(fu, {"reached": True, "verdict": "satisfied",
                               "self_confirmed": False}, w.coordinator)
    assert fu.is_contradiction is True and issue.state == "closed" and not fu.is_redone


def test_not_reached_changes_nothing_and_the_call_is_needed_once(world):
    w = world
    issue = _resolved(w)
    _rate(w, issue, 1)
    fu = db.session.scalar(select(FollowUp))
    with pytest.raises(InvalidInput):
        followups.record_call(fu, {"reached": True}, w.coordinator)  # no verdict
    assert fu.done_at is None
    followups.record_call(fu, {"reached": False, "verdict": "satisfied"}, w.coordinator)
    assert fu.verdict is None and fu.is_contradiction is None and issue.state == "reopened"
    with pytest.raises(InvalidInput):
        followups.record_call(fu, {"reached": False}, w.coordinator)


def test_bad_call_form_keeps_the_page(client, login_as, world):
    w = world
    issue = _resolved(w)
    _rate(w, issue, 1)
    fu = db.session.scalar(select(FollowUp))
    db.session.commit()
    login_as(w.coordinator)
    r = client.post_form(f"/problems/follow-ups/{fu.id}", {"reached": "yes", "said": "电话打通"})
    assert r.status_code == 400 and "电话打通" in _html(r)
    db.session.expire_all()
    assert db.session.get(FollowUp, fu.id).done_at is None


def test_admin_sets_the_share(client, login_as, world):
    login_as(world.admin)
    r = client.post_form("/problems/admin/follow-ups", {"percent": "25"})
    assert r.status_code == 302 and followups.sample_percent() == 25
    bad = client.post_form("/problems/admin/follow-ups", {"percent": "250"})
    assert bad.status_code == 400 and followups.sample_percent() == 25


def test_the_queue_pages_by_keyset_and_counts_every_call(client, login_as, world):
    """Each table shows a page of calls; "next" starts after the last one shown (the
    due or done instant and the id, not an offset); the counts cover every call."""
    from datetime import timedelta

    from crm.issues.views.followups import LIMIT

    w = world
    issue = _resolved(w)
    base = datetime(2026, 11, 20, 2)
    for n in range(LIMIT + 3):  # waiting calls, three of them due at the same instant
        db.session.add(FollowUp(issue_id=issue.id, source="sample", rating=5,
                                created_at=base, due_at=base + timedelta(hours=min(n, LIMIT))))
    for n in range(LIMIT + 2):
        db.session.add(FollowUp(issue_id=issue.id, source="sample", rating=5, created_at=base,
                                due_at=base, done_at=base + timedelta(minutes=n // 2),
                                is_reached=True))
    db.session.commit()
    login_as(w.coordinator)

    def page(url):
        html = client.get(url).get_data(as_text=True)
        waiting = re.findall(r'data-testid="followup-row"', html)
        done = re.findall(r'data-testid="followup-done-row"', html)
        nxt = {k: unescape(m.group(1)) for k in ("waiting", "done") for m in [re.search(
            r'href="([^"]+)" data-testid="followups-%s-next"' % k, html)] if m}
        return html, len(waiting), len(done), nxt

    html, waiting, done, nxt = page("/problems/follow-ups")
    assert (waiting, done) == (LIMIT, LIMIT)
    assert re.search(r'followups-waiting-count">%d<' % (LIMIT + 3), html)
    assert re.search(r'followups-done-count">%d<' % (LIMIT + 2), html)
    _html, waiting2, done2, nxt2 = page(nxt["waiting"])
    assert (waiting2, done2, "waiting" in nxt2) == (3, LIMIT, False)
    _html, waiting3, done3, _n = page(nxt["done"])
    assert (waiting3, done3) == (LIMIT, 2)
    assert page("/problems/follow-ups?w=nonsense&d=2026-13-01,x")[1:3] == (LIMIT, LIMIT)
