"""A small hand-computed county for the metrics and overview tests.

September and October 2026 (National Day 1–7 October, make-up workday Saturday
10 October, Mid-Autumn Friday 25 September, make-up workday Sunday 20 September) plus
an admin override making Tuesday 13 October a holiday. "Now" is Monday 2 November
2026, 10:00 in Shanghai. The expected figures are worked out by hand in
``test_metrics.py``.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from crm.core.timeutil import local_midnight_utc
from crm.extensions import db
from crm.issues.models import WorkdayOverride
from tests import factories


def local(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    """A Shanghai wall-clock time as the naive UTC the database stores."""
    return local_midnight_utc(date(y, m, d)) + timedelta(hours=h, minutes=mi)


NOW = local(2026, 11, 2, 10)


@pytest.fixture
def county(app):
    """Units A and B, categories, leaders, commissioners, four enterprises, ten
    problems p1–p10 with their events, visits and assignments (see test_metrics)."""
    f = factories
    unit_a = f.unit("经济和信息化局")
    unit_b = f.unit("自然资源局")
    cat1 = f.category("融资信贷", lead_unit=unit_a)
    cat2 = f.category("用地规划", lead_unit=unit_b)
    l1 = f.user(["leader"], display_name="李市长")
    l2 = f.user(["leader"], display_name="王副市长")
    l3 = f.user(["leader"], display_name="赵副市长")
    k1 = f.user(["commissioner"], display_name="张特派")
    k2 = f.user(["commissioner"], display_name="陈特派")
    k3 = f.user(["commissioner"], display_name="刘特派")
    co = f.user(["coordinator"], display_name="周协调")
    e1 = f.enterprise("华兴机械有限公司")
    e2 = f.enterprise("绿源食品有限公司")
    e3 = f.enterprise("金桥电子有限公司")
    e4 = f.enterprise("安泰物流有限公司")

    # Leaders: L1 is E1's leader A now (L2 was before); L3 is E2's; L1 is E2's B.
    f.assignment(e1, l2, "leader_a", start=date(2025, 1, 1), end=date(2026, 6, 30))
    f.assignment(e1, l1, "leader_a", start=date(2026, 7, 1))
    f.assignment(e2, l3, "leader_a", start=date(2026, 1, 1))
    f.assignment(e2, l1, "leader_b", start=date(2026, 1, 1))
    # Commissioners: overlapping September: E1, E2 (2); October: E1, E3, E4 (3).
    f.assignment(e1, k1, start=date(2026, 1, 1))
    f.assignment(e2, k2, start=date(2026, 1, 1), end=date(2026, 9, 15))
    f.assignment(e3, k2, start=date(2026, 10, 10))
    f.assignment(e4, k3, start=date(2026, 10, 31))
    f.assignment(e4, k1, start=date(2026, 1, 1), end=date(2026, 8, 31))

    db.session.add(WorkdayOverride(day=date(2026, 10, 13), is_workday=False, note="测试停工"))

    p = {}
    p[1] = f.issue(e1, k1, "closed", lead_unit_id=unit_a.id, category_id=cat1.id,
                   raised_at=local(2026, 10, 9), dispatched_at=local(2026, 10, 9, 11),
                   resolved_at=local(2026, 10, 14, 16), resolved_on_time=True,
                   closed_at=local(2026, 10, 15), rating=5, rating_channel="self",
                   rated_at=local(2026, 10, 15))
    p[2] = f.issue(e1, k1, "closed", lead_unit_id=unit_a.id, category_id=cat1.id,
                   raised_at=local(2026, 9, 28), dispatched_at=local(2026, 9, 29, 9),
                   resolved_at=local(2026, 10, 12), resolved_on_time=False,
                   closed_at=local(2026, 10, 13), rating=3, rating_channel="recorded",
                   rated_at=local(2026, 10, 13))
    # Raised 00:30 on 1 October in Shanghai: still 30 September in UTC.
    p[3] = f.issue(e2, k2, "in_progress", lead_unit_id=unit_b.id, category_id=cat2.id,
                   raised_at=local(2026, 10, 1, 0, 30), dispatched_at=local(2026, 10, 8, 9),
                   due_at=local(2026, 10, 20, 18), warn_at=local(2026, 10, 19, 18))
    # Raised 23:30 on 30 September; resolved 23:30 on 31 October (15:30 UTC).
    p[4] = f.issue(e2, k2, "resolved", lead_unit_id=unit_b.id, category_id=cat2.id,
                   raised_at=local(2026, 9, 30, 23, 30), dispatched_at=local(2026, 10, 8, 9),
                   resolved_at=local(2026, 10, 31, 23, 30), resolved_on_time=True)
    p[5] = f.issue(e1, k1, "reopened", lead_unit_id=unit_a.id, category_id=cat1.id,
                   raised_at=local(2026, 10, 20), dispatched_at=local(2026, 10, 20, 15),
                   resolved_at=local(2026, 10, 22), resolved_on_time=True, rating=1,
                   rating_channel="self", rated_at=local(2026, 10, 25), reopen_count=1,
                   due_at=local(2026, 11, 10, 18), warn_at=local(2026, 11, 9, 18))
    p[6] = f.issue(e2, k2, "new", raised_at=local(2026, 10, 30))
    p[7] = f.issue(e1, k1, "in_progress", lead_unit_id=unit_a.id,
                   raised_at=local(2026, 8, 15), dispatched_at=local(2026, 8, 16),
                   due_at=local(2026, 9, 1, 18), warn_at=local(2026, 8, 31, 18),
                   is_escalated=True, supervise_count=3, title="厂区道路被堵")
    p[8] = f.issue(e2, k2, "closed", lead_unit_id=unit_b.id, category_id=cat2.id,
                   raised_at=local(2026, 9, 10), dispatched_at=local(2026, 9, 10, 15),
                   resolved_at=local(2026, 9, 17), resolved_on_time=True,
                   closed_at=local(2026, 9, 18), rating=4, rating_channel="self",
                   rated_at=local(2026, 9, 18), is_escalated=True)
    p[9] = f.issue(None, co, "dispatched", lead_unit_id=unit_b.id,
                   raised_at=local(2026, 10, 5), dispatched_at=local(2026, 10, 5, 11),
                   due_at=local(2026, 11, 30, 18), warn_at=local(2026, 11, 27, 18))
    p[10] = f.issue(e1, k1, "closed", lead_unit_id=unit_a.id, category_id=cat1.id,
                    raised_at=local(2026, 10, 3), closed_at=local(2026, 10, 4),
                    close_reason="企业已自行解决")

    # p5: a rating of 1 reopened it — counted once although two rows say so.
    f.issue_event(p[5], "rate", at=local(2026, 10, 25), from_state="resolved",
                  to_state="reopened")
    f.issue_event(p[5], "reopen", at=local(2026, 10, 25, 10, 1), from_state="resolved",
                  to_state="reopened")
    # p7 supervised in September and twice in October; p3 once in October.
    f.issue_event(p[7], "supervise", at=local(2026, 9, 5), actor=co)
    f.issue_event(p[7], "supervise", at=local(2026, 10, 10), actor=co)
    f.issue_event(p[7], "supervise", at=local(2026, 10, 11), actor=co)
    f.issue_event(p[3], "supervise", at=local(2026, 10, 25), actor=co)
    # Events outside both months, and other actions, are not counted.
    f.issue_event(p[7], "supervise", at=local(2026, 11, 1), actor=co)
    f.issue_event(p[1], "comment", at=local(2026, 10, 10), actor=co, text="请加快办理")

    # Visits: September 3 visits / 2 enterprises; October 4 / 3.
    for ent, who, day in [(e1, k1, date(2026, 9, 28)), (e2, k2, date(2026, 9, 10)),
                          (e2, k2, date(2026, 9, 30)), (e1, k1, date(2026, 10, 9)),
                          (e1, k1, date(2026, 10, 20)), (e3, k2, date(2026, 10, 31)),
                          (e2, k2, date(2026, 10, 1)), (e1, k1, date(2026, 11, 1)),
                          (e1, k1, date(2026, 8, 31))]:
        f.visit(ent, who, visit_date=day)
    db.session.commit()
    return SimpleNamespace(unit_a=unit_a, unit_b=unit_b, cat1=cat1, cat2=cat2, l1=l1, l2=l2,
                           l3=l3, k1=k1, k2=k2, k3=k3, co=co, e1=e1, e2=e2, e3=e3, e4=e4, p=p,
                           now=NOW)
