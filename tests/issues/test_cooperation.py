"""Cooperating units (协办): their own small stage — an opinion to the lead unit within N
working days, its light, its notices (asked, due soon, overdue: each once), the reply on
the timeline — and they never sign.

The county's dispatch falls on Friday 2026-11-27 10:00; the admin has made Monday 11-30
a holiday, so the default 2 working days end on Wednesday 12-02 at 18:00 (yellow from
Tuesday 18:00).
"""
import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from crm.core.models import Notification
from crm.core.timeutil import to_utc
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.errors import NotAllowed
from crm.issues.models import DeadlineRule, Issue, IssueEvent, IssueUnit, WorkdayOverride
from crm.issues.sweep import sweep
from crm.issues.workflow import transition
from tests import factories

DUE = dl.end_of_day(date(2026, 12, 2))
WARN = dl.end_of_day(date(2026, 12, 1))


def at(text: str) -> datetime:
    """A local Asia/Shanghai time as the naive UTC the database stores."""
    return to_utc(datetime.fromisoformat(text))


def _html(response):
    return response.get_data(as_text=True)


def _texts(user):
    return db.session.scalars(select(Notification.text).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def _holiday(day=date(2026, 11, 30)):
    db.session.add(WorkdayOverride(day=day, is_workday=False, note="调休"))
    db.session.flush()


def _dispatched(w, coop=None, **kw):
    """A problem dispatched to 市人力资源和社会保障局 with 市自然资源局 cooperating."""
    _holiday()
    issue = w.issue(category_id=w.category.id, title="招工缺口 50 人")
    transition(issue, "dispatch", w.coordinator, now=at("2026-11-27 10:00"),
               unit_id=w.unit.id, level="ordinary",
               coop_unit_ids=[u.id for u in (coop or [w.other_unit])], **kw)
    db.session.commit()
    return issue


def _stage(issue, unit):
    db.session.expire_all()
    return db.session.get(IssueUnit, (issue.id, unit.id))


def _section(html: str, key: str) -> str:
    start = html.index(f'data-testid="section-{key}"')
    return html[start:html.index("</section>", start)]


@pytest.mark.now("2026-11-27 10:30")
def test_a_cooperating_unit_is_asked_for_its_opinion_and_never_to_sign(world):
    w = world
    issue = _dispatched(w)
    stage = _stage(issue, w.other_unit)
    # Friday 10:00 + 2 working days, across the weekend and Monday's holiday.
    assert stage.requested_at == at("2026-11-27 10:00")
    assert stage.reply_due_at == DUE and stage.reply_warn_at == WARN
    coop_notes = _texts(w.other_handler)
    assert len(coop_notes) == 1
    assert "请在 2026-12-02 18:00 前向主办单位提交协办意见" in coop_notes[0]
    assert "市人力资源和社会保障局主办" in coop_notes[0]
    assert not any("签收" in n for n in coop_notes)
    assert "请在 2026-12-01 18:00 前签收" in _texts(w.handler)[-1]  # the lead unit signs


@pytest.mark.now("2026-11-27 09:00")
def test_the_reply_limit_is_the_admins_deadline_rule(client, login_as, world):
    w = world
    login_as(w.admin)
    r = client.post_form("/problems/admin/rules/new", {
        "category_id": w.category.id, "level": "ordinary", "sign_days": 1,
        "progress_days": 3, "resolve_days": 7, "coop_days": 0})
    assert r.status_code == 200
    assert re.search(r'data-field="coop_days">请输入 1 至 365 之间的数字。<', _html(r))
    assert db.session.scalar(select(DeadlineRule)) is None
    r = client.post_form("/problems/admin/rules/new", {
        "category_id": w.category.id, "level": "ordinary", "sign_days": 1,
        "progress_days": 3, "resolve_days": 7, "coop_days": 3})
    assert r.status_code == 302
    assert db.session.scalar(select(DeadlineRule.coop_days)) == 3
    row = _html(client.get("/problems/admin/rules"))
    assert re.search(r"协办答复.*?</thead>", row, re.S)
    issue = _dispatched(w)
    assert _stage(issue, w.other_unit).reply_due_at == dl.end_of_day(date(2026, 12, 3))


@pytest.mark.now("2026-11-30 10:00")
def test_the_light_turns_yellow_then_red_on_the_clock(client, login_as, world, clock):
    w = world
    issue = _dispatched(w)
    login_as(w.other_handler)
    html = _html(client.get("/problems/inbox"))
    coop = _section(html, "cooperating")
    assert issue.number in coop and issue.number not in _section(html, "to_sign")
    assert 'data-light="green"' in coop
    assert "请在 2026-12-02 18:00 前提交协办意见" in coop and "签收" not in coop
    assert "剩余 2 个工作日" in coop
    clock.travel("2026-12-01 18:30")
    coop = _section(_html(client.get("/problems/inbox")), "cooperating")
    assert 'data-light="yellow"' in coop and "剩余 1 个工作日" in coop
    clock.travel("2026-12-02 18:30")
    coop = _section(_html(client.get("/problems/inbox")), "cooperating")
    assert 'data-light="red"' in coop and "已超期" in coop
    # The same light in SQL (for lists and counts).
    lights = [db.session.scalar(select(IssueUnit.light_expr(at(t))).select_from(IssueUnit)
                                .join(Issue, Issue.id == IssueUnit.issue_id))
              for t in ("2026-11-30 10:00", "2026-12-01 18:30", "2026-12-02 18:30")]
    assert lights == ["green", "yellow", "red"]
    # The lead unit sees the cooperating unit's stage on the problem page.
    client.post_form("/logout")
    login_as(w.handler)
    units = _html(client.get(f"/problems/{issue.id}"))
    units = units[units.index('data-testid="coop-units"'):]
    assert "市自然资源局" in units[:600] and 'data-light="red"' in units[:600]


@pytest.mark.now("2026-11-27 10:30")
def test_the_sweep_sends_due_soon_and_overdue_once(world):
    w = world
    issue = _dispatched(w)
    transition(issue, "sign", w.handler, now=at("2026-11-27 11:00"))
    db.session.commit()
    assert sweep(at("2026-12-01 17:00")) == {}  # green
    assert sweep(at("2026-12-01 18:30")) == {"coop_due_soon": 1}
    assert "即将到期，请在 2026-12-02 18:00 前向主办单位提交协办意见" in _texts(w.other_handler)[-1]
    assert sweep(at("2026-12-02 09:00")) == {"coop_due_soon": 0}, "safe to run twice"
    assert sweep(at("2026-12-02 18:30")) == {"coop_overdue": 1}
    assert "协办意见已超期" in _texts(w.other_handler)[-1]
    assert sweep(at("2026-12-03 09:00")) == {"coop_overdue": 0}
    notes = _texts(w.other_handler)
    assert len(notes) == 3 and not any("签收" in n for n in notes)
    assert not any("协办" in n for n in _texts(w.handler)), "the lead unit is not nagged"


@pytest.mark.now("2026-12-01 09:00")
def test_the_reply_goes_on_the_timeline_and_stops_the_clock(client, login_as, world):
    w = world
    issue = _dispatched(w)
    transition(issue, "sign", w.handler, now=at("2026-11-27 11:00"))
    db.session.commit()
    login_as(w.other_handler)
    html = _html(client.get(f"/problems/{issue.id}"))
    card = html[html.index('data-testid="coop-stage"'):html.index('data-testid="actions"')]
    assert "请在 2026-12-02 18:00 前提交协办意见" in card and "签收" not in card
    assert 'data-testid="form-coop-reply"' in card
    r = client.post_form(f"/problems/{issue.id}/coop-reply", {"coop-text": "   "})
    assert r.status_code == 400
    assert re.search(r'data-field="coop-text">请填写贵单位的协办意见。<', _html(r))
    assert _stage(issue, w.other_unit).replied_at is None
    r = client.post_form(f"/problems/{issue.id}/coop-reply",
                         {"coop-text": "用地指标可在下季度调剂解决"})
    assert r.status_code == 302
    stage = _stage(issue, w.other_unit)
    assert stage.replied_at is not None and stage.light("in_progress") is None
    event = db.session.scalar(select(IssueEvent).where(IssueEvent.issue_id == issue.id,
                                                       IssueEvent.action == "coop_reply"))
    assert event.actor_id == w.other_handler.id and event.text == "用地指标可在下季度调剂解决"
    assert event.data == {"coop_unit": "市自然资源局", "on_time": True}
    html = _html(client.get(f"/problems/{issue.id}"))
    assert 'data-testid="form-coop-reply"' not in html
    r = client.post_form(f"/problems/{issue.id}/coop-reply", {"coop-text": "再补充一句"})
    assert r.status_code == 403 and "贵单位已提交协办意见" in _html(r)
    # The lead unit reads it on the timeline and was told.
    client.post_form("/logout")
    login_as(w.handler)
    html = _html(client.get(f"/problems/{issue.id}"))
    timeline = html[html.index('data-testid="timeline"'):]
    item = timeline[timeline.index('data-action="coop_reply"'):]
    item = item[:item.index("</li>")]
    assert "协办意见" in item and "何经办" in item and "协办单位：市自然资源局" in item
    assert "用地指标可在下季度调剂解决" in item
    assert "提交了协办意见：用地指标可在下季度调剂解决" in _texts(w.handler)[-1]
    # The stage is over: no more notices.
    assert sweep(at("2026-12-03 09:00")) == {}


@pytest.mark.now("2026-11-27 10:30")
def test_a_cooperating_handler_cannot_sign_resolve_or_return(client, login_as, world):
    w = world
    issue = _dispatched(w)
    for action, data in (("sign", {}), ("return", {"text": "非本单位职责"})):
        with pytest.raises(NotAllowed):
            transition(issue, action, w.other_handler, **data)
    login_as(w.other_handler)
    html = _html(client.get(f"/problems/{issue.id}"))
    assert 'data-testid="form-sign"' not in html and 'data-testid="form-return"' not in html
    assert 'data-testid="form-comment"' in html
    r = client.post_form(f"/problems/{issue.id}/do/sign", {"sign-version": issue.version})
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).state == "dispatched"
    transition(db.session.get(Issue, issue.id), "sign", w.handler)
    db.session.commit()
    issue = db.session.get(Issue, issue.id)
    with pytest.raises(NotAllowed):
        transition(issue, "resolve", w.other_handler, text="已解决")
    r = client.post_form(f"/problems/{issue.id}/do/resolve", {
        "resolve-version": issue.version, "resolve-text": "已解决"})
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).state == "in_progress"
    # Nor can the lead unit answer in the cooperating unit's place.
    client.post_form("/logout")
    login_as(w.handler)
    r = client.post_form(f"/problems/{issue.id}/coop-reply", {"coop-text": "代为答复"})
    assert r.status_code == 403
    assert _stage(issue, w.other_unit).replied_at is None


@pytest.mark.now("2026-12-01 09:00")
def test_a_redispatch_keeps_a_staying_units_deadline_and_asks_a_new_one(world):
    w = world
    third = factories.unit("市工业和信息化局")
    third_handler = factories.user(["handler"], unit=third, display_name="龚经办")
    _holiday()
    issue = w.issue(title="用电增容")
    transition(issue, "dispatch", w.coordinator, now=at("2026-11-27 10:00"),
               unit_id=w.other_unit.id, level="ordinary", coop_unit_ids=[third.id])
    transition(issue, "return", w.other_handler, now=at("2026-11-27 15:00"), text="非本单位")
    before = len(_texts(third_handler))
    transition(issue, "redispatch", w.coordinator, now=at("2026-12-01 09:00"),
               unit_id=w.unit.id, coop_unit_ids=[third.id, w.other_unit.id])
    db.session.commit()
    assert _stage(issue, third).reply_due_at == DUE, "a return does not reset its clock"
    assert _stage(issue, w.other_unit).reply_due_at == dl.end_of_day(date(2026, 12, 3))
    assert len(_texts(third_handler)) == before, "asked once"
    assert "请在 2026-12-03 18:00 前向主办单位提交协办意见" in _texts(w.other_handler)[-1]
