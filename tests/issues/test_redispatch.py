"""Return and re-dispatch: no unit chosen in advance (the unit that returned the problem
is marked), the proposed due day as an editable date, the chosen day stored, a day in
the past refused, and the clock rule said on the page.

The county's unit list starts with a town office (towns come first), the unit a
browser would pick when nothing is selected.
"""
import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from crm.core.timeutil import to_utc
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.models import Issue, IssueEvent
from crm.issues.workflow import transition
from tests import factories

RULE = "退回后重新交办：新承办单位的签收和首次反馈时限从今天起重新计算"
RULE_END = "办结时限不重新计算，因为时钟自首次交办起一直在走，退回不重置时钟"


def at(text: str) -> datetime:
    """A local Asia/Shanghai time as the naive UTC the database stores."""
    return to_utc(datetime.fromisoformat(text))


def _html(response):
    return response.get_data(as_text=True)


def _returned(w, dispatched="2026-11-23 10:00", returned="2026-11-23 11:00"):
    """A problem dispatched to 市自然资源局 and returned by it, through the workflow."""
    factories.unit("东城街道办事处", kind="town")
    issue = w.issue(category_id=w.category.id, title="厂区道路积水")
    transition(issue, "dispatch", w.coordinator, now=at(dispatched),
               unit_id=w.other_unit.id, level="ordinary")
    transition(issue, "return", w.other_handler, now=at(returned), text="不属于本单位职责")
    db.session.commit()
    return issue


def _options(html: str, name: str) -> list[tuple[bool, str, str]]:
    """(selected, value, label) of each option of the select called ``name``."""
    block = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [(" selected" in attrs, re.search(r'value="([^"]*)"', attrs).group(1), label.strip())
            for attrs, label in re.findall(r"<option([^>]*)>(.*?)</option>", block, re.S)]


def _row(html: str, number: str) -> str:
    """The triage board's item of one problem."""
    start = html.index(f'data-issue="{number}"')
    return html[start:html.index('data-testid="issue-item"', start + 1)
                if 'data-testid="issue-item"' in html[start + 1:] else len(html)]


def _events(issue) -> int:
    return db.session.scalar(select(func.count()).select_from(IssueEvent)
                             .where(IssueEvent.issue_id == issue.id))


@pytest.mark.now("2026-11-24 09:00")
def test_triage_preselects_no_unit_and_proposes_the_original_due_day(client, login_as, world):
    w = world
    issue = _returned(w)
    login_as(w.coordinator)
    html = _html(client.get("/problems/triage"))
    row = _row(html, issue.number)
    options = _options(row, "redispatch-unit_id")
    assert options[0] == (True, "", "请选择承办单位")
    assert not any(selected for selected, _v, _l in options[1:]), "nothing chosen in advance"
    assert options[1][2] == "东城街道办事处"
    assert (False, str(w.other_unit.id), "市自然资源局（退回单位）") in options
    assert " required" in re.search(r'<select[^>]*name="redispatch-unit_id"[^>]*>', row).group(0)
    # Dispatched Monday 11-23 (ordinary: 7 working days): due Wednesday 12-02. The return
    # does not reset the clock, so that is the proposal.
    due = re.search(r'<input[^>]*name="redispatch-due_date"[^>]*>', row).group(0)
    assert 'type="date"' in due and 'value="2026-12-02"' in due
    assert "首次交办 2026-11-23，原定 2026-12-02 前办结" in row
    assert RULE in html and RULE_END in html


@pytest.mark.now("2026-11-24 09:00")
def test_problem_page_preselects_no_unit_and_marks_the_returning_unit(client, login_as, world):
    w = world
    issue = _returned(w)
    login_as(w.coordinator)
    html = _html(client.get(f"/problems/{issue.id}"))
    form = html[html.index('data-testid="form-redispatch"'):]
    form = form[:form.index("</form>")]
    options = _options(form, "redispatch-unit_id")
    assert options[0] == (True, "", "请选择承办单位")
    assert not any(selected for selected, _v, _l in options[1:])
    assert (False, str(w.other_unit.id), "市自然资源局（退回单位）") in options
    assert (False, str(w.unit.id), "市人力资源和社会保障局") in options
    due = re.search(r'<input[^>]*name="redispatch-due_date"[^>]*>', form).group(0)
    assert 'type="date"' in due and 'value="2026-12-02"' in due
    assert "办结时限（已填入建议日期，可修改）" in form
    assert RULE in html and RULE_END in html


@pytest.mark.now("2026-11-24 09:00")
def test_a_redispatch_without_a_unit_is_explained_next_to_the_field(client, login_as, world):
    w = world
    issue = _returned(w)
    before = _events(issue)
    login_as(w.coordinator)
    r = client.post_form(f"/problems/{issue.id}/do/redispatch", {
        "redispatch-version": issue.version, "redispatch-next": "/problems/triage",
        "redispatch-unit_id": "", "redispatch-due_date": "2026-12-02",
        "redispatch-level": "ordinary", "redispatch-category_id": w.category.id})
    assert r.status_code == 400
    html = _html(r)
    assert re.search(r'data-field="redispatch-unit_id">请选择主办单位。<', html)
    assert 'value="2026-12-02"' in html, "the typed day is kept"
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert issue.state == "returned" and _events(issue) == before


@pytest.mark.now("2026-11-24 09:00")
def test_the_chosen_later_due_day_is_what_the_problem_gets(client, login_as, world):
    w = world
    issue = _returned(w)
    first_dispatch = issue.dispatched_at
    login_as(w.coordinator)
    r = client.post_form(f"/problems/{issue.id}/do/redispatch", {
        "redispatch-version": issue.version, "redispatch-next": "/problems/triage",
        "redispatch-unit_id": w.unit.id, "redispatch-due_date": "2026-12-09",
        "redispatch-level": "ordinary", "redispatch-category_id": w.category.id,
        "redispatch-text": "请人社局牵头办理"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/problems/triage")
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert issue.state == "dispatched" and issue.is_redispatched
    assert issue.lead_unit_id == w.unit.id
    assert issue.due_at == dl.end_of_day(date(2026, 12, 9)), "the chosen day, not the first one"
    assert issue.dispatched_at == first_dispatch, "the clock still runs from the first dispatch"
    # The new unit's sign and first-progress stages start on the re-dispatch day (Tuesday).
    assert issue.sign_due_at == dl.end_of_day(date(2026, 11, 25))
    assert issue.progress_due_at == dl.end_of_day(date(2026, 11, 27))
    # Yellow measured from the first dispatch (12 working days to 12-09: 2 before).
    assert issue.warn_at == dl.end_of_day(date(2026, 12, 7))
    event = db.session.scalar(select(IssueEvent).where(IssueEvent.issue_id == issue.id,
                                                       IssueEvent.action == "redispatch"))
    assert event.data["due_day"] == "2026-12-09"
    assert event.data["previous_due_at"] == dl.end_of_day(date(2026, 12, 2)).isoformat()
    html = _html(client.get(f"/problems/{issue.id}"))
    assert re.search(r'data-testid="due-at">2026-12-09 18:00<', html)
    assert "办结时限 2026-12-09" in html and "请人社局牵头办理" in html
    notes = db.session.scalars(select(IssueEvent.text).where(IssueEvent.issue_id == issue.id))
    assert "请人社局牵头办理" in list(notes)


@pytest.mark.now("2026-11-24 09:00")
def test_a_due_day_in_the_past_is_refused_and_nothing_changes(client, login_as, world):
    w = world
    issue = _returned(w)
    before = {c: getattr(issue, c) for c in ("state", "lead_unit_id", "due_at", "warn_at",
                                             "sign_due_at", "version", "is_redispatched")}
    events = _events(issue)
    login_as(w.coordinator)
    r = client.post_form(f"/problems/{issue.id}/do/redispatch", {
        "redispatch-version": issue.version, "redispatch-unit_id": w.unit.id,
        "redispatch-due_date": "2026-11-23", "redispatch-level": "ordinary",
        "redispatch-category_id": w.category.id})
    assert r.status_code == 400
    assert re.search(r'data-field="redispatch-due_date">办结时限不能早于今天（2026-11-24）。<',
                     _html(r))
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert {c: getattr(issue, c) for c in before} == before and _events(issue) == events


@pytest.mark.now("2026-11-24 09:00")
def test_an_empty_due_day_keeps_the_original_one(world):
    w = world
    issue = _returned(w)
    transition(issue, "redispatch", w.coordinator, unit_id=w.unit.id)
    assert issue.due_at == dl.end_of_day(date(2026, 12, 2))
    event = db.session.scalar(select(IssueEvent).where(IssueEvent.issue_id == issue.id,
                                                       IssueEvent.action == "redispatch"))
    assert event.data["due_day"] == "2026-12-02"


@pytest.mark.now("2026-11-24 09:00")
def test_after_a_long_wait_the_proposal_is_the_new_sign_day(client, login_as, world):
    w = world
    # Dispatched 11-02, due 11-11, returned the same day and left waiting until 11-24.
    issue = _returned(w, dispatched="2026-11-02 10:00", returned="2026-11-02 15:00")
    assert issue.due_at == dl.end_of_day(date(2026, 11, 11))
    login_as(w.coordinator)
    row = _row(_html(client.get("/problems/triage")), issue.number)
    assert 'value="2026-11-25"' in re.search(r'<input[^>]*name="redispatch-due_date"[^>]*>',
                                              row).group(0)


@pytest.mark.now("2026-11-24 09:00")
def test_a_redispatch_from_the_board_keeps_the_cooperating_units(client, login_as, world):
    w = world
    third = factories.unit("市工业和信息化局")
    issue = w.issue(title="用电增容")
    transition(issue, "dispatch", w.coordinator, now=at("2026-11-23 10:00"),
               unit_id=w.other_unit.id, level="ordinary", coop_unit_ids=[third.id])
    transition(issue, "return", w.other_handler, now=at("2026-11-23 11:00"), text="非本单位")
    db.session.commit()
    login_as(w.coordinator)
    row = _row(_html(client.get("/problems/triage")), issue.number)
    assert "协办单位不变：市工业和信息化局" in row
    assert f'name="redispatch-coop_unit_ids" value="{third.id}"' in row
