"""The weekly bulletin (周通报): the Monday job (on a fixed clock) renders last week's
bulletin through the packet pipeline and tells the coordinators and leaders; the
coordinator's 点评 goes into a new version before it can be final."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from crm.core.models import Notification
from crm.extensions import db
from crm.meetings import bulletin, sections
from crm.meetings.models import Briefing
from tests import factories
from tests.issues.conftest import utc


def _text(briefing) -> str:
    return re.sub(r"\s+", "", "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(briefing.pdf)).pages))


def _week():
    unit = factories.unit("市发改委")
    town = factories.unit("城关镇", kind="town")
    comm = factories.user(["commissioner"], display_name="陈特派", unit=town)
    coord = factories.user(["coordinator"], display_name="周协调")
    leader = factories.user(["leader"], display_name="李市长")
    ent = factories.enterprise("青石机械有限公司", town_id=town.id)
    factories.assignment(ent, comm, "commissioner", start=date(2026, 1, 1))
    factories.visit(ent, comm, visit_date=date(2026, 11, 24))
    factories.issue(ent, comm, state="in_progress", title="上周提出的问题", lead_unit_id=unit.id,
                    raised_at=utc(2026, 11, 24, 2), dispatched_at=utc(2026, 11, 24, 3),
                    due_at=utc(2026, 12, 4, 10), warn_at=utc(2026, 12, 3, 10))
    factories.issue(ent, comm, state="in_progress", title="超期很久的问题", lead_unit_id=unit.id,
                    raised_at=utc(2026, 10, 20, 2), dispatched_at=utc(2026, 10, 20, 3),
                    due_at=utc(2026, 11, 10, 10), warn_at=utc(2026, 11, 9, 10))
    factories.issue(ent, comm, state="in_progress", title="刚超期的问题", lead_unit_id=unit.id,
                    raised_at=utc(2026, 11, 2, 2), dispatched_at=utc(2026, 11, 2, 3),
                    due_at=utc(2026, 11, 28, 10), warn_at=utc(2026, 11, 27, 10))
    db.session.commit()
    return coord, leader


@pytest.mark.now("2026-11-30 09:00")  # a Monday
def test_monday_job_renders_last_weeks_bulletin_and_tells_coordinators_and_leaders(app):
    coord, leader = _week()
    briefing_id = bulletin.weekly()
    briefing = db.session.get(Briefing, briefing_id)
    assert briefing.kind == "bulletin" and briefing.subject_key == "bulletin:2026-11-23"
    assert briefing.state == "success", briefing.error
    text = _text(briefing)
    assert "周通报" in text and "2026-11-23" in text and "2026-11-29" in text
    assert "城关镇" in text and "陈特派" in text and "市发改委" in text
    assert "超期很久的问题" in text and "刚超期的问题" not in text  # only > 5 days late
    assert "市发改委" in text.split("低于考核阈值")[1]  # 0 on time, 2 overdue: below 80
    for user in (coord, leader):
        note = db.session.scalar(select(Notification).where(Notification.user_id == user.id))
        assert note is not None and note.link == f"/briefings/{briefing.id}"
    # Once per week.
    assert bulletin.weekly() is None
    assert len(db.session.scalars(select(Briefing)).all()) == 1


@pytest.mark.now("2026-11-29 09:00")  # a Sunday
def test_no_bulletin_on_other_days(app):
    _week()
    assert bulletin.weekly() is None
    assert db.session.scalar(select(Briefing)) is None


@pytest.mark.now("2026-11-30 09:00")
def test_remarks_before_final(app, client, login_as):
    coord, _leader = _week()
    first = db.session.get(Briefing, bulletin.weekly())
    login_as(coord)
    r = client.post_form(f"/briefings/{first.id}/final")
    db.session.expire_all()
    assert not db.session.get(Briefing, first.id).is_final
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "点评" in page
    r = client.post_form("/meetings/bulletins/2026-11-23/remarks",
                         {"remarks": "本周城关镇走访覆盖率偏低，请抓紧。"})
    assert r.status_code == 302
    second = db.session.scalar(select(Briefing).where(Briefing.version == 2))
    assert second.state == "success" and "本周城关镇走访覆盖率偏低" in _text(second)
    client.post_form(f"/briefings/{first.id}/final")
    db.session.expire_all()
    assert not db.session.get(Briefing, first.id).is_final  # without the remarks
    client.post_form(f"/briefings/{second.id}/final")
    db.session.expire_all()
    assert db.session.get(Briefing, second.id).is_final
    listing = client.get("/meetings/bulletins").get_data(as_text=True)
    assert "本周城关镇走访覆盖率偏低" in listing


@pytest.mark.now("2026-11-30 09:00")
def test_other_packages_add_sections_to_the_bulletin(app, monkeypatch):
    _week()
    seen = []

    def context(meeting, now):
        seen.append((meeting, now))
        return {"x": 1}

    monkeypatch.setitem(sections.PACKET, "bulletin", {"probe": sections.Section(
        "probe", 1, "meetings/briefing/_probe_test.html", context)})
    from jinja2 import ChoiceLoader, DictLoader
    monkeypatch.setattr(app, "jinja_loader", ChoiceLoader([
        DictLoader({"meetings/briefing/_probe_test.html": "<h2>专班节点转红</h2>"}),
        app.jinja_loader]))
    app.jinja_env.cache = {}
    briefing = db.session.get(Briefing, bulletin.weekly())
    assert briefing.state == "success", briefing.error
    assert seen and seen[0][0] is None
    assert "专班节点转红" in _text(briefing)


def test_the_worker_schedules_the_weekly_job():
    from crm.scheduling import PERIODIC
    assert (bulletin.JOB, 3600) in PERIODIC


@pytest.mark.now("2026-11-30 09:00")
def test_the_town_table_groups_by_the_enterprises_town_not_the_commissioners_unit(app):
    # Two towns' enterprises served by one commissioner from a department: the table
    # has a row per town of the enterprises, and the department is not a town.
    dept = factories.unit("市经信局")
    east, west = factories.unit("东城镇", kind="town"), factories.unit("西山镇", kind="town")
    comm = factories.user(["commissioner"], display_name="王特派", unit=dept)
    a = factories.enterprise("东城一厂", town_id=east.id)
    b = factories.enterprise("东城二厂", town_id=east.id)
    c = factories.enterprise("西山三厂", town_id=west.id)
    d = factories.enterprise("无镇企业")
    for ent in (a, b, c, d):
        factories.assignment(ent, comm, "commissioner", start=date(2026, 1, 1))
    factories.visit(a, comm, visit_date=date(2026, 11, 24))
    factories.visit(a, comm, visit_date=date(2026, 11, 27))
    factories.visit(c, comm, visit_date=date(2026, 11, 25))
    factories.visit(c, comm, visit_date=date(2026, 11, 30))  # this week: not counted
    db.session.commit()
    ctx = bulletin.week_context(date(2026, 11, 23))
    rows = {r["name"]: (r["visits"], r["cov"].visited, r["cov"].assigned) for r in ctx["towns"]}
    assert rows == {"东城镇": (2, 1, 2), "西山镇": (1, 1, 1), "未设镇办": (0, 0, 1)}
    assert "市经信局" not in rows
    assert ctx["towns"][-1]["name"] == "未设镇办"  # the enterprises without a town last
    briefing = db.session.get(Briefing, bulletin.weekly())
    assert briefing.state == "success", briefing.error
    text = _text(briefing)
    assert "企业所在镇街" in text and "东城镇2" in text and "西山镇1" in text
