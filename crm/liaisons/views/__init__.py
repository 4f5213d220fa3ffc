"""Liaisons blueprint: ``visits`` (the commissioner's week, the visit form, a visit's
page and photos), ``lists`` (the visit list, export and coverage) and ``policies`` (the
policy catalogue) and ``planner`` (visit caps, enterprises visited by several cadres)."""
from flask import Blueprint

bp = Blueprint("liaisons", __name__)

from crm.liaisons.views import lists, planner, policies, visits  # noqa: E402,F401  (routes register on bp)
