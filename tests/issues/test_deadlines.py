"""Working-day deadlines across the 2026 Spring Festival and National Day (with their
make-up working days), calendar-day stages, the countdown text, and years the holiday
package does not know yet (their statutory days counted)."""
from datetime import date, datetime

import chinese_calendar
import pytest

from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.models import HolidayArrangement, WorkdayOverride
from crm.issues.workflow import transition

ORDINARY = dl.DEFAULT_LIMITS["ordinary"]
CONSULT = dl.DEFAULT_LIMITS["consult"]
COMPLEX = dl.DEFAULT_LIMITS["complex"]


def local(y, m, d, hh=10, mm=0) -> datetime:
    """A local Asia/Shanghai wall-clock time as the stored naive UTC (UTC+8, no DST)."""
    return datetime(y, m, d, hh, mm) - (datetime(2000, 1, 1, 8) - datetime(2000, 1, 1))


def test_the_library_agrees_with_the_2026_arrangement():
    # Spring Festival: 02-15..02-23 off, Saturdays 02-14 and 02-28 worked.
    assert all(not chinese_calendar.is_workday(date(2026, 2, d)) for d in range(15, 24))
    assert chinese_calendar.is_workday(date(2026, 2, 14))
    assert chinese_calendar.is_workday(date(2026, 2, 28))
    # Mid-Autumn 09-25 and National Day 10-01..10-07 off; Sunday 09-20 and Saturday 10-10 worked.
    assert not chinese_calendar.is_workday(date(2026, 9, 25))
    assert all(not chinese_calendar.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert chinese_calendar.is_workday(date(2026, 9, 20))
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    assert dl.library_knows(2026) and not dl.library_knows(2027)


@pytest.mark.parametrize("start, limits, sign, progress, due, warn", [
    # Thursday before the Spring Festival: 02-13, 02-14 (make-up), then 02-24 … 02-28 (make-up).
    (local(2026, 2, 12), ORDINARY, date(2026, 2, 13), date(2026, 2, 24), date(2026, 2, 28),
     date(2026, 2, 27)),
    # Friday 02-13: signing is due on the make-up Saturday.
    (local(2026, 2, 13, 16), CONSULT, date(2026, 2, 14), date(2026, 2, 25), date(2026, 2, 25),
     date(2026, 2, 24)),
    # Dispatched during the holiday: the count starts after it (02-24 … 02-28, 03-02, 03-03).
    (local(2026, 2, 18), ORDINARY, date(2026, 2, 24), date(2026, 2, 26), date(2026, 3, 3),
     date(2026, 3, 2)),
    # Friday 09-18: signing is due on the make-up Sunday 09-20.
    (local(2026, 9, 18), CONSULT, date(2026, 9, 20), date(2026, 9, 22), date(2026, 9, 22),
     date(2026, 9, 21)),
    # Thursday 09-24: Mid-Autumn Friday off, then 09-28 … 09-30.
    (local(2026, 9, 24), CONSULT, date(2026, 9, 28), date(2026, 9, 30), date(2026, 9, 30),
     date(2026, 9, 29)),
    # Tuesday 09-29 across National Day: 09-30, 10-08, 10-09, 10-10 (make-up), 10-12 … 10-14.
    (local(2026, 9, 29), ORDINARY, date(2026, 9, 30), date(2026, 10, 9), date(2026, 10, 14),
     date(2026, 10, 13)),
])
def test_stage_deadlines_end_at_18_00_on_the_nth_working_day(app, start, limits, sign, progress,
                                                             due, warn):
    clock = dl.start_clock(start, limits)
    assert clock.sign_due_at == dl.end_of_day(sign)
    assert clock.progress_due_at == dl.end_of_day(progress)
    assert clock.due_at == dl.end_of_day(due)
    assert clock.warn_at == dl.end_of_day(warn)
    assert clock.due_at.hour == 10  # 18:00 in Shanghai is 10:00 UTC


def test_complex_problems_count_calendar_days_and_skip_to_a_working_day(app):
    # 2026-01-25 + 30 days = 02-24, a working day.
    clock = dl.start_clock(local(2026, 1, 25), COMPLEX)
    assert clock.due_at == dl.end_of_day(date(2026, 2, 24))
    # 2026-01-20 + 30 days = 02-19, in the Spring Festival: due on the next working day.
    clock = dl.start_clock(local(2026, 1, 20), COMPLEX)
    assert clock.due_at == dl.end_of_day(date(2026, 2, 24))
    # Yellow at the earlier of "20 % of 35 days before" (02-17) and "last working day
    # before the due day" (the make-up Saturday 02-14).
    assert clock.warn_at == dl.end_of_day(date(2026, 2, 14))


def test_warn_share_is_twenty_percent_for_long_stages(app):
    limits = dl.StageLimits(1, 3, 20, False)
    clock = dl.start_clock(local(2026, 3, 2), limits)  # Monday; 20 working days → 03-30
    assert clock.due_at == dl.end_of_day(date(2026, 3, 30))
    assert clock.warn_at == dl.end_of_day(date(2026, 3, 24))  # 4 working days before


@pytest.mark.parametrize("now, text, light", [
    (local(2026, 2, 12, 11), "剩余 7 个工作日", "green"),
    (local(2026, 2, 25, 10), "剩余 3 个工作日", "green"),
    (local(2026, 2, 27, 10), "剩余 1 个工作日", "green"),
    (local(2026, 2, 27, 19), "剩余 1 个工作日", "yellow"),
    (local(2026, 2, 28, 12), "今日到期", "yellow"),
    (local(2026, 2, 28, 19), "已超期（不足 1 个工作日）", "red"),
    (local(2026, 3, 2, 10), "已超期 1 个工作日", "red"),
    (local(2026, 3, 3, 10), "已超期 2 个工作日", "red"),
])
def test_countdown_and_light_across_the_spring_festival(world, now, text, light):
    w = world
    issue = w.issue()
    transition(issue, "dispatch", w.coordinator, now=local(2026, 2, 12), unit_id=w.unit.id,
               level="ordinary")
    assert dl.countdown(issue, now).text == text
    assert issue.light(now) == light
    from crm.issues.models import Issue

    db.session.flush()
    in_sql = db.session.scalar(db.select(Issue.light_expr(now)).where(Issue.id == issue.id))
    assert in_sql == light, "the badge and a list filter agree"


def test_a_deadline_in_an_unknown_year_counts_its_statutory_days(world):
    w = world
    issue = w.issue()
    # Monday 2026-12-28: 7 working days run into 2027, which the package does not know;
    # New Year's Day 2027 (a Friday) is a statutory day off all the same.
    transition(issue, "dispatch", w.coordinator, now=local(2026, 12, 28), unit_id=w.unit.id,
               level="ordinary")
    assert issue.due_at == dl.end_of_day(date(2027, 1, 7))  # 12-29 … 12-31, 01-04 … 01-07
    assert dl.unknown_years([2026, 2027]) == [2027]
    # The admin enters a day of the notice: it counts at once, but the year still
    # warns until its arrangement is confirmed.
    db.session.add(WorkdayOverride(day=date(2027, 1, 4), is_workday=False, note="调休"))
    db.session.flush()
    assert dl.unknown_years([2026, 2027]) == [2027]
    other = w.issue()
    transition(other, "dispatch", w.coordinator, now=local(2026, 12, 28), unit_id=w.unit.id,
               level="ordinary")
    assert other.due_at == dl.end_of_day(date(2027, 1, 8))
    db.session.add(HolidayArrangement(year=2027, confirmed_by_id=w.admin.id))
    db.session.flush()
    assert dl.unknown_years([2026, 2027]) == []
    assert dl.arrangement_state(2027) == "confirmed" and dl.arrangement_state(2026) == "library"


@pytest.mark.parametrize("start, limits, sign, due", [
    # Wednesday 2026-12-30, consult: 12-31, (元旦 Friday), 01-04, 01-05.
    (local(2026, 12, 30), CONSULT, date(2026, 12, 31), date(2027, 1, 5)),
    # Thursday 2027-02-04: 除夕 02-05 and 初一–初三 (02-06 … 02-08) off, then 02-09 … 02-11.
    (local(2027, 2, 4), CONSULT, date(2027, 2, 9), date(2027, 2, 11)),
    # Friday 2027-04-02: 清明 Monday 04-05 off.
    (local(2027, 4, 2), CONSULT, date(2027, 4, 6), date(2027, 4, 8)),
    # Tuesday 2027-06-08: 端午 Wednesday 06-09 off.
    (local(2027, 6, 8), CONSULT, date(2027, 6, 10), date(2027, 6, 14)),
    # Tuesday 2027-09-14: 中秋 Wednesday 09-15 off.
    (local(2027, 9, 14), CONSULT, date(2027, 9, 16), date(2027, 9, 20)),
    # Thursday 2027-09-30, ordinary: 国庆 Friday 10-01 off (10-02/03 are a weekend; no
    # make-up day is guessed), then 10-04 … 10-08, 10-11, 10-12.
    (local(2027, 9, 30), ORDINARY, date(2027, 10, 4), date(2027, 10, 12)),
    # Friday 2028-01-21: 除夕 Tuesday 01-25 and 初一–初三 (01-26 … 01-28) off.
    (local(2028, 1, 21), CONSULT, date(2028, 1, 24), date(2028, 2, 1)),
])
def test_statutory_days_of_an_unknown_year_move_deadlines(app, start, limits, sign, due):
    assert not dl.library_knows(due.year)
    clock = dl.start_clock(start, limits)
    assert clock.sign_due_at == dl.end_of_day(sign)
    assert clock.due_at == dl.end_of_day(due)


def test_admin_overrides_beat_the_library(app):
    # Say the county works on 2026-10-07 (a local arrangement entered by the admin).
    db.session.add(WorkdayOverride(day=date(2026, 10, 7), is_workday=True, note="本地调整"))
    db.session.flush()
    clock = dl.start_clock(local(2026, 9, 30), CONSULT)
    assert clock.sign_due_at == dl.end_of_day(date(2026, 10, 7))


def test_resume_after_a_pause_over_the_national_day_moves_by_working_days(world):
    w = world
    issue = w.issue()
    transition(issue, "dispatch", w.coordinator, now=local(2026, 9, 28), unit_id=w.unit.id,
               level="ordinary")
    assert issue.due_at == dl.end_of_day(date(2026, 10, 13))
    transition(issue, "sign", w.handler, now=local(2026, 9, 28, 11))
    transition(issue, "pause", w.handler, now=local(2026, 9, 29), text="等待企业提交用地材料")
    # Paused 09-29 → resumed 10-09: working days 09-30, 10-08, 10-09 = 3.
    transition(issue, "resume", w.handler, now=local(2026, 10, 9))
    assert issue.due_at == dl.end_of_day(date(2026, 10, 16))  # 10-13 + 10-14, 10-15, 10-16
    assert issue.warn_at == dl.end_of_day(date(2026, 10, 15))
