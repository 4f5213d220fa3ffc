"""Sign-in with lockout, and user/unit administration. No commits here."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from limits import parse as parse_limit
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from crm.auth.models import Unit, User
from crm.core import audit
from crm.core.timeutil import utcnow
from crm.extensions import db, limiter


class SignInError(Exception):
    """Sign-in refused; ``str(exc)`` is the message to show."""


def _unknown_user_limit():
    cfg = current_app.config
    return parse_limit(f"{cfg['LOGIN_MAX_FAILURES']} per {cfg['LOGIN_LOCK_MINUTES']} minutes")


_dummy_hash: list[str] = []


def password_matches(user: User | None, password: str) -> bool:
    """Check ``password`` against ``user``'s hash — or, for an unknown user name, against
    a hash of a random password. Every sign-in path therefore pays for exactly one hash
    check, so the time of the answer does not tell whether the user exists."""
    if user is None:
        if not _dummy_hash:
            _dummy_hash.append(generate_password_hash(secrets.token_urlsafe(16)))
        check_password_hash(_dummy_hash[0], password)
        return False
    return check_password_hash(user.password_hash, password)


def find_user(username: str) -> User | None:
    """Case-insensitive lookup by username."""
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def authenticate(username: str, password: str) -> User:
    """Return the user for these credentials or raise SignInError.

    Five wrong passwords lock the account for fifteen minutes. An unknown user name
    behaves the same way (counted in the rate-limit store), so the messages never
    reveal whether a user exists.
    """
    cfg = current_app.config
    now = utcnow()
    wrong = _("Wrong user name or password. After %(n)d wrong attempts the account is locked "
              "for %(m)d minutes.", n=cfg["LOGIN_MAX_FAILURES"], m=cfg["LOGIN_LOCK_MINUTES"])
    locked = _("Too many wrong passwords: this account is locked for %(m)d minutes. "
               "Try again later or ask the administrator.", m=cfg["LOGIN_LOCK_MINUTES"])
    user = find_user(username.strip())
    matches = password_matches(user, password)   # before any early answer (timing)
    if user is None:
        key = ("login-unknown", username.strip().lower()[:64])
        strategy = limiter.limiter
        limit = _unknown_user_limit()
        # The fifth wrong attempt already answers "locked", as for a real account.
        if strategy is not None and (not strategy.hit(limit, *key)
                                     or not strategy.test(limit, *key)):
            raise SignInError(locked)
        raise SignInError(wrong)
    if user.locked_until and user.locked_until > now:
        raise SignInError(locked)
    if not matches:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= cfg["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            db.session.flush()
            raise SignInError(locked)
        db.session.flush()
        raise SignInError(wrong)
    if not user.is_active:
        raise SignInError(_("This account has been deactivated. Ask the administrator."))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.flush()
    return user


USER_FIELDS = ("username", "display_name", "phone", "title", "protocol_order", "unit_id",
               "is_active", "locale")


def _user_snapshot(user: User) -> dict:
    data = audit.snapshot(user, USER_FIELDS)
    data["roles"] = sorted(user.roles)
    return data


def create_user(data: dict, actor) -> User:
    """Create a user with a password and roles; audited."""
    user = User(
        username=data["username"].strip(),
        display_name=data["display_name"].strip(),
        phone=data.get("phone") or None,
        title=data.get("title") or None,
        protocol_order=data.get("protocol_order"),
        unit_id=data.get("unit_id") or None,
        is_active=data.get("is_active", True),
    )
    user.set_password(data["password"])
    user.roles = data.get("roles", [])
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "create", user, after=_user_snapshot(user),
                 summary=f"创建用户 {user.username}")
    return user


def update_user(user: User, data: dict, actor) -> User:
    """Change a user's profile, unit, roles or active flag; audited.

    Deactivation ends the user's sessions.
    """
    before = _user_snapshot(user)
    for field in ("display_name", "phone", "title", "protocol_order", "unit_id", "is_active"):
        if field in data:
            value = data[field]
            setattr(user, field, value if value != "" else None)
    if "roles" in data:
        user.roles = data["roles"]
    if before["is_active"] and not user.is_active:
        user.session_token = secrets.token_hex(8)
    db.session.flush()
    b, a = audit.diff(before, _user_snapshot(user))
    if a:
        audit.record(actor, "update", user, before=b, after=a, summary=f"修改用户 {user.username}")
    return user


def reset_password(user: User, password: str, actor) -> None:
    """Set a new password, clear the lockout and end existing sessions; audited."""
    user.set_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.session_token = secrets.token_hex(8)
    db.session.flush()
    audit.record(actor, "reset_password", user, summary=f"重置密码 {user.username}")


UNIT_FIELDS = ("name", "short_name", "kind", "is_active")


def create_unit(name: str, kind: str, actor, short_name: str | None = None) -> Unit:
    """Add a unit; audited."""
    unit = Unit(name=name.strip(), kind=kind, short_name=(short_name or "").strip() or None)
    db.session.add(unit)
    db.session.flush()
    audit.record(actor, "create", unit, after=audit.snapshot(unit, UNIT_FIELDS),
                 summary=f"创建单位 {unit.name}")
    return unit


def update_unit(unit: Unit, data: dict, actor) -> Unit:
    """Rename, re-kind, shorten or (de)activate a unit; audited."""
    before = audit.snapshot(unit, UNIT_FIELDS)
    for field in UNIT_FIELDS:
        if field in data:
            value = data[field]
            if field == "short_name":
                value = (value or "").strip() or None
            setattr(unit, field, value)
    db.session.flush()
    b, a = audit.diff(before, audit.snapshot(unit, UNIT_FIELDS))
    if a:
        audit.record(actor, "update", unit, before=b, after=a, summary=f"修改单位 {unit.name}")
    return unit
