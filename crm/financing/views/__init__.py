"""The ``financing`` blueprint (/financing): ``needs`` (the coordinator's needs, raising
one, the push screen, closing, the 推荐清单 export) and ``bank`` (a bank's queue and its
answers, the only pages a bank's account manager reaches)."""
from flask import Blueprint
from flask_login import current_user

from crm.financing.links import visit_offer
from crm.financing.services import wan

bp = Blueprint("financing", __name__)


@bp.app_template_filter("wan")
def wan_filter(value) -> str:
    """An amount in 万元 without trailing zeros."""
    return wan(value)



@bp.app_template_global("financing_offer")
def financing_offer(visit) -> str | None:
    """The "登记融资需求" link a visit page offers (``crm.financing.links``)."""
    return visit_offer(visit, current_user) if current_user.is_authenticated else None


from crm.financing.views import bank, needs, sessions, support  # noqa: E402,F401  (routes register on bp)
