"""The bank's deadlines: each step it owes ends at 18:00 on the N-th working day after
the day the step began (the stage rule of ``crm.issues.deadlines``), yellow from the
end of the working day ``max(1, 20 %)`` before.

Steps and their default length in working days (settings ``FINANCING_ACCEPT_DAYS``,
``FINANCING_DECIDE_DAYS``, ``FINANCING_DISBURSE_DAYS``):

* ``pushed`` → accept (已受理) within 3;
* ``accepted``/``diligence`` → a credit decision (已授信 or 未通过) within 15 from the
  acceptance;
* ``granted`` → disbursement (已放款) within 10 from the grant.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context

from crm.issues import deadlines as dl

DEFAULT_DAYS = {"accept": 3, "decide": 15, "disburse": 10}
SETTING = {"accept": "FINANCING_ACCEPT_DAYS", "decide": "FINANCING_DECIDE_DAYS",
           "disburse": "FINANCING_DISBURSE_DAYS"}
# The step a bank owes in each state.
STEP_OF_STATE = {"pushed": "accept", "accepted": "decide", "diligence": "decide",
                 "granted": "disburse"}


def step_days(step: str) -> int:
    """Working days the bank has for ``step`` (the setting, else the default)."""
    if has_app_context():
        value = current_app.config.get(SETTING[step])
        if value:
            return int(value)
    return DEFAULT_DAYS[step]


def step_deadline(started_at: datetime, step: str,
                  cal: dl.WorkCalendar | None = None) -> tuple[datetime, datetime]:
    """(due_at, warn_at) of ``step`` begun at ``started_at``."""
    start = dl.local_date(started_at)
    days = step_days(step)
    cal = cal or dl.WorkCalendar.around(start)
    due_day = cal.add(start, days)
    return dl.end_of_day(due_day), dl.warn_instant(start, due_day, False, cal)


def page_calendar(responses, now: datetime) -> dl.WorkCalendar:
    """One working-day calendar (one query) for the countdowns of a page's answers."""
    days = [dl.local_date(now)] + [dl.local_date(r.due_at) for r in responses if r.due_at]
    return dl.WorkCalendar.around(*days)


def countdowns(responses, now: datetime) -> dict:
    """{response id: its countdown} for a page, on one calendar."""
    cal = page_calendar(responses, now)
    return {r.id: countdown(r, now, cal) for r in responses}


def countdown(response, now: datetime, cal: dl.WorkCalendar | None = None):
    """The countdown of the step the bank owes (``crm.issues.deadlines.Countdown``), or
    None when it owes nothing."""
    if response.due_at is None or response.state not in STEP_OF_STATE:
        return None
    today, due_day = dl.local_date(now), dl.local_date(response.due_at)
    cal = cal or dl.WorkCalendar.around(today, due_day)
    if now <= response.due_at:
        left = cal.between(today, due_day)
        return dl.Countdown("today") if left <= 0 else dl.Countdown("left", left)
    return dl.Countdown("overdue", max(0, cal.between(due_day, today)))
