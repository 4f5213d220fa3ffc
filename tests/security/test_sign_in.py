"""Sign-in: the account lockout, seen from outside (an unknown user name answers exactly
like an existing one at every step, and takes the same hashing path), and the password
policy for real users (admin form, reset, command line)."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm.auth import services
from crm.auth.models import User
from crm.core.timeutil import utcnow
from crm.extensions import db
from tests import factories

LOCKED = "锁定"
WRONG = "用户名或密码错误"
POLICY = "至少 8 个字符"


class Clock:
    """Moves the sign-in clock (``crm.auth.services.utcnow``, the account lock) and the
    limiter's clock (the unknown-name lock in the rate-limit store) forward together,
    the way the codebase freezes time: by patching the module's ``utcnow``."""

    def __init__(self, monkeypatch):
        self.offset = timedelta(0)
        clock = self

        class _Time:
            @staticmethod
            def time():
                return time.time() + clock.offset.total_seconds()

        monkeypatch.setattr(services, "utcnow", lambda: utcnow() + clock.offset)
        monkeypatch.setattr("limits.storage.memory.time", _Time)

    def advance(self, **kw):
        self.offset += timedelta(**kw)


def _attempt(client, username: str, password: str):
    response = client.post_form("/login", {"username": username, "password": password})
    html = response.get_data(as_text=True)
    match = re.search(r'data-testid="login-error">([^<]*)<', html)
    # The whole page, with what differs by design (the typed name, the token) blanked.
    page = re.sub(r'name="csrf[-_]token"[^>]*>', "", html).replace(username, "NAME")
    return response.status_code, (match.group(1) if match else None), page


def _signed_in(client) -> bool:
    return client.get("/visits/week").status_code == 200


def test_five_wrong_passwords_lock_and_the_right_one_is_refused_like_an_unknown_user(
        app, monkeypatch):
    user = factories.user(roles=["commissioner"], username="liwei")
    db.session.commit()
    clock = Clock(monkeypatch)
    known, unknown = app.test_client(), app.test_client()
    for n in range(1, 6):
        k = _attempt(known, "liwei", f"wrong-{n}")
        u = _attempt(unknown, "nobody-here", f"wrong-{n}")
        assert k == u, f"attempt {n} tells the accounts apart"
        assert k[0] == 200 and (WRONG in k[1] if n < 5 else LOCKED in k[1]), (n, k[1])
    # The sixth attempt, with the right password, is refused exactly as the unknown name.
    k = _attempt(known, "liwei", factories.PASSWORD)
    u = _attempt(unknown, "nobody-here", factories.PASSWORD)
    assert k == u and LOCKED in k[1] and k[0] == 200
    assert not _signed_in(known)
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at is None
    # Still locked a minute before the fifteen minutes are up.
    clock.advance(minutes=14)
    assert _attempt(known, "liwei", factories.PASSWORD) == _attempt(
        unknown, "nobody-here", factories.PASSWORD)
    assert not _signed_in(known)
    # After fifteen minutes the right password works; the unknown name is "wrong" again.
    clock.advance(minutes=1, seconds=1)
    status, _message, _page = _attempt(known, "liwei", factories.PASSWORD)
    assert status == 302 and _signed_in(known)
    assert WRONG in _attempt(unknown, "nobody-here", factories.PASSWORD)[1]
    db.session.expire_all()
    signed = db.session.get(User, user.id)
    assert signed.failed_logins == 0 and signed.locked_until is None


def test_a_success_before_the_fifth_failure_resets_the_count(client):
    factories.user(roles=["leader"], username="zhaoli")
    db.session.commit()
    for _ in range(4):
        _attempt(client, "zhaoli", "wrong")
    assert _attempt(client, "zhaoli", factories.PASSWORD)[0] == 302
    client.post_form("/logout")
    for _ in range(4):
        assert WRONG in _attempt(client, "zhaoli", "wrong")[1]


@pytest.mark.parametrize("case", ["unknown", "wrong", "right", "locked-right",
                                  "locked-unknown", "deactivated"])
def test_every_sign_in_path_checks_exactly_one_password_hash(client, monkeypatch, case):
    """The answer's timing does not depend on whether the user exists or is locked."""
    user = factories.user(roles=["commissioner"], username="timing",
                          is_active=case != "deactivated")
    if case == "locked-right":
        user.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    if case == "locked-unknown":
        for _ in range(5):
            _attempt(client, "ghost", "wrong")
    real = services.check_password_hash
    calls = []

    def counting(pwhash, password):
        calls.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", counting)
    name = "ghost" if "unknown" in case else "timing"
    password = "wrong" if case == "wrong" else factories.PASSWORD
    client.post_form("/login", {"username": name, "password": password})
    assert len(calls) == 1, calls
    # The stand-in hash for unknown names costs what a real user's hash costs.
    fresh = User()
    fresh.set_password("Lianluo2026")
    assert calls[0] == fresh.password_hash.split("$", 1)[0]


WEAK = ["abc1234", "abcdefgh", "12345678", "        ", "密码密码密码密码", "Abc 123"]


@pytest.mark.parametrize("weak", WEAK)
def test_real_users_cannot_get_a_weak_password(app, client, login_as, weak):
    """The policy (8+ characters, letters and digits) holds when an admin creates a
    user, resets a password, and on the command line."""
    login_as("admin")
    unit = factories.unit()
    victim = factories.user(roles=["handler"], username="zhoujie")
    db.session.commit()
    old_hash = victim.password_hash
    users = db.session.scalar(select(func.count()).select_from(User))

    created = client.post_form("/admin/users/new", {
        "username": "newcomer", "display_name": "新同事", "unit_id": unit.id,
        "roles": "commissioner", "is_active": "y", "password": weak})
    assert created.status_code == 200 and POLICY in created.get_data(as_text=True)

    reset = client.post_form(f"/admin/users/{victim.id}/password", {"password": weak})
    assert reset.status_code == 400 and POLICY in reset.get_data(as_text=True)

    result = app.test_cli_runner().invoke(args=[
        "crm", "create-user", "--username", "clicomer", "--name", "命令行", "--role",
        "coordinator", "--password", weak])
    assert result.exit_code != 0 and POLICY in result.output

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(User)) == users
    assert db.session.get(User, victim.id).password_hash == old_hash


def test_an_empty_password_is_refused_on_create_and_reset(client, login_as):
    """An empty or blank initial password once slipped past the policy (the field was
    optional, which ended validation before the policy ran)."""
    login_as("admin")
    unit = factories.unit()
    victim = factories.user(roles=["handler"], username="zhoujie")
    db.session.commit()
    for blank in ("", "        "):
        created = client.post_form("/admin/users/new", {
            "username": "newcomer", "display_name": "新同事", "unit_id": unit.id,
            "roles": "commissioner", "is_active": "y", "password": blank})
        assert created.status_code == 200
        assert ("请输入初始密码" if not blank else POLICY) in created.get_data(as_text=True)
        reset = client.post_form(f"/admin/users/{victim.id}/password", {"password": blank})
        assert reset.status_code == 400 and "请输入密码" in reset.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.username == "newcomer")) is None


def test_a_strong_password_is_accepted_everywhere(app, client, login_as):
    login_as("admin")
    unit = factories.unit()
    victim = factories.user(roles=["handler"], username="zhoujie")
    db.session.commit()
    assert client.post_form("/admin/users/new", {
        "username": "newcomer", "display_name": "新同事", "unit_id": unit.id,
        "roles": "commissioner", "is_active": "y", "password": "Lianluo2026"}).status_code == 302
    assert client.post_form(f"/admin/users/{victim.id}/password",
                            {"password": "Bangfu2026x"}).status_code == 302
    result = app.test_cli_runner().invoke(args=[
        "crm", "create-user", "--username", "clicomer", "--name", "命令行", "--role",
        "coordinator", "--password", "Mingling2026"])
    assert result.exit_code == 0, result.output
    other = app.test_client()
    for name, password in (("newcomer", "Lianluo2026"), ("zhoujie", "Bangfu2026x"),
                           ("clicomer", "Mingling2026")):
        assert _attempt(other, name, password)[0] == 302, name
        other.post_form("/logout")
