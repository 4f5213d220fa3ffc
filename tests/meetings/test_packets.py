"""Packet contents: the monthly packet's figures are metrics.py's and agree with the
overview page; the quarterly packet has its tables, cases and remarks."""
import io
import re
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from crm.core.timeutil import local_midnight_utc, local_today, utcnow
from crm.extensions import db
from crm.meetings import metrics
from crm.meetings.models import Briefing, Meeting
from tests import factories


def _pdf_text(briefing) -> str:
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(briefing.pdf)).pages)
    return re.sub(r"[ \t]+", " ", text)


def _county():
    today = local_today()
    unit = factories.unit("市人力资源和社会保障局")
    commissioner = factories.user(roles=["commissioner"], display_name="王小明", unit=unit)
    ent = factories.enterprise(name="兴发制管有限公司")
    factories.assignment(ent, commissioner, "commissioner")
    factories.visit(ent, commissioner, today)
    start = local_midnight_utc(today.replace(day=1)) + timedelta(hours=3)
    for i in range(3):
        factories.issue(ent, commissioner, state="in_progress", title=f"本月问题{i}",
                        raised_at=start, lead_unit_id=unit.id, dispatched_at=start,
                        due_at=utcnow() + timedelta(days=3), warn_at=utcnow() + timedelta(days=2))
    factories.issue(ent, commissioner, state="in_progress", title="超期的问题",
                    raised_at=start, lead_unit_id=unit.id, dispatched_at=start,
                    due_at=utcnow() - timedelta(hours=1), warn_at=utcnow() - timedelta(days=1))
    db.session.commit()
    return unit, commissioner, ent


def test_monthly_packet_figures_come_from_metrics_and_match_the_overview(client, login_as):
    login_as("coordinator")
    _county()
    today = local_today()
    client.post_form("/meetings/new", {"kind": "joint", "month": today.strftime("%Y-%m")})
    meeting = db.session.scalar(select(Meeting))
    client.post_form(f"/briefings/meeting/{meeting.id}")
    briefing = db.session.scalar(select(Briefing))
    assert briefing.state == "success", briefing.error
    text = _pdf_text(briefing)
    snap = metrics.snapshot(today.year, today.month)
    cur, prev = snap.overview.current, snap.overview.previous
    assert cur.raised == 4 and cur.overdue_now == 1
    assert f"本期提出 {cur.raised} {prev.raised}" in text
    # The month is still running: so far, against the same days of last month.
    assert "本月截至目前" in text and "上月同期" in text
    assert f"本期受理 {cur.dispatched} {prev.dispatched}" in text
    assert "超期的问题" in text and "市人力资源和社会保障局" in text
    overview = client.get("/meetings/overview").get_data(as_text=True)
    assert re.search(rf'data-testid="kpi-raised".*?>\s*{cur.raised}\s*<', overview, re.S)
    # the TOC lists the sections, and the appendix has the enterprise's page
    assert "本期工作概况" in text and "附件：有在办问题的企业情况" in text
    assert "兴发制管有限公司" in text
    # The last page says how every figure is counted (the 指标说明 page's text).
    last = PdfReader(io.BytesIO(briefing.pdf)).pages[-1].extract_text()
    assert "走访日期在统计期内的走访记录条数" in last
    assert "指标说明" in text and "本期办结 ÷（本期办结 + 在办）" in text


def test_quarterly_packet_has_unit_and_commissioner_tables_cases_and_remarks(client, login_as):
    login_as("coordinator")
    unit, commissioner, ent = _county()
    today = local_today()
    quarter = (today.month - 1) // 3 + 1
    client.post_form("/meetings/new", {"kind": "review", "month": "",
                                       "quarter": f"{today.year}-Q{quarter}"})
    meeting = db.session.scalar(select(Meeting))
    issue_number = db.session.scalar(select(db.text("number FROM issues ORDER BY id LIMIT 1")))
    client.post_form(f"/meetings/{meeting.id}/cases", {"issue_number": issue_number,
                                                       "note": "人社局上门对接，三天解决"})
    client.post_form(f"/meetings/{meeting.id}/minutes", {
        "minutes": "", "review_remarks": "总体推进有力，个别单位签收不及时。"})
    client.post_form(f"/briefings/meeting/{meeting.id}")
    briefing = db.session.scalar(select(Briefing))
    assert briefing.kind == "review" and briefing.state == "success", briefing.error
    text = _pdf_text(briefing)
    assert "本季度主要指标" in text and "走访覆盖率" in text
    assert "市人力资源和社会保障局" in text and "王小明" in text
    assert "人社局上门对接，三天解决" in text
    assert "总体推进有力，个别单位签收不及时。" in text
    q = metrics.county_figures(meeting.period_start, meeting.period_end)
    assert f"本期提出 {q.raised}" in text


def test_packet_tables_download_as_xlsx(client, login_as):
    from openpyxl import load_workbook

    login_as("coordinator")
    _county()
    today = local_today()
    client.post_form("/meetings/new", {"kind": "joint", "month": today.strftime("%Y-%m")})
    meeting = db.session.scalar(select(Meeting))
    client.post_form(f"/briefings/meeting/{meeting.id}")
    briefing = db.session.scalar(select(Briefing))
    r = client.get(f"/briefings/{briefing.id}/tables.xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    assert "本期工作概况" in wb.sheetnames and "各单位超期问题清单" in wb.sheetnames
    glance = {row[0]: row[1] for row in wb["本期工作概况"].iter_rows(min_row=2, values_only=True)}
    assert glance["本期提出"] == metrics.snapshot(today.year, today.month).overview.current.raised
    red = list(wb["各单位超期问题清单"].iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in red] == ["超期的问题"]
