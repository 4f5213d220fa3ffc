"""企业帮扶联络 CRM — the application factory."""
from __future__ import annotations

import gc
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from crm.config import MAX_ROW_ID, MIGRATIONS_DIR, ROOT, TEMPLATES_DIR, Config


class RowIdConverter(IntegerConverter):
    """``<int:…>`` in a URL: a number that cannot be a row id (0, or beyond the column's
    range) does not match the route (404), instead of reaching the database as a value
    it cannot compare (a 500) or being taken for "no record"."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


def _normalise_db_url(url: str) -> str:
    # psycopg 3 is the PostgreSQL driver; accept the usual spellings of the URL.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create_app(config: type | dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI, error pages."""
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES_DIR),
        static_folder="static",
        instance_path=str(ROOT / "instance"),
    )
    app.url_map.converters["int"] = RowIdConverter
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and \
            app.config.get("POSTGRES_OPTIONS"):
        engine = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        engine["connect_args"] = {"options": app.config["POSTGRES_OPTIONS"],
                                  **(engine.get("connect_args") or {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine
    # A session cookie that must not travel over plain HTTP takes the remember cookie along.
    app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config.get("REMEMBER_COOKIE_SECURE")
                                                or app.config["SESSION_COOKIE_SECURE"])
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies,
                                x_port=proxies)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)

    # Every module of the application imports this package: its parts are loaded when an
    # app is built, not when ``crm`` is imported.
    from crm.auth import isolation, login, navigation
    from crm.badges import GLOBALS
    from crm.core import http, templating, transactions
    from crm.core.views import bp as main_bp
    from crm.extensions import babel, compress, csrf, db, limiter, login_manager, migrate

    import crm.models  # noqa: F401  (every model registered before anything queries)
    import crm.issues.permissions  # noqa: F401  (handlers see their problems' enterprises)

    db.init_app(app)
    transactions.init_app(app)  # one commit per request; SQLite's transaction recipe
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=login.select_locale, timezone_selector=lambda: "Asia/Shanghai")
    compress.init_app(app)
    login_manager.init_app(app)
    login.init_login(login_manager)
    isolation.init_app(app)  # the bank's account managers see only their own pages
    app.session_interface = http.SessionInterface()

    # The blueprints (and through them every view) load here, for the same reason.
    from crm.auth.admin import bp as admin_bp
    from crm.auth.views import bp as auth_bp
    from crm.enterprises.views import bp as enterprises_bp
    import crm.dossier.views  # noqa: F401  (its pages join the enterprises blueprint first)
    from crm.issues.views import bp as issues_bp
    from crm.financing.views import bp as financing_bp
    from crm.issues.views import rating_bp
    from crm.liaisons.views import bp as liaisons_bp
    from crm.meetings.views.packets import bp as briefings_bp
    from crm.meetings.views import bp as meetings_bp
    from crm.taskforces.views import bp as taskforces_bp
    from crm.channel.views import bp as channel_bp

    app.register_blueprint(main_bp)  # with the home redirect (crm.auth.navigation)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(enterprises_bp, url_prefix="/enterprises")
    app.register_blueprint(liaisons_bp, url_prefix="/visits")
    app.register_blueprint(issues_bp, url_prefix="/problems")
    app.register_blueprint(financing_bp, url_prefix="/financing")
    app.register_blueprint(rating_bp)  # /r/<token>: short links for QR codes
    app.register_blueprint(meetings_bp, url_prefix="/meetings")
    app.register_blueprint(briefings_bp, url_prefix="/briefings")
    app.register_blueprint(taskforces_bp, url_prefix="/taskforces")
    app.register_blueprint(channel_bp)  # /c/<code>: the enterprise's own pages (企业码)

    http.init_app(app)
    templating.init_app(app)
    app.jinja_env.globals.update(GLOBALS)
    navigation.init_app(app)

    from crm.cli import register_cli  # the CLI loads the generators: only with an app

    register_cli(app)
    return app


def ready_for_requests(app):
    """Prepare a serving process: collect the start-up garbage, then hand the objects
    alive now (modules, mappers, the template environment, translations — some
    400,000) to ``gc.freeze()``, so that Python's cyclic garbage collector no longer
    walks them on each full collection. Without it one request in ten or so paid a
    100–150 ms pause on the province-scale benchmark; with it the enterprise page's p95
    stays next to its median. For servers and the benchmark, not for tests (which build
    many apps and should get their memory back)."""
    gc.collect()
    gc.freeze()
    return app
