"""The monthly packet at province scale: a section past its limit is printed in summary
form with a sentence giving the rows of the Excel tables, the appendix keeps only the
urgent enterprises, most urgent first, and the tables keep every row. Limits are set
small here; the data decides, not a flag."""
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from crm.core.timeutil import local_today, utcnow
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.meetings import services
from crm.meetings.packets.render import briefing_html
from crm.meetings.decisions import add_decision
from crm.meetings.models import Briefing, Meeting
from tests import factories
from tests.conftest import count_queries

SMALL = {"PACKET_RED_ROWS": 2, "PACKET_RED_OLDEST": 1, "PACKET_LEADER_ROWS": 3,
         "PACKET_LEADER_NAMED": 2, "PACKET_APPENDIX_PAGES": 3}

AGENDA, RED_5, RED_2, GREEN, YELLOW, RED_10, CLOSED = (
    "青山绿色食品有限公司", "兴发制管有限公司", "华锐汽车零部件有限公司", "金桥物流有限公司",
    "德润电子有限公司", "天成新材料有限公司", "宏远机械有限公司")


@pytest.fixture
def small_limits(app, monkeypatch):
    for key, value in SMALL.items():
        monkeypatch.setitem(app.config, key, value)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _province_like(coordinator):
    """Seven enterprises under two leaders: one on the agenda, three with overdue
    problems (10, 5 and 2 days), one green, one yellow, one with its problem closed;
    a previous meeting with a decision. Returns this month's meeting."""
    now = utcnow()
    ndrc, land = factories.unit("市发展和改革委员会"), factories.unit("市自然资源和规划局")
    liu = factories.user(roles=["leader"], display_name="刘建国", title="副市长")
    chen = factories.user(roles=["leader"], display_name="陈海燕", title="副市长")
    commissioner = factories.user(roles=["commissioner"], display_name="王小明")
    ents = {}
    for name, leader, role in ((AGENDA, liu, "leader_a"), (RED_5, liu, "leader_a"),
                               (RED_2, liu, "leader_a"), (GREEN, liu, "leader_a"),
                               (YELLOW, chen, "leader_b"), (RED_10, chen, "leader_b"),
                               (CLOSED, chen, "leader_b")):
        ents[name] = ent = factories.enterprise(name=name)
        factories.assignment(ent, leader, role)
        factories.visit(ent, commissioner, local_today())

    def red(name, days, unit, title):
        factories.issue(ents[name], commissioner, state="in_progress", title=title,
                        lead_unit_id=unit.id, due_at=now - timedelta(days=days),
                        warn_at=now - timedelta(days=days + 1))

    def green(name, title):
        return factories.issue(ents[name], commissioner, state="in_progress", title=title,
                               lead_unit_id=ndrc.id, due_at=now + timedelta(days=10),
                               warn_at=now + timedelta(days=8))

    red(RED_10, 10, ndrc, "专线增容迟迟未落实")
    red(RED_5, 5, ndrc, "技改贴息未兑现")
    red(RED_2, 2, land, "用地指标未落实")
    red(RED_2, 1, land, "厂区道路破损")
    on_agenda = green(AGENDA, "冷链仓储用地协调")
    green(GREEN, "招工需求对接")
    factories.yellow_issue(ents[YELLOW], commissioner, title="出口退税进度")
    factories.issue(ents[CLOSED], commissioner, state="closed", title="已解决的问题")
    today = local_today()
    last = services.month_period(*((today.year, today.month - 1) if today.month > 1
                                   else (today.year - 1, 12)))
    previous = services.create_meeting("joint", last, coordinator)
    add_decision(previous, "供电公司两周内完成专线增容", ndrc, today + timedelta(days=14),
                 coordinator)
    meeting = services.create_meeting("joint", services.month_period(today.year, today.month),
                                      coordinator)
    services.add_agenda_item(meeting, coordinator, issue=on_agenda, question="请自然资源局明确用地")
    db.session.commit()
    return meeting


def _briefing(client, meeting) -> Briefing:
    client.post_form(f"/briefings/meeting/{meeting.id}")
    briefing = db.session.scalar(select(Briefing).where(Briefing.meeting_id == meeting.id))
    assert briefing.state == "success", briefing.error
    return briefing


def _html(app, briefing) -> str:
    with app.test_request_context():
        return briefing_html(db.session.get(Briefing, briefing.id))


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start:html.index("</section>", start)]


def test_long_sections_switch_to_summary_form_and_say_where_the_rows_are(
        app, client, login_as, small_limits):
    meeting = _province_like(login_as("coordinator"))
    briefing = _briefing(client, meeting)
    text = _squash("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(briefing.pdf)).pages))
    assert ("超期问题共4件，涉及2个单位。下表每个单位一行，列出其超期最久的1件问题。"
            "全部4件见随附Excel表格“各单位超期问题清单”（共4行）。") in text
    assert ("2位领导共包联企业7家次。" in text
            and "全部7家次见随附Excel表格“市级领导包联企业情况”（共7行）。" in text)
    assert ("有在办问题的企业共6家。本附件只为其中问题列入本次会议议题或有超期问题的4家中"
            "最紧急的3家各列一页" in text)
    assert "全部6家见随附Excel表格“有在办问题的企业”（共6行）。" in text
    assert "供电公司两周内完成专线增容" in text  # the sections in between are untouched

    html = _html(app, briefing)
    red = _section(html, "red")
    assert 'data-testid="red-summary"' in red and "<h3>" not in red
    # one row per unit, each with its single most overdue problem
    assert "市发展和改革委员会" in red and "市自然资源和规划局" in red
    assert "专线增容迟迟未落实" in red and "技改贴息未兑现" not in red
    assert "用地指标未落实" in red and "厂区道路破损" not in red
    leaders = _section(html, "leaders")
    assert 'data-testid="leader-summary"' in leaders
    # 刘建国: the agenda enterprise, then the longest overdue; one more not named
    assert f"{AGENDA}、{RED_5}；另有 1 家" in leaders
    assert RED_2 not in leaders and GREEN not in leaders
    assert re.search(rf"<td>{RED_10}</td>", leaders)  # 陈海燕: only the overdue one
    assert YELLOW not in leaders and CLOSED not in leaders
    # the appendix: agenda first, then the longest overdue, up to the limit
    ids = [int(i) for i in re.findall(r'<section class="dossier[^"]*" id="ent-(\d+)"', html)]
    names = {e.id: e.name for e in db.session.scalars(
        select(Enterprise).where(Enterprise.id.in_(ids)))}
    assert [names[i] for i in ids] == [AGENDA, RED_10, RED_5]
    # (the official layout adds the agenda page and the written analysis: 2 pages)
    assert briefing.pages < 18


def test_the_tables_hold_every_row(app, client, login_as, small_limits):
    meeting = _province_like(login_as("coordinator"))
    briefing = _briefing(client, meeting)
    r = client.get(f"/briefings/{briefing.id}/tables.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data))

    def rows(sheet):
        return list(wb[sheet].iter_rows(min_row=2, values_only=True))

    red = rows("各单位超期问题清单")
    assert sorted(row[2] for row in red) == sorted(
        ["专线增容迟迟未落实", "技改贴息未兑现", "用地指标未落实", "厂区道路破损"])
    leaders = rows("市级领导包联企业情况")
    assert len(leaders) == 7
    assert {(row[0], row[1]) for row in leaders} >= {("刘建国", GREEN), ("陈海燕", CLOSED)}
    enterprises = rows("有在办问题的企业")
    assert [row[0] for row in enterprises] == [AGENDA, RED_10, RED_5, RED_2, YELLOW, GREEN]
    assert [row[2:4] for row in enterprises] == [(1, 0), (1, 1), (1, 1), (2, 2), (1, 0), (1, 0)]
    assert [row[5] for row in enterprises] == ["是", "否", "否", "否", "否", "否"]
    assert [row[6] for row in enterprises] == ["是", "是", "是", "否", "否", "否"]
    decisions = rows("上次会议议定事项落实情况")
    assert decisions[0][0] == "供电公司两周内完成专线增容" and decisions[0][3]


def test_within_the_limits_the_packet_prints_every_row(app, client, login_as):
    meeting = _province_like(login_as("coordinator"))
    html = _html(app, _briefing(client, meeting))
    assert "red-summary" not in html and "leader-summary" not in html
    assert "共 6 家企业，每家一页。" in html
    # (a name's last two characters are kept together in a span: strip the markup)
    headings = {re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h3>(.*?)</h3>", html)}
    for name in (AGENDA, RED_5, RED_2, GREEN, YELLOW, RED_10):
        assert name in headings
    assert "技改贴息未兑现" in _section(html, "red")
    assert CLOSED in re.sub(r"<[^>]+>", "", _section(html, "leaders"))


def _more_enterprises(coordinator, n: int) -> None:
    """``n`` more enterprises, each with a leader, a contact, a visit and overdue
    problems, under a new leader and a new unit."""
    unit = factories.unit()
    leader = factories.user(roles=["leader"])
    commissioner = factories.user(roles=["commissioner"])
    now = utcnow()
    for i in range(n):
        ent = factories.enterprise()
        factories.contact(ent)
        factories.assignment(ent, leader, "leader_a")
        factories.assignment(ent, commissioner, "commissioner")
        factories.visit(ent, commissioner, local_today())
        for days in (3 + i, 4 + i):
            factories.issue(ent, commissioner, state="in_progress", lead_unit_id=unit.id,
                            due_at=now - timedelta(days=days),
                            warn_at=now - timedelta(days=days + 1))
    db.session.commit()


def test_packet_html_takes_the_same_queries_at_two_sizes(app, login_as, small_limits):
    coordinator = login_as("coordinator")
    meeting_id = _province_like(coordinator).id
    counts = []
    for n in (3, 12):
        _more_enterprises(coordinator, n)
        db.session.expunge_all()
        with app.test_request_context(), count_queries() as q:
            briefing_html(Briefing(kind="joint", meeting_id=meeting_id, version=1,
                                   state="running"))
        counts.append(q.count)
    assert db.session.scalar(select(db.func.count()).select_from(Meeting)) == 2
    assert counts[0] == counts[1], counts
