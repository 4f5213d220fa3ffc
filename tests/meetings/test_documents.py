"""The official-document pieces on their own: 文号 per series and year, attendance in
protocol order, the registry fields the admin sets, the cover title's lines, the font
check, and the layout scanner itself (so that its passing means something)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.auth.models import Unit, User
from crm.extensions import db
from crm.meetings import documents, services
from crm.meetings.models import Meeting, MeetingAttendee
from crm.meetings.packets import fonts
from crm.meetings.packets.context import title_lines
from tests import factories
from tests.meetings import layout_scan


def _meeting(month: int) -> Meeting:
    meeting = services.create_meeting("joint", services.month_period(2026, month), None)
    db.session.commit()
    return meeting


@pytest.mark.now("2026-12-06 10:00")
def test_document_numbers_are_per_series_and_year_and_kept(app):
    october, november = _meeting(10), _meeting(11)
    first = documents.assign_number(october, "packet", None)
    assert first.text == "联席办〔2026〕1号"
    assert documents.assign_number(october, "packet", None).id == first.id   # kept
    assert documents.assign_number(november, "packet", None).text == "联席办〔2026〕2号"
    assert documents.assign_number(november, "minutes", None).text == "联席办纪〔2026〕1号"


def test_attendance_lists_leaders_in_protocol_order(app, client, login_as):
    mayor = factories.user(["leader"], display_name="马思远", title="市委副书记、市长",
                           protocol_order=2)
    secretary = factories.user(["leader"], display_name="李书记", title="市委书记",
                               protocol_order=1)
    member = factories.user(["leader"], display_name="杜国庆", title="市政府党组成员",
                            protocol_order=9)
    unit = factories.unit("市人力资源和社会保障局", short_name="人社局")
    meeting = _meeting(11)
    login_as("coordinator")
    r = client.post_form(f"/meetings/{meeting.id}/attendance", {
        f"leader_{member.id}": "present", f"leader_{mayor.id}": "present",
        f"leader_{secretary.id}": "absent", f"unit_{unit.id}": "attending"})
    assert r.status_code == 302
    got = documents.attendance(db.session.get(Meeting, meeting.id))
    assert [u.display_name for u in got.people["present"]] == ["马思远", "杜国庆"]
    assert got.line("absent") == "李书记（市委书记）"
    assert got.line("attending") == "市人力资源和社会保障局"
    # A value no select offers is refused next to the field; nothing is written.
    r = client.post_form(f"/meetings/{meeting.id}/attendance",
                         {f"leader_{mayor.id}": "boss"})
    assert r.status_code == 400
    assert db.session.scalar(select(MeetingAttendee.role).where(
        MeetingAttendee.user_id == mayor.id)) == "present"
    # The meeting page lists the leaders in protocol order.
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert page.index("李书记") < page.index("马思远") < page.index("杜国庆")


def test_admin_sets_a_units_short_name_and_a_leaders_protocol_order(app, client, login_as):
    unit = factories.unit("市发展和改革局")
    leader = factories.user(["leader"], display_name="胡芳", title="副市长")
    db.session.commit()
    login_as("admin")
    r = client.post_form(f"/admin/units/{unit.id}", {"name": unit.name, "kind": "department",
                                                     "short_name": " 发改局 ", "is_active": "y"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).short_name == "发改局"
    assert db.session.get(Unit, unit.id).label == "发改局"
    form = {"username": leader.username, "display_name": "胡芳", "title": "副市长",
            "unit_id": "0", "roles": "leader", "is_active": "y"}
    r = client.post_form(f"/admin/users/{leader.id}", form | {"protocol_order": "abc"})
    assert r.status_code == 200 and "abc" in r.get_data(as_text=True)   # typing kept
    db.session.expire_all()
    assert db.session.get(User, leader.id).protocol_order is None
    r = client.post_form(f"/admin/users/{leader.id}", form | {"protocol_order": "0"})
    assert "请输入 1 至 999 之间的整数。" in r.get_data(as_text=True)
    r = client.post_form(f"/admin/users/{leader.id}", form | {"protocol_order": "4"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, leader.id).protocol_order == 4


def test_cover_titles_break_after_the_date_never_inside_a_word():
    assert title_lines("2026年第4季度企业帮扶工作点评会材料") == ["2026年第4季度", "企业帮扶工作点评会材料"]
    assert title_lines("2026年12月企业帮扶联席会议纪要") == ["2026年12月", "企业帮扶联席会议纪要"]
    assert title_lines("专题会议材料") == ["专题会议材料"]


def test_font_check_names_each_missing_font_and_its_package():
    assert fonts.missing_fonts() == []      # installed by scripts/bootstrap.sh
    only_sans = {("Noto Sans CJK SC", "Bold"), ("Noto Serif CJK SC", "Regular")}
    missing = fonts.missing_fonts(only_sans)
    assert [r.role for r in missing] == ["title (小标宋 role)", "level-2 headings (楷体 role)"]
    message = fonts.describe(missing)
    assert "Noto Serif CJK SC Bold" in message and "fonts-lxgw-wenkai" in message


def test_layout_scan_finds_a_stranded_heading_and_a_mostly_blank_page():
    top = layout_scan.TOP
    full = [(top + i * 20, top + i * 20 + 15, f"行{i}") for i in range(30)]
    pages = [
        layout_scan.Page(1, [(top, top + 30, "封面")]),
        layout_scan.Page(2, full + [(top + 610, top + 633, "一、本期工作概况")]),  # stranded
        layout_scan.Page(3, [(top, top + 15, "表格最后一行")]),                    # 2 % full
        layout_scan.Page(4, full),
        layout_scan.Page(5, [(top, top + 15, "附件末页")]),
    ]
    every = {"一、本期工作概况", "二、存在问题"}
    assert layout_scan.stranded_headings(pages, every) == [(2, "一、本期工作概况")]
    assert layout_scan.mostly_blank(pages, {"二、存在问题"}) == [(3, 0.02)]
    # The end of a section (the next page opens one) may be short.
    pages[3].lines.insert(0, (top - 1, top + 22, "二、存在问题"))
    assert layout_scan.mostly_blank(pages, {"二、存在问题"}) == []
    # A table cell with a heading's text is no heading (set small).
    pages[1].lines[-1] = (top + 610, top + 625, "一、本期工作概况")
    assert layout_scan.stranded_headings(pages, every) == []


def test_the_meeting_page_offers_the_generated_draft_of_the_paragraphs(app, client, login_as):
    meeting = _meeting(11)
    login_as("coordinator")
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert 'data-testid="analysis-draft"' in page and "从数据看暂无突出问题" not in page
    page = client.get(f"/meetings/{meeting.id}?draft=1").get_data(as_text=True)
    assert "一是从数据看暂无突出问题。" in page            # nothing stands out in no data
    assert "持续做好特派员入企走访" in page
    client.post_form(f"/meetings/{meeting.id}/analysis", {
        "problems_text": "一是用地问题办理周期偏长。", "next_steps_text": "一是专题调度。"})
    db.session.expire_all()
    saved = db.session.get(Meeting, meeting.id)
    assert (saved.problems_text, saved.next_steps_text) == ("一是用地问题办理周期偏长。",
                                                            "一是专题调度。")
    assert documents.final_problems(saved, "joint") == []
