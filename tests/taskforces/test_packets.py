"""The weekly progress sheet (周进度表) and the 督查通报 through the packet pipeline: PDF
with embedded fonts and page numbers; the 专班 sections in the overview and the packets."""
from __future__ import annotations

import io
import subprocess
from datetime import timedelta

from pypdf import PdfReader

from crm.core.timeutil import local_today, week_start
from crm.extensions import db
from crm.issues.models import Issue
from crm.meetings.models import Briefing, Meeting
from crm.meetings.packets import job, versions
from crm.meetings.packets.render import briefing_html
from crm.taskforces import inspections
from crm.taskforces.models import Finding
from crm.taskforces.packets import report_key, sheet_key, summary


def _pdf_text(b: Briefing) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(b.pdf))
    return reader, "\n".join(p.extract_text() for p in reader.pages)


def test_progress_sheet_pdf(app, client, login_as, world, tmp_path):
    login_as(world.leader)
    r = client.post_form(f"/taskforces/{world.tf.id}/sheet")
    assert r.status_code == 302
    db.session.expire_all()
    b = db.session.query(Briefing).filter_by(kind="taskforce").one()
    assert b.subject_key == sheet_key(world.tf.id, week_start(local_today()))
    assert b.state == "success", b.error
    assert b.pages == 1
    reader, text = _pdf_text(b)
    assert "新能源产业链专班周进度表" in text
    assert "第 1 页 共 1 页" in text.replace("\n", " ") or "第1页共1页" in text.replace(" ", "")
    assert "储能电池项目1" in text and "用地" in text
    path = tmp_path / "s.pdf"
    path.write_bytes(b.pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    fonts = out.stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts), out.stdout  # every font embedded
    # The leader may open it; an outsider may not.
    assert client.get(f"/briefings/{b.id}/pdf").status_code == 200


def test_outsider_cannot_open_the_sheet(app, client, login_as, world):
    b = versions.request_briefing("taskforce", world.coordinator,
                                  subject_key=sheet_key(world.tf.id, week_start(local_today())))
    db.session.commit()
    job.dispatch(b.id)
    login_as(world.outsider)
    assert client.get(f"/briefings/{b.id}").status_code == 404


def test_inspection_report_lists_findings_and_fixed(app, world):
    group = inspections.save_group(None, {"name": "第一督查组", "member_ids": [world.member.id],
                                          "task_force_ids": [world.tf.id]}, world.coordinator)
    inspection = inspections.record_inspection(
        group, local_today(), {"task_force_id": world.tf.id}, "现场督查",
        [inspections.FindingInput("用地报批材料不全", unit_id=world.other_unit.id)],
        world.coordinator)
    db.session.commit()
    finding = db.session.query(Finding).filter_by(inspection_id=inspection.id).one()
    issue = db.session.get(Issue, finding.issue_id)
    assert finding.kind == "problem" and issue.state == "dispatched"
    assert issue.lead_unit_id == world.other_unit.id
    # A second inspection supervises (督办) the problem found the first time.
    inspections.record_inspection(
        group, local_today(), {"task_force_id": world.tf.id}, None,
        [inspections.FindingInput("仍未整改", issue_number=issue.number)],
        world.coordinator)
    db.session.commit()
    db.session.refresh(issue)
    assert issue.supervise_count == 1
    month = local_today().strftime("%Y-%m")
    b = versions.request_briefing("inspection", world.coordinator,
                                  subject_key=report_key(group.id, month))
    db.session.commit()
    job.dispatch(b.id)
    db.session.expire_all()
    b = db.session.get(Briefing, b.id)
    assert b.state == "success", b.error
    _reader, text = _pdf_text(b)
    assert "用地报批材料不全" in text and "发现问题 2 个" in text and "已整改 0 个" in text


def test_sections_in_overview_and_joint_packet(app, client, login_as, world):
    data = summary(local_today())
    assert data["red"] == 1 and data["yellow"] == 1
    assert ("用地", 1) in data["stages"]
    login_as(world.coordinator)
    page = client.get("/meetings/overview").get_data(as_text=True)
    assert 'data-testid="taskforces-section"' in page
    red_list = client.get("/taskforces/milestones?light=red").get_data(as_text=True)
    assert red_list.count('data-testid="milestone"') == data["red"]
    by_stage = client.get("/taskforces/projects?stage=用地").get_data(as_text=True)
    assert by_stage.count('data-testid="project-row"') == 1
    today = local_today()
    meeting = Meeting(kind="joint", number="2026年第11次", title="联席会议",
                      period_start=today.replace(day=1), period_end=today + timedelta(days=1))
    db.session.add(meeting)
    db.session.flush()
    b = versions.request_briefing("joint", world.coordinator, meeting=meeting)
    html = briefing_html(b)
    assert "重点项目推进" in html and "储能电池项目1" in html


def test_portfolio_packet_has_the_task_forces_led(app, world):
    b = versions.request_briefing("portfolio", world.leader, leader=world.leader)
    html = briefing_html(b)
    assert "牵头专班" in html and world.tf.name in html
