"""Web security: CSRF on every POST, response headers, cookies, sign-in throttling on
Redis, no user enumeration, and user text always escaped."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm import create_app
from crm.config import TestConfig
from crm.extensions import db
from tests import factories
from tests.conftest import CRMClient
from tests.security.test_permission_matrix import build_world

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def row_counts() -> dict[str, int]:
    """Rows in every table (the "nothing was written" check)."""
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


def test_every_post_route_refuses_a_missing_csrf_token(app, client, login_as):
    """Each POST route without a token answers 400 with the Chinese page; nothing written."""
    world = build_world("coordinator")
    boss = world["me"]
    boss.roles = ["coordinator", "admin", "leader", "commissioner", "handler"]
    db.session.commit()
    login_as(boss)
    before = row_counts()
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        url = rule.build({a: world["own"][a] for a in rule.arguments}, append_unknown=False)[1]
        response = client.post(url, data={"name": "x", "title": "x", "text": "x"})
        assert response.status_code == 400, (url, response.status_code)
        assert "页面已过期" in response.get_data(as_text=True) or "过期" in response.get_data(
            as_text=True), url
        checked += 1
    db.session.expire_all()
    assert row_counts() == before
    assert checked >= 40


@pytest.mark.parametrize("url", ["/login", "/no-such-page", "/healthz", "/static/app.css"])
def test_security_headers_on_every_kind_of_response(client, url):
    """CSP without inline script, no framing, no sniffing, same-origin referrer."""
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def _session_cookie(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_session_cookie_is_httponly_and_samesite(client, login_as):
    """The session cookie cannot be read by script nor sent by other sites' forms."""
    user = factories.user(roles=["commissioner"])
    db.session.commit()
    response = client.post_form("/login", {"username": user.username,
                                            "password": factories.PASSWORD})
    cookie = _session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie   # plain HTTP on the test server


def test_session_cookie_is_secure_behind_https():
    """With SESSION_COOKIE_SECURE (behind an HTTPS proxy) the cookie is Secure too."""

    class Cfg(TestConfig):
        SESSION_COOKIE_SECURE = True

    app = create_app(Cfg)
    app.test_client_class = CRMClient
    with app.app_context():
        db.create_all()
        user = factories.user(roles=["commissioner"])
        db.session.commit()
        client = app.test_client()
        token = client.csrf_token("https://localhost/login")
        response = client.post("https://localhost/login", data={
            "csrf_token": token, "username": user.username, "password": factories.PASSWORD},
            headers={"Referer": "https://localhost/login"})
        assert response.status_code == 302   # signed in (not the CSRF page's cookie)
        cookie = _session_cookie(response)
        assert "Secure" in cookie and "HttpOnly" in cookie
        db.session.remove()


def test_sign_in_is_rate_limited_on_redis(redis_url):
    """The sign-in limit counts in Redis (shared by every web process) and answers 429."""
    from redis import Redis

    class Cfg(TestConfig):
        RATELIMIT_STORAGE_URI = redis_url
        RATELIMIT_LOGIN = "3 per minute"

    app = create_app(Cfg)
    app.test_client_class = CRMClient
    with app.app_context():
        db.create_all()
        client = app.test_client()
        token = client.csrf_token("/login")
        codes = [client.post("/login", data={"csrf_token": token, "username": f"nobody{i}",
                                             "password": "wrong"}).status_code
                 for i in range(5)]
        assert codes[:3] == [200, 200, 200]
        assert codes[3:] == [429, 429]
        page = client.post("/login", data={"csrf_token": token, "username": "x",
                                           "password": "y"}).get_data(as_text=True)
        assert "尝试次数过多" in page or "过多" in page
        assert Redis.from_url(redis_url).keys("LIMIT*")   # the counter lives in Redis
        db.session.remove()


def test_default_limiter_storage_follows_redis_url(monkeypatch):
    """Without RATELIMIT_STORAGE_URI, the limiter stores its counters in REDIS_URL."""
    import importlib

    import crm.config as config

    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/8")
    try:
        reloaded = importlib.reload(config)
        assert reloaded.Config.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/8"
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_sign_in_answers_alike_for_unknown_user_and_wrong_password(client):
    """No user enumeration: same status and same message whether the user exists."""
    user = factories.user(roles=["leader"])
    db.session.commit()
    known = client.post_form("/login", {"username": user.username, "password": "wrong-pass"})
    unknown = client.post_form("/login", {"username": "no-such-user", "password": "wrong-pass"})
    assert known.status_code == unknown.status_code == 200

    def message(resp):
        html = resp.get_data(as_text=True)
        return [line for line in html.splitlines() if "密码" in line and "错误" in line]

    assert message(known) and message(known) == message(unknown)


def test_admin_cannot_give_a_real_user_a_weak_password(client, login_as):
    """The password policy applies to real users created by the admin."""
    login_as("admin")
    unit = factories.unit()
    db.session.commit()
    before = row_counts()["users"]
    response = client.post_form("/admin/users/new", {
        "username": "weakling", "display_name": "弱口令", "unit_id": unit.id,
        "roles": "commissioner", "is_active": "y", "password": "123456"})
    assert response.status_code == 200
    assert "密码" in response.get_data(as_text=True)
    db.session.expire_all()
    assert row_counts()["users"] == before


def test_script_payloads_are_escaped_everywhere_they_show(client, login_as):
    """Enterprise names, contacts, visit summaries, problem titles and comments are
    shown as text, never run."""
    from crm.issues.models import IssueEvent

    coordinator = factories.user(roles=["coordinator"])
    commissioner = factories.user(roles=["commissioner"])
    ent = factories.enterprise(PAYLOAD + "有限公司")
    factories.assignment(ent, commissioner)
    factories.contact(ent, name=PAYLOAD)
    visit = factories.visit(ent, commissioner, summary=PAYLOAD, next_step=PAYLOAD)
    iss = factories.issue(ent, commissioner, title=PAYLOAD, description=PAYLOAD)
    db.session.add(IssueEvent(issue_id=iss.id, action="comment", actor_id=coordinator.id,
                              text=PAYLOAD))
    db.session.commit()
    login_as(coordinator)
    pages = [f"/enterprises/{ent.id}", "/enterprises/", f"/visits/{visit.id}", "/visits/",
             f"/problems/{iss.id}", "/problems/", "/problems/triage"]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert PAYLOAD not in html, url
        assert ESCAPED in html, url


def test_posted_script_payload_in_an_enterprise_name_is_escaped(client, login_as):
    """Typed through the real form, the payload is stored verbatim and shown escaped."""
    from crm.enterprises.models import Enterprise

    login_as("coordinator")
    town = factories.unit("青石镇", kind="town")
    db.session.commit()
    response = client.post_form("/enterprises/new", {
        "name": PAYLOAD + "科技有限公司", "credit_code": factories.code(),
        "town_id": town.id, "status": "normal", "industry": "", "cluster": "", "scale": "",
        "size": "", "ownership": ""})
    assert response.status_code == 302, [l for l in response.get_data(as_text=True).splitlines() if "invalid" in l or "alert" in l]
    ent = db.session.scalar(select(Enterprise).where(Enterprise.name.contains("alert(1)")))
    assert ent is not None and ent.name.startswith(PAYLOAD)
    html = client.get(f"/enterprises/{ent.id}").get_data(as_text=True)
    assert PAYLOAD not in html and ESCAPED in html
