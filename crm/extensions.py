"""Flask extensions, created unbound so that every module can import them.

No application is created here: `crm.create_app` binds them with ``init_app``.
"""
from flask import has_request_context, request
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base shared by every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


MAX_PAGE = 100_000


class _SQLAlchemy(SQLAlchemy):
    """``paginate`` that takes any ``?page=`` a user can type: a number too large for
    the database's OFFSET (``?page=99999999999999999999`` was a 500) is clamped, and
    anything that is not a positive number is page 1."""

    def paginate(self, select, *, page=None, per_page=None, max_per_page=None,
                 error_out=True, count=True):
        if page is None and has_request_context():
            page = request.args.get("page", 1, type=int)
        if page is not None:
            page = min(max(page, 1), MAX_PAGE)
        if per_page is None and max_per_page is None:
            max_per_page = 100
        return super().paginate(select, page=page, per_page=per_page,
                                max_per_page=max_per_page, error_out=error_out, count=count)


db = _SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Pages and JSON are compressed for the phones in factories with poor signal (a visit
# form with a province's policy catalogue is ~340 KiB of HTML, ~10 % of it gzipped).
compress = Compress()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
