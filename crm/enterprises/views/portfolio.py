"""The leader's home: 我包联的企业."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from crm.auth.permissions import role_required
from crm.core.timeutil import local_today, utcnow
from crm.enterprises import pages
from crm.enterprises.views import bp
from crm.liaisons.assignments import absences_of, is_away


@bp.route("/mine")
@role_required("leader")
def portfolio():
    """One card per enterprise I hold as leader A or B, red problems first."""
    now, today = utcnow(), local_today()
    cards = pages.portfolio(current_user, now, today)
    from crm.liaisons.coverage import stale_enterprises

    return render_template("enterprises/portfolio.html", cards=cards, now=now,
                           away_now=is_away(current_user, today),
                           periods=absences_of(current_user),
                           stale=stale_enterprises(leader=current_user, today=today))
