"""The coordinator's 回访 queue and call form, and the admin's share of good ratings
called back (crm.issues.followups)."""
from __future__ import annotations

from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from crm.auth.permissions import role_required
from crm.core.timeutil import local_midnight_utc, utcnow
from crm.extensions import db
from crm.issues import followups
from crm.issues.errors import InvalidInput, WorkflowError
from crm.issues.followup_forms import CallForm, SampleForm
from crm.issues.followups import SOURCES, VERDICTS, FollowUp
from crm.issues.models import Issue
from crm.issues.views import bp

LIMIT = 50  # calls per page of each table; the next page starts after the last (keyset)


def _month(value: str | None) -> tuple[date, date] | None:
    """``?month=2026-11`` as its first day and the first day of the next month."""
    try:
        first = date.fromisoformat(f"{value}-01")
    except (TypeError, ValueError):
        return None
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def _keyset(value: str | None) -> tuple[datetime, int] | None:
    """``?w=`` / ``?d=``: "instant,id" of the last call of the previous page (written
    by ``keyset``); anything else is the first page."""
    try:
        at, _sep, ident = (value or "").rpartition(",")
        return datetime.fromisoformat(at), int(ident)
    except ValueError:
        return None


def keyset(at: datetime, ident: int) -> str:
    return f"{at.isoformat()},{ident}"


def filtered(args) -> tuple[list[FollowUp], dict, tuple[int, int]]:
    """The done calls an overview figure links to: ``month`` (when the call was made),
    ``verified=1`` (reached, a rating verified), ``contradiction=1``; a page of them
    (``d``: after the last of the previous page; one more than shown, to know whether
    there is a next), and how many there are in all and how
    many calls are still to make."""
    stmt = select(FollowUp).where(FollowUp.done_at.is_not(None))
    applied = {}
    month = _month(args.get("month"))
    if month:
        stmt = stmt.where(FollowUp.done_at >= local_midnight_utc(month[0]),
                          FollowUp.done_at < local_midnight_utc(month[1]))
        applied["month"] = args.get("month")
    if args.get("verified") == "1":
        stmt = stmt.where(FollowUp.is_reached.is_(True), FollowUp.rating.is_not(None))
        applied["verified"] = True
    if args.get("contradiction") == "1":
        stmt = stmt.where(FollowUp.is_contradiction.is_(True))
        applied["contradiction"] = True
    # The total of the calls made and of the calls to make, in one statement.
    done_total, waiting_total = db.session.execute(select(
        stmt.with_only_columns(func.count(FollowUp.id)).scalar_subquery(),
        followups.waiting_count_sql().scalar_subquery())).one()
    page = stmt.options(joinedload(FollowUp.issue).joinedload(Issue.enterprise),
                        joinedload(FollowUp.issue).joinedload(Issue.lead_unit)) \
        .order_by(FollowUp.done_at.desc(), FollowUp.id.desc())
    after = _keyset(args.get("d"))
    if after is not None:
        page = page.where(or_(FollowUp.done_at < after[0], and_(
            FollowUp.done_at == after[0], FollowUp.id < after[1])))
    return (list(db.session.scalars(page.limit(LIMIT + 1)).unique()), applied,
            (int(done_total or 0), int(waiting_total or 0)))


@bp.route("/follow-ups")
@role_required("coordinator")
def followups_queue():
    """Calls to make (oldest due first, red when overdue) and the calls made."""
    now = utcnow()
    done, applied, (done_total, waiting_total) = filtered(request.args)
    waiting = followups.queue(now, limit=LIMIT + 1, after=_keyset(request.args.get("w")))
    args = {k: v for k, v in request.args.items() if k not in ("w", "d")}
    more = {}  # the next page of each table (one row more was read), the other's kept
    if len(waiting) > LIMIT:
        waiting = waiting[:LIMIT]
        more["waiting"] = url_for("issues.followups_queue", **args, **(
            {"d": request.args["d"]} if request.args.get("d") else {}),
            w=keyset(waiting[-1].due_at, waiting[-1].id))
    if len(done) > LIMIT:
        done = done[:LIMIT]
        more["done"] = url_for("issues.followups_queue", **args, **(
            {"w": request.args["w"]} if request.args.get("w") else {}),
            d=keyset(done[-1].done_at, done[-1].id))
    return render_template("issues/followups.html", waiting=waiting, done=done,
                           waiting_total=waiting_total, done_total=done_total,
                           more=more, paged=bool(request.args.get("w") or request.args.get("d")),
                           applied=applied, now=now,
                           # translated once, not once a row
                           SOURCES={k: str(v) for k, v in SOURCES.items()},
                           VERDICTS={k: str(v) for k, v in VERDICTS.items()})


@bp.route("/follow-ups/<int:followup_id>", methods=["GET", "POST"])
@role_required("coordinator")
def followup_call(followup_id: int):
    """Record one call; 不满意 sends the problem back to a unit (重办)."""
    fu = db.session.scalar(select(FollowUp).where(FollowUp.id == followup_id).options(
        joinedload(FollowUp.issue).joinedload(Issue.enterprise),
        joinedload(FollowUp.issue).joinedload(Issue.lead_unit)))
    if fu is None:
        abort(404)
    form = CallForm().setup(fu.issue.lead_unit_id)
    status = 200
    if fu.done_at is None and form.validate_on_submit():
        try:
            followups.record_call(fu, form.data_for_service(), current_user)
        except InvalidInput as exc:
            getattr(form, exc.field, form.reached).errors = [exc.message]
            status = 400
        except WorkflowError as exc:
            flash(str(exc), "error")
            status = 409
        else:
            flash(_("The call was recorded."), "success")
            return redirect(url_for("issues.followups_queue"))
    elif form.is_submitted():
        status = 400
    return render_template("issues/followup_call.html", fu=fu, form=form, SOURCES=SOURCES,
                           VERDICTS=VERDICTS), status


@bp.route("/admin/follow-ups", methods=["GET", "POST"])
@role_required("admin")
def followup_settings():
    """The share of ratings of 4 or 5 that are called back."""
    form = SampleForm()
    if not form.is_submitted():
        form.percent.data = followups.sample_percent()
    if form.validate_on_submit():
        followups.set_sample_percent(form.percent.data, current_user)
        flash(_("Saved."), "success")
        return redirect(url_for("issues.followup_settings"))
    return render_template("issues/admin/followups.html", form=form), (
        400 if form.is_submitted() else 200)
