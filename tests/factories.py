"""Factories: each adds one object (with sensible defaults), flushes and returns it."""
from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta
from functools import lru_cache

from crm.auth.models import Unit, User
from crm.core.timeutil import local_today, utcnow
from crm.enterprises import credit_code
from crm.enterprises.models import Assignment, Contact, Enterprise, LeaderAbsence
from crm.extensions import db
from crm.issues.models import Category, Issue
from crm.liaisons.models import Policy, Visit

PASSWORD = "test-pass-123"
_seq = itertools.count(1)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # Hashing is deliberately slow; every test user shares one hash of PASSWORD.
    u = User()
    u.set_password(PASSWORD)
    return u.password_hash


def unit(name: str | None = None, kind: str = "department", **kw) -> Unit:
    n = next(_seq)
    obj = Unit(name=name or f"测试单位{n}", kind=kind, **kw)
    db.session.add(obj)
    db.session.flush()
    return obj


def user(roles=("commissioner",), username: str | None = None, unit: Unit | None = None,
         **kw) -> User:
    n = next(_seq)
    obj = User(
        username=username or f"user{n}",
        display_name=kw.pop("display_name", f"用户{n}"),
        unit=unit,
        password_hash=_password_hash(),
        **kw,
    )
    obj.roles = roles
    db.session.add(obj)
    db.session.flush()
    return obj


def code(n: int | None = None) -> str:
    """A valid, unique 统一社会信用代码."""
    n = next(_seq) if n is None else n
    return credit_code.make(f"91350100M{n:08d}")


def enterprise(name: str | None = None, **kw) -> Enterprise:
    from pypinyin import Style, lazy_pinyin

    n = next(_seq)
    name = name or f"测试企业{n}有限公司"
    obj = Enterprise(
        name=name,
        credit_code=kw.pop("credit_code", None) or code(n),
        name_pinyin="".join(lazy_pinyin(name)),
        name_initials="".join(lazy_pinyin(name, style=Style.FIRST_LETTER)),
        **kw,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def contact(ent: Enterprise, name: str = "联系人", phone: str = "13800138000",
            is_primary: bool = True, **kw) -> Contact:
    obj = Contact(enterprise_id=ent.id, name=name, phone=phone, is_primary=is_primary, **kw)
    db.session.add(obj)
    db.session.flush()
    return obj


def assignment(ent: Enterprise, who: User, role: str = "commissioner",
               start: date | None = None, end: date | None = None) -> Assignment:
    obj = Assignment(enterprise_id=ent.id, user_id=who.id, role=role,
                     start_date=start or local_today() - timedelta(days=180), end_date=end)
    db.session.add(obj)
    db.session.flush()
    return obj


def visit(ent: Enterprise, author: User, visit_date: date | None = None, **kw) -> Visit:
    obj = Visit(enterprise_id=ent.id, author_id=author.id,
                visit_date=visit_date or local_today(), client_uuid=str(uuid.uuid4()),
                summary=kw.pop("summary", "走访了解生产经营情况"), **kw)
    db.session.add(obj)
    db.session.flush()
    return obj


def category(name: str | None = None, lead_unit: Unit | None = None, **kw) -> Category:
    obj = Category(name=name or f"类别{next(_seq)}", lead_unit_id=lead_unit.id if lead_unit else None,
                   **kw)
    db.session.add(obj)
    db.session.flush()
    return obj


def issue(ent: Enterprise | None, raised_by: User | None = None, state: str = "new", **kw) -> Issue:
    """A problem. Only for setting up tests: real state changes go through the workflow."""
    n = next(_seq)
    obj = Issue(
        number=kw.pop("number", f"2026-{n:04d}"),
        enterprise_id=ent.id if ent else None,
        source=kw.pop("source", "direct" if ent else "decision"),
        raised_by_id=raised_by.id if raised_by else None,
        title=kw.pop("title", f"测试问题{n}"),
        state=state,
        **kw,
    )
    if state not in ("new", "returned", "closed") and obj.dispatched_at is None:
        obj.dispatched_at = utcnow()
    if state == "closed" and obj.closed_at is None:
        obj.closed_at = utcnow()
    if state == "paused" and obj.paused_at is None:
        obj.paused_at = utcnow()
    db.session.add(obj)
    db.session.flush()
    return obj


def policy(title: str | None = None, **kw) -> Policy:
    obj = Policy(title=title or f"测试政策{next(_seq)}", category=kw.pop("category", "subsidy"), **kw)
    db.session.add(obj)
    db.session.flush()
    return obj


def absence(who: User, start: date | None = None, end: date | None = None, **kw):
    """An away period of a leader (today by default)."""
    obj = LeaderAbsence(user_id=who.id, start_date=start or local_today(),
                        end_date=end or start or local_today(), **kw)
    db.session.add(obj)
    db.session.flush()
    return obj


def red_issue(ent: Enterprise, raised_by: User | None = None, **kw) -> Issue:
    """An open problem whose deadline passed yesterday (traffic light red)."""
    now = utcnow()
    return issue(ent, raised_by, state=kw.pop("state", "in_progress"),
                 due_at=now - timedelta(days=1), warn_at=now - timedelta(days=2), **kw)


def yellow_issue(ent: Enterprise, raised_by: User | None = None, **kw) -> Issue:
    """An open problem due tomorrow, past its warning time (traffic light yellow)."""
    now = utcnow()
    return issue(ent, raised_by, state=kw.pop("state", "in_progress"),
                 due_at=now + timedelta(days=1), warn_at=now - timedelta(hours=1), **kw)

def issue_event(iss: Issue, action: str, at=None, actor: User | None = None, **kw):
    """A timeline row for ``iss`` (tests that count events set ``at`` directly)."""
    from crm.issues.models import IssueEvent

    obj = IssueEvent(issue_id=iss.id, action=action, at=at or utcnow(),
                     actor_id=actor.id if actor else None, **kw)
    db.session.add(obj)
    db.session.flush()
    return obj
