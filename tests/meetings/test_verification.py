"""回访 on the overview (ratings verified, verifications that contradicted the rating,
each a link to exactly those calls) and 类案 in the quarterly review."""
from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.issues import case_groups, followups
from crm.issues.followups import FollowUp
from crm.issues.workflow import transition
from crm.meetings.models import Briefing, Meeting
from tests.issues.conftest import make_world, utc


def _html(r) -> str:
    return r.get_data(as_text=True)


def _rated(w, title, rating):
    issue = w.issue("new", title=title, category_id=w.category.id)
    transition(issue, "dispatch", w.coordinator, unit_id=w.unit.id, level="ordinary",
               now=utc(2026, 11, 16, 2, 0))
    transition(issue, "sign", w.handler, now=utc(2026, 11, 16, 3, 0))
    transition(issue, "resolve", w.handler, text="已办结", now=utc(2026, 11, 20, 3, 0))
    transition(issue, "rate", w.commissioner, rating=rating, contact="赵经理",
               now=utc(2026, 11, 23, 2, 0), text="评价", reason="评价")
    return issue


def test_overview_counts_verified_and_contradicted_and_links_to_them(app, client, login_as):
    w = make_world()
    followups.set_sample_percent(100, w.admin)
    agree, contra, unreached = (_rated(w, "核实一致", 1), _rated(w, "核实矛盾", 5),
                                _rated(w, "没接电话", 2))
    calls = {fu.issue_id: fu for fu in db.session.scalars(select(FollowUp))}
    followups.record_call(calls[agree.id], {"reached": True, "verdict": "dissatisfied"},
                          w.coordinator, now=utc(2026, 11, 24, 2, 0))
    followups.record_call(calls[contra.id], {"reached": True, "verdict": "dissatisfied"},
                          w.coordinator, now=utc(2026, 11, 24, 3, 0))
    followups.record_call(calls[unreached.id], {"reached": False}, w.coordinator,
                          now=utc(2026, 11, 24, 4, 0))
    db.session.commit()
    login_as(w.coordinator)
    page = _html(client.get("/meetings/overview"))
    section = page[page.index('data-testid="followup-figures"'):]
    figures = dict(re.findall(r'data-figure="followups-(\w+)">(\d+)<', section))
    assert figures == {"calls": "3", "verified": "2", "contradicted": "1", "waiting": "0"}
    link = re.search(r'href="([^"]+)" data-figure="followups-contradicted"', section).group(1)
    listed = _html(client.get(link.replace("&amp;", "&")))
    done = listed[listed.index('data-testid="followups-done"'):]
    assert contra.number in done and agree.number not in done and unreached.number not in done
    link = re.search(r'href="([^"]+)" data-figure="followups-verified"', section).group(1)
    done = _html(client.get(link.replace("&amp;", "&")))
    done = done[done.index('data-testid="followups-done"'):]
    assert contra.number in done and agree.number in done and unreached.number not in done


def test_quarterly_review_lists_case_groups_with_what_changed(app, client, login_as):
    w = make_world()
    a = w.issue("in_progress", title="东区用电甲")
    b = w.issue("in_progress", title="东区用电乙")
    group = case_groups.create_group({"title": "东区园区用电容量不足", "cause": "变电站容量不足",
                                      "lead_unit_id": w.unit.id,
                                      "numbers": [a.number, b.number]}, w.coordinator)
    case_groups.post_update(group, "供电公司已立项扩容", w.coordinator)
    db.session.commit()
    login_as(w.coordinator)
    today = local_today()
    client.post_form("/meetings/new", {"kind": "review", "month": "",
                                       "quarter": f"{today.year}-Q{(today.month - 1) // 3 + 1}"})
    meeting = db.session.scalar(select(Meeting))
    client.post_form(f"/briefings/meeting/{meeting.id}")
    briefing = db.session.scalar(select(Briefing))
    assert briefing.state == "success", briefing.error
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(briefing.pdf)).pages)
    text = re.sub(r"\s+", "", text)  # table cells wrap
    assert "类案" in text and "东区园区用电容量不足" in text and "供电公司已立项扩容" in text
