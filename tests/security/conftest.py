"""The demo county on in-memory SQLite, shared by the security tests of a module.

The demo data gives every role a realistic portfolio (own records) and a county full of
records that are not theirs, which is what the permission matrix and the crawler need.
"""
from __future__ import annotations

from datetime import date

import pytest

from crm import create_app
from crm.config import TestConfig
from crm.seed.county import DEMO_PASSWORD, populate
from crm.extensions import db, limiter
from tests.conftest import CRMClient

TODAY = date(2026, 11, 27)


@pytest.fixture(scope="module")
def demo_app():
    """One app with the demo county committed on in-memory SQLite (CSRF on)."""

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        RATELIMIT_LOGIN = "10000 per minute"   # hundreds of sign-ins in one module

    app = create_app(Cfg)
    app.test_client_class = CRMClient
    with app.app_context():
        db.create_all()
        populate(today=TODAY)
        db.session.commit()
        db.session.remove()
    return app


@pytest.fixture
def demo_ctx(demo_app):
    """An app context on the demo database; the session is rolled back afterwards."""
    with demo_app.app_context():
        limiter.reset()
        yield demo_app
        db.session.rollback()
        db.session.remove()


def sign_in(app, username: str) -> CRMClient:
    """A client signed in as the demo user ``username``."""
    client = app.test_client()
    response = client.post_form("/login", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client
