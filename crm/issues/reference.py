"""Reference data of the problem workflow: the categories (with their default lead unit
and level) and the default stage limits ("13710").

``seed_reference_data()`` is idempotent: it only adds what is missing, so it can run on
every deployment and never overwrites what an admin has changed.
"""
from __future__ import annotations

from sqlalchemy import select

from crm.auth.models import Unit
from crm.extensions import db
from crm.issues.models import Category, DeadlineRule

# (category, default lead unit, default level). The unit is created as a department
# when the city does not have one of that name yet; the admin can change both later.
CATEGORIES: list[tuple[str, str | None, str]] = [
    ("融资信贷", "市金融工作局", "ordinary"),
    ("用地规划", "市自然资源局", "complex"),
    ("用工招工", "市人力资源和社会保障局", "ordinary"),
    ("水电气暖", "市供电公司", "ordinary"),
    ("审批办证", "市行政审批服务局", "ordinary"),
    ("政策兑现", "市工业和信息化局", "ordinary"),
    ("基础设施", "市住房和城乡建设局", "complex"),
    ("市场拓展", "市商务局", "ordinary"),
    ("科技创新", "市科学技术局", "ordinary"),
    ("法治环境（堵门封路、强揽工程等）", "市公安局", "ordinary"),
    ("其他", "市工业和信息化局", "consult"),
]

# level → (sign, first progress, resolve, resolve counted in calendar days)
DEFAULT_RULES = {
    "consult": (1, 3, 3, False),
    "ordinary": (1, 3, 7, False),
    "complex": (1, 3, 30, True),
}


def seed_reference_data() -> dict[str, int]:
    """Create the missing categories, their lead units and the default deadline rules.

    Returns how many rows of each kind were added. Flushes; the caller commits.
    """
    added = {"units": 0, "categories": 0, "deadline_rules": 0}
    units = {u.name: u for u in db.session.scalars(select(Unit))}
    existing = set(db.session.scalars(select(Category.name)))
    for position, (name, unit_name, level) in enumerate(CATEGORIES, start=1):
        if name in existing:
            continue
        unit = None
        if unit_name:
            unit = units.get(unit_name)
            if unit is None:
                unit = Unit(name=unit_name, kind="department")
                db.session.add(unit)
                db.session.flush()
                units[unit_name] = unit
                added["units"] += 1
        db.session.add(Category(name=name, lead_unit_id=unit.id if unit else None,
                                default_level=level, position=position))
        added["categories"] += 1
    have_defaults = set(db.session.scalars(
        select(DeadlineRule.level).where(DeadlineRule.category_id.is_(None))))
    for level, (sign, progress, resolve, calendar) in DEFAULT_RULES.items():
        if level not in have_defaults:
            db.session.add(DeadlineRule(category_id=None, level=level, sign_days=sign,
                                        progress_days=progress, resolve_days=resolve,
                                        resolve_calendar=calendar))
            added["deadline_rules"] += 1
    db.session.flush()
    return added
