"""政银企 on the coordinator's overview and in the monthly joint-meeting packet (the
financing figures of ``crm.financing.figures`` and the 停减产 list), and the packet kind
``matching`` (a matchmaking session's one-page list, subject ``matching:<id>``) with the
route that asks for it. Financing sits below meetings, so all of this is registered
here, at the load of the meetings views."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import has_request_context, url_for
from flask_login import current_user

from crm.auth.permissions import role_required

from crm.core.timeutil import local_today
from crm.enterprises.models import STATUSES
from crm.financing import figures as fin
from crm.extensions import db
from crm.financing import matching, support
from crm.financing.models import MATCH_RESULTS, PURPOSES, SUPPORT_REASONS, MatchSession
from crm.meetings.packets import kinds, versions
from crm.meetings.sections import Section, add_overview, add_packet
from crm.meetings.views import bp
from crm.meetings.views.packets import _dispatch_and_show


def _links(data: fin.Figures):
    """``link(figure, scope, bank=…, town=…)`` → the need list of exactly those needs
    (in a request; packets print the numbers without links)."""
    if not has_request_context():
        return None
    base, made = url_for("financing.index"), {}

    def link(figure, scope, **kw):
        # A count and its amount share a link, and the county's table has hundreds: the
        # list's address is built once, its query encoded per figure.
        key = (figure, scope, tuple(sorted(kw.items())))
        if key not in made:
            made[key] = f"{base}?{urlencode(fin.link_filters(figure, scope, data, **kw))}"
        return made[key]

    return link


def _overview(period, now):
    data = fin.compute(period.start, period.end)
    return {"fig": data, "link": _links(data), "stage_labels": fin.STAGE_LABELS}


def _packet(meeting, now):
    data = fin.compute(meeting.period_start, meeting.period_end)
    if data.empty:
        return None
    return {"fig": data, "link": None, "stage_labels": fin.STAGE_LABELS}


add_overview(Section("financing", 40, "financing/_figures_section.html", _overview))
add_packet("joint", Section("financing", 40, "financing/_figures_section.html", _packet))


def _support_packet(meeting, now):
    """停减产 in the monthly packet: the month's figures and the list by town."""
    figures = support.month_figures(meeting.period_start, meeting.period_end)
    groups = support.stopped_by_town(min(local_today(), meeting.period_end))
    if not groups and not figures["resumed"]:
        return None
    return {"figures": figures, "groups": groups, "reasons": SUPPORT_REASONS,
            "statuses": STATUSES}


add_packet("joint", Section("support", 41, "financing/_support_section.html", _support_packet))


# -- the matchmaking session's one-page list (packet kind "matching") ---------------------

def _session_id(briefing) -> int:
    return int((briefing.subject_key or "matching:0").split(":")[1])


def _matching_context(briefing, full_lists: bool) -> dict:
    data = matching.sheet(_session_id(briefing))
    return {**data, "results": MATCH_RESULTS, "purposes": PURPOSES}


def _matching_title(briefing) -> str:
    session = db.session.get(MatchSession, _session_id(briefing))
    return f"{session.title if session else ''} 政银企对接清单"


def _matching_back(briefing) -> str:
    return url_for("financing.session", session_id=_session_id(briefing))


kinds.register(kinds.PacketKind(
    "matching", _matching_context, _matching_title,
    lambda user, briefing: user.sees_all,   # coordinators and admins only
    "financing/matching_packet.html", back=_matching_back))


@bp.route("/matching/<int:session_id>", methods=["POST"])
@role_required("coordinator")
def matching_packet(session_id: int):
    """Generate a new version of a session's one-page list (PDF)."""
    session = db.get_or_404(MatchSession, session_id)
    briefing = versions.request_briefing("matching", current_user,
                                         subject_key=f"matching:{session.id}")
    return _dispatch_and_show(briefing.id)
