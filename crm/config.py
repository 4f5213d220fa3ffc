"""Configuration. Every value can be overridden from the environment."""
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# In a checkout, templates/ and migrations/ sit beside the package; an installed wheel
# carries them inside it (setup.py). ROOT is the checkout, or the working directory.
_IN_CHECKOUT = (PACKAGE.parent / "templates" / "base.html").is_file()
ROOT = PACKAGE.parent if _IN_CHECKOUT else Path.cwd()
TEMPLATES_DIR = (PACKAGE.parent if _IN_CHECKOUT else PACKAGE) / "templates"
MIGRATIONS_DIR = (PACKAGE.parent if _IN_CHECKOUT else PACKAGE) / "migrations"
# Every table's id is a 32-bit ``integer`` in PostgreSQL (and SQLite cannot bind an int
# beyond 64 bits).
MAX_ROW_ID = 2**31 - 1


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _public_url() -> str | None:
    return (os.environ.get("PUBLIC_URL") or "").rstrip("/") or None


class Config:
    """Production-ready defaults; the embedded default is SQLite with inline jobs."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'crm.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Session settings for PostgreSQL connections (libpq "options"). JIT compilation is
    # off: it pays for long analytic queries, while this product's statements are short
    # and a JIT compile of a large plan costs a second where the query runs in 70 ms (the
    # usual setting for OLTP). Empty = the server's own settings.
    POSTGRES_OPTIONS = os.environ.get("POSTGRES_OPTIONS", "-c jit=off")
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "crm")
    # Packet rendering for a whole county takes well under a minute; leave headroom.
    JOB_TIMEOUT = int(os.environ.get("JOB_TIMEOUT", "900"))
    # How often a worker reports that a running job is alive; a job silent for three
    # periods is dead (its worker was killed) and its packet is marked failed.
    JOB_HEARTBEAT_SECONDS = int(os.environ.get("JOB_HEARTBEAT_SECONDS", "10"))

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(PACKAGE / "translations")
    LANGUAGES = {"zh_Hans_CN": "简体中文", "en": "English"}

    # The address people reach the app at (printed QR codes carry it); unset = the
    # host of the request that printed them.
    PUBLIC_URL = _public_url()

    WTF_CSRF_TIME_LIMIT = None  # a token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure when configured, when PUBLIC_URL is https, and (crm.core.http.SessionInterface)
    # on any request that arrived over HTTPS. The "keep me signed in" cookie follows.
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE",
                                      (_public_url() or "").startswith("https://"))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PREFERRED_URL_SCHEME = "https" if (_public_url() or "").startswith("https://") else "http"
    # Reverse proxies in front of the app (nginx: 1) whose X-Forwarded-For/-Proto/-Host
    # are believed; 0 ignores those headers, so a client cannot fake its address or HTTPS.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(20 * 1024 * 1024)))

    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get(
        "REDIS_URL", "memory://"
    )
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "30 per minute")
    RATELIMIT_HEADERS_ENABLED = False

    # The monthly packet stays printable at any scale. A section with more rows than its
    # limit is printed in summary form, with a sentence giving the row count of the
    # packet's Excel tables, which always hold every row (crm/meetings/packets/summaries.py).
    # A county (≈35 overdue problems, 220 leader rows, 65 enterprises with open problems,
    # an 85-page packet) stays in full form; a province (10,000 / 40,000 / 11,000) prints
    # about 200 pages instead of 11,000+.
    # Overdue problems listed one per row (≈15 pages); beyond, one row per unit.
    PACKET_RED_ROWS = int(os.environ.get("PACKET_RED_ROWS", "400"))
    # In that per-unit summary, each unit's most overdue problems.
    PACKET_RED_OLDEST = int(os.environ.get("PACKET_RED_OLDEST", "3"))
    # Leader × enterprise rows listed in full (≈25 pages); beyond, one row per leader.
    PACKET_LEADER_ROWS = int(os.environ.get("PACKET_LEADER_ROWS", "800"))
    # In that per-leader summary, the overdue or agenda enterprises named per leader.
    PACKET_LEADER_NAMED = int(os.environ.get("PACKET_LEADER_NAMED", "10"))
    # Appendix pages (one per enterprise with open problems); beyond, only enterprises
    # on this meeting's agenda or with an overdue problem, most urgent first, this many.
    PACKET_APPENDIX_PAGES = int(os.environ.get("PACKET_APPENDIX_PAGES", "100"))

    APP_VERSION = "0.1.0"
    # Seconds the overview's figures may be reused while nothing is written (0: off).
    METRICS_CACHE_SECONDS = int(os.environ.get("METRICS_CACHE_SECONDS", "60"))
    # Seconds the earlier months' problem figures may be reused: writes that change them
    # invalidate them anyway (a write to a problem of those months); this bounds the rest.
    METRICS_HISTORY_SECONDS = int(os.environ.get("METRICS_HISTORY_SECONDS", "900"))
    # Working days a bank has for each step of its answer to a financing need
    # (crm/financing/deadlines.py): accept it, decide on credit, disburse the loan.
    FINANCING_ACCEPT_DAYS = int(os.environ.get("FINANCING_ACCEPT_DAYS", "3"))
    FINANCING_DECIDE_DAYS = int(os.environ.get("FINANCING_DECIDE_DAYS", "15"))
    FINANCING_DISBURSE_DAYS = int(os.environ.get("FINANCING_DISBURSE_DAYS", "10"))


class TestConfig(Config):
    """Used by the test-suite; the database comes from TEST_DATABASE_URL when given."""

    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    REDIS_URL = None
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    METRICS_CACHE_SECONDS = 0  # tests that exercise the cache turn it on
