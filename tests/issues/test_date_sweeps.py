"""Deadlines, lights, boards and the periodic sweep on every sweep day (tests/clock.py).

Each test runs once per sweep day with the clock started there, and asserts the rules
of DESIGN.md §4 rather than one day's numbers: the expected deadlines and the
"已超期 N 个工作日" wording are counted here, day by day, with the product's own
``is_workday`` (holidays, make-up working days, the admin's overrides), so a test
stays true on a Monday after a weekend, across 国庆, at a year end and in a year the
holiday package does not know yet.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from crm.core.models import Notification
from crm.core.timeutil import local_midnight_utc, local_today, to_local, utcnow
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.errors import InvalidInput
from crm.issues.models import Issue
from crm.issues.sweep import sweep
from crm.issues.workflow import transition

DUE_TIME = time(18, 0)
MINUTE = timedelta(minutes=1)


# -- the rule, counted day by day -------------------------------------------------------

def _overrides() -> dict[date, bool]:
    today = local_today()
    return dl.overrides_between(today - timedelta(days=120), today + timedelta(days=120))


def _workday(day: date) -> bool:
    return dl.is_workday(day, _overrides())


def _nth_workday_after(day: date, n: int) -> date:
    """The n-th working day after ``day`` (``day`` itself not counted)."""
    while n:
        day += timedelta(days=1)
        n -= _workday(day)
    return day


def _workday_before(day: date) -> date:
    """The last working day strictly before ``day``."""
    day -= timedelta(days=1)
    while not _workday(day):
        day -= timedelta(days=1)
    return day


def _workdays_in(start: date, end: date) -> int:
    """Working days in (start, end]."""
    return sum(_workday(start + timedelta(days=k)) for k in range(1, (end - start).days + 1))


def _overdue_text(issue: Issue, now: datetime) -> str:
    """What a person must read next to a red problem: whole working days since the due
    day, "less than one" when none has passed yet (e.g. due Friday, read on Sunday)."""
    n = _workdays_in(dl.local_date(issue.due_at), dl.local_date(now))
    if n == 0:
        return "已超期（不足 1 个工作日）"
    if n == 1:
        return "已超期 1 个工作日"
    return f"已超期 {n} 个工作日"


def _at(day: date, hour: int = 10) -> datetime:
    """Naive UTC for ``day`` at ``hour``:00 Asia/Shanghai."""
    return local_midnight_utc(day) + timedelta(hours=hour)


def _assert_end_of_a_working_day(value: datetime, what: str) -> date:
    local = to_local(value)
    assert local.time() == DUE_TIME, (what, local)
    assert _workday(local.date()), (what, local)
    return local.date()


# -- page helpers ----------------------------------------------------------------------

def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _switch(client, login_as, user) -> None:
    """Sign out whoever is signed in, then sign in as ``user``."""
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login_as(user)


def _section(html: str, key: str) -> str:
    start = html.index(f'data-testid="section-{key}"')
    return html[start:html.index("</section>", start)]


def _items(html: str) -> list[tuple[str, str | None]]:
    """(number, countdown text) of each problem item, in page order."""
    out = []
    for chunk in html.split('data-testid="issue-item"')[1:]:
        number = re.search(r'data-issue="([^"]+)"', chunk).group(1)
        countdown = re.search(r'data-testid="countdown">([^<]*)<', chunk)
        out.append((number, countdown.group(1) if countdown else None))
    return out


# -- deadlines -------------------------------------------------------------------------

def test_dispatch_sets_each_stage_deadline_at_18_00_on_the_nth_working_day(world, sweep_now):
    w = world
    today = sweep_now.date()
    made = {}
    for level in ("consult", "ordinary", "complex"):
        issue = w.issue(title=f"{level}类问题")
        transition(issue, "dispatch", w.coordinator, expected_version=issue.version,
                   unit_id=w.unit.id, level=level)
        made[level] = issue
    resolve_days = {"consult": 3, "ordinary": 7}
    for level, issue in made.items():
        start = dl.local_date(issue.dispatched_at)
        assert start == today
        sign = _assert_end_of_a_working_day(issue.sign_due_at, "sign")
        progress = _assert_end_of_a_working_day(issue.progress_due_at, "progress")
        due = _assert_end_of_a_working_day(issue.due_at, "resolve")
        assert sign == _nth_workday_after(start, 1), level
        assert progress == _nth_workday_after(start, 3), level
        if level == "complex":  # 30 calendar days, then on to a working day
            expected = start + timedelta(days=30)
            while not _workday(expected):
                expected += timedelta(days=1)
            assert due == expected
        else:
            assert due == _nth_workday_after(start, resolve_days[level]), level
            # Yellow at the end of a working day before the due day.
            _assert_end_of_a_working_day(issue.warn_at, "warn")
        assert issue.dispatched_at < issue.sign_due_at <= issue.progress_due_at <= issue.due_at
        assert issue.dispatched_at < issue.warn_at < issue.due_at, level

    # A due day chosen at dispatch must be a later working day; it ends at 18:00 too.
    chosen = w.issue(title="指定办结日期的问题")
    day_off = today + timedelta(days=1)
    while _workday(day_off):
        day_off += timedelta(days=1)
    for bad in (today, day_off):
        with pytest.raises(InvalidInput) as refused:
            transition(chosen, "dispatch", w.coordinator, unit_id=w.unit.id, level="ordinary",
                       due_date=bad)
        assert refused.value.field == "due_date", bad
    assert chosen.state == "new" and chosen.due_at is None
    day = _nth_workday_after(today, 12)
    transition(chosen, "dispatch", w.coordinator, unit_id=w.unit.id, level="ordinary",
               due_date=day)
    assert _assert_end_of_a_working_day(chosen.due_at, "chosen") == day
    assert chosen.dispatched_at < chosen.warn_at < chosen.due_at
    db.session.commit()


# -- lights ----------------------------------------------------------------------------

def test_green_then_yellow_then_red_and_the_list_filter_agrees_with_the_badge(
        world, client, login_as, clock, sweep_now):
    w = world
    issue = w.issue(title="扩建用工缺口")
    transition(issue, "dispatch", w.coordinator, unit_id=w.unit.id, level="ordinary")
    transition(issue, "sign", w.handler)
    # A companion with a later due day chosen at dispatch: green all along.
    calm = w.issue(title="厂区道路修缮")
    transition(calm, "dispatch", w.coordinator, unit_id=w.unit.id, level="ordinary",
               due_date=_nth_workday_after(sweep_now.date(), 25))
    db.session.commit()
    login_as(w.coordinator)
    # Just before and just after each change of light; the pages are read after each.
    stops = [
        ("green", None, False),
        ("green", issue.warn_at - MINUTE, False),
        ("yellow", issue.warn_at + MINUTE, True),
        ("yellow", issue.due_at - MINUTE, False),
        ("red", issue.due_at + MINUTE, True),
    ]
    for light, at, read_pages in stops:
        if at is not None:
            clock.travel(to_local(at))
        now = utcnow()
        assert issue.light(now) == light, (light, to_local(now))
        in_sql = db.session.scalar(select(Issue.light_expr(now)).where(Issue.id == issue.id))
        assert in_sql == light
        if not read_pages and at is not None:
            continue
        page = _html(client.get(f"/problems/{issue.id}"))
        assert f'data-light="{light}"' in page, (light, to_local(now))
        countdown = re.search(r'data-testid="countdown">([^<]*)<', page).group(1)
        if light == "red":
            assert countdown == _overdue_text(issue, now)
        else:
            left = _workdays_in(dl.local_date(now), dl.local_date(issue.due_at))
            assert countdown == ("今日到期" if left == 0 else f"剩余 {left} 个工作日"), countdown
        for other in ("green", "yellow", "red"):
            listed = _html(client.get(f"/problems/?light={other}"))
            assert ("扩建用工缺口" in listed) == (other == light), (other, light)
            assert ("厂区道路修缮" in listed) == (other == "green"), other


# -- boards ----------------------------------------------------------------------------

def test_boards_put_the_red_problems_first_with_overdue_in_working_days(
        world, client, login_as, sweep_now):
    w = world
    today = sweep_now.date()
    # Long overdue: dispatched six weeks ago.
    old = w.issue(title="融资续贷久拖未决")
    long_ago = _workday_before(today - timedelta(days=42))
    transition(old, "dispatch", w.coordinator, now=_at(long_ago), unit_id=w.unit.id,
               level="ordinary")
    transition(old, "sign", w.handler, now=_at(long_ago, 11))
    # Just overdue: due at the end of the last working day before today (over a weekend
    # or a holiday that is less time than the calendar suggests).
    due_day = _workday_before(today)
    fresh = w.issue(title="用电增容刚超期")
    transition(fresh, "dispatch", w.coordinator, now=_at(_workday_before(due_day)),
               unit_id=w.unit.id, level="ordinary", due_date=due_day)
    transition(fresh, "sign", w.handler, now=_at(_workday_before(due_day), 11))
    # On track, and one still to sign for, both dispatched today.
    green = w.issue(title="招工对接进行中")
    transition(green, "dispatch", w.coordinator, unit_id=w.unit.id, level="ordinary")
    transition(green, "sign", w.handler)
    to_sign = w.issue(title="新交办待签收")
    transition(to_sign, "dispatch", w.coordinator, unit_id=w.unit.id, level="consult")
    db.session.commit()
    now = utcnow()
    assert old.light(now) == fresh.light(now) == "red" and green.light(now) == "green"
    expected = {old.number: _overdue_text(old, now), fresh.number: _overdue_text(fresh, now)}

    login_as(w.handler)
    inbox = _html(client.get("/problems/inbox"))
    in_hand = _items(_section(inbox, "in_hand"))
    assert [n for n, _ in in_hand] == [old.number, fresh.number, green.number]
    for number, text in in_hand[:2]:
        assert text == expected[number]
    assert [n for n, _ in _items(_section(inbox, "to_sign"))] == [to_sign.number]

    _switch(client, login_as, w.coordinator)
    triage = _html(client.get("/problems/triage"))
    red = _items(_section(triage, "red"))
    assert [n for n, _ in red] == [old.number, fresh.number], "the longest overdue first"
    for number, text in red:
        assert text == expected[number]

    _switch(client, login_as, w.leader)
    board = _html(client.get("/problems/leader"))
    rows = _items(_section(board, "open"))
    numbers = [n for n, _ in rows]
    assert numbers[:2] == [old.number, fresh.number]
    assert set(numbers[2:]) == {green.number, to_sign.number}
    assert dict(rows)[old.number] == expected[old.number]
    counts = board[board.index('data-testid="light-counts"'):]
    counts = re.sub(r"\s+", " ", counts[:counts.index("</p>")])
    assert "超期 2<" in counts and "正常 2<" in counts, counts


# -- the periodic sweep ----------------------------------------------------------------

def _notices() -> list[tuple[int, int, str]]:
    return list(db.session.execute(select(Notification.user_id, Notification.issue_id,
                                          Notification.kind)).tuples())


def _sweep_twice() -> dict[str, int]:
    first = sweep()
    db.session.commit()
    stored = db.session.scalar(select(func.count()).select_from(Notification))
    second = sweep()
    db.session.commit()
    assert all(n == 0 for n in second.values()), second
    assert db.session.scalar(select(func.count()).select_from(Notification)) == stored
    return first


def test_the_sweep_sends_each_due_soon_and_overdue_notice_once(world, clock, sweep_now):
    w = world
    today = sweep_now.date()
    unsigned = w.issue(title="两天前交办未签收")
    two_back = _workday_before(_workday_before(today))
    transition(unsigned, "dispatch", w.coordinator, now=_at(two_back), unit_id=w.unit.id,
               level="ordinary")
    working = w.issue(title="今天交办已签收")
    transition(working, "dispatch", w.coordinator, unit_id=w.unit.id, level="ordinary")
    transition(working, "sign", w.handler)
    transition(working, "progress", w.handler, text="已与企业对接")
    db.session.commit()

    sent = _sweep_twice()
    assert sent.get("sign_overdue", 0) > 0, sent
    assert not sent.get("due_soon") and not sent.get("overdue"), sent

    clock.travel(to_local(working.warn_at + MINUTE))
    sent = _sweep_twice()
    assert sent.get("due_soon", 0) > 0, sent

    clock.travel(to_local(working.due_at + MINUTE))
    sent = _sweep_twice()
    assert sent.get("overdue", 0) > 0, sent

    # Each person got each notice about each problem exactly once (the sign reminder
    # was not repeated when the unsigned problem went red as well).
    per_person = Counter(_notices())
    swept = {k: n for k, n in per_person.items()
             if k[2] in ("sign_overdue", "due_soon", "overdue")}
    assert set(swept.values()) == {1}, swept
    kinds = Counter(kind for _u, _i, kind in swept)
    assert kinds["sign_overdue"] and kinds["due_soon"], kinds
    assert {i for _u, i, kind in swept if kind == "overdue"} == {unsigned.id, working.id}
