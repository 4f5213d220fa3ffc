"""The meeting page at province scale: the attendance form lists every city leader
(2,000 in the henan benchmark) without more statements, and still answers a choice no
select offers next to the field."""
from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from crm.auth.models import User, UserRole
from crm.extensions import db
from crm.meetings import services
from crm.meetings.models import MeetingAttendee
from tests import factories


def _leaders(n: int, start: int) -> list[int]:
    """``n`` active city leaders, inserted in bulk (no protocol order)."""
    ids = db.session.scalars(insert(User).returning(User.id), [
        {"username": f"leader-bulk-{start + i}", "display_name": f"领导{start + i:04d}",
         "password_hash": "x", "is_active": True, "locale": "zh_Hans_CN",
         "failed_logins": 0, "session_token": "0"} for i in range(n)]).all()
    db.session.execute(insert(UserRole), [{"user_id": i, "role": "leader"} for i in ids])
    db.session.commit()
    return list(ids)


@pytest.mark.now("2026-12-06 10:00")
def test_meeting_page_statements_do_not_grow_with_the_leaders(app, client, login_as, queries):
    meeting = services.create_meeting("joint", services.month_period(2026, 11), None)
    db.session.commit()
    _leaders(3, 0)
    login_as("coordinator")
    client.get(f"/meetings/{meeting.id}")
    with queries() as few:
        page = client.get(f"/meetings/{meeting.id}")
    assert page.status_code == 200
    ids = _leaders(620, 3)   # beyond one batch of 500 ids
    client.get(f"/meetings/{meeting.id}")   # measured as the first: after a warm-up
    with queries() as many:
        page = client.get(f"/meetings/{meeting.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and many.count == few.count <= 12
    assert html.count('name="leader_') >= 623
    # Leaders without a protocol order come by name; each select offers the four choices.
    assert html.index("领导0000") < html.index("领导0622")
    assert f'<select class="form-select" id="leader_{ids[-1]}" name="leader_{ids[-1]}">' in html


@pytest.mark.now("2026-12-06 10:00")
def test_attendance_choices_are_kept_and_checked(app, client, login_as):
    meeting = services.create_meeting("joint", services.month_period(2026, 11), None)
    db.session.commit()
    leader = factories.user(["leader"], display_name="许<副市长>", title="副市长")
    db.session.commit()
    login_as("coordinator")
    r = client.post_form(f"/meetings/{meeting.id}/attendance", {f"leader_{leader.id}": "present"})
    assert r.status_code == 302
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    select_html = html[html.index(f'id="leader_{leader.id}"'):]
    select_html = select_html[:select_html.index("</select>")]
    assert '<option selected value="present">' in select_html
    assert "许&lt;副市长&gt;（副市长）" in html, "names are escaped"
    r = client.post_form(f"/meetings/{meeting.id}/attendance", {f"leader_{leader.id}": "boss"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert f'data-field="leader_{leader.id}">' in html
    assert f'class="form-select is-invalid" id="leader_{leader.id}"' in html
    assert db.session.scalar(select(MeetingAttendee.role).where(
        MeetingAttendee.user_id == leader.id)) == "present"
