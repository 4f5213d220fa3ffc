"""Meetings blueprint: the coordinator's overview and the meeting pages."""
from flask import Blueprint

bp = Blueprint("meetings", __name__)

from crm.meetings.views import meetings, overview  # noqa: E402,F401  (routes register on bp)
