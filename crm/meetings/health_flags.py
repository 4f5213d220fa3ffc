"""Health flags (经营风险标记) on the coordinator's overview: for the month, how many
visits saw each flag, by the enterprise's town; every figure links to the visit list
filtered to exactly those visits. Registered at the load of the meetings views."""
from __future__ import annotations

from flask import has_request_context, url_for
from sqlalchemy import func, select

from crm.auth.models import Unit
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.liaisons.models import HEALTH_FLAGS, Visit, VisitFlag
from crm.meetings.metrics.cache import visit_month_domain
from crm.meetings.sections import Section, add_overview


def flag_counts(start, end) -> dict[tuple[str, int | None], int]:
    """{(flag, town id): visits with that flag} for visit dates ``start``..``end``
    (one grouped query; the town is the enterprise's, None when it has none)."""
    rows = db.session.execute(
        select(VisitFlag.flag, Enterprise.town_id, func.count(VisitFlag.visit_id))
        .join(Visit, Visit.id == VisitFlag.visit_id)
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .where(Visit.visit_date >= start, Visit.visit_date <= end)
        .group_by(VisitFlag.flag, Enterprise.town_id))
    return {(flag, town): n for flag, town, n in rows}


def _overview(period, now, snapshot=None):
    # The counts come with the month's figures (``metrics.cached_snapshot``: the same
    # statement and cache entry, renewed by a visit of the month); the towns' names too.
    if snapshot is not None and snapshot.flags is not None:
        counts, names = snapshot.flags, snapshot.unit_names
    else:
        counts, names = flag_counts(period.start, period.end), None
    if not counts:
        return {"rows": [], "towns": [], "period": period, "links": None}
    town_ids = sorted({t for _f, t in counts if t is not None})
    if names is None:
        names = dict(db.session.execute(select(Unit.id, Unit.name).where(
            Unit.id.in_(town_ids))).all()) if town_ids else {}
    towns = sorted(((tid, names.get(tid, "")) for tid in town_ids), key=lambda t: t[1])
    if any(t is None for _f, t in counts):
        towns.append((None, None))
    dates = {"date_from": period.start.isoformat(), "date_to": period.end.isoformat()}
    rows = []
    for flag, label in HEALTH_FLAGS.items():
        by_town = {tid: counts.get((flag, tid), 0) for tid, _n in towns}
        total = sum(by_town.values())
        if not total:
            continue
        links = None
        if has_request_context():
            links = {tid: url_for("liaisons.index", flag=flag, town=tid, **dates)
                     for tid in by_town if tid is not None}
            links["total"] = url_for("liaisons.index", flag=flag, **dates)
        rows.append({"flag": flag, "label": label, "by_town": by_town, "total": total,
                     "links": links})
    return {"rows": rows, "towns": towns, "period": period}


add_overview(Section("health_flags", 20, "meetings/_health_flags_section.html", _overview,
                     with_figures=True,
                     domains=lambda period: ("visits", visit_month_domain(period.in_month))))
