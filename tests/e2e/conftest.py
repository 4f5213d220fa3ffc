"""Browser tests: a live server on 127.0.0.1 and Debian's Chromium via Playwright,
on a 390×844 phone viewport."""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from crm import create_app
from crm.config import TestConfig
from crm.extensions import db
from tests.conftest import IN_CI, _unavailable

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def live_app(tmp_path):
    """An app on a fresh SQLite file, served by a real HTTP server in a thread."""

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'e2e.sqlite3'}"

    app = create_app(Cfg)
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield app
    finally:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        _unavailable(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture
def phone(browser, live_app):
    """A fresh browser context on a 390×844 phone viewport, in Chinese."""
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN", base_url=live_app.config["LIVE_URL"])
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    yield page
    ctx.close()


def sign_in(page, username: str, password: str) -> None:
    """Sign in through the real form."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")


__all__ = ["sign_in", "IN_CI"]


def pytest_collection_modifyitems(config, items):
    """Browser tests run on the machine's clock: the browser's own clock and its cookie
    expiry cannot be moved with the server's."""
    for item in items:
        if "/tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.real_clock)
