"""The suite's clock: every test runs at a fixed instant, so no test depends on the day
the suite happens to run.

* By default a test starts at ``DEFAULT_NOW`` (a Wednesday afternoon in Asia/Shanghai)
  and the clock ticks on from there (``time_machine.travel(..., tick=True)``), so code
  that waits or measures elapsed time still works.
* ``@pytest.mark.now("2026-12-31 09:00")`` starts a test at another local instant.
* ``@pytest.mark.real_clock`` runs a test on the machine's clock (browser tests: the
  browser's clock and cookie expiry cannot be moved with the server's).
* ``SWEEP_DATES`` are the days on which date-sensitive behaviour (deadlines, lights,
  boards, sweeps, coverage weeks, overview months, packets, generators, query counts) is
  exercised again; the ``sweep_now`` fixture parametrizes a test over them.
"""
from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from crm.core.timeutil import LOCAL_TZ

DEFAULT_NOW = "2026-11-25 14:30"

# (id, local instant): why each day is interesting.
SWEEP_DATES = [
    ("monday", "2026-11-23 09:15"),          # the first day of a coverage week
    ("month-end", "2026-11-30 17:45"),       # a month's last day, just before 18:00 deadlines
    ("after-national-day", "2026-10-08 08:30"),  # first working day after 国庆 (1–7 Oct off)
    ("year-end", "2026-12-31 10:00"),        # the last day of the year, holiday ahead
    ("in-2027", "2027-01-04 11:00"),         # a year the holiday package does not know
]


def local_instant(text: str) -> datetime:
    """``"2026-12-31 09:00"`` as an aware Asia/Shanghai datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


class Clock:
    """The running test's clock. ``clock.travel("2026-12-30 10:00")`` moves it."""

    def __init__(self, start: str):
        self._traveller = None
        self.travel(start)

    def travel(self, when: str | datetime, tick: bool = True) -> None:
        """Jump to ``when`` (local text or an aware datetime) and tick on from there."""
        self.stop()
        dest = local_instant(when) if isinstance(when, str) else when
        self._traveller = time_machine.travel(dest, tick=tick)
        self._traveller.start()

    def stop(self) -> None:
        if self._traveller is not None:
            self._traveller.stop()
            self._traveller = None


def start_clock(request) -> Clock | None:
    """The clock a test asked for with its markers (``None`` for ``real_clock``)."""
    if request.node.get_closest_marker("real_clock"):
        return None
    marker = request.node.get_closest_marker("now")
    start = marker.args[0] if marker else DEFAULT_NOW
    sweep = getattr(request.node, "callspec", None)
    if sweep is not None and "sweep_now" in sweep.params:
        start = dict(SWEEP_DATES)[sweep.params["sweep_now"]]
    return Clock(start)


def sweep_params():
    """pytest params for ``sweep_now``: one per sweep day, with readable ids."""
    return [pytest.param(name, id=name) for name, _ in SWEEP_DATES]
