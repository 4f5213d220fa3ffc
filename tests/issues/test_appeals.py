"""A unit's appeal (申诉) against a rating: within 3 working days, decided by a
coordinator; an upheld appeal takes the rating out of the unit's figures and says so."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.issues import appeals
from crm.issues.appeals import Appeal
from crm.issues.errors import NotAllowed
from crm.issues.models import Issue
from crm.issues.workflow import transition
from crm.meetings.metrics import group_figures
from tests.issues.conftest import utc


def _html(r) -> str:
    return r.get_data(as_text=True)


def _rated(w, rating, title, rated=utc(2026, 11, 24, 2, 0)):
    issue = w.issue("new", title=title, category_id=w.category.id)
    transition(issue, "dispatch", w.coordinator, unit_id=w.unit.id, level="ordinary",
               now=utc(2026, 11, 16, 2, 0))
    transition(issue, "sign", w.handler, now=utc(2026, 11, 16, 3, 0))
    transition(issue, "resolve", w.handler, text="已办结", now=utc(2026, 11, 20, 3, 0))
    transition(issue, "rate", w.commissioner, rating=rating, contact="赵经理", now=rated,
               text="不满意", reason="不满意")
    return issue


def _unit_figures(w):
    figs = group_figures(date(2026, 11, 1), date(2026, 11, 30), "unit")
    return next(f for f in figs if f.key == w.unit.id)


def test_upheld_appeal_removes_the_rating_from_the_units_figures(client, login_as, world):
    w = world
    low = _rated(w, 1, "招工")
    _rated(w, 5, "用地")
    db.session.commit()
    before = _unit_figures(w)
    assert (before.rated, before.satisfied) == (2, 1)

    login_as(w.handler)
    page = _html(client.get(f"/problems/{low.id}"))
    assert 'data-testid="appeal-link"' in page
    r = client.post_form(f"/problems/{low.id}/appeal", {
        "reason": "企业要求超出政策范围", "evidence": "通话录音 11 月 23 日；书面答复已签收"})
    assert r.status_code == 302
    appeal = db.session.scalar(select(Appeal))
    assert (appeal.state, appeal.rating, appeal.unit_id) == ("pending", 1, w.unit.id)

    client.post_form("/logout")
    login_as(w.coordinator)
    assert "企业要求超出政策范围" in _html(client.get("/problems/appeals"))
    r = client.post_form(f"/problems/appeals/{appeal.id}", {
        "upheld": "yes", "decision": "核实录音，企业诉求超出政策范围"})
    assert r.status_code == 302
    db.session.expire_all()
    after = _unit_figures(w)
    assert (after.rated, after.satisfied) == (1, 1)
    page = _html(client.get(f"/problems/{low.id}"))
    assert "不计入单位考核" in page and "核实录音" in page


def test_rejected_appeal_keeps_the_rating(world):
    w = world
    low = _rated(w, 2, "招工")
    appeal = appeals.file_appeal(low, {"reason": "不公平", "evidence": "材料"}, w.handler)
    appeals.decide(appeal, False, "企业反映属实", w.coordinator)
    assert appeal.state == "rejected"
    assert _unit_figures(w).rated == 1


@pytest.mark.now("2026-11-30 10:00")
def test_appeal_only_within_three_working_days_and_by_the_lead_unit(world):
    w = world
    # Rated Tuesday 24 Nov: the last day is Friday 27 Nov, 18:00.
    low = _rated(w, 1, "招工")
    with pytest.raises(NotAllowed):
        appeals.file_appeal(low, {"reason": "x", "evidence": "y"}, w.handler)
    fresh = _rated(w, 1, "用电", rated=utc(2026, 11, 30, 1, 0))
    with pytest.raises(NotAllowed):
        appeals.file_appeal(fresh, {"reason": "x", "evidence": "y"}, w.other_handler)
    appeals.file_appeal(fresh, {"reason": "x", "evidence": "y"}, w.handler)
    with pytest.raises(NotAllowed):  # once per rating
        appeals.file_appeal(fresh, {"reason": "x", "evidence": "y"}, w.handler)


def test_a_new_rating_after_a_reopen_counts_again(world):
    w = world
    low = _rated(w, 1, "招工")
    appeal = appeals.file_appeal(low, {"reason": "x", "evidence": "y"}, w.handler)
    appeals.decide(appeal, True, "成立", w.coordinator)
    assert _unit_figures(w).rated == 0
    transition(low, "sign", w.handler, now=utc(2026, 11, 24, 3, 0))
    transition(low, "resolve", w.handler, text="再次办结", now=utc(2026, 11, 24, 5, 0))
    transition(low, "rate", w.commissioner, rating=4, contact="赵经理",
               now=utc(2026, 11, 25, 2, 0))
    assert _unit_figures(w).rated == 1
    assert db.session.get(Issue, low.id).rating == 4


def test_appeal_form_refuses_empty_evidence(client, login_as, world):
    w = world
    low = _rated(w, 1, "招工")
    db.session.commit()
    login_as(w.handler)
    r = client.post_form(f"/problems/{low.id}/appeal", {"reason": "企业要求过高", "evidence": ""})
    assert r.status_code == 400 and "企业要求过高" in _html(r)
    assert db.session.scalar(select(Appeal)) is None
    login_as(w.other_handler)
