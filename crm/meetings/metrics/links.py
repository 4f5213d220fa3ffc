"""Which problems each figure counts, as the problem list's filters.

Every number on the overview opens the problem list filtered to exactly the problems
it counts: the list filters by the same conditions the figures are counted with
(``crm.issues.problem_sets``), so the list's "共 N 件问题" equals the number. A rate
opens its base (denominator) and shows its numerator beside it, also linked.
"""
from __future__ import annotations

from typing import Callable, Optional

from crm.issues.problem_sets import SATISFIED
from crm.meetings.metrics.figures import Figures, Period


def _range(name: str) -> Callable[[Period], dict]:
    return lambda p: {f"{name}_from": p.start_arg, f"{name}_to": p.end_arg}


# Set name → the list's filters for a period. The names are ``Figures`` attributes:
# ``getattr(figures, name)`` is how many problems the set holds.
SETS: dict[str, Callable[[Period], dict]] = {
    "raised": _range("raised"),
    "dispatched": _range("dispatched"),
    "resolved": _range("resolved"),
    "pending": lambda p: {"pending": p.end_arg},
    "handled": _range("handled"),
    "on_time": lambda p: {**_range("resolved")(p), "on_time": 1},
    "redone": lambda p: {**_range("resolved")(p), "reopened": 1},
    "days_count": _range("resolved"),
    "rated": _range("rated"),
    "satisfied": lambda p: {**_range("rated")(p), "rating_min": SATISFIED},
    "rated_self": lambda p: {**_range("rated")(p), "channel": "self"},
    "supervised": _range("supervised"),
    "overdue_now": lambda p: {"light": "red"},
}

# Rate → (numerator set, base set).
RATES = {
    "resolution_rate": ("resolved", "handled"),
    "on_time_rate": ("on_time", "resolved"),
    "satisfaction_rate": ("satisfied", "rated"),
    "self_rated_rate": ("rated_self", "rated"),
    "reopen_rate": ("redone", "resolved"),
}


def set_filters(name: str, period: Period, unit: Optional[int] = None) -> dict:
    """The problem list's query arguments for the set ``name`` in ``period``, for the
    lead unit ``unit`` (the county when None)."""
    args = dict(SETS[name](period))
    if unit is not None:
        args["lead_unit"] = unit
    return args


def set_count(name: str, figures: Figures) -> int:
    """How many problems the set ``name`` holds according to ``figures``."""
    return int(getattr(figures, name))
