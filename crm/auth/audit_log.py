"""The audit log page: who changed what and when, filtered by user, object and date.

Read-only by construction: this module has only a GET route, and no route anywhere
updates or deletes an ``AuditLog`` row (a test walks every route to prove it).
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import render_template, request
from sqlalchemy import select

from crm.auth.admin import bp
from crm.auth.models import User
from crm.auth.permissions import role_required
from crm.core.models import AuditLog
from crm.core.text import LIKE_ESCAPE, contains
from crm.core.timeutil import local_midnight_utc
from crm.extensions import db

PER_PAGE = 50


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None


def audit_filters(args) -> dict:
    """The readable filters of the query string (unreadable ones are dropped)."""
    flt = {"user": _int_arg("user"), "who": args.get("who", "").strip()[:50],
           "object_type": args.get("object_type", "").strip()[:40],
           "object_id": _int_arg("object_id"), "date_from": _date_arg("date_from"),
           "date_to": _date_arg("date_to")}
    return {k: v for k, v in flt.items() if v not in (None, "")}


def audit_query(flt: dict):
    """``select(AuditLog)`` with ``flt`` applied, newest first (dates are local days)."""
    stmt = select(AuditLog).order_by(AuditLog.id.desc())   # actor: joined by the model
    if "user" in flt:
        stmt = stmt.where(AuditLog.actor_id == flt["user"])
    elif "who" in flt:   # part of a name or a sign-in name (a province has 76,000 people)
        like = contains(flt["who"])
        stmt = stmt.where(AuditLog.actor_id.in_(select(User.id).where(
            User.display_name.ilike(like, escape=LIKE_ESCAPE)
            | User.username.ilike(like, escape=LIKE_ESCAPE))))
    if "object_type" in flt:
        stmt = stmt.where(AuditLog.object_type == flt["object_type"])
    if "object_id" in flt:
        stmt = stmt.where(AuditLog.object_id == flt["object_id"])
    if "date_from" in flt:
        stmt = stmt.where(AuditLog.at >= local_midnight_utc(flt["date_from"]))
    if "date_to" in flt:
        stmt = stmt.where(AuditLog.at < local_midnight_utc(flt["date_to"] + timedelta(days=1)))
    return stmt


@bp.route("/audit")
@role_required("admin")
def audit():
    """The audit log, 50 rows a page."""
    flt = audit_filters(request.args)
    page = db.paginate(audit_query(flt), per_page=PER_PAGE, error_out=False)
    # The person filter is typed (part of a name or sign-in name), not chosen from a list
    # of every user; a link with ?user=<id> shows that person's name in the field.
    chosen = db.session.get(User, flt["user"]) if "user" in flt else None
    types = db.session.scalars(select(AuditLog.object_type).distinct()
                               .order_by(AuditLog.object_type)).all()
    return render_template("admin/audit.html", page=page, flt=flt, chosen=chosen, types=types)
