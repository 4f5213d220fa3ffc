"""The signed-in pages that keep an enterprise's code: its QR code and address, the
coordinator's rotation, the printable A5 card (PDF), and the photos an enterprise
attached to a problem it raised."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import undefer

from crm.auth.permissions import role_required
from crm.channel import permissions, services
from crm.channel.models import ChannelPhoto
from crm.channel.views import bp
from crm.core.downloads import send_download
from crm.core.forms import BaseForm
from crm.core.timeutil import local_today
from crm.enterprises.links import absolute_url, qr_svg
from crm.enterprises.models import ASSIGNMENT_ROLES, Enterprise
from crm.enterprises.views import load_visible
from crm.extensions import db
from crm.issues import permissions as issue_permissions
from crm.issues.models import Issue


def code_url(ent: Enterprise) -> str | None:
    """The full address of the enterprise's own page (None without a code)."""
    if not ent.channel_code:
        return None
    return absolute_url(url_for("channel.page", code=ent.channel_code))


def code_qr(ent: Enterprise):
    """The enterprise's code as an inline QR code (for the enterprise page)."""
    url = code_url(ent)
    return qr_svg(url, ent.name) if url else None


@bp.route("/enterprises/<int:enterprise_id>/code")
@login_required
def manage(enterprise_id: int):
    """The enterprise's code: QR, address, rotation (coordinator), card."""
    ent = load_visible(enterprise_id)
    return render_template("channel/manage.html", ent=ent, qr=code_qr(ent), url=code_url(ent),
                           can_rotate=permissions.can_rotate(current_user, ent),
                           form=BaseForm())


@bp.route("/enterprises/<int:enterprise_id>/code/rotate", methods=["POST"])
@role_required("coordinator")
def rotate(enterprise_id: int):
    """A new code; the old one answers 410 from now on (audited)."""
    ent = load_visible(enterprise_id)
    if not BaseForm().validate_on_submit():
        abort(400)
    services.rotate(ent, current_user)
    flash(_("The enterprise has a new code. The old one no longer opens its page; print "
            "a new card."), "success")
    return redirect(url_for("channel.manage", enterprise_id=ent.id))


@bp.route("/enterprises/<int:enterprise_id>/code/card.pdf")
@login_required
def card(enterprise_id: int):
    """The printable A5 card: the QR code, the leaders A/B and the commissioner."""
    ent = load_visible(enterprise_id)
    url = code_url(ent)
    if url is None:
        abort(404)
    html = render_template("channel/card.html", ent=ent, qr=qr_svg(url, ent.name), url=url,
                           people=services.card_people(ent), today=local_today(),
                           role_labels=ASSIGNMENT_ROLES)
    name = _("%(name)s-enterprise code card.pdf", name=ent.name)
    # WeasyPrint takes about 2 s to import: web processes load it only when a card is
    # printed (crm.meetings.packets.render imports it).
    from crm.meetings.packets.render import html_to_pdf

    return send_download(html_to_pdf(html).pdf, name, "application/pdf")


@bp.route("/channel/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    """A photo an enterprise attached, to those who may see the problem."""
    item = db.session.scalar(select(ChannelPhoto).where(ChannelPhoto.id == photo_id)
                             .options(undefer(ChannelPhoto.data)))
    issue = db.session.get(Issue, item.issue_id) if item is not None else None
    if issue is None or not issue_permissions.can_view(current_user, issue):
        abort(404)
    ext = "jpg" if item.content_type == "image/jpeg" else "png"
    response = send_download(item.data, f"{issue.number}-{item.id}.{ext}", item.content_type)
    response.headers.update({"Content-Security-Policy": "default-src 'none'; sandbox",
                             "X-Content-Type-Options": "nosniff"})
    return response


def submission_panel(issue) -> dict | None:
    """What the problem page shows for a problem the enterprise raised itself: the
    contact it left and its photos (None for other problems; one or two queries)."""
    if issue.source != "enterprise":
        return None
    sub, photo_ids = services.submission_of(issue.id)
    return {"sub": sub, "photo_ids": photo_ids}


@bp.app_context_processor
def channel_helpers():
    """Template helpers for the registry's and the problems' pages (which live below
    this package and cannot import it)."""
    return {"channel_code_qr": code_qr, "channel_submission": submission_panel}
