"""The 指标说明: what every figure of the overview and the packets counts, in words.

One list, rendered by the 指标说明 page (``meetings.definitions``) and printed as the
monthly packet's last page, so that the page and the paper say the same. The SQL
behind each figure is ``crm.issues.problem_sets``; change both together.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Definition:
    """One figure: its name, its formula when it is a rate, and what it counts."""

    key: str
    name: str
    text: str
    formula: Optional[str] = None


GENERAL = (
    _l("Times are Beijing time. The period is a calendar month; while the month is still "
       "running it is the month's first day to today, and the figures are as of the time "
       "shown."),
    _l("Figures by unit count each problem for its current lead unit only; cooperating "
       "units are not counted. The units' figures add up to the county's (problems raised "
       "but not yet dispatched have no unit and count only in the county's problems "
       "raised)."),
    _l("Every number on the overview opens the list of exactly the problems it counts, and "
       "the list says how many there are, so that anyone can check. A rate opens the "
       "problems of its base; the two numbers under it open its numerator and its base."),
    _l("A finished month is compared with the whole month before. While a month is running "
       "it is compared with the same days of the month before: problem figures up to the "
       "same day and time of day, visits up to the same date (a visit has a date, not a "
       "time); when the month before has no such day (30 March against February), with "
       "the whole month before. Arrows show the change; green is better, red is worse."),
)

DEFINITIONS = (
    Definition("raised", _l("Raised in the period"), _l(
        "Problems registered in the period (raised by a commissioner in a visit, directly, "
        "or by the enterprise itself), whether dispatched yet or not. County only.")),
    Definition("dispatched", _l("Received in the period"), _l(
        "Problems dispatched to a lead unit for the first time in the period. A problem "
        "returned and dispatched again keeps its first dispatch time and counts for its "
        "current lead unit.")),
    Definition("resolved", _l("Resolved in the period"), _l(
        "Problems whose resolution was submitted in the period, whenever they were raised "
        "or dispatched. The latest resolution counts: a problem reopened after its "
        "resolution and not yet resolved again is not resolved (it is pending); one "
        "resolved again counts when it was resolved again. Problems closed without a "
        "resolution (for example, the enterprise was deregistered) are not counted.")),
    Definition("pending", _l("Pending"), _l(
        "Problems dispatched before the end of the period and neither resolved nor closed "
        "at its end (while the month runs: now). Includes problems returned and waiting "
        "to be dispatched again, problems waiting for the enterprise (paused) and "
        "reopened problems.")),
    Definition("resolution_rate", _l("Resolution rate"), _l(
        "The base is every problem the unit had in hand in the period and did not drop: "
        "those it resolved in it and those still pending at its end. So the resolved "
        "count beside the rate is its numerator, it never exceeds the base, and a unit "
        "that resolved problems never shows 0 %. This is the resolution rate of the 12345 "
        "hotline reports (resolved ÷ (resolved + pending)). It is not taken over the "
        "problems raised in the period (problems raised late in a month cannot be "
        "resolved by its end, and the resolved count beside it would count other "
        "problems), nor over the problems due in the period (for the same reason)."),
        _l("Resolved in the period ÷ (resolved in the period + pending)")),
    Definition("on_time_rate", _l("On-time rate"), _l(
        "A problem is resolved on time when its resolution was submitted no later than "
        "its due time then in force (a granted extension moves it; a pause stops the "
        "clock)."),
        _l("Resolved on time ÷ resolved in the period")),
    Definition("avg_days", _l("Average working days to resolve"), _l(
        "For the problems resolved in the period: working days from the day of the first "
        "dispatch to the day of the resolution, on average. The dispatch day is not "
        "counted; holidays and make-up working days follow the calendar the deadlines "
        "use; pauses are not deducted.")),
    Definition("satisfaction_rate", _l("Satisfaction"), _l(
        "Ratings given in the period, the latest rating of each problem. Ratings come "
        "from the enterprise itself through its one-time link or are recorded by a cadre "
        "by phone; the share given by the enterprise itself is shown beside the rate. "
        "A rating against which the unit's appeal was upheld does not count."),
        _l("Ratings of 4 or 5 ÷ ratings given in the period")),
    Definition("reopen_rate", _l("Reopen rate"), _l(
        "A problem is reopened when the enterprise rates its resolution 1 or 2, or a "
        "coordinator reopens it. A reopened problem is pending until it is resolved "
        "again; the rate counts it in the period it is resolved again. A low rating also "
        "lowers the satisfaction rate of the period it was given in."),
        _l("Resolved in the period after a reopening ÷ resolved in the period")),
    Definition("supervised", _l("Problems supervised"), _l(
        "Problems that received a supervision notice in the period; a problem supervised "
        "several times counts once.")),
    Definition("overdue_now", _l("Overdue now"), _l(
        "Open problems whose clock runs and whose due time has passed, at this moment "
        "(paused problems are not counted). A figure of the moment: the same whatever "
        "month is shown, and not compared.")),
    Definition("visits", _l("Visits"), _l(
        "Visit records dated in the period (the visit date, not the time it was "
        "entered).")),
)
