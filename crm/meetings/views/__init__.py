"""Meetings blueprint: the coordinator's overview and the meeting pages."""
from flask import Blueprint

bp = Blueprint("meetings", __name__)

from crm.meetings.views import meetings, overview  # noqa: E402,F401  (routes register on bp)
from crm.meetings.views import bulletins, scorecards  # noqa: E402,F401  (考核, 周通报)
from crm.meetings import financing  # noqa: E402,F401  (政银企 sections on the overview and packet)
from crm.meetings import verification  # noqa: E402,F401  (回访 figures, 类案 in the review)
from crm.meetings import health_flags  # noqa: E402,F401  (经营风险标记 on the overview)
