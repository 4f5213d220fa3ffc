"""Behind HTTPS: the session and "keep me signed in" cookies are Secure, whether HTTPS is
configured (SESSION_COOKIE_SECURE, an https PUBLIC_URL) or seen on the request through
a trusted proxy; forwarded headers are only believed from TRUSTED_PROXIES, so a client
can neither fake HTTPS nor dodge the sign-in limit by inventing addresses."""
from __future__ import annotations

import importlib

import pytest

from crm import create_app
from crm.config import TestConfig
from crm.extensions import db, limiter
from tests import factories
from tests.conftest import CRMClient


def _app(**settings):
    class Cfg(TestConfig):
        pass

    for key, value in settings.items():
        setattr(Cfg, key, value)
    app = create_app(Cfg)
    app.test_client_class = CRMClient
    return app


def _cookies(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def _sign_in(app, base="http://localhost", headers=None):
    with app.app_context():
        db.create_all()
        limiter.reset()
        user = factories.user(roles=["commissioner"])
        db.session.commit()
        client = app.test_client()
        token = client.csrf_token(f"{base}/login")
        # A browser sends the Referer; over HTTPS the CSRF check requires it.
        scheme = (headers or {}).get("X-Forwarded-Proto", base.split(":")[0])
        headers = {"Referer": f"{scheme}://localhost/login", **(headers or {})}
        response = client.post(f"{base}/login", headers=headers, data={
            "csrf_token": token, "username": user.username,
            "password": factories.PASSWORD, "remember": "y"})
        db.session.remove()
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return _cookies(response)


def _flags(cookie: str) -> set[str]:
    return {part.strip().split("=")[0] for part in cookie.split(";")[1:]}


def test_configured_https_makes_both_cookies_secure():
    cookies = _sign_in(_app(SESSION_COOKIE_SECURE=True), base="https://localhost")
    for name in ("session", "remember_token"):
        assert {"Secure", "HttpOnly", "SameSite"} <= _flags(cookies[name]), cookies[name]


def test_plain_http_without_configuration_is_not_secure():
    cookies = _sign_in(_app())
    assert "Secure" not in _flags(cookies["session"])
    assert "Secure" not in _flags(cookies["remember_token"])


def test_an_https_public_url_turns_secure_cookies_and_https_links_on(monkeypatch):
    import crm.config as config

    monkeypatch.setenv("PUBLIC_URL", "https://crm.example.gov.cn/")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    try:
        reloaded = importlib.reload(config)
        assert reloaded.Config.SESSION_COOKIE_SECURE is True
        assert reloaded.Config.PREFERRED_URL_SCHEME == "https"
        monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")   # an explicit choice wins
        assert importlib.reload(config).Config.SESSION_COOKIE_SECURE is False
    finally:
        monkeypatch.undo()
        importlib.reload(config)
    assert config.Config.SESSION_COOKIE_SECURE is False   # the test run is plain HTTP


def test_https_seen_through_a_trusted_proxy_makes_the_session_cookie_secure():
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    behind_proxy = _sign_in(_app(TRUSTED_PROXIES=1), headers=forwarded)
    assert "Secure" in _flags(behind_proxy["session"])
    # Without a trusted proxy the same headers are a client's claim and are ignored.
    direct = _sign_in(_app(), headers=forwarded)
    assert "Secure" not in _flags(direct["session"])


@pytest.mark.parametrize("trusted", [0, 1])
def test_the_sign_in_limit_counts_real_clients_not_invented_addresses(trusted):
    """Behind nginx (TRUSTED_PROXIES=1) each client has its own limit; without a proxy a
    client who rotates X-Forwarded-For is still one client."""
    app = _app(TRUSTED_PROXIES=trusted, RATELIMIT_LOGIN="2 per minute")
    with app.app_context():
        db.create_all()
        limiter.reset()
        client = app.test_client()
        token = client.csrf_token("/login")

        def attempt(address):
            return client.post("/login", headers={"X-Forwarded-For": address}, data={
                "csrf_token": token, "username": "nobody", "password": "wrong"}).status_code

        assert [attempt("203.0.113.1"), attempt("203.0.113.1")] == [200, 200]
        assert attempt("203.0.113.1") == 429
        assert attempt("198.51.100.7") == (200 if trusted else 429)
        db.session.remove()
