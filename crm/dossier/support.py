"""The enterprise page's 政银企 card: its financing needs (with the link to register
one) and, for an enterprise that halted or reduced production, the 停减产 support card
with the measures taken since (problems, financing needs, policies delivered). Composed
here because it reads financing, problems and visits; a template global, so the page's
view stays as it is."""
from __future__ import annotations

from sqlalchemy import func, select

from crm.core.timeutil import local_today
from crm.enterprises.views import bp
from crm.extensions import db
from crm.financing import support
from crm.financing.models import STOPPED_STATUSES, SUPPORT_REASONS, FinancingNeed, SupportCase
from crm.liaisons.models import Policy, Visit, VisitPolicy


def _policies_since(enterprise_id: int, since):
    """Policies delivered to the enterprise on visits since ``since`` (title, date)."""
    return db.session.execute(
        select(Policy.id, Policy.title, func.max(Visit.visit_date).label("on"))
        .join(VisitPolicy, VisitPolicy.policy_id == Policy.id)
        .join(Visit, Visit.id == VisitPolicy.visit_id)
        .where(Visit.enterprise_id == enterprise_id, Visit.visit_date >= since)
        .group_by(Policy.id, Policy.title).order_by(func.max(Visit.visit_date).desc())
        .limit(20)).all()


@bp.app_template_global("financing_card")
def financing_card(ent) -> dict:
    """What the card shows: open needs (count, in the statement that also finds the
    newest support case), and the support card when the enterprise is stopped or
    resumed lately (then a few more statements)."""
    open_needs = (select(func.count()).select_from(FinancingNeed).where(
        FinancingNeed.enterprise_id == ent.id, FinancingNeed.state == "open")
        .scalar_subquery())
    newest_case = (select(SupportCase.id).where(SupportCase.enterprise_id == ent.id)
                   .order_by(SupportCase.id.desc()).limit(1).scalar_subquery())
    count, case_id = db.session.execute(select(open_needs, newest_case)).one()
    out = {"open_needs": count, "card": None, "policies": [], "reasons": SUPPORT_REASONS,
           "stopped": ent.status in STOPPED_STATUSES}
    if case_id is not None or out["stopped"]:
        out["card"] = support.card(ent, local_today())
        if out["card"] and out["card"].case:
            out["policies"] = _policies_since(ent.id, out["card"].case.since)
    return out
