"""Keeping the workflow's reference data: categories, deadline rules and the holiday
calendar (WorkdayOverride, and the per-year HolidayArrangement confirming that the State
Council's notice is entered). Every change writes an AuditLog row."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from crm.core.audit import diff as audit_diff
from crm.core.audit import record, snapshot
from crm.core.timeutil import local_today, utcnow
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.holiday_notice import Notice
from crm.issues.models import (
    OPEN_STATES,
    Category,
    DeadlineRule,
    HolidayArrangement,
    Issue,
    WorkdayOverride,
)

CATEGORY_FIELDS = ("name", "lead_unit_id", "default_level", "position", "is_active")
RULE_FIELDS = ("category_id", "level", "sign_days", "progress_days", "resolve_days",
               "resolve_calendar", "coop_days")


def _save(obj, fields, data: dict, actor, summary: str):
    before = snapshot(obj, fields) if obj.id else {}
    for f in fields:
        if f in data:
            setattr(obj, f, data[f])
    is_new = obj.id is None
    if is_new:
        db.session.add(obj)
    db.session.flush()
    after = snapshot(obj, fields)
    if is_new:
        record(actor, "create", obj, after=after, summary=summary)
    else:
        b, a = audit_diff(before, after)
        if a:
            record(actor, "update", obj, before=b, after=a, summary=summary)
    return obj


def save_category(category: Category | None, data: dict, actor) -> Category:
    """Create or update a category (name, default lead unit and level, order, active)."""
    category = category or Category()
    return _save(category, CATEGORY_FIELDS, data, actor, f"category {data.get('name', '')}")


def save_rule(rule: DeadlineRule | None, data: dict, actor) -> DeadlineRule:
    """Create or update a deadline rule (per level, optionally per category)."""
    rule = rule or DeadlineRule()
    return _save(rule, RULE_FIELDS, data, actor, f"deadline rule {data.get('level', '')}")


def delete_rule(rule: DeadlineRule, actor) -> None:
    """Remove a category-specific rule (the level's default then applies)."""
    record(actor, "delete", rule, before=snapshot(rule, RULE_FIELDS), summary="deadline rule")
    db.session.delete(rule)
    db.session.flush()


def rule_exists(category_id: int | None, level: str, exclude_id: int | None = None) -> bool:
    """Whether a rule for (category, level) exists (NULL categories compare equal here,
    which the database's unique constraint does not enforce)."""
    q = select(db.func.count()).select_from(DeadlineRule).where(DeadlineRule.level == level)
    q = q.where(DeadlineRule.category_id.is_(None) if category_id is None
                else DeadlineRule.category_id == category_id)
    if exclude_id:
        q = q.where(DeadlineRule.id != exclude_id)
    return bool(db.session.scalar(q))


def set_override(day: date, is_workday: bool, note: str | None, actor) -> WorkdayOverride:
    """Mark ``day`` as a holiday or a make-up workday (replacing an earlier override)."""
    row = db.session.scalar(select(WorkdayOverride).where(WorkdayOverride.day == day))
    fields = ("day", "is_workday", "note")
    if row is None:
        row = WorkdayOverride(day=day, created_by_id=getattr(actor, "id", None))
    return _save(row, fields, {"day": day, "is_workday": is_workday, "note": note or None},
                 actor, f"workday override {day.isoformat()}")


def delete_override(row: WorkdayOverride, actor) -> None:
    """Remove an override: the calendar (the package, or the statutory days and
    Monday–Friday) applies again."""
    record(actor, "delete", row, before=snapshot(row, ("day", "is_workday", "note")),
           summary=f"workday override {row.day.isoformat()}")
    db.session.delete(row)
    db.session.flush()


ARRANGEMENT_FIELDS = ("year", "notice", "confirmed_by_id", "confirmed_at")


def apply_holiday_notice(notice: Notice, actor) -> dict[str, int]:
    """Store the days of a pasted State Council notice as overrides.

    Only the days the calendar would otherwise get wrong are written (a weekend day
    worked, a weekday off beyond the statutory days, or an earlier override saying the
    opposite); a day the calendar already counts that way is left alone, so the list
    of overrides stays the list of real exchanges. All days are written in the
    caller's transaction: the view commits once, so the paste lands whole or not at
    all. Returns how many days were written and how many were already right."""
    days = [d.day for d in notice.days]
    existing = {row.day: row.is_workday for row in db.session.scalars(
        select(WorkdayOverride).where(WorkdayOverride.day.in_(days)))} if days else {}
    written = already = 0
    for entry in notice.days:
        if entry.day in existing:
            current = existing[entry.day]
        else:
            current = dl.calendar_workday(entry.day)
        if current == entry.is_workday:
            already += 1
            continue
        set_override(entry.day, entry.is_workday, entry.text[:100], actor)
        written += 1
    return {"written": written, "already": already}


def confirm_arrangement(year: int, notice: str | None, actor) -> HolidayArrangement:
    """Record that ``year``'s State Council arrangement is entered: the missing-years
    warning for it ends. Confirming twice keeps the first confirmation."""
    row = db.session.scalar(select(HolidayArrangement).where(HolidayArrangement.year == year))
    if row is not None:
        return row
    row = HolidayArrangement(year=year, notice=notice or None,
                             confirmed_by_id=getattr(actor, "id", None), confirmed_at=utcnow())
    return _save(row, ARRANGEMENT_FIELDS, {}, actor, f"holiday arrangement {year} confirmed")


def withdraw_arrangement(row: HolidayArrangement, actor) -> None:
    """Undo a confirmation (entered by mistake): the year is reported as missing again."""
    record(actor, "delete", row, before=snapshot(row, ARRANGEMENT_FIELDS),
           summary=f"holiday arrangement {row.year} withdrawn")
    db.session.delete(row)
    db.session.flush()


def years_to_check(today: date | None = None) -> list[int]:
    """This year, next year, and every year in which an open problem falls due."""
    today = today or local_today()
    years = {today.year, today.year + 1}
    lo_hi = db.session.execute(
        select(db.func.min(Issue.due_at), db.func.max(Issue.due_at)).where(
            Issue.state.in_(OPEN_STATES), Issue.due_at.is_not(None))).first()
    if lo_hi and lo_hi[0] is not None:
        years |= set(range(dl.local_date(lo_hi[0]).year, dl.local_date(lo_hi[1]).year + 1))
    return sorted(years)


def missing_holiday_years(today: date | None = None) -> list[int]:
    """The years the admin still has to enter the holiday arrangement for."""
    return dl.unknown_years(years_to_check(today))
