"""The unit scorecard (考核): the formula against a hand-computed example, the ranking
page with the breakdown, the admin's weights, the automatic 督办 notice, the packets."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from crm.core.models import Notification
from crm.extensions import db
from crm.issues.followups import FollowUp
from crm.meetings import scorecards
from tests import factories
from tests.issues.conftest import utc

NOV = (date(2026, 11, 1), date(2026, 11, 30))


def _unit_with_a_month(ent=None):
    """A unit's November 2026 (the clock: 25 November, 14:30):

    * 4 problems first dispatched in November, 3 signed by the sign deadline → 3/4;
    * 2 of them resolved in November, 1 on time, 1 after a reopening → 1/2 and 1/2;
    * 1 problem returned by the unit's handler, also one of the 4 dispatched to it →
      1 / 4 (the rate's base counts each problem once);
    * overdue: the late resolution + the 2 still open past their due time → 3;
    * ratings 5 and 2; a follow-up call found the 2 satisfied after all → 2/2;
    * 2 supervision notices on one problem → 1 problem supervised.
    """
    unit = factories.unit("市住建局")
    handler = factories.user(["handler"], unit=unit)
    ent = ent or factories.enterprise()
    d, sd = utc(2026, 11, 2, 2), utc(2026, 11, 3, 10)
    common = dict(lead_unit_id=unit.id, dispatched_at=d, sign_due_at=sd)
    good = factories.issue(ent, state="closed", signed_at=utc(2026, 11, 2, 5),
                           resolved_at=utc(2026, 11, 10, 2), resolved_on_time=True,
                           due_at=utc(2026, 11, 11, 10), rating=5, rated_at=utc(2026, 11, 12, 2),
                           closed_at=utc(2026, 11, 12, 2), rating_channel="self", **common)
    low = factories.issue(ent, state="closed", signed_at=utc(2026, 11, 2, 6),
                          resolved_at=utc(2026, 11, 18, 2), resolved_on_time=False,
                          due_at=utc(2026, 11, 11, 10), reopen_count=1, rating=2,
                          rated_at=utc(2026, 11, 19, 2), closed_at=utc(2026, 11, 19, 2),
                          rating_channel="recorded", **common)
    factories.issue(ent, state="in_progress", signed_at=utc(2026, 11, 2, 7),
                    due_at=utc(2026, 11, 20, 10), **common)
    late_open = factories.issue(ent, state="in_progress", signed_at=utc(2026, 11, 4, 2),
                                due_at=utc(2026, 11, 20, 10), **common)
    factories.issue_event(late_open, "return", at=utc(2026, 11, 2, 3), actor=handler)
    factories.issue_event(late_open, "supervise", at=utc(2026, 11, 21, 2))
    factories.issue_event(late_open, "supervise", at=utc(2026, 11, 22, 2))
    db.session.add(FollowUp(issue_id=low.id, source="low_rating", rating=2,
                            rating_channel="recorded", rated_at=low.rated_at,
                            due_at=utc(2026, 11, 23, 10), done_at=utc(2026, 11, 20, 2),
                            is_reached=True, verdict="satisfied", is_contradiction=True))
    db.session.flush()
    return unit, handler, good


def test_the_formula_against_a_hand_computed_example(app):
    unit, _handler, _good = _unit_with_a_month()
    idle = factories.unit("市档案馆")
    cards = {c.unit_id: c for c in scorecards.compute(*NOV)}
    card = cards[unit.id]
    p = card.parts
    assert (p["sign_rate"].num, p["sign_rate"].den) == (3, 4)
    assert (p["on_time_rate"].num, p["on_time_rate"].den) == (1, 2)
    assert (p["return_rate"].num, p["return_rate"].den) == (1, 4)
    assert p["overdue"].num == 3
    assert (p["reopen_rate"].num, p["reopen_rate"].den) == (1, 2)
    assert (p["satisfaction_rate"].num, p["satisfaction_rate"].den) == (2, 2)
    assert p["supervised"].num == 1
    # Part scores: 75, 50, 75, 100 − 3×10 = 70, 50, 100, 100 − 1×10 = 90; default weights
    # 10, 25, 10, 15, 10, 20, 10:
    # (750 + 1250 + 750 + 1050 + 500 + 2000 + 900) ÷ 100 = 72.0
    assert [p[n].score for n in scorecards.FIGURES] == [75, 50, 75, 70, 50, 100, 90]
    assert card.score == 72.0 and card.rank == 1
    assert cards[idle.id].score is None and cards[idle.id].rank is None


def test_the_admins_weights_change_the_score(app, client, login_as):
    unit, _h, _g = _unit_with_a_month()
    db.session.commit()
    admin = login_as("admin")
    page = client.get("/meetings/admin/scorecard").get_data(as_text=True)
    assert "Σ wᵢ × sᵢ ÷ Σ wᵢ" in page and "按期签收率" in page
    data = {f"w_{n}": "0" for n in scorecards.FIGURES}
    data.update(w_on_time_rate="1", w_satisfaction_rate="1", threshold="60",
                overdue_penalty="5", supervise_penalty="5")
    r = client.post_form("/meetings/admin/scorecard", data)
    assert r.status_code == 302
    card = next(c for c in scorecards.compute(*NOV) if c.unit_id == unit.id)
    assert card.score == 75.0  # (50 + 100) ÷ 2
    bad = client.post_form("/meetings/admin/scorecard", {**data, "threshold": "101"})
    assert bad.status_code == 400 and scorecards.settings()["threshold"] == 60
    assert admin is not None


def test_ranking_page_shows_month_year_and_breakdown(app, client, login_as):
    unit, _h, _g = _unit_with_a_month()
    db.session.commit()
    login_as("coordinator")
    page = client.get("/meetings/scorecards?month=2026-11").get_data(as_text=True)
    month = page[page.index('data-testid="scorecard-month"'):page.index('data-testid="scorecard-year"')]
    row = re.search(r'data-unit="市住建局".*?</tr>', month, re.S).group(0)
    assert "72.0" in row and ">1</a>/<a" in row
    assert 'data-testid="scorecard-year"' in page
    # The counts that have a list filter open exactly the problems they count.
    sign = re.search(r'href="([^"]+)"[^>]*data-base="sign_rate">4<', row).group(1)
    listed = client.get(sign.replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(r"共\s*4\s*件", listed)
    on_time = re.search(r'href="([^"]+)"[^>]*data-base="on_time_rate">2<', row).group(1)
    listed = client.get(on_time.replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(r"共\s*2\s*件", listed)


def test_units_below_the_threshold_get_a_supervision_notice_once(app):
    unit, handler, _g = _unit_with_a_month()
    assert scorecards.notify_below_threshold(2026, 11) == 1
    assert scorecards.notify_below_threshold(2026, 11) == 0
    note = db.session.scalar(select(Notification).where(Notification.user_id == handler.id))
    assert note.kind == "scorecard_supervision" and "72.0" in note.text and "督办" in note.text


def test_ranking_and_breakdown_in_the_monthly_packet(app, client, login_as):
    import io

    from pypdf import PdfReader

    from crm.meetings.models import Briefing, Meeting

    _unit_with_a_month()
    db.session.commit()
    login_as("coordinator")
    client.post_form("/meetings/new", {"kind": "joint", "month": "2026-11"})
    meeting = db.session.scalar(select(Meeting))
    client.post_form(f"/briefings/meeting/{meeting.id}")
    briefing = db.session.scalar(select(Briefing))
    assert briefing.state == "success", briefing.error
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in
                                       PdfReader(io.BytesIO(briefing.pdf)).pages))
    assert "单位考核排名" in text and "市住建局" in text and "72.0" in text and "3/4" in text


def test_the_ranking_page_shows_the_units_by_pages(app, client, login_as):
    """A province has thousands of units: the page shows 50 of each ranking at a time,
    the ranked units first, with a pager; the count of units and of those below the
    threshold covers them all. A page number out of range shows the nearest page."""
    from crm.meetings.views.scorecards import PAGE_SIZE

    unit, _h, _g = _unit_with_a_month()
    for n in range(PAGE_SIZE + 5):
        factories.unit(f"镇{n:03d}")
    db.session.commit()
    login_as("coordinator")

    def rows(page):
        html = client.get(f"/meetings/scorecards?month=2026-11&page={page}").get_data(
            as_text=True)
        month = html[html.index('data-testid="scorecard-month"'):
                     html.index('data-testid="scorecard-year"')]
        return html, re.findall(r'<tr data-unit="([^"]+)"', month)

    html, first = rows(1)
    assert len(first) == PAGE_SIZE and first[0] == unit.name
    from crm.auth.models import Unit

    active = db.session.scalar(select(func.count()).select_from(Unit).where(Unit.is_active))
    line = re.search(r'data-testid="scorecard-units">([^<]*)<', html).group(1)
    assert str(active) in line and "1" in line  # the units, and the one below the threshold
    assert "page=2" in html
    _html, second = rows(2)
    assert len(second) == 6 and not set(first) & set(second)
    assert rows(99)[1] == second and rows("x")[1] == first
