"""Meeting numbers (第N次 per kind and year, in date order), the warning before a second
meeting of a kind in one month, and "held" not before the meeting starts."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from crm.core.models import AuditLog
from crm.extensions import db
from crm.meetings.models import Briefing, Meeting


def _html(response) -> str:
    return response.get_data(as_text=True)


def _create(client, **data):
    return client.post_form("/meetings/new", {"kind": "joint"} | data)


def _numbers(kind: str = "joint") -> dict[str, str]:
    """title → number of every meeting of ``kind``."""
    db.session.expire_all()
    return {title: number for title, number in db.session.execute(
        select(Meeting.title, Meeting.number).where(Meeting.kind == kind))}


def _meeting(title: str) -> Meeting:
    db.session.expire_all()
    return db.session.scalar(select(Meeting).where(Meeting.title == title))


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Meeting))


def _final_packet(client, meeting: Meeting) -> None:
    """Generate the meeting's packet and mark it final (定稿), as the coordinator does."""
    client.post_form(f"/briefings/meeting/{meeting.id}")
    briefing = db.session.scalar(select(Briefing).where(Briefing.meeting_id == meeting.id)
                                 .order_by(Briefing.id.desc()))
    assert briefing.state == "success", briefing.error
    client.post_form(f"/meetings/{meeting.id}/analysis", {
        "problems_text": "一是部分诉求办理超期。", "next_steps_text": "一是逐件督办超期诉求。"})
    client.post_form(f"/briefings/{briefing.id}/final")
    db.session.expire_all()
    assert db.session.get(Briefing, briefing.id).is_final


DEC, NOV, JAN = "2026年12月企业帮扶联席会议", "2026年11月企业帮扶联席会议", "2027年1月企业帮扶联席会议"


def test_numbers_follow_the_date_within_the_kind_and_the_year(client, login_as):
    login_as("coordinator")
    _create(client, month="2026-12")
    assert _numbers() == {DEC: "2026年第1次"}
    # November entered later is still the first of the year; December moves up.
    _create(client, month="2026-11")
    assert _numbers() == {NOV: "2026年第1次", DEC: "2026年第2次"}
    dec = _meeting(DEC)
    assert "2026年第2次" in _html(client.get(f"/meetings/{dec.id}"))
    moved = db.session.scalar(select(AuditLog).where(AuditLog.action == "renumber"))
    assert (moved.object_id, moved.before, moved.after) == (
        dec.id, {"number": "2026年第1次"}, {"number": "2026年第2次"})
    # Each kind counts on its own: the Q4 review after Q3's is the second review.
    _create(client, kind="review", quarter="2026-Q4")
    _create(client, kind="review", quarter="2026-Q3")
    assert _numbers("review") == {"2026年第3季度企业帮扶工作点评会": "2026年第1次",
                                  "2026年第4季度企业帮扶工作点评会": "2026年第2次"}
    # 07:30 on 1 January in Shanghai is still 2026 in UTC: the number is 2027's.
    _create(client, month="2027-01", starts_at="2027-01-01T07:30")
    assert _numbers() == {NOV: "2026年第1次", DEC: "2026年第2次", JAN: "2027年第1次"}
    # December held on 5 January: it leaves 2026 and comes after January's in 2027.
    r = client.post_form(f"/meetings/{dec.id}/edit", {"title": DEC,
                                                      "starts_at": "2027-01-05T09:30"})
    assert r.status_code == 302
    assert _numbers() == {NOV: "2026年第1次", JAN: "2027年第1次", DEC: "2027年第2次"}
    # …and moved back to 31 December 23:30 (15:30 UTC) it is 2026's second again.
    client.post_form(f"/meetings/{dec.id}/edit", {"title": DEC,
                                                  "starts_at": "2026-12-31T23:30"})
    assert _numbers() == {NOV: "2026年第1次", DEC: "2026年第2次", JAN: "2027年第1次"}


def test_a_number_printed_on_a_final_packet_never_moves(client, login_as):
    login_as("coordinator")
    _create(client, month="2026-11", place="市政府3号会议室")
    nov = _meeting(NOV)
    _final_packet(client, nov)
    # October entered now would be the first and push November to the second: refused,
    # next to the month, with what was typed kept, and nothing created.
    r = _create(client, month="2026-10", place="二楼会议室")
    html = _html(r)
    assert r.status_code == 200
    assert re.search(r'data-field="month">2026年第1次（2026年11月企业帮扶联席会议）已有定稿材料，'
                     r'编号不能再变', html)
    assert 'value="二楼会议室"' in html
    assert _count() == 1 and _numbers() == {NOV: "2026年第1次"}
    # After it, numbers count on; a meeting without a final packet may still move.
    _create(client, month="2026-12", starts_at="2026-12-20T09:30")
    assert _numbers() == {NOV: "2026年第1次", DEC: "2026年第2次"}
    # Moving the final one's time past December's would reorder them: refused, kept.
    r = client.post_form(f"/meetings/{nov.id}/edit", {"title": NOV,
                                                      "starts_at": "2026-12-21T09:30"})
    assert r.status_code == 400
    html = _html(r)
    assert re.search(r'data-field="starts_at">2026年第1次（[^<]*）已有定稿材料', html)
    assert 'value="2026-12-21T09:30"' in html
    db.session.expire_all()
    assert db.session.get(Meeting, nov.id).starts_at is None
    assert _numbers() == {NOV: "2026年第1次", DEC: "2026年第2次"}


def test_a_meeting_without_a_time_comes_after_the_one_for_the_period_before(client,
                                                                           login_as):
    """The Q4 review entered before its day is set is the one after the Q3 review held
    in October (not a second 第1次, not refused); December's joint meeting comes after
    November's held on 3 December."""
    login_as("coordinator")
    _create(client, kind="review", quarter="2026-Q3", starts_at="2026-10-15T09:30")
    q3 = _meeting("2026年第3季度企业帮扶工作点评会")
    _final_packet(client, q3)
    _create(client, kind="review", quarter="2026-Q4")
    assert _numbers("review") == {"2026年第3季度企业帮扶工作点评会": "2026年第1次",
                                  "2026年第4季度企业帮扶工作点评会": "2026年第2次"}
    _create(client, month="2026-11", starts_at="2026-12-03T15:00")
    _create(client, month="2026-12")
    assert _numbers() == {NOV: "2026年第1次", DEC: "2026年第2次"}
    # Once December's time is entered, the time decides.
    dec = _meeting(DEC)
    client.post_form(f"/meetings/{dec.id}/edit", {"title": DEC,
                                                  "starts_at": "2026-12-02T09:30"})
    assert _numbers() == {DEC: "2026年第1次", NOV: "2026年第2次"}


def test_second_meeting_of_a_kind_in_a_month_asks_first(client, login_as):
    login_as("coordinator")
    _create(client, month="2026-12")
    first = _meeting(DEC)
    r = _create(client, month="2026-12", place="市政府五楼")
    html = _html(r)
    assert r.status_code == 200
    assert re.search(r'data-field="month">本月已录入同类会议（见下方）', html)
    assert f'href="/meetings/{first.id}"' in html and "2026年第1次" in html
    assert 'name="confirm_duplicate"' in html and 'value="市政府五楼"' in html
    assert _count() == 1
    r = _create(client, month="2026-12", place="市政府五楼", confirm_duplicate="y")
    assert r.status_code == 302
    assert db.session.scalars(select(Meeting.number).order_by(Meeting.id)).all() == [
        "2026年第1次", "2026年第2次"]
    # Another kind in the same month is no duplicate.
    assert _create(client, kind="review", quarter="2026-Q4").status_code == 302


def test_two_meetings_held_in_one_month_are_flagged_by_their_time(client, login_as):
    login_as("coordinator")
    _create(client, month="2026-11", starts_at="2026-12-03T09:30")
    r = _create(client, month="2026-12", starts_at="2026-12-28T09:30")
    html = _html(r)
    assert re.search(r'data-field="starts_at">本月已录入同类会议', html)
    assert "2026-12-03 09:30" in html and _count() == 1
    # December's meeting held in January is not flagged.
    assert _create(client, month="2026-12", starts_at="2027-01-05T09:30").status_code == 302


def test_a_meeting_cannot_be_marked_held_before_it_starts(client, login_as, clock):
    login_as("coordinator")
    _create(client, month="2026-12", starts_at="2026-12-20T09:30")
    dec = _meeting(DEC)
    _final_packet(client, dec)
    client.post_form(f"/meetings/{dec.id}/advance")
    assert _meeting(DEC).state == "issued"
    r = client.post_form(f"/meetings/{dec.id}/advance", follow_redirects=True)
    assert "会议定于 2026-12-20 09:30 召开，开始之前不能标记为已召开" in _html(r)
    assert _meeting(DEC).state == "issued"
    assert not db.session.scalar(select(AuditLog).where(
        AuditLog.action == "state", AuditLog.after["state"].as_string() == "held"))
    clock.travel("2026-12-20 09:29")
    client.post_form(f"/meetings/{dec.id}/advance")
    assert _meeting(DEC).state == "issued"
    clock.travel("2026-12-20 09:31")
    r = client.post_form(f"/meetings/{dec.id}/advance", follow_redirects=True)
    assert _meeting(DEC).state == "held" and "已召开" in _html(r)


@pytest.mark.now("2026-11-25 14:30")
def test_a_meeting_without_a_time_is_not_held_before_its_period(client, login_as):
    login_as("coordinator")
    _create(client, month="2027-01")
    jan = _meeting(JAN)
    _final_packet(client, jan)
    client.post_form(f"/meetings/{jan.id}/advance")
    r = client.post_form(f"/meetings/{jan.id}/advance", follow_redirects=True)
    assert "会议所属期间自 2027-01-01 开始，此前不能标记为已召开" in _html(r)
    assert _meeting(JAN).state == "issued"


def test_two_coordinators_creating_at_once_get_two_numbers(pg_app):
    """Both requests number the kind's year: the second waits for the first (the
    numbering lock), so neither is refused and the numbers follow the dates."""
    import threading

    from crm.auth.models import User
    from crm.meetings import services
    from tests import factories

    coordinator_id = factories.user(["coordinator"]).id
    db.session.commit()
    barrier = threading.Barrier(2)
    errors = []

    def create(month: int):
        with pg_app.app_context():
            actor = db.session.get(User, coordinator_id)
            barrier.wait()
            try:
                services.create_meeting("joint", services.month_period(2026, month), actor)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - the test reports any failure
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=create, args=(m,)) for m in (12, 11)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert _numbers() == {NOV: "2026年第1次", DEC: "2026年第2次"}
