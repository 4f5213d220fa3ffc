"""Statutory holidays for years the holiday package does not know (2027 on), the State
Council's notice pasted by the admin, and the missing-years warning until the year's
arrangement is confirmed."""
import re
from datetime import date, timedelta
from html import unescape

import chinese_calendar
import pytest
from lunar_python import Solar
from sqlalchemy import func, select

from crm.core.models import AuditLog
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.holidays import statutory_days, statutory_holidays
from crm.issues.models import HolidayArrangement, Issue, WorkdayOverride
from crm.meetings.metrics import figures

D = date

# The statutory days off of the revised regulation, written out from published calendars
# (not from the code under test): 元旦; 除夕 and 正月初一–初三; 清明; 5-1, 5-2; 端午; 中秋;
# 10-1 … 10-3. In 2028 中秋 falls on 3 October, a 国庆 day.
EXPECTED = {
    2027: {
        "new_year": [D(2027, 1, 1)],
        "eve": D(2027, 2, 5), "spring": [D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8)],
        "qingming": D(2027, 4, 5), "labour": [D(2027, 5, 1), D(2027, 5, 2)],
        "dragon_boat": D(2027, 6, 9), "mid_autumn": D(2027, 9, 15),
        "national": [D(2027, 10, 1), D(2027, 10, 2), D(2027, 10, 3)],
    },
    2028: {
        "new_year": [D(2028, 1, 1)],
        "eve": D(2028, 1, 25), "spring": [D(2028, 1, 26), D(2028, 1, 27), D(2028, 1, 28)],
        "qingming": D(2028, 4, 4), "labour": [D(2028, 5, 1), D(2028, 5, 2)],
        "dragon_boat": D(2028, 5, 28), "mid_autumn": D(2028, 10, 3),
        "national": [D(2028, 10, 1), D(2028, 10, 2), D(2028, 10, 3)],
    },
}


def _html(r):
    return r.get_data(as_text=True)


def _lunar(day: date):
    """(lunar month, lunar day) of a solar date, by the library's solar → lunar direction
    (a leap month comes back negative)."""
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    return lunar.getMonth(), lunar.getDay()


@pytest.mark.parametrize("year", [2027, 2028])
def test_the_statutory_days_of_a_year_the_package_does_not_know_are_days_off(app, year):
    e = EXPECTED[year]
    assert not dl.library_knows(year)
    # The lunar dates, read back the other way (solar → lunar) …
    assert _lunar(e["eve"])[0] == 12 and _lunar(e["eve"])[1] in (29, 30)
    assert _lunar(e["eve"] + timedelta(days=1)) == (1, 1)
    assert [_lunar(d) for d in e["spring"]] == [(1, 1), (1, 2), (1, 3)]
    assert _lunar(e["dragon_boat"]) == (5, 5)
    assert _lunar(e["mid_autumn"]) == (8, 15)
    # … and 清明 from the other package's table of solar terms.
    assert chinese_calendar.get_solar_terms(D(year, 4, 1), D(year, 4, 10)) == [
        (e["qingming"], "清明")]
    days = (e["new_year"] + [e["eve"]] + e["spring"] + [e["qingming"]] + e["labour"]
            + [e["dragon_boat"], e["mid_autumn"]] + e["national"])
    assert statutory_holidays(year) == set(days)
    for day in days:
        assert not dl.is_workday(day), day
        assert not figures.is_workday(day, {}), "figures count the same calendar"
    assert any(s.festival == "mid_autumn" and s.day == e["mid_autumn"]
               for s in statutory_days(year))
    # Nothing else changes: no make-up day (补假) is guessed for a weekend holiday, and
    # ordinary weekends and weekdays stay as they are.
    after_spring = e["spring"][-1] + timedelta(days=1)
    while after_spring.weekday() >= 5:
        after_spring += timedelta(days=1)
    assert dl.is_workday(after_spring)
    for day in (D(year, 10, 8), D(year, 3, 6), D(year, 3, 7)):
        assert dl.is_workday(day) == (day.weekday() < 5), day


def test_the_computed_days_agree_with_the_package_where_it_knows_the_year(app):
    # 2025 and 2026 fall under the same regulation: every computed day is a holiday in
    # the State Council's arrangement the package ships.
    for year in (2025, 2026):
        for day in statutory_holidays(year):
            assert chinese_calendar.is_holiday(day), day


def test_a_year_the_package_knows_is_unchanged(app):
    for i in range(365):
        day = D(2026, 1, 1) + timedelta(days=i)
        assert dl.is_workday(day) == chinese_calendar.is_workday(day), day
    assert dl.is_workday(D(2026, 10, 8))  # the first working day after 国庆
    assert dl.is_workday(D(2026, 2, 14)) and dl.is_workday(D(2026, 2, 28))  # 调休 Saturdays
    assert not dl.is_workday(D(2026, 2, 23))  # a Monday given off in exchange
    assert dl.arrangement_state(2026) == "library" and dl.unknown_years([2026]) == []


@pytest.mark.now("2026-12-30 10:00")
def test_a_consult_problem_dispatched_on_30_december_is_due_on_5_january(client, login_as,
                                                                         world):
    w = world
    issue = w.issue("new", category_id=w.category.id)
    db.session.commit()
    login_as(w.coordinator)
    html = _html(client.get(f"/problems/{issue.id}"))
    version = re.search(r'name="dispatch-version"[^>]*value="(\d+)"', html).group(1)
    r = client.post_form(f"/problems/{issue.id}/do/dispatch", {
        "dispatch-version": version, "dispatch-unit_id": w.unit.id,
        "dispatch-level": "consult", "dispatch-category_id": w.category.id})
    assert r.status_code == 302
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    # 12-31, (元旦 Friday 2027-01-01, the weekend), 01-04, 01-05: no admin entry needed.
    assert db.session.scalar(select(func.count()).select_from(WorkdayOverride)) == 0
    assert issue.due_at == dl.end_of_day(D(2027, 1, 5))
    assert issue.sign_due_at == dl.end_of_day(D(2026, 12, 31))
    assert "剩余 3 个工作日" in _html(client.get(f"/problems/{issue.id}"))


NOTICE = """春节：2月5日（星期五）至11日（星期四）放假调休，共7天。
2月13日（星期六）、2月20日（周六）上班

2027-05-03 休息
2027/5/4 放假
2027年5月5日 休息
4月25日（星期日）上班；5月8日（星期六）上班"""


def _counts():
    return (db.session.scalar(select(func.count()).select_from(WorkdayOverride)),
            db.session.scalar(select(func.count()).select_from(HolidayArrangement)),
            db.session.scalar(select(func.count()).select_from(AuditLog)))


def test_the_admin_pastes_the_notice_and_confirms_the_year(client, login_as, world):
    w = world
    login_as(w.admin)
    html = _html(client.get("/problems/admin/calendar?year=2027"))
    assert 'data-testid="missing-years"' in html
    assert "2027 年的节假日安排尚未录入完整：法定节假日已自动计入，只差国务院通知中的调休" in html
    assert "2027-02-05（周五）春节 · 腊月廿九" in html and "2027-09-15（周三）中秋节 · 八月十五" in html
    assert "应当在工作日补假，但补在哪一天只有国务院通知才确定" in html
    assert 'name="notice-confirm"' in html
    r = client.post_form("/problems/admin/calendar/notice?year=2027", {
        "notice-lines": NOTICE, "notice-notice": "关于2027年部分节假日安排的通知",
        "notice-confirm": "y"})
    assert r.status_code == 302
    page = _html(client.get(r.headers["Location"]))
    # 02-09 … 02-11, 05-03 … 05-05 off; 02-13, 02-20, 04-25, 05-08 worked; the statutory
    # 02-05 … 02-08 were counted already.
    assert "2027 年：录入 10 天，另有 4 天本来就按此计算。" in page
    assert "2027 年放假安排已确认。" in page
    assert 'data-testid="missing-years"' not in page
    assert "国务院放假调休安排已由安管理于" in page and "关于2027年部分节假日安排的通知" in page
    rows = {r.day: r.is_workday for r in db.session.scalars(select(WorkdayOverride))}
    assert rows == {D(2027, 2, 9): False, D(2027, 2, 10): False, D(2027, 2, 11): False,
                    D(2027, 2, 13): True, D(2027, 2, 20): True, D(2027, 4, 25): True,
                    D(2027, 5, 3): False, D(2027, 5, 4): False, D(2027, 5, 5): False,
                    D(2027, 5, 8): True}
    assert dl.unknown_years([2026, 2027]) == []
    audit = db.session.scalars(select(AuditLog.object_type)).all()
    assert audit.count("workday_overrides") == 10 and audit.count("holiday_arrangements") == 1
    # Deadlines follow the notice: Thursday 02-04, consult → 02-12, 02-13 (worked), 02-15.
    clock = dl.start_clock(dl.end_of_day(D(2027, 2, 4)) - timedelta(hours=8), dl.DEFAULT_LIMITS[
        "consult"])
    assert clock.due_at == dl.end_of_day(D(2027, 2, 15))
    # Other admin pages no longer warn; a withdrawn confirmation warns again.
    assert 'data-testid="missing-years"' not in _html(client.get("/problems/admin/rules"))
    r = client.post_form("/problems/admin/calendar/arrangement/delete?year=2027")
    assert r.status_code == 302
    assert 'data-testid="missing-years"' in _html(client.get("/problems/admin/rules"))
    assert db.session.scalar(select(AuditLog).where(
        AuditLog.object_type == "holiday_arrangements", AuditLog.action == "delete"))


@pytest.mark.parametrize("lines, message", [
    ("2027-02-13 上班\n2月20日（星期六）上班\n2月30日 上班",
     "第 3 行“2月30日 上班”：2月30日 不是有效的日期。"),
    ("2027-02-13 上班\n2月20日（星期日）上班",
     "第 2 行“2月20日（星期日）上班”：2027-02-20 是星期六，不是星期日。"),
    ("2027-02-06 上班", "第 1 行“2027-02-06 上班”：2027-02-06 是法定节假日（春节），不能安排上班。"),
    ("2027-02-13", "第 1 行“2027-02-13”：请注明这些日期是“上班”还是“休息”。"),
    ("2027-02-13 上班\n二月十三日 上班", "第 2 行“二月十三日 上班”：没有识别出日期"),
    ("2月13日 上班\n2月13日 休息", "第 2 行“2月13日 休息”：2027-02-13 在第 1 行写的是相反的安排。"),
    ("2月9日放假，2月13日上班", "同时出现“上班”和“休息”，请分行填写。"),
    ("2028-01-03 休息", "2028-01-03 不属于 2027 年的放假安排。"),
    ("2月11日至5日 放假", "日期范围的结束日 2027-02-05 不在开始日 2027-02-11 之后。"),
])
def test_a_bad_line_is_named_the_typing_kept_and_nothing_written(client, login_as, world,
                                                                 lines, message):
    w = world
    login_as(w.admin)
    before = _counts()
    r = client.post_form("/problems/admin/calendar/notice?year=2027", {
        "notice-lines": lines, "notice-confirm": "y"})
    html = _html(r)
    assert r.status_code == 200
    assert re.search(r'data-field="notice-lines">[^<]*' + re.escape(message), html), html
    typed = re.search(r'<textarea[^>]*name="notice-lines"[^>]*>(.*?)</textarea>', html, re.S)
    assert all(line in unescape(typed.group(1)) for line in lines.splitlines())
    db.session.expire_all()
    assert _counts() == before
    assert 'data-testid="missing-years"' in html


def test_an_empty_paste_needs_the_confirmation(client, login_as, world):
    w = world
    login_as(w.admin)
    r = client.post_form("/problems/admin/calendar/notice?year=2027", {"notice-lines": "  "})
    assert r.status_code == 200 and "请粘贴通知中的日期，每行一条。" in _html(r)
    assert dl.unknown_years([2027]) == [2027]


def test_a_known_year_takes_corrections_but_needs_no_confirmation(client, login_as, world):
    w = world
    login_as(w.admin)
    html = _html(client.get("/problems/admin/calendar?year=2026"))
    assert "系统已内置国务院办公厅公布的 2026 年节假日安排" in html
    assert 'name="notice-confirm"' not in html and 'data-testid="statutory-days"' not in html
    r = client.post_form("/problems/admin/calendar/notice?year=2026", {
        "notice-lines": "2026-12-31 休息\n2026-10-10（星期六）上班"})
    assert r.status_code == 302
    assert "2026 年：录入 1 天，另有 1 天本来就按此计算。" in _html(client.get(r.headers["Location"]))
    assert [(o.day, o.is_workday) for o in db.session.scalars(select(WorkdayOverride))] == [
        (D(2026, 12, 31), False)]
    assert db.session.scalar(select(func.count()).select_from(HolidayArrangement)) == 0


def test_the_coordinator_sees_the_warning_on_triage_without_the_admin_link(client, login_as,
                                                                          world):
    w = world
    login_as(w.coordinator)
    html = _html(client.get("/problems/triage"))
    assert "2027 年的节假日安排尚未录入完整" in html
    assert "/problems/admin/calendar?year=2027" not in html
