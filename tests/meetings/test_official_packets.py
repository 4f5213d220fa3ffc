"""The demo county's meeting papers as the coordinator of a 联席办 makes them on
2026-12-06: the monthly packet as an official document (文号, 内部资料 注意保存, the
agenda page, the attendees in protocol order, the written analysis, the issuing block,
three typeface roles), the 纪要 as PDF and Word, the final check, and a page-by-page
layout scan. The demo is loaded once (SQLite) and the papers made through the pages."""
from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
import time_machine
from docx import Document
from pypdf import PdfReader
from sqlalchemy import func, select

from crm.auth.models import User, UserRole
from crm.core.timeutil import LOCAL_TZ
from crm.extensions import db
from crm.meetings import metrics
from crm.meetings.decisions import decisions_of
from crm.meetings.models import Briefing, DocumentNumber, Meeting
from crm.meetings.packets.render import briefing_html
from crm.seed.county import DEMO_PASSWORD, populate
from tests.conftest import _make_app
from tests.meetings import layout_scan

DEMO_DAY = "2026-12-06"
DEMO_NOW = "2026-12-06 16:00"


def _sign_in(client, username: str) -> None:
    r = client.post_form("/login", {"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 302


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def december(tmp_path_factory):
    """The demo county on 2026-12-06 16:00 with the December packet requested by the
    coordinator (v1, as the demo leaves it) and the November meeting's 纪要 (PDF and
    Word). Returns what the tests read."""
    tmp = tmp_path_factory.mktemp("papers")
    app = _make_app(f"sqlite:///{tmp / 'demo.sqlite3'}")
    out = {"tmp": tmp}
    with time_machine.travel(datetime.fromisoformat(DEMO_NOW).replace(tzinfo=LOCAL_TZ)):
        with app.app_context():
            populate(today=datetime.fromisoformat(DEMO_DAY).date())
            db.session.commit()
            december = db.session.scalar(select(Meeting).where(
                Meeting.kind == "joint", Meeting.state == "planning"))
            november = db.session.scalar(select(Meeting).where(
                Meeting.kind == "joint", Meeting.state == "minuted")
                .order_by(Meeting.period_start.desc()))
            out["leaders"] = [u.display_name for u in db.session.scalars(
                select(User).join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role == "leader").order_by(User.protocol_order))]
            out["nov_minutes_no"] = db.session.scalar(select(DocumentNumber).where(
                DocumentNumber.meeting_id == november.id,
                DocumentNumber.series == "minutes")).text
            out["decisions"] = [(d.text, d.unit.name, d.due_date) for d in decisions_of(november)]
            cur = metrics.snapshot(2026, 12).overview.current
            out["figures"] = (cur.raised, cur.resolved)
            dec_id, nov_id = december.id, november.id
            db.session.remove()
        client = app.test_client()
        _sign_in(client, "coordinator")
        client.post_form(f"/briefings/meeting/{dec_id}")
        client.post_form(f"/briefings/meeting/{nov_id}/minutes")
        docx = client.get(f"/meetings/{nov_id}/minutes.docx")
        with app.app_context(), app.test_request_context():
            joint = db.session.scalar(select(Briefing).where(Briefing.kind == "joint"))
            minutes = db.session.scalar(select(Briefing).where(Briefing.kind == "minutes"))
            assert joint.state == "success", joint.error
            assert minutes.state == "success", minutes.error
            out["joint_html"] = briefing_html(joint)
            for name, b in (("joint", joint), ("minutes", minutes)):
                out[name] = b.pdf
                out[f"{name}_id"] = b.id
                (tmp / f"{name}.pdf").write_bytes(b.pdf)
            out["dec_id"], out["nov_id"] = dec_id, nov_id
    out["app"], out["client"], out["docx"] = app, client, docx
    return out


def test_monthly_packet_is_an_official_document_with_agenda_and_attendees(december):
    text = _squash(_text(december["joint"]))
    first = _squash(PdfReader(io.BytesIO(december["joint"])).pages[0].extract_text())
    assert "内部资料注意保存" in first
    # The 文号: organ abbreviation, year in 六角括号, number, 号 — numbered after the
    # demo's papers of 2026 (five issued: four monthly, one quarterly).
    assert re.search(r"联席办〔2026〕6号", first), first
    # The agenda page: order, item, presenting unit, minutes allotted.
    assert "议程" in text and "序号议题汇报单位时长" in text and "10分钟" in text
    # Attendees: present (leaders in the admin's protocol order), sitting in, excused.
    present = text[text.index("出席"):text.index("列席")]
    leaders = december["leaders"]
    positions = [present.find(name) for name in leaders[:-1]]
    assert -1 not in positions and positions == sorted(positions), (leaders, present)
    assert "市人力资源和社会保障局" in text[text.index("列席"):]
    assert "请假" + leaders[-1] in text
    # The month in sentences, from the same figures as the tables.
    raised, resolved = december["figures"]
    assert f"共收集企业诉求{raised}件" in text and f"办结{resolved}件" in text
    assert "与上月同期相比" in text
    # 存在问题 and 下步工作: a generated draft, marked as one until the coordinator writes.
    assert "二、存在问题" in text and "三、下步工作" in text and "草稿" in text
    # The last meeting's decisions cite its 纪要 by 文号.
    assert f"纪要文号：{december['nov_minutes_no']}" in text
    # The issuing block on the last page.
    last = _squash(PdfReader(io.BytesIO(december["joint"])).pages[-1].extract_text())
    assert "市企业帮扶联席会议办公室" in last and "2026年12月6日印发" in last
    assert "共印60份" in last


def test_packet_fonts_fill_the_serif_sans_and_kai_roles(december):
    families = layout_scan.font_families(december["tmp"] / "joint.pdf")
    assert any("Noto-Serif-CJK-SC" in f and "Bold" not in f for f in families), families
    assert any("Noto-Serif-CJK-SC-Bold" in f for f in families), families    # 小标宋 role
    assert any("Noto-Sans-CJK-SC-Bold" in f for f in families), families     # 黑体 role
    assert any("WenKai" in f or "UKai" in f for f in families), families     # 楷体 role
    roles = {"serif" if "Serif" in f else "sans" if "Sans" in f else "kai" for f in families}
    assert roles == {"serif", "sans", "kai"}


def test_monthly_packet_layout_has_no_stranded_heading_and_no_mostly_blank_page(december):
    doc_pages = layout_scan.pages(december["tmp"] / "joint.pdf")
    every, opening = layout_scan.headings(december["joint_html"])
    assert len(doc_pages) > 20 and "一、本期工作概况" in every
    assert layout_scan.stranded_headings(doc_pages, every) == []
    assert layout_scan.mostly_blank(doc_pages, opening) == []


def test_minutes_render_as_pdf_and_as_word_with_the_decisions(december):
    text = _squash(_text(december["minutes"]))
    assert "纪要" in text and "联席办纪〔2026〕" in text
    for decision, unit, due in december["decisions"]:
        assert _squash(decision)[:30] in text
        assert f"责任单位：{unit}；完成时限：{due.year}年{due.month}月{due.day}日前" in text
    response = december["docx"]
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    doc = Document(io.BytesIO(response.data))
    paragraphs = "\n".join(p.text for p in doc.paragraphs)
    assert "内部资料" in paragraphs and "会议议定事项" in paragraphs
    for decision, unit, _due in december["decisions"]:
        assert decision in paragraphs and f"责任单位：{unit}" in paragraphs
    section = doc.sections[0]
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28


def test_packet_cannot_be_final_before_the_question_and_the_paragraphs(december):
    app, client = december["app"], december["client"]
    with time_machine.travel(datetime.fromisoformat(DEMO_NOW).replace(tzinfo=LOCAL_TZ)):
        briefing_id, meeting_id = december["joint_id"], december["dec_id"]
        _sign_in(client, "coordinator")   # this test's clock, not the fixture's
        with app.app_context():
            item_ids = [i for (i,) in db.session.execute(db.text(
                "SELECT id FROM agenda_items WHERE meeting_id = :m ORDER BY position"),
                {"m": meeting_id})]
        # Clear the first item's question: the packet names it.
        client.post_form(f"/meetings/{meeting_id}/agenda/{item_ids[0]}",
                         {"action": "question", "question": "", "presenting_unit_id": "0",
                          "minutes_allotted": ""})
        r = client.post_form(f"/briefings/{briefing_id}/final", follow_redirects=True)
        page = r.get_data(as_text=True)
        assert "议程第1项尚未填写提请会议研究的事项" in page
        assert "“存在问题”尚未填写" in page and "“下步工作”尚未填写" in page
        with app.app_context():
            assert not db.session.get(Briefing, briefing_id).is_final
        client.post_form(f"/meetings/{meeting_id}/agenda/{item_ids[0]}",
                         {"action": "question", "question": "请会议明确施工许可办理时限。",
                          "presenting_unit_id": "0", "minutes_allotted": "15"})
        client.post_form(f"/meetings/{meeting_id}/analysis", {
            "problems_text": "一是部分诉求办理超期。", "next_steps_text": "一是逐件督办。"})
        r = client.post_form(f"/briefings/{briefing_id}/final", follow_redirects=True)
        with app.app_context():
            assert db.session.get(Briefing, briefing_id).is_final
            # A new version keeps the 文号 of the first.
            numbers = db.session.scalar(select(func.count()).select_from(DocumentNumber)
                                        .where(DocumentNumber.meeting_id == meeting_id))
            assert numbers == 1


@pytest.fixture(scope="module")
def january(tmp_path_factory):
    """The demo county on 2027-01-08: the 2026年第4季度 review, in preparation, made by
    the coordinator through the meeting page."""
    tmp = tmp_path_factory.mktemp("review")
    app = _make_app(f"sqlite:///{tmp / 'demo.sqlite3'}")
    out = {"tmp": tmp}
    with time_machine.travel(datetime(2027, 1, 8, 16, 0, tzinfo=LOCAL_TZ)):
        with app.app_context():
            populate(today=datetime(2027, 1, 8).date())
            db.session.commit()
            review = db.session.scalar(select(Meeting).where(Meeting.kind == "review",
                                                             Meeting.state == "planning"))
            out["title"] = review.title
            review_id = review.id
            db.session.remove()
        client = app.test_client()
        _sign_in(client, "coordinator")
        client.post_form(f"/briefings/meeting/{review_id}")
        with app.app_context(), app.test_request_context():
            briefing = db.session.scalar(select(Briefing).where(Briefing.kind == "review"))
            assert briefing.state == "success", briefing.error
            out["pages"], out["pdf"] = briefing.pages, briefing.pdf
            out["html"] = briefing_html(briefing)
            (tmp / "review.pdf").write_bytes(briefing.pdf)
    return out


def test_quarterly_review_of_2026_q4_is_a_real_review(january):
    assert january["title"] == "2026年第4季度企业帮扶工作点评会"
    assert january["pages"] >= 20
    text = _squash(_text(january["pdf"]))
    # The quarter against the previous quarter and the same quarter last year, in words
    # and in a table.
    assert "本季度上季度上年同期" in text
    assert "与上季度相比" in text and "与上年同期相比" in text
    # Charts, each with its title and unit, units by their short names.
    for title in ("本季度与上季度、上年同期对比", "本季度各月诉求提出、受理和办结情况",
                  "各牵头单位办结诉求数", "各牵头单位按期办结率", "各特派员走访覆盖率"):
        assert title in text, title
    assert "单位：件" in text and "单位：%" in text
    assert "人社局" in text          # a chart label: the unit's short name
    assert "典型案例" in text and "部门主动上门、快速办结的典型案例。" in text
    assert "特派员走访覆盖情况" in text and "附件：各承办单位情况" in text
    doc_pages = layout_scan.pages(january["tmp"] / "review.pdf")
    every, opening = layout_scan.headings(january["html"])
    assert layout_scan.stranded_headings(doc_pages, every) == []
    # No mostly-blank page at all (not even at a section's end).
    assert layout_scan.mostly_blank(doc_pages, opening, section_ends=False) == []
