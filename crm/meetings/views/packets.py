"""Packet pages: request, watch the job, download, retry, make final."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import defer

from crm.auth.models import User
from crm.auth.permissions import role_required
from crm.core import transactions
from crm.config import MAX_ROW_ID
from crm.core.downloads import XLSX_MIME, send_download
from crm.core.timeutil import to_local
from crm.extensions import db
from crm.meetings import documents, permissions
from crm.meetings.packets import job, kinds, versions
from crm.meetings.packets.versions import same_subject
from crm.meetings.models import BRIEFING_STATES, Briefing, Meeting
from crm.meetings.packets.context import packet_context, packet_title, pdf_filename
from crm.meetings.packets.workbook import packet_workbook

bp = Blueprint("briefings", __name__)

DISPATCH_MESSAGES = {
    "queued": lambda: _("The packet is being generated in the background; this page "
                        "refreshes itself."),
    "inline": lambda: None,
    "deferred": lambda: _("The background service is unavailable right now. The packet "
                          "is queued and will be generated automatically when it is back."),
}


def _load(briefing_id: int) -> Briefing:
    briefing = db.session.scalar(
        select(Briefing).where(Briefing.id == briefing_id).options(defer(Briefing.pdf))
    )
    if briefing is None or not permissions.can_view(current_user, briefing):
        abort(404)
    return briefing


def _dispatch(briefing_id: int) -> None:
    """Send the committed, pending packet to the queue and say how it goes."""
    message = DISPATCH_MESSAGES[job.dispatch(briefing_id)]()
    if message:
        flash(message, "info")


def _dispatch_and_show(briefing_id: int):
    """Show the packet's page; the packet goes to the queue only once the request has
    committed its pending row (a worker must find it): commit, then enqueue."""
    transactions.after_commit(_dispatch, briefing_id)
    return redirect(url_for("briefings.detail", briefing_id=briefing_id))


def _start(kind: str, *, meeting=None, leader=None):
    briefing = versions.request_briefing(kind, current_user, meeting=meeting, leader=leader)
    return _dispatch_and_show(briefing.id)


@bp.route("/meeting/<int:meeting_id>", methods=["POST"])
@role_required("coordinator")
def for_meeting(meeting_id: int):
    """Generate a new version of a meeting's packet."""
    meeting = db.get_or_404(Meeting, meeting_id)
    kind = "review" if meeting.kind == "review" else "joint"
    documents.assign_number(meeting, "packet", current_user)   # kept by every version
    return _start(kind, meeting=meeting)


@bp.route("/meeting/<int:meeting_id>/minutes", methods=["POST"])
@role_required("coordinator")
def minutes_for_meeting(meeting_id: int):
    """Generate a new version of the meeting's 纪要 (minutes) as a PDF."""
    meeting = db.get_or_404(Meeting, meeting_id)
    documents.assign_number(meeting, "minutes", current_user)
    return _start("minutes", meeting=meeting)


def _named_leader(raw: str) -> User | None:
    """The city leader whose id was posted, or None (missing, garbage, not a leader)."""
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ROW_ID:
        return None
    user = db.session.get(User, int(raw))
    return user if user is not None and user.has_role("leader") else None


def _back():
    """Where the request came from, when that is a page of this site; else home."""
    parts = urlsplit(request.referrer or "")
    path = parts.path
    if parts.netloc == request.host and path.startswith("/") and not (
            path.startswith("//") or "\\" in path):
        return redirect(path + (f"?{parts.query}" if parts.query else ""))
    return redirect(url_for("main.index"))


@bp.route("/portfolio", methods=["POST"])
@role_required("leader", "coordinator")
def for_portfolio():
    """A leader's portfolio PDF: a leader asks for their own; a coordinator for a leader
    named by ``leader_id`` (without a valid one nothing is made and they are told why)."""
    leader = current_user
    raw = request.form.get("leader_id", "")
    if current_user.sees_all and (raw.strip() or not current_user.has_role("leader")):
        leader = _named_leader(raw)
        if leader is None:
            message = (_("The chosen person is not a city leader; no PDF was made.")
                       if raw.strip() else
                       _("Choose the city leader whose portfolio PDF is to be made."))
            flash(message, "danger")
            return _back()
    # A leader tapping again gets the PDF made from the same data a few minutes ago, not
    # a copy of it; a coordinator asking on a leader's behalf always gets a new version.
    recent = versions.recent_portfolio(leader) if leader.id == current_user.id else None
    if recent is not None:
        flash(_("The PDF made %(when)s from the same data is shown; nothing changed since.",
                when=to_local(recent.requested_at).strftime("%H:%M")), "info")
        return redirect(url_for("briefings.detail", briefing_id=recent.id))
    return _start("portfolio", leader=leader)


@bp.route("/<int:briefing_id>")
@login_required
def detail(briefing_id: int):
    """The job's state; the page refreshes itself while the packet is being made."""
    versions.reap_stale()
    briefing = _load(briefing_id)
    history = db.session.scalars(permissions.visible(
        select(Briefing).options(defer(Briefing.pdf)).where(
            Briefing.kind == briefing.kind, same_subject(briefing),
        ), current_user).order_by(Briefing.version.desc())
    ).all()
    return render_template("meetings/briefing_detail.html", briefing=briefing, history=history,
                           title=packet_title(briefing), briefing_states=BRIEFING_STATES)


@bp.route("/<int:briefing_id>/pdf")
@login_required
def download(briefing_id: int):
    """The stored PDF (only once complete: a half-written file is never served)."""
    briefing = _load(briefing_id)
    if briefing.state != "success":
        abort(404)
    pdf = db.session.scalar(select(Briefing.pdf).where(Briefing.id == briefing.id))
    return send_download(pdf, pdf_filename(briefing), "application/pdf", etag=briefing.sha256)


@bp.route("/<int:briefing_id>/retry", methods=["POST"])
@role_required("coordinator", "leader")
def retry(briefing_id: int):
    """Try a failed packet again."""
    briefing = _load(briefing_id)
    try:
        versions.retry(briefing, current_user)
    except versions.BriefingError:
        flash(_("Only a failed packet can be retried."), "warning")
        return redirect(url_for("briefings.detail", briefing_id=briefing.id))
    return _dispatch_and_show(briefing.id)


@bp.route("/<int:briefing_id>/final", methods=["POST"])
@role_required("coordinator")
def make_final(briefing_id: int):
    """Mark a finished packet final (定稿); it can never change afterwards."""
    briefing = _load(briefing_id)
    try:
        versions.mark_final(briefing, current_user)
    except versions.BriefingError as exc:
        flash(str(exc) if exc.shown else _("Only a finished packet can be made final."),
              "warning")
    else:
        flash(_("Version %(v)d is now final.", v=briefing.version), "success")
    return redirect(url_for("briefings.detail", briefing_id=briefing.id))


@bp.route("/<int:briefing_id>/tables.xlsx")
@login_required
def tables(briefing_id: int):
    """The packet's tables as a spreadsheet, computed now from the same functions."""
    briefing = _load(briefing_id)
    kind = kinds.get(briefing.kind)
    data = (kind.workbook(briefing) if kind.workbook
            else packet_workbook(packet_context(briefing, full_lists=True)))
    suffix = _("tables")
    name = f"{packet_title(briefing)}-{suffix}.xlsx"
    return send_download(data, name, XLSX_MIME)
