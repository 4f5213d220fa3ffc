"""The coordinator's overview page: what a coordinator reads on it, where each number
leads, the month picker, the query count at two data sizes and the cache."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.liaisons.models import Visit
from tests import factories
from tests.meetings.conftest import NOW, local

TODAY = date(2026, 11, 2)


@pytest.fixture
def frozen(monkeypatch):
    """The page's clock set to Monday 2 November 2026, 10:00 in Shanghai."""
    monkeypatch.setattr("crm.meetings.metrics.utcnow", lambda: NOW)
    monkeypatch.setattr("crm.meetings.views.overview.local_today", lambda: TODAY)


def text_of(html: str, testid: str) -> str:
    """The text of the element with ``data-testid`` (tags stripped, spaces squeezed)."""
    start = html.index(f'data-testid="{testid}"')
    start = html.rfind("<", 0, start)
    tag = re.match(r"<(\w+)", html[start:]).group(1)
    depth, pos = 0, start
    for m in re.finditer(rf"<(/?){tag}\b[^>]*>", html[start:]):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            pos = start + m.end()
            break
    return " ".join(re.sub(r"<[^>]+>", " ", html[start:pos]).split())


def test_coordinator_reads_october_against_september(client, login_as, county, frozen):
    login_as("coordinator")
    html = client.get("/meetings/overview?month=2026-10").get_data(as_text=True)
    assert "工作概览" in text_of(html, "home-heading")
    assert "2026年10月" in text_of(html, "overview-month")
    assert "与2026年9月比较" in text_of(html, "overview-month")  # a finished month
    assert text_of(html, "kpi-raised") == "本期提出 6 较上月 ↑ 3 含尚未交办的问题"
    assert text_of(html, "kpi-dispatched") == "本期受理 5 较上月 ↑ 3 首次交办给主办单位"
    assert text_of(html, "kpi-resolved") == "本期办结 3 较上月 ↑ 2 不论何时提出"
    # The rate's numerator is the resolved count beside it: 3 ÷ (3 + 4 pending).
    assert text_of(html, "kpi-resolution-rate") == (
        "办结率 42.9% 较上月 ↑ 9.5 个百分点 办结 3 ÷（办结 3 + 在办 4 ）")
    assert text_of(html, "kpi-on-time-rate") == (
        "按期办结率 66.7% 较上月 ↓ 33.3 个百分点 办结 3 件中按期 2 件")
    assert text_of(html, "kpi-avg-days") == (
        "平均办理工作日 8.0 较上月 ↑ 3.0 个工作日 按本期办结 3 件计")
    assert text_of(html, "kpi-pending") == "在办 4 较上月 ↑ 2 已交办、至月末尚未办结"
    assert text_of(html, "kpi-satisfaction") == (
        "满意率 33.3% 较上月 ↓ 66.7 个百分点 评价 3 次，满意 1 次，企业自评 2 次")
    assert text_of(html, "kpi-reopen-rate") == "重办率 0.0% 较上月 持平 办结 3 件中经重办 0 件"
    assert text_of(html, "kpi-supervised") == "督办问题 2 较上月 ↑ 1"
    assert text_of(html, "kpi-overdue").startswith("当前超期 2")
    assert text_of(html, "kpi-visits") == "走访记录 4 较上月 ↑ 1 按走访日期统计"
    # Better or worse is shown by colour: fewer resolved on time is bad, more resolved
    # good, more pending bad.
    assert re.search(r'text-danger" data-delta="down">较上月 ↓ 33.3', html)
    assert re.search(r'text-success" data-delta="up">较上月 ↑ 2', html)
    assert re.search(r'text-danger" data-delta="up">较上月 ↑ 2', html)


def test_each_number_links_to_the_list_it_counts(client, login_as, county, frozen):
    login_as("coordinator")
    html = client.get("/meetings/overview?month=2026-10").get_data(as_text=True)
    assert ('href="/problems/?raised_from=2026-10-01&amp;raised_to=2026-10-31" '
            'data-testid="kpi-raised-link"') in html
    assert 'href="/problems/?light=red" data-testid="kpi-overdue-link"' in html
    a, b = county.unit_a.id, county.unit_b.id
    assert (f'href="/problems/?light=red&amp;lead_unit={a}" '
            'data-testid="red-unit-count"') in html
    assert (f'href="/problems/?handled_from=2026-10-01&amp;handled_to=2026-10-31'
            f'&amp;lead_unit={b}"') in html
    assert f'href="/problems/{county.p[7].id}" data-testid="red-problem"' in html


def test_red_list_league_and_escalated(client, login_as, county, frozen):
    login_as("coordinator")
    html = client.get("/meetings/overview?month=2026-10").get_data(as_text=True)
    red = text_of(html, "red-list")
    assert "经济和信息化局 超期 1 件" in red and "自然资源局 超期 1 件" in red
    assert "厂区道路被堵" in red and "华兴机械有限公司" in red
    assert f"{county.p[3].number}" in red and "已超期 9 个工作日" in red
    league = text_of(html, "league")
    # A: 2 resolved, 2 pending (50 %); B: 1 resolved, 2 pending (33.3 %) → A ranks
    # first; the undispatched problem has no row. Under each rate: numerator / base.
    assert league.index("经济和信息化局") < league.index("自然资源局")
    assert ("1 经济和信息化局 2 2 2 50.0% 2 / 4 50.0% 1 / 2 4.0 33.3% 1 / 3 0.0% 0 / 2 1 1"
            in league)
    assert ("2 自然资源局 3 1 2 33.3% 1 / 3 100.0% 1 / 1 16.0 — 0 / 0 0.0% 0 / 1 1 1"
            in league)
    escalated = text_of(html, "escalated")
    assert "厂区道路被堵" in escalated and "超期" in escalated
    assert county.p[8].number not in escalated  # escalated but closed
    # Both charts are inline SVG with the CJK font named on the <svg> itself.
    assert html.count('font-family="Noto Sans CJK SC"') == 2
    assert 'data-testid="chart-trend"' in html and 'data-testid="chart-red"' in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>")[0]


def test_current_month_by_default(client, login_as, county, frozen):
    login_as("coordinator")
    html = client.get("/meetings/overview").get_data(as_text=True)
    assert "2026年11月" in text_of(html, "overview-month")
    assert text_of(html, "kpi-raised").startswith("本期提出 0")
    assert "与上月同期" in text_of(html, "overview-month")  # the month is running
    assert 'value="2026-11"' in html
    assert 'href="/meetings/overview?month=2026-10"' in html  # previous month
    assert "month=2026-12" not in html  # no next month from the current one


@pytest.mark.parametrize("typed, message", [
    ("abc", "请按“2026-10”的格式输入月份。"),
    ("2026-13", "请按“2026-10”的格式输入月份。"),
    ("1999-05", "请按“2026-10”的格式输入月份。"),
    ("2027-01", "只能选择本月或以前的月份。"),
])
def test_a_wrong_month_is_explained_not_a_500(client, login_as, app, frozen, typed, message):
    login_as("coordinator")
    response = client.get(f"/meetings/overview?month={typed}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert text_of(html, "month-error") == message
    assert f'value="{typed}"' in html  # what was typed is kept
    assert "2026年11月" in text_of(html, "overview-month")  # the current month instead


def test_empty_county(client, login_as, app, frozen):
    login_as("coordinator")
    html = client.get("/meetings/overview").get_data(as_text=True)
    assert text_of(html, "kpi-resolution-rate").startswith("办结率 — 无可比数据")
    assert "目前没有超期问题。" in html
    assert "本月暂无单位办理问题。" in html
    assert "目前没有提交下次联席会议的问题。" in html


@pytest.mark.parametrize("role", ["leader", "commissioner", "handler", "admin"])
def test_only_coordinators(client, login_as, app, role):
    login_as(role)
    assert client.get("/meetings/overview").status_code == 403


def populate(size: int) -> None:
    """``size`` units, each with problems in every figure: raised, resolved on time,
    rated, reopened, supervised, red, escalated; plus visits."""
    for n in range(size):
        unit = factories.unit()
        cat = factories.category(lead_unit=unit)
        who = factories.user(["commissioner"])
        ent = factories.enterprise()
        factories.assignment(ent, who, start=date(2026, 1, 1))
        factories.assignment(ent, factories.user(["leader"]), "leader_a", start=date(2026, 1, 1))
        for month in (9, 10):
            done = factories.issue(
                ent, who, "closed", lead_unit_id=unit.id, category_id=cat.id,
                raised_at=local(2026, month, 3), dispatched_at=local(2026, month, 3, 15),
                resolved_at=local(2026, month, 9), resolved_on_time=n % 2 == 0,
                closed_at=local(2026, month, 10), rating=4 + n % 2, rating_channel="self",
                rated_at=local(2026, month, 10))
            factories.issue_event(done, "reopen", at=local(2026, month, 6),
                                  to_state="reopened")
            red = factories.issue(
                ent, who, "in_progress", lead_unit_id=unit.id, category_id=cat.id,
                raised_at=local(2026, month, 12), dispatched_at=local(2026, month, 12, 15),
                due_at=local(2026, month, 20), warn_at=local(2026, month, 19),
                is_escalated=month == 10)
            factories.issue_event(red, "supervise", at=local(2026, month, 25))
            factories.visit(ent, who, visit_date=date(2026, month, 15))
    db.session.commit()


def test_query_count_does_not_grow_with_data(client, login_as, app, frozen, queries):
    login_as("coordinator")
    counts = []
    for size in (1, 10):
        populate(size)
        with queries() as q:
            html = client.get("/meetings/overview?month=2026-10").get_data(as_text=True)
        assert "data-testid=\"league-row\"" in html
        counts.append(q.count)
    assert counts[0] == counts[1]
    # Nothing cached (the tests' default): at most 12 statements with every section
    # that a package above adds (crm.meetings.sections: 专班, financing, flags, 回访).
    assert counts[1] <= 12, counts
    assert text_of(html, "kpi-raised").startswith("本期提出 22")


def test_cache_is_reused_until_a_write(client, login_as, county, frozen, queries, monkeypatch):
    monkeypatch.setitem(client.application.config, "METRICS_CACHE_SECONDS", 60)
    from crm.meetings import metrics

    metrics.invalidate()
    login_as("coordinator")
    with queries() as first:
        client.get("/meetings/overview?month=2026-10")
    with queries() as second:
        html = client.get("/meetings/overview?month=2026-10").get_data(as_text=True)
    assert second.count < first.count
    assert text_of(html, "kpi-raised").startswith("本期提出 6")
    # A problem raised in October (a write through the session) shows at once.
    factories.issue(county.e1, county.k1, raised_at=local(2026, 10, 29))
    db.session.commit()
    html = client.get("/meetings/overview?month=2026-10").get_data(as_text=True)
    assert text_of(html, "kpi-raised").startswith("本期提出 7")


def test_cache_entry_expires(app, county, monkeypatch):
    from crm.meetings.metrics import cache

    monkeypatch.setitem(app.config, "METRICS_CACHE_SECONDS", 60)
    calls = []
    clock = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    cache.invalidate(app)
    for _ in range(2):
        cache.cached("k", lambda: calls.append(1) or len(calls))
    assert calls == [1]
    clock[0] += 61
    assert cache.cached("k", lambda: calls.append(1) or len(calls)) == 2


def test_a_visit_only_recomputes_the_visit_figures(client, login_as, county, frozen, queries,
                                                   monkeypatch):
    monkeypatch.setitem(client.application.config, "METRICS_CACHE_SECONDS", 60)
    login_as("coordinator")
    client.get("/meetings/overview?month=2026-10")
    factories.visit(county.e4, county.k3, visit_date=date(2026, 10, 31))
    db.session.commit()
    with queries() as q:
        html = client.get("/meetings/overview?month=2026-10").get_data(as_text=True)
    assert text_of(html, "kpi-visits").startswith("走访记录 5")
    # Only the visit figures were counted again, not the problems: one statement for
    # October's visits, September's from its rollup and the health flags seen on visits
    # (the section crm.meetings.health_flags adds).
    assert sum("issues" in s for s in q.statements) == 0
    assert sum("visits" in s for s in q.statements) == 1
    # A visit moved into September (a late entry corrected) invalidates both months.
    visit = db.session.scalars(select(Visit).order_by(Visit.id.desc())).first()
    visit.visit_date = date(2026, 9, 30)
    db.session.commit()
    with queries() as q:
        html = client.get("/meetings/overview?month=2026-10").get_data(as_text=True)
    assert sum("visits" in s for s in q.statements) == 1  # both months, October's flags
    assert text_of(html, "kpi-visits").startswith("走访记录 4 较上月 持平")


def test_cache_version_is_shared_through_redis(app, redis_url, monkeypatch):
    """With Redis, a write committed by another process (simulated by bumping the
    shared version) invalidates this process's entry."""
    from redis import Redis

    from crm.meetings.metrics import cache

    monkeypatch.setitem(app.config, "METRICS_CACHE_SECONDS", 60)
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    shared = Redis.from_url(redis_url)
    calls = []
    for _ in range(2):
        cache.cached("shared", lambda: calls.append(1) or len(calls), domains=("problems",))
    assert calls == [1]
    shared.incr(cache.REDIS_KEY.format("visits"))  # another domain: still valid
    assert cache.cached("shared", lambda: calls.append(1) or len(calls),
                        domains=("problems",)) == 1
    shared.incr(cache.REDIS_KEY.format("problems"))  # another host committed a problem
    assert cache.cached("shared", lambda: calls.append(1) or len(calls),
                        domains=("problems",)) == 2
    factories.unit()
    db.session.commit()  # this process's own write bumps Redis too (units: both domains)
    assert [int(v) for v in shared.mget(cache.REDIS_KEY.format("problems"),
                                        cache.REDIS_KEY.format("visits"))] == [2, 2]


def test_overdue_days_shown_for_problems_older_than_the_period(client, login_as, county,
                                                               frozen):
    factories.issue(county.e3, county.k2, "in_progress", lead_unit_id=county.unit_b.id,
                    dispatched_at=NOW - timedelta(days=400), due_at=NOW - timedelta(days=380),
                    warn_at=NOW - timedelta(days=381), title="历史遗留问题")
    db.session.commit()
    login_as("coordinator")
    html = client.get("/meetings/overview?month=2026-10").get_data(as_text=True)
    assert "历史遗留问题" in text_of(html, "red-list")
    assert "自然资源局 超期 2 件" in text_of(html, "red-list")


def test_cached_parts_add_up_to_the_snapshot(app, county, frozen, monkeypatch):
    from crm.meetings import metrics

    monkeypatch.setitem(app.config, "METRICS_CACHE_SECONDS", 60)
    metrics.invalidate()
    cold = metrics.cached_snapshot(2026, 10)
    warm = metrics.cached_snapshot(2026, 10)
    assert cold == warm == metrics.snapshot(2026, 10, NOW)
    assert cold.overview.previous.raised == 3 and cold.overview.current.overdue_now > 0


def test_a_write_recomputes_only_the_part_it_touches(app, county, frozen, monkeypatch):
    from crm.meetings import metrics
    from crm.meetings.metrics import daily

    monkeypatch.setitem(app.config, "METRICS_CACHE_SECONDS", 60)
    metrics.invalidate()
    computed = []
    for name in ("problem_figures", "visit_figures"):
        real = getattr(daily, name)
        monkeypatch.setattr(daily, name, lambda *a, _n=name, _f=real, **k:
                            computed.append(_n) or _f(*a, **k))
    before = metrics.cached_snapshot(2026, 10)
    assert computed == ["problem_figures", "visit_figures"]
    # A problem raised in October: the problems are counted again, not the visits.
    factories.issue(county.e1, county.k1, raised_at=local(2026, 10, 29))
    db.session.commit()
    after = metrics.cached_snapshot(2026, 10)
    assert computed[2:] == ["problem_figures"]
    assert after.overview.current.raised == before.overview.current.raised + 1
    assert after.overview.previous == before.overview.previous
    # A September problem's rating corrected: September's figures follow.
    september = county.p[8]
    september.rating = 2
    db.session.commit()
    again = metrics.cached_snapshot(2026, 10)
    assert computed[3:] == ["problem_figures"]
    assert again.overview.previous.satisfied == before.overview.previous.satisfied - 1
    assert again == metrics.snapshot(2026, 10, NOW)


def test_a_cached_overview_costs_two_statements(client, login_as, county, frozen, queries,
                                                monkeypatch):
    """With the figures and every section in the cache, the page reads the signed-in
    user and the unread notices, nothing else."""
    monkeypatch.setitem(client.application.config, "METRICS_CACHE_SECONDS", 60)
    login_as("coordinator")
    client.get("/meetings/overview?month=2026-10")
    with queries() as q:
        html = client.get("/meetings/overview?month=2026-10").get_data(as_text=True)
    assert 'data-testid="league-row"' in html
    assert q.count == 2, q.statements
