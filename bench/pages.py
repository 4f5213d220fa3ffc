"""Page timings through the Flask test client: p50/p95 of warm requests and SQL per page.

Each page is requested by the role that uses it, signed in through the real sign-in
form with the generator's demo accounts. The time is taken around the WSGI call in
the same process (no network), i.e. the server's own time for the request.
"""
from __future__ import annotations

import re
import statistics
import time
import uuid
from datetime import timedelta

from sqlalchemy import event, func, select

from crm.extensions import db

FETCH = {"X-Requested-With": "fetch"}


class _Counter:
    def __init__(self):
        self.n = 0

    def __call__(self, *args):
        self.n += 1


def _p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _client(app, username):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    data = {"username": username, "password": "crm-demo"}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/login", data=data)
    assert response.status_code == 302, f"sign-in as {username} failed"
    return client


def _token(client, url):
    html = client.get(url).get_data(as_text=True)
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return m.group(1) if m else ""


def subjects():
    """Ids the pages are asked for: the demo commissioner's enterprise, a problem of the
    demo leader, the latest meeting, a name / code / pinyin to search for, the demo
    leader's task force and one of its key projects, the enterprise's own code."""
    from crm.auth.models import User
    from crm.enterprises.models import Assignment, Enterprise
    from crm.issues.models import Issue
    from crm.meetings.models import Meeting
    from crm.taskforces.models import Project, TaskForce

    users = dict(db.session.execute(select(User.username, User.id).where(User.username.in_(
        ["commissioner", "leader", "coordinator", "handler"]))).all())
    ent_id = db.session.scalar(select(Assignment.enterprise_id).where(
        Assignment.user_id == users["commissioner"], Assignment.role == "commissioner",
        Assignment.end_date.is_(None)).order_by(Assignment.enterprise_id).limit(1))
    ent = db.session.get(Enterprise, ent_id)
    leader_ents = select(Assignment.enterprise_id).where(Assignment.user_id == users["leader"])
    issue_id = db.session.scalar(select(func.max(Issue.id)).where(
        Issue.enterprise_id.in_(leader_ents), Issue.state == "in_progress"))
    meeting_id = db.session.scalar(select(func.max(Meeting.id)))
    tf_id = db.session.scalar(select(func.min(TaskForce.id)).where(
        TaskForce.leader_id == users["leader"])) or db.session.scalar(
        select(func.min(TaskForce.id)))
    project_id = db.session.scalar(select(func.min(Project.id)).where(
        Project.task_force_id == tf_id)) or db.session.scalar(select(func.min(Project.id)))
    return dict(ent=ent_id, issue=issue_id, meeting=meeting_id,
                name=ent.name[2:6], code=ent.credit_code, pinyin=ent.name_initials[2:6],
                task_force=tf_id, project=project_id, channel=ent.channel_code)


FLOOR = "floor: base page, navigation, one query"
ANONYMOUS = "signed out"  # the role of a page requested without signing in
FLOOR_URL = "/_bench/floor"


def register_floor(app) -> None:
    """The floor page: the base template with the signed-in user's navigation and one
    primary-key query — what any page costs on this stack in this run. Every other
    page is reported as a multiple of it (issue 19: targets as multiples of a floor
    measured in the same run, since machines differ by 2×)."""
    from flask import render_template_string, request
    from flask_login import login_required

    from crm.enterprises.models import Enterprise

    @login_required
    def floor():
        ent = db.session.get(Enterprise, request.args.get("id", 1, type=int))
        return render_template_string(
            '{% extends "base.html" %}{% block content %}<p>{{ e.name if e else "" }}</p>'
            '{% endblock %}', e=ent)

    app.add_url_rule(FLOOR_URL, "bench_floor", floor)


def page_list(s):
    """(label, role, method, url) for every page the benchmark times."""
    return [
        (FLOOR, "coordinator", "GET", FLOOR_URL),
        ("commissioner: my week", "commissioner", "GET", "/visits/week"),
        ("commissioner: visit submit", "commissioner", "POST", f"/visits/new/{s['ent']}"),
        ("commissioner: enterprise page", "commissioner", "GET", f"/enterprises/{s['ent']}"),
        ("leader: portfolio", "leader", "GET", "/enterprises/mine"),
        ("leader: portfolio, the others (on demand)", "leader", "GET",
         "/enterprises/mine?rest=1"),
        ("leader: problem page", "leader", "GET", f"/problems/{s['issue']}"),
        ("coordinator: enterprise list", "coordinator", "GET", "/enterprises/"),
        ("coordinator: search by name", "coordinator", "GET", f"/enterprises/?q={s['name']}"),
        ("coordinator: search by code", "coordinator", "GET", f"/enterprises/?q={s['code']}"),
        ("coordinator: search by pinyin", "coordinator", "GET",
         f"/enterprises/?q={s['pinyin']}"),
        ("coordinator: enterprise page", "coordinator", "GET", f"/enterprises/{s['ent']}"),
        ("coordinator: problem board", "coordinator", "GET", "/problems/"),
        ("coordinator: board, red in progress", "coordinator", "GET",
         "/problems/?state=in_progress&light=red"),
        ("coordinator: triage", "coordinator", "GET", "/problems/triage"),
        ("coordinator: problem page", "coordinator", "GET", f"/problems/{s['issue']}"),
        ("handler: inbox", "handler", "GET", "/problems/inbox"),
        ("coordinator: month overview (cached)", "coordinator", "GET", "/meetings/overview"),
        ("coordinator: month overview (after a problem of this month is written)",
         "coordinator", "GET", "/meetings/overview"),
        ("coordinator: month overview (after a problem of last month is written)",
         "coordinator", "GET", "/meetings/overview"),
        ("coordinator: month overview (after a visit is logged)", "coordinator", "GET",
         "/meetings/overview"),
        ("coordinator: month overview (nothing cached)", "coordinator", "GET",
         "/meetings/overview"),
        ("coordinator: meeting page", "coordinator", "GET", f"/meetings/{s['meeting']}"),
        # The pages of issues 15–18 (task forces, 政银企, ratings and 回访, bulletins).
        ("leader: task forces", "leader", "GET", "/taskforces/"),
        ("leader: task force page", "leader", "GET", f"/taskforces/{s['task_force']}"),
        ("leader: key project page", "leader", "GET",
         f"/taskforces/projects/{s['project']}"),
        ("leader: problems of my enterprises", "leader", "GET", "/problems/leader"),
        ("leader: scorecards", "leader", "GET", "/meetings/scorecards"),
        ("leader: bulletins", "leader", "GET", "/meetings/bulletins"),
        ("coordinator: financing needs", "coordinator", "GET", "/financing/"),
        ("bank: recommendation queue", "bank", "GET", "/financing/bank/"),
        ("coordinator: follow-up queue", "coordinator", "GET", "/problems/follow-ups"),
        ("coordinator: appeals", "coordinator", "GET", "/problems/appeals"),
        ("coordinator: case groups", "coordinator", "GET", "/problems/case-groups"),
        ("coordinator: coverage", "coordinator", "GET", "/visits/coverage"),
        ("coordinator: shared visits", "coordinator", "GET", "/visits/shared"),
        ("enterprise: code page (signed out)", ANONYMOUS, "GET", f"/c/{s['channel']}"),
    ]


def time_pages(app, repeat: int = 20, warm: int = 2) -> list[dict]:
    """Time every page; returns one dict per page (p50, p95 in ms, queries, status)."""
    from crm.core.timeutil import local_today
    from crm.meetings.metrics import cache

    with app.app_context():
        s = subjects()
    # Requests run outside any pushed app context, each in its own (as in production).
    clients = {role: _client(app, role) for role in
               ("commissioner", "leader", "coordinator", "handler")}
    clients["bank"] = _client(app, "bank")
    clients[ANONYMOUS] = app.test_client()
    visit_token = _token(clients["commissioner"], f"/visits/new/{s['ent']}")
    counter = _Counter()
    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
    rows = []
    try:
        for label, role, method, url in page_list(s):
            client, times, queries, status = clients[role], [], [], None
            for i in range(warm + repeat):
                # What a commit does to the cache (crm.meetings.metrics.cache): a
                # problem written bumps the problem figures, a visit its month's.
                this_month = local_today().replace(day=1)
                months = [this_month, (this_month - timedelta(days=1)).replace(day=1)]
                if "after a problem of this month" in label:
                    with app.app_context():
                        cache.invalidate(app, ("problems", cache.problem_month_domain(
                            f"{months[0]:%Y-%m}")))
                elif "after a problem of last month" in label:
                    with app.app_context():
                        cache.invalidate(app, ("problems", *(cache.problem_month_domain(
                            f"{m:%Y-%m}") for m in months)))
                elif "after a visit" in label:
                    with app.app_context():
                        cache.invalidate(app, (cache.visit_month_domain(
                            f"{local_today():%Y-%m}"),))
                elif "nothing cached" in label:
                    with app.app_context():
                        cache.invalidate(app)
                counter.n = 0
                t0 = time.perf_counter()
                if method == "POST":
                    response = client.post(url, headers=FETCH, data={
                        "csrf_token": visit_token, "client_uuid": str(uuid.uuid4()),
                        "visit_date": local_today().isoformat(), "mode": "onsite",
                        "status_seen": "normal", "summary": "走访了解生产经营情况",
                        # Repeats are visits of their own, not the 补充/另记 question (409).
                        "same_day": "separate"})
                else:
                    response = client.get(url)
                elapsed = (time.perf_counter() - t0) * 1000
                status = response.status_code
                if i >= warm:
                    times.append(elapsed)
                    queries.append(counter.n)
            rows.append(dict(page=label, url=url, method=method, status=status,
                             p50_ms=round(statistics.median(times), 1),
                             p95_ms=round(_p(times, 0.95), 1), queries=max(queries),
                             n=len(times)))
            print(f"  {label:<46} p50 {rows[-1]['p50_ms']:7.1f}  p95 {rows[-1]['p95_ms']:7.1f}"
                  f"  q {rows[-1]['queries']:3d}  [{status}]", flush=True)
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return rows
