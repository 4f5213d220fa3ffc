"""Categories and default deadline rules (seeded, admin-editable) and the holiday
calendar with the years still to be entered."""
from datetime import date

from sqlalchemy import func, select

from crm.auth.models import Unit
from crm.core.models import AuditLog
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.models import Category, DeadlineRule, WorkdayOverride
from crm.issues.reference import CATEGORIES, seed_reference_data
from crm.issues.workflow import transition


def _html(r):
    return r.get_data(as_text=True)


def test_seed_creates_the_eleven_categories_and_the_13710_rules_once(app):
    added = seed_reference_data()
    db.session.commit()
    assert added["categories"] == 11 and added["deadline_rules"] == 3
    names = db.session.scalars(select(Category.name).order_by(Category.position)).all()
    assert names == [c[0] for c in CATEGORIES]
    assert "法治环境（堵门封路、强揽工程等）" in names
    land = db.session.scalar(select(Category).where(Category.name == "用地规划"))
    assert land.lead_unit.name == "市自然资源局" and land.default_level == "complex"
    rules = {r.level: (r.sign_days, r.progress_days, r.resolve_days, r.resolve_calendar)
             for r in db.session.scalars(select(DeadlineRule))}
    assert rules == {"consult": (1, 3, 3, False), "ordinary": (1, 3, 7, False),
                     "complex": (1, 3, 30, True)}
    assert seed_reference_data() == {"units": 0, "categories": 0, "deadline_rules": 0}
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 10


def test_a_categorys_own_rule_beats_the_levels_default(app):
    seed_reference_data()
    cat = db.session.scalar(select(Category).where(Category.name == "审批办证"))
    assert dl.limits_for(cat.id, "ordinary").resolve_days == 7
    db.session.add(DeadlineRule(category_id=cat.id, level="ordinary", sign_days=1,
                                progress_days=2, resolve_days=5))
    db.session.flush()
    assert dl.limits_for(cat.id, "ordinary") == dl.StageLimits(1, 2, 5, False)
    assert dl.limits_for(None, "ordinary").resolve_days == 7


def test_admin_edits_a_category_with_an_audit_trail(client, login_as):
    seed_reference_data()
    db.session.commit()
    admin = login_as("admin")
    html = _html(client.get("/problems/admin/categories"))
    assert "融资信贷" in html and "市金融工作局" in html and "一般类" in html
    cat = db.session.scalar(select(Category).where(Category.name == "融资信贷"))
    unit = db.session.scalar(select(Unit).where(Unit.name == "市工业和信息化局"))
    r = client.post_form(f"/problems/admin/categories/{cat.id}", {
        "name": "融资信贷", "lead_unit_id": unit.id, "default_level": "complex",
        "position": 1, "is_active": "y"})
    assert r.status_code == 302
    log = db.session.scalar(select(AuditLog).where(AuditLog.object_type == "categories"))
    assert log.actor_id == admin.id
    assert log.before == {"lead_unit_id": cat.lead_unit_id, "default_level": "ordinary"}
    r = client.post_form("/problems/admin/categories/new", {
        "name": "用工招工", "lead_unit_id": 0, "default_level": "ordinary", "position": "abc"})
    assert "同名类别已存在" in _html(r)


def test_admin_keeps_deadline_rules_without_duplicates(client, login_as):
    seed_reference_data()
    db.session.commit()
    login_as("admin")
    html = _html(client.get("/problems/admin/rules"))
    assert "30 个自然日" in html and "7 个工作日" in html
    r = client.post_form("/problems/admin/rules/new", {
        "category_id": 0, "level": "ordinary", "sign_days": 1, "progress_days": 3,
        "resolve_days": 5})
    assert "该类别和级别的时限规则已存在" in _html(r)
    r = client.post_form("/problems/admin/rules/new", {
        "category_id": 0, "level": "ordinary", "sign_days": 0, "progress_days": "x",
        "resolve_days": 5})
    assert "请输入 1 至 365 之间的数字" in _html(r)
    cat = db.session.scalar(select(Category).where(Category.name == "科技创新"))
    r = client.post_form("/problems/admin/rules/new", {
        "category_id": cat.id, "level": "ordinary", "sign_days": 1, "progress_days": 3,
        "resolve_days": 15})
    assert r.status_code == 302
    rule = db.session.scalar(select(DeadlineRule).where(DeadlineRule.category_id == cat.id))
    assert rule.resolve_days == 15
    assert db.session.scalar(select(AuditLog).where(AuditLog.object_type == "deadline_rules"))
    client.post_form(f"/problems/admin/rules/{rule.id}/delete")
    assert db.session.scalar(select(DeadlineRule).where(DeadlineRule.category_id == cat.id)) is None


def test_admin_is_told_which_years_miss_their_holidays_and_enters_them(client, login_as, world):
    w = world
    issue = w.issue()
    # Dispatched 2026-12-28: due in January 2027, a year the package does not know.
    transition(issue, "dispatch", w.coordinator, now=dl.end_of_day(date(2026, 12, 28)).replace(hour=2),
               unit_id=w.unit.id, level="ordinary")
    db.session.commit()
    login_as(w.admin)
    html = _html(client.get("/problems/admin/calendar?year=2027"))
    assert 'data-testid="missing-years"' in html and "2027 年的节假日安排尚未录入" in html
    assert "系统尚未内置 2027 年节假日安排" in html
    r = client.post_form("/problems/admin/calendar", {"day": "2027-01-01", "is_workday": "0",
                                                      "note": "元旦"})
    assert r.status_code == 302
    # One day entered is not the year's arrangement: the warning stays (the statutory
    # days are counted already) until the admin confirms the year.
    html = _html(client.get("/problems/admin/calendar?year=2027"))
    assert 'data-testid="missing-years"' in html and "法定节假日已自动计入" in html
    r = client.post_form("/problems/admin/calendar/notice?year=2027",
                         {"notice-lines": "", "notice-confirm": "y"})
    assert r.status_code == 302
    html = _html(client.get("/problems/admin/calendar?year=2027"))
    assert 'data-testid="missing-years"' not in html and "元旦" in html
    row = db.session.scalar(select(WorkdayOverride))
    assert row.day == date(2027, 1, 1) and row.is_workday is False
    assert db.session.scalar(select(AuditLog).where(AuditLog.object_type == "workday_overrides"))
    for bad in ("?year=abc", "?year=99999"):
        assert client.get("/problems/admin/calendar" + bad).status_code == 200
    r = client.post_form("/problems/admin/calendar", {"day": "2027-02-30", "is_workday": "0"})
    assert r.status_code == 200 and "请输入日期" in _html(r) or "不是有效的日期" in _html(r)
    client.post_form(f"/problems/admin/calendar/{row.id}/delete")
    assert db.session.scalar(select(WorkdayOverride)) is None


def test_only_admins_reach_the_reference_pages(client, login_as):
    login_as("coordinator")
    for url in ("/problems/admin/categories", "/problems/admin/rules",
                "/problems/admin/calendar"):
        assert client.get(url).status_code == 403
