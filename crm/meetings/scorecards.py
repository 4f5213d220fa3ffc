"""The unit scorecard (考核): a monthly score per unit from seven figures, with weights
and thresholds the admin sets, the ranking (month and year to date) with each unit's
breakdown, and the automatic 督办 notice to the units below the threshold.

The figures, for a period P and the problems whose current lead unit is the unit (as
every figure by unit, ``crm.meetings.metrics``):

* 按期签收率 ``sign_rate`` = problems first dispatched in P and signed by their sign
  deadline ÷ problems first dispatched in P;
* 按期办结率 ``on_time_rate`` = the metrics' on-time rate (resolved on time ÷ resolved in P);
* 退回率 ``return_rate`` = problems returned by the unit's handlers in P ÷ (those + the
  problems first dispatched to the unit in P), each problem once;
* 超期件数 ``overdue`` = resolutions in P that came late + problems still open at the end
  of P (or now, for a month still running) past their due time;
* 重办率 ``reopen_rate`` = the metrics' reopen rate (resolved in P after a reopening ÷
  resolved in P);
* 满意率（回访核实）``satisfaction_rate`` = ratings given in P that are 4 or 5 ÷ ratings given
  in P, where a rating a follow-up call contradicted counts as the call found it (满意 /
  不满意) and a rating under an upheld appeal does not count;
* 督办 ``supervised`` = the unit's problems that received a supervision notice (督办) in
  P, each problem once (however many notices it had).

Every count and every rate's numerator and base opens the problem list filtered to
exactly the problems it counts (``LINKS``, through ``crm.issues.problem_sets``).

Each figure becomes a part score from 0 to 100: a rate to be high scores rate × 100, a
rate to be low (1 − rate) × 100, a count max(0, 100 − count × penalty). The unit's score
is the weighted mean of the part scores of the figures it has data for:

    score = Σ wᵢ · sᵢ ÷ Σ wᵢ   (over the figures with data)

A unit with no work in P (nothing dispatched, resolved, returned, rated or overdue)
has no score and no rank. Below ``threshold`` the unit
gets a 督办 notice (once per unit and month).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, distinct, func, or_, select, union

from crm.auth.models import Unit, User
from crm.core import audit
from crm.core.models import Setting
from crm.core.notify import notify
from crm.core.timeutil import local_midnight_utc, local_today, utcnow
from crm.extensions import db
from crm.issues import problem_sets as sets
from crm.issues.appeals import Appeal
from crm.issues.errors import InvalidInput
from crm.issues.followups import FollowUp
from crm.issues.models import Issue, IssueEvent
from crm.issues.notices import unit_handler_ids, zh
from crm.meetings.sections import Section, add_packet

SETTINGS_KEY = "scorecard.settings"
# figure: (label, kind) — kind "high" (rate, higher better), "low" (rate, lower better),
# "count" (a count, fewer better).
FIGURES = {
    "sign_rate": (_l("On-time signing rate"), "high"),
    "on_time_rate": (_l("On-time resolution rate"), "high"),
    "return_rate": (_l("Return rate"), "low"),
    "overdue": (_l("Overdue problems (count)"), "count"),
    "reopen_rate": (_l("Reopen rate"), "low"),
    "satisfaction_rate": (_l("Satisfaction (verified)"), "high"),
    "supervised": (_l("Problems supervised"), "count"),
}
DEFAULTS = {
    "weights": {"sign_rate": 10, "on_time_rate": 25, "return_rate": 10, "overdue": 15,
                "reopen_rate": 10, "satisfaction_rate": 20, "supervised": 10},
    "threshold": 80, "overdue_penalty": 10, "supervise_penalty": 10,
}


def settings() -> dict:
    """The admin's weights and thresholds (the defaults where none are set)."""
    row = db.session.get(Setting, SETTINGS_KEY)
    value = row.value if row is not None and isinstance(row.value, dict) else {}
    out = {**DEFAULTS, **{k: v for k, v in value.items() if k in DEFAULTS}}
    out["weights"] = {**DEFAULTS["weights"], **(value.get("weights") or {})}
    return out


def save_settings(data: dict, actor) -> dict:
    """Check and store the weights (0–100 each, not all 0), the threshold (0–100) and
    the penalties per case (0–100); audited."""
    def number(value, field_name):
        try:
            n = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(_("Enter a whole number from 0 to 100."), field_name) from None
        if not 0 <= n <= 100:
            raise InvalidInput(_("Enter a whole number from 0 to 100."), field_name)
        return n

    weights = {f: number(data.get(f"w_{f}"), f"w_{f}") for f in FIGURES}
    if not any(weights.values()):
        raise InvalidInput(_("At least one weight must be above 0."), "w_on_time_rate")
    new = {"weights": weights, "threshold": number(data.get("threshold"), "threshold"),
           "overdue_penalty": number(data.get("overdue_penalty"), "overdue_penalty"),
           "supervise_penalty": number(data.get("supervise_penalty"), "supervise_penalty")}
    before, actor_id = settings(), getattr(actor, "id", None)
    row = db.session.get(Setting, SETTINGS_KEY)
    if row is None:
        row = Setting(key=SETTINGS_KEY, value=new)
        db.session.add(row)
    row.value, row.updated_by_id = new, actor_id
    audit.record(actor, "update", object_type="setting", before={SETTINGS_KEY: before},
                 after={SETTINGS_KEY: new}, summary=_("Scorecard weights and thresholds"))
    return new


@dataclass
class Part:
    """One figure of a unit: the value, its numerator/denominator, its part score."""

    value: Optional[float]
    num: int = 0
    den: int = 0
    score: Optional[float] = None


@dataclass
class Card:
    """A unit's scorecard for a period."""

    unit_id: int
    unit: str
    parts: dict[str, Part] = field(default_factory=dict)
    score: Optional[float] = None
    rank: Optional[int] = None

    def below(self, threshold: float) -> bool:
        return self.score is not None and self.score < threshold


def part_score(name: str, part: Part, cfg: dict) -> Optional[float]:
    """The part score (0–100) of one figure, None without data."""
    kind = FIGURES[name][1]
    if part.value is None:
        return None
    if kind == "high":
        return 100.0 * part.value
    if kind == "low":
        return 100.0 * (1 - part.value)
    penalty = cfg["overdue_penalty"] if name == "overdue" else cfg["supervise_penalty"]
    return max(0.0, 100.0 - part.value * penalty)


def score_of(parts: dict[str, Part], cfg: dict) -> Optional[float]:
    """Σ wᵢ·sᵢ ÷ Σ wᵢ over the figures with data (None when none has)."""
    total = weight = 0.0
    for name, part in parts.items():
        part.score = part_score(name, part, cfg)
        w = cfg["weights"].get(name, 0)
        if part.score is not None and w:
            total += w * part.score
            weight += w
    return round(total / weight, 1) if weight else None


def _rate(num: int, den: int) -> Part:
    return Part(num / den if den else None, num, den)


def _distinct_in(lo, hi, cond=None):
    """``count(DISTINCT issue)`` of the events in ``[lo, hi)`` (and ``cond``)."""
    when = and_(IssueEvent.at >= lo, IssueEvent.at < hi)
    if cond is not None:
        when = and_(when, cond)
    return func.count(distinct(case((when, IssueEvent.issue_id))))


def _rating_revised():
    """The ids of the problems whose rating an upheld appeal or a contradicting
    follow-up call may change in the figures: the only ones on which ``rated_in``
    differs from ``rating_given_in`` and ``verified_satisfied`` from a rating of 4 or 5
    (a subquery of the two small tables, which the statement starts from)."""
    return union(select(Appeal.issue_id.label("issue_id")).where(Appeal.state == "upheld"),
                 select(FollowUp.issue_id).where(FollowUp.is_contradiction.is_(True))).subquery()


def compute_many(periods: list[tuple[date, date]], now: datetime | None = None,
                 cfg: dict | None = None) -> list[list[Card]]:
    """Every active unit's card for each period (local days ``start``..``end``),
    ranked (best first; units without a score last).

    All periods and all units at once: one grouped query over the problems, one over
    the problems whose rating an appeal or a follow-up call revised, one over the
    supervision notices, one over the returns, plus the units and the settings — six
    statements whatever the data size and however many periods.

    The problems' query counts the ratings as given (``rating_given_in``, a rating of 4
    or 5 as satisfied): per-row look-ups of appeals and follow-up calls over a year of
    problems cost seconds. The second query counts, for the few problems an upheld
    appeal or a contradicting call touches, both the ratings as given and as the
    figures take them (``rated_in``, ``verified_satisfied``); the difference corrects
    the first. The sets are those the problem list filters by."""
    now = now or utcnow()
    cfg = cfg or settings()
    bounds = []
    for start, end in periods:
        lo, hi = local_midnight_utc(start), local_midnight_utc(end + timedelta(days=1))
        bounds.append((lo, hi, min(hi, now)))
    all_lo, all_hi = min(b[0] for b in bounds), max(b[1] for b in bounds)
    unit = Issue.lead_unit_id
    count = func.count

    cols, revised = [], []
    for lo, hi, _cut in bounds:
        dispatched, resolved = sets.dispatched_in(lo, hi), sets.resolved_in(lo, hi)
        given, rated = sets.rating_given_in(lo, hi), sets.rated_in(lo, hi)
        cols += [count().filter(dispatched),
                 count().filter(and_(dispatched, sets.signed_on_time())),
                 count().filter(resolved),
                 count().filter(and_(resolved, sets.on_time())),
                 count().filter(and_(resolved, sets.ever_reopened())),
                 count().filter(sets.overdue_in(lo, hi, now)),
                 count().filter(given),
                 count().filter(and_(given, sets.rating_at_least(sets.SATISFIED)))]
        revised += [count().filter(rated) - count().filter(given),
                    count().filter(and_(rated, sets.verified_satisfied()))
                    - count().filter(and_(given, sets.rating_at_least(sets.SATISFIED)))]
    width = len(cols) // len(bounds)
    issue_rows = {r[0]: list(r[1:]) for r in db.session.execute(
        select(unit, *cols).where(unit.is_not(None), or_(
            sets.dispatched_in(all_lo, all_hi), sets.resolved_in(all_lo, all_hi),
            sets.rating_given_in(all_lo, all_hi), *(sets.open_late_at(b[2]) for b in bounds)))
        .group_by(unit))}
    touched = _rating_revised()
    for r in db.session.execute(
            select(unit, *revised).select_from(touched)
            .join(Issue, Issue.id == touched.c.issue_id)
            .where(unit.is_not(None), sets.rating_given_in(all_lo, all_hi)).group_by(unit)):
        row = issue_rows.setdefault(r[0], [0] * len(cols))
        for k in range(len(bounds)):  # the period's 7th and 8th columns: rated, satisfied
            row[k * width + 6] += r[1 + 2 * k]
            row[k * width + 7] += r[2 + 2 * k]
    # Problems supervised (督办) in each period, each problem once, by lead unit.
    supervised = {r[0]: r[1:] for r in db.session.execute(
        select(unit, *(_distinct_in(lo, hi) for lo, hi, _c in bounds))
        .select_from(IssueEvent).join(Issue, Issue.id == IssueEvent.issue_id)
        .where(IssueEvent.action == "supervise", IssueEvent.at >= all_lo,
               IssueEvent.at < all_hi, unit.is_not(None)).group_by(unit))}
    # Problems returned by each unit's handlers in each period, and of them those also
    # first dispatched to it as lead in the period (counted once in the rate's base).
    both = []
    for lo, hi, _c in bounds:
        both += [_distinct_in(lo, hi), _distinct_in(lo, hi, and_(
            unit == User.unit_id, sets.dispatched_in(lo, hi)))]
    returns = {r[0]: r[1:] for r in db.session.execute(
        select(User.unit_id, *both).select_from(IssueEvent)
        .join(User, User.id == IssueEvent.actor_id).join(Issue, Issue.id == IssueEvent.issue_id)
        .where(IssueEvent.action == "return", IssueEvent.at >= all_lo,
               IssueEvent.at < all_hi, User.unit_id.is_not(None)).group_by(User.unit_id))}
    units = db.session.execute(select(Unit.id, Unit.name).where(Unit.is_active.is_(True))
                               .order_by(Unit.kind.desc(), Unit.name)).all()

    out = []
    for k in range(len(bounds)):
        cards = []
        idle = {name: Part(None) for name in FIGURES}  # a unit without any figure
        for unit_id, name in units:
            row = issue_rows.get(unit_id)
            if row is None and unit_id not in returns and unit_id not in supervised:
                cards.append(Card(unit_id, name, idle))
                continue
            (d, d_signed, r, r_on_time, r_reopened, overdue, rated,
             satisfied) = row[k * width:(k + 1) * width] if row else (0,) * width
            ret, ret_dispatched = returns.get(unit_id, (0,) * 2 * len(bounds))[2 * k:2 * k + 2]
            sup = supervised.get(unit_id, (0,) * len(bounds))[k]
            has_work = bool(d or r or ret or overdue or rated)
            parts = {
                "sign_rate": _rate(d_signed, d),
                "on_time_rate": _rate(r_on_time, r),
                "return_rate": _rate(ret, d + ret - ret_dispatched),
                "overdue": Part(float(overdue) if has_work else None, overdue),
                "reopen_rate": _rate(r_reopened, r),
                "satisfaction_rate": _rate(satisfied, rated),
                "supervised": Part(float(sup) if has_work else None, sup),
            }
            card = Card(unit_id, name, parts)
            card.score = score_of(parts, cfg)
            cards.append(card)
        scored = sorted((c for c in cards if c.score is not None), key=lambda c: -c.score)
        for i, c in enumerate(scored):  # equal scores share a rank (1, 2, 2, 4)
            c.rank = scored[i - 1].rank if i and scored[i - 1].score == c.score else i + 1
        out.append(scored + [c for c in cards if c.score is None])
    return out


def compute(start: date, end: date, now: datetime | None = None) -> list[Card]:
    """Every active unit's card for the local days ``start``..``end`` (``compute_many``
    for one period)."""
    return compute_many([(start, end)], now)[0]


# Figure → (the problem list's filters for the numerator or count, for a rate's base)
# of a unit over the local days ``a``..``b``. Each set is counted above by the very
# conditions the list filters by (``crm.issues.problem_sets``), so the list holds
# exactly the problems of the figure.
def _days(name: str, a: date, b: date) -> dict:
    return {f"{name}_from": a.isoformat(), f"{name}_to": b.isoformat()}


def _led(name: str, **extra):
    return lambda u, a, b: {**_days(name, a, b), "lead_unit": u, **extra}


LINKS = {
    "sign_rate": (_led("dispatched", signed="on_time"), _led("dispatched")),
    "on_time_rate": (_led("resolved", on_time=1), _led("resolved")),
    "return_rate": (lambda u, a, b: {**_days("returned", a, b), "returned_by": u},
                    lambda u, a, b: {**_days("returned", a, b), "return_base": u}),
    "overdue": (_led("overdue"), None),
    "reopen_rate": (_led("resolved", reopened=1), _led("resolved")),
    "satisfaction_rate": (_led("rated", verified="satisfied"), _led("rated")),
    "supervised": (_led("supervised"), None),
}


def link_args(figure: str, which: int, unit_id: int, start: date, end: date) -> dict | None:
    """The problem list's query arguments behind a figure of a unit's card: ``which`` 0
    for the numerator (or the count), 1 for a rate's base."""
    make = LINKS[figure][which]
    return make(unit_id, start, end) if make is not None else None


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def ranking(year: int, month: int, now: datetime | None = None) -> dict:
    """The month's cards and the year's (1 January to the month's end, or today), in
    one pass."""
    start, end = month_bounds(year, month)
    today = local_today()
    end = min(end, today) if start <= today else end
    cfg = settings()
    month_cards, year_cards = compute_many([(start, end), (date(year, 1, 1), end)], now, cfg)
    return {"month": month_cards, "year": year_cards, "start": start, "end": end,
            "year_start": date(year, 1, 1), "settings": cfg}


def notify_below_threshold(year: int, month: int, now: datetime | None = None) -> int:
    """The automatic 督办 notice to each unit below the threshold for the month (once per
    unit and month: the dedupe key). Returns how many notifications were added."""
    cfg = settings()
    start, end = month_bounds(year, month)
    cards = [c for c in compute(start, end, now) if c.below(cfg["threshold"])]
    handlers = unit_handler_ids([c.unit_id for c in cards])
    added = 0
    for c in cards:
        text = zh(_l("Supervision notice (督办): %(unit)s scored %(score)s in %(month)s, below "
                     "the threshold of %(t)s. Weakest figure: %(weak)s.", unit=c.unit,
                     score=c.score, month=f"{year}-{month:02d}", t=cfg["threshold"],
                     weak=_weakest(c)))
        added += notify(handlers.get(c.unit_id, set()), "scorecard_supervision", text,
                        link=f"/meetings/scorecards?month={year}-{month:02d}",
                        dedupe_key=f"scorecard:{c.unit_id}:{year}-{month:02d}")
    return added


def _weakest(card: Card) -> str:
    parts = [(p.score, n) for n, p in card.parts.items() if p.score is not None]
    return str(FIGURES[min(parts)[1]][0]) if parts else "—"



# -- in the packets ----------------------------------------------------------------------------

def _packet(meeting, now):
    """The ranking and each unit's breakdown for the meeting's period."""
    cards = compute(meeting.period_start, meeting.period_end, now)
    if not any(c.score is not None for c in cards):
        return None
    return {"cards": [c for c in cards if c.score is not None], "FIGURES": FIGURES,
            "threshold": settings()["threshold"]}


add_packet("joint", Section("scorecard", 20, "meetings/briefing/_scorecard.html", _packet))
add_packet("review", Section("scorecard", 20, "meetings/briefing/_scorecard.html", _packet))
