"""The problem list's filters: parsed from the query string, described in words, and
applied to a ``select(Issue)``.

Besides the everyday filters (state, light, unit, people, text) the list takes every
set of problems a figure counts (``crm.issues.problem_sets``), so that each number of
the overview opens exactly the problems behind it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from crm.core.timeutil import local_midnight_utc, to_utc
from crm.enterprises.models import Assignment, Enterprise
from crm.issues import problem_sets as sets
from crm.issues.models import LIGHTS, OPEN_STATES, STATES, Issue, IssueUnit
from crm.issues.models import RATING_CHANNELS as CHANNEL_LABELS  # the codes are ours below


def _int(value: Any) -> int | None:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if 0 < n < 2**31 else None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        return None


def _bound(value: Any) -> date | datetime | None:
    """A local date (``2026-11-06``) or a local minute (``2026-11-06T14:30``)."""
    text = str(value).strip()
    if "T" not in text:
        return _date(text)
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    return moment if moment.year >= 2000 else None


def start_instant(bound: date | datetime | None) -> datetime | None:
    """Where a ``*_from`` bound starts: the local midnight of the day, or the minute."""
    if bound is None:
        return None
    if isinstance(bound, datetime):
        return to_utc(bound)
    return local_midnight_utc(bound)


def end_instant(bound: date | datetime | None) -> datetime | None:
    """Where a ``*_to`` bound ends (exclusive): the midnight after the day (the day is
    included), or the minute itself (a running period cut at a time of day)."""
    if bound is None:
        return None
    if isinstance(bound, datetime):
        return to_utc(bound)
    return local_midnight_utc(bound + timedelta(days=1))


def bound_text(bound: date | datetime | None) -> str:
    """A bound as the query string writes it."""
    if isinstance(bound, datetime):
        return bound.strftime("%Y-%m-%dT%H:%M")
    return bound.isoformat() if bound else ""


# The time ranges the figures count by (``crm.issues.problem_sets``): the query string
# has ``<name>_from`` and ``<name>_to`` for each.
RANGES = {
    "raised": sets.raised_in,
    "dispatched": sets.dispatched_in,
    "resolved": sets.resolved_in,
    "handled": sets.handled_in,
    "rated": sets.rated_in,
    "supervised": sets.supervised_in,
    # The unit scorecard's (``crm.meetings.scorecards``): by whom a problem was returned
    # is ``returned_by`` (or ``return_base``); overdue is cut at the range's end or now.
    "returned": sets.returned_in,
    "overdue": sets.overdue_in,
}
RATING_CHANNELS = ("self", "recorded")
# ``signed``: signed for by the sign deadline, or not (late or not yet).
SIGNED = {"on_time": sets.signed_on_time, "late": sets.signed_late}
# ``verified``: the rating as the follow-up calls left it (satisfied or not).
VERIFIED = ("satisfied", "dissatisfied")


@dataclass
class ListFilter:
    """The list's filters, parsed from the query string; anything malformed is ignored
    (never a 500) and reported in ``ignored``.

    Besides the everyday filters the list takes every set a figure counts (the
    overview's numbers link here): a time range per kind of instant (``RANGES``:
    ``dispatched_from`` / ``dispatched_to`` …, a local date, or for ``_to`` a local
    minute ``2026-11-06T14:30`` before which the range ends), ``pending`` (in a unit's
    hands at the end of that day, or at that minute), the lead unit alone
    (``lead_unit``; ``unit`` also matches cooperating units), ``on_time``,
    ``reopened`` (ever), ``rating_min`` and ``channel``; and the unit scorecard's
    sets: ``returned_by`` (the unit whose handlers returned the problem in the
    ``returned`` range), ``return_base`` (those, or first dispatched in that range with
    the unit as lead), the ``overdue`` range, ``signed`` (``on_time`` / ``late``) and
    ``verified`` (``satisfied`` / ``dissatisfied``: the rating after the follow-up
    calls)."""

    state: str | None = None  # a state, or "open"
    light: str | None = None
    unit: int | None = None
    lead_unit: int | None = None
    category: int | None = None
    leader: int | None = None
    commissioner: int | None = None
    enterprise: int | None = None
    q: str = ""
    ranges: dict[str, tuple[date | datetime | None, date | datetime | None]] = field(
        default_factory=dict)
    pending: date | datetime | None = None
    on_time: bool = False
    reopened: bool = False
    rating_min: int | None = None
    channel: str | None = None
    escalated: bool = False
    signed: str | None = None
    verified: str | None = None
    ignored: list[str] = field(default_factory=list)

    INT_KEYS = ("unit", "lead_unit", "category", "leader", "commissioner", "enterprise",
                "returned_by", "return_base")
    returned_by: int | None = None
    return_base: int | None = None
    FLAG_KEYS = ("on_time", "reopened", "escalated")

    @property
    def raised_from(self) -> date | None:
        """The start of the raised range (the filter form's own date field)."""
        value = self.ranges.get("raised", (None, None))[0]
        return value if isinstance(value, date) and not isinstance(value, datetime) else None

    @property
    def raised_to(self) -> date | None:
        """The end of the raised range when it is a whole day (the form's date field)."""
        value = self.ranges.get("raised", (None, None))[1]
        return value if isinstance(value, date) and not isinstance(value, datetime) else None

    @classmethod
    def from_args(cls, args) -> ListFilter:
        """Parse the query string; what cannot be read is ignored and noted."""
        f = cls()
        state = args.get("state") or None
        if state in STATES or state == "open":
            f.state = state
        elif state:
            f.ignored.append("state")
        light = args.get("light") or None
        if light in LIGHTS:
            f.light = light
        elif light:
            f.ignored.append("light")
        for key in cls.INT_KEYS:
            raw = args.get(key)
            if raw:
                value = _int(raw)
                if value is None:
                    f.ignored.append(key)
                setattr(f, key, value)
        for name in RANGES:
            start = end = None
            for key, parse in ((f"{name}_from", _date), (f"{name}_to", _bound)):
                raw = args.get(key)
                value = parse(raw) if raw else None
                if raw and value is None:
                    f.ignored.append(key)
                if key.endswith("_from"):
                    start = value
                else:
                    end = value
            if start is not None or end is not None:
                f.ranges[name] = (start, end)
        raw = args.get("pending")
        if raw:
            f.pending = _bound(raw)
            if f.pending is None:
                f.ignored.append("pending")
        raw = args.get("rating_min")
        if raw:
            f.rating_min = _int(raw) if _int(raw) in (1, 2, 3, 4, 5) else None
            if f.rating_min is None:
                f.ignored.append("rating_min")
        channel = args.get("channel") or None
        if channel in RATING_CHANNELS:
            f.channel = channel
        elif channel:
            f.ignored.append("channel")
        for key, allowed in (("signed", tuple(SIGNED)), ("verified", VERIFIED)):
            value = args.get(key) or None
            if value in allowed:
                setattr(f, key, value)
            elif value:
                f.ignored.append(key)
        f.q = (args.get("q") or "").strip()[:100]
        for key in cls.FLAG_KEYS:
            setattr(f, key, args.get(key) in ("1", "y", "on", "true"))
        return f

    def args(self) -> dict[str, Any]:
        """The active filters as query-string arguments (for links and the export)."""
        out: dict[str, Any] = {}
        for key in ("state", "light", *self.INT_KEYS, "q"):
            value = getattr(self, key)
            if value:
                out[key] = value
        for name, (start, end) in self.ranges.items():
            if start:
                out[f"{name}_from"] = bound_text(start)
            if end:
                out[f"{name}_to"] = bound_text(end)
        if self.pending:
            out["pending"] = bound_text(self.pending)
        if self.rating_min:
            out["rating_min"] = self.rating_min
        if self.channel:
            out["channel"] = self.channel
        for key in ("signed", "verified"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        for key in self.FLAG_KEYS:
            if getattr(self, key):
                out[key] = 1
        return out

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.args())

    def figure_args(self) -> dict[str, Any]:
        """The filters the form has no field for (ranges other than "raised", pending,
        the lead unit, on time …): kept as hidden fields when the form is sent again,
        and described above the list."""
        shown = {"state", "light", "unit", "category", "leader", "commissioner", "q",
                 "raised_from", "raised_to", "escalated", "enterprise"}
        return {k: v for k, v in self.args().items() if k not in shown}


RANGE_LABELS = {
    "raised": _l("Time raised"),
    "dispatched": _l("Time dispatched"),
    "resolved": _l("Time resolved"),
    "handled": _l("Resolved in the range or still pending at its end"),
    "rated": _l("Time rated"),
    "supervised": _l("Time supervised"),
    "returned": _l("Time returned"),
    "overdue": _l("Resolved late in the range or overdue at its end"),
}


def _bound_label(bound: date | datetime) -> str:
    return bound.strftime("%Y-%m-%d %H:%M") if isinstance(bound, datetime) else bound.isoformat()


def describe(f: ListFilter, unit_names: dict[int, str]) -> list[str]:
    """The figure filters in words, shown above the list so that a person can see what
    a figure counted (the form has no fields for them)."""
    out = []
    for name, (start, end) in f.ranges.items():
        label = RANGE_LABELS[name]
        if name == "returned" and f.return_base and not f.returned_by:
            label = _l("Time returned or first dispatched")
        if start and end:
            out.append(_("%(label)s: %(start)s to %(end)s", label=label,
                         start=_bound_label(start), end=_bound_label(end)))
        elif start:
            out.append(_("%(label)s: from %(start)s", label=label, start=_bound_label(start)))
        else:
            out.append(_("%(label)s: until %(end)s", label=label, end=_bound_label(end)))
    if isinstance(f.pending, datetime):
        out.append(_("Still pending at %(time)s", time=_bound_label(f.pending)))
    elif f.pending:
        out.append(_("Still pending at the end of %(day)s", day=_bound_label(f.pending)))
    if f.lead_unit:
        out.append(_("Lead unit: %(name)s", name=unit_names.get(f.lead_unit, f.lead_unit)))
    if f.on_time:
        out.append(_("Resolved on time"))
    if f.reopened:
        out.append(_("Reopened at least once"))
    if f.rating_min:
        out.append(_("Rated %(n)d or better", n=f.rating_min))
    if f.channel:
        out.append(_("Rating: %(channel)s", channel=CHANNEL_LABELS[f.channel]))
    if f.returned_by:
        out.append(_("Returned by %(name)s", name=unit_names.get(f.returned_by,
                                                                 f.returned_by)))
    if f.return_base:
        out.append(_("Returned by %(name)s, or first dispatched to it as the lead unit",
                     name=unit_names.get(f.return_base, f.return_base)))
    if f.signed == "on_time":
        out.append(_("Signed for by the deadline"))
    elif f.signed == "late":
        out.append(_("Not signed for by the deadline"))
    if f.verified == "satisfied":
        out.append(_("Satisfied, as the follow-up calls left the rating"))
    elif f.verified == "dissatisfied":
        out.append(_("Not satisfied, as the follow-up calls left the rating"))
    return out


def apply_filter(stmt, f: ListFilter, now: datetime):
    """Narrow a ``select(Issue)`` by the filters."""
    if f.state == "open":
        stmt = stmt.where(Issue.state.in_(OPEN_STATES))
    elif f.state:
        stmt = stmt.where(Issue.state == f.state)
    if f.light:
        stmt = stmt.where(sets.overdue_now(now) if f.light == "red"
                          else Issue.light_expr(now) == f.light)
    if f.unit:
        coop = select(IssueUnit.issue_id).where(IssueUnit.unit_id == f.unit)
        stmt = stmt.where((Issue.lead_unit_id == f.unit) | Issue.id.in_(coop))
    if f.lead_unit:
        stmt = stmt.where(sets.lead_unit(f.lead_unit))
    if f.category:
        stmt = stmt.where(Issue.category_id == f.category)
    for key, roles in (("leader", ("leader_a", "leader_b")), ("commissioner", ("commissioner",))):
        uid = getattr(f, key)
        if uid:
            stmt = stmt.where(Issue.enterprise_id.in_(
                select(Assignment.enterprise_id).where(
                    Assignment.user_id == uid, Assignment.role.in_(roles),
                    Assignment.end_date.is_(None))))
    if f.enterprise:
        stmt = stmt.where(Issue.enterprise_id == f.enterprise)
    if f.q:
        like = f"%{f.q}%"
        stmt = stmt.where(or_(Issue.title.ilike(like), Issue.number.ilike(like),
                              Issue.enterprise_id.in_(select(Enterprise.id).where(
                                  Enterprise.name.ilike(like)))))
    for name, (start, end) in f.ranges.items():
        lo, hi = start_instant(start), end_instant(end)
        if name == "overdue":
            stmt = stmt.where(sets.overdue_in(lo, hi, now))
        elif name == "returned":
            # The unit's return rate base takes the range too (returned or dispatched).
            if f.return_base:
                stmt = stmt.where(sets.return_base(lo, hi, f.return_base))
            if f.returned_by or not f.return_base:
                stmt = stmt.where(sets.returned_in(lo, hi, f.returned_by))
        else:
            stmt = stmt.where(RANGES[name](lo, hi))
    if f.signed:
        stmt = stmt.where(SIGNED[f.signed]())
    if f.verified:
        cond = sets.verified_satisfied()
        stmt = stmt.where(cond if f.verified == "satisfied" else ~cond)
    if f.pending:
        stmt = stmt.where(sets.pending_at(end_instant(f.pending)))
    if f.on_time:
        stmt = stmt.where(sets.on_time())
    if f.reopened:
        stmt = stmt.where(sets.ever_reopened())
    if f.rating_min:
        stmt = stmt.where(sets.rating_at_least(f.rating_min))
    if f.channel:
        stmt = stmt.where(sets.rated_by(f.channel))
    if f.escalated:
        stmt = stmt.where(Issue.is_escalated.is_(True))
    return stmt
