"""The enterprise rates on its own 390×844 phone: a rating of 1–2 shows tap-to-choose
reasons and cannot be sent without one; the reason reaches the unit."""
from __future__ import annotations

import pytest

from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues.models import Issue
from crm.issues.services import issue_rating_token
from tests import factories

pytestmark = pytest.mark.e2e


def test_a_low_rating_needs_a_tapped_reason(live_app, phone):
    with live_app.app_context():
        com = factories.user(["commissioner"], username="wang")
        unit = factories.unit("人社局")
        ent = factories.enterprise("兴发制管有限公司")
        factories.assignment(ent, com)
        issue = factories.issue(ent, com, state="resolved", lead_unit_id=unit.id,
                                resolution="已推荐 52 人上岗", resolved_at=utcnow(),
                                title="招工缺口 50 人")
        token = issue_rating_token(issue, com)
        issue_id = issue.id
        db.session.commit()
    phone.goto(f"/r/{token}")
    reasons = phone.get_by_test_id("rate-reasons")
    assert not reasons.is_visible()
    phone.get_by_label("2 · 不满意").check()
    assert reasons.is_visible()
    phone.get_by_role("button", name="提交评价").tap()
    phone.locator('.invalid-feedback[data-field="reasons"]').wait_for()
    assert "请告诉承办单位哪里不满意" in phone.locator('[data-field="reasons"]').inner_text()
    with live_app.app_context():
        assert db.session.get(Issue, issue_id).state == "resolved"
    phone.get_by_label("2 · 不满意").check()
    chip = phone.get_by_text("办理太慢", exact=True)
    box = chip.bounding_box()
    print(f"\nRATING REASON CHIP: {box['width']:.0f}×{box['height']:.0f} px")
    assert box["height"] >= 44
    chip.tap()
    phone.get_by_role("button", name="提交评价").tap()
    phone.wait_for_load_state("networkidle")
    with live_app.app_context():
        issue = db.session.get(Issue, issue_id)
        assert issue.state == "reopened" and issue.rating == 2
        assert issue.rating_comment == "不满意原因：办理太慢。"
