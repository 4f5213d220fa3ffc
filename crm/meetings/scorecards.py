"""The unit scorecard (考核): a monthly score per unit from seven figures, with weights
and thresholds the admin sets, the ranking (month and year to date) with each unit's
breakdown, and the automatic 督办 notice to the units below the threshold.

The figures, for a period P and the problems whose current lead unit is the unit (as
every figure by unit, ``crm.meetings.metrics``):

* 按期签收率 ``sign_rate`` = problems first dispatched in P and signed by their sign
  deadline ÷ problems first dispatched in P;
* 按期办结率 ``on_time_rate`` = the metrics' on-time rate (resolved on time ÷ resolved in P);
* 退回率 ``return_rate`` = returns by the unit's handlers in P ÷ (those returns + problems
  first dispatched to the unit in P);
* 超期件数 ``overdue`` = resolutions in P that came late + problems still open at the end
  of P (or now, for a month still running) past their due time;
* 重办率 ``reopen_rate`` = the metrics' reopen rate (resolved in P after a reopening ÷
  resolved in P);
* 满意率（回访核实）``satisfaction_rate`` = ratings given in P that are 4 or 5 ÷ ratings given
  in P, where a rating a follow-up call contradicted counts as the call found it (满意 /
  不满意) and a rating under an upheld appeal does not count;
* 督办次数 ``supervised`` = supervision notices (督办) on the unit's problems in P.

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
from sqlalchemy import and_, case, func, or_, select

from crm.auth.models import Unit, User
from crm.core import audit
from crm.core.models import Setting
from crm.core.notify import notify
from crm.core.timeutil import local_midnight_utc, local_today, utcnow
from crm.extensions import db
from crm.issues import problem_sets as sets
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
    "supervised": (_l("Supervision notices"), "count"),
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


def _verified_satisfied():
    """A rating counts as satisfied when it is 4 or 5, unless a follow-up call on that
    rating contradicted it: then as the call found it."""
    contradicting = select(FollowUp.verdict).where(
        FollowUp.issue_id == Issue.id, FollowUp.rated_at == Issue.rated_at,
        FollowUp.is_contradiction.is_(True)).order_by(FollowUp.id.desc()).limit(1) \
        .scalar_subquery()
    return case((contradicting.is_not(None), contradicting == "satisfied"),
                else_=Issue.rating >= 4)


def compute(start: date, end: date, now: datetime | None = None) -> list[Card]:
    """Every active unit's card for the local days ``start``..``end``, ranked (best
    first; units without a score last). Five queries whatever the data size."""
    now = now or utcnow()
    cfg = settings()
    lo, hi = local_midnight_utc(start), local_midnight_utc(end + timedelta(days=1))
    cut = min(hi, now)
    unit = Issue.lead_unit_id
    count = func.count

    def by_unit(*cols, where):
        return {r[0]: r[1:] for r in db.session.execute(
            select(unit, *cols).where(where, unit.is_not(None)).group_by(unit))}

    dispatched = by_unit(count(), count().filter(
        Issue.signed_at.is_not(None) & (Issue.signed_at <= Issue.sign_due_at)),
        where=sets.dispatched_in(lo, hi))
    resolved = by_unit(count(), count().filter(sets.on_time()),
                       count().filter(sets.ever_reopened()),
                       count().filter(~sets.on_time()), where=sets.resolved_in(lo, hi))
    open_late = by_unit(count(), where=and_(
        Issue.dispatched_at < cut, Issue.due_at < cut, Issue.state != "paused",
        or_(Issue.resolved_at.is_(None), Issue.resolved_at >= cut),
        or_(Issue.closed_at.is_(None), Issue.closed_at >= cut)))
    rated = by_unit(count(), count().filter(_verified_satisfied()),
                    where=sets.rated_in(lo, hi))
    supervised = dict(db.session.execute(
        select(unit, count()).select_from(IssueEvent).join(Issue, Issue.id == IssueEvent.issue_id)
        .where(IssueEvent.action == "supervise", IssueEvent.at >= lo, IssueEvent.at < hi,
               unit.is_not(None)).group_by(unit)).all())
    returns = dict(db.session.execute(
        select(User.unit_id, count()).select_from(IssueEvent)
        .join(User, User.id == IssueEvent.actor_id)
        .where(IssueEvent.action == "return", IssueEvent.at >= lo, IssueEvent.at < hi,
               User.unit_id.is_not(None)).group_by(User.unit_id)).all())

    cards = []
    for u in db.session.scalars(select(Unit).where(Unit.is_active.is_(True))
                                .order_by(Unit.kind.desc(), Unit.name)):
        d = dispatched.get(u.id, (0, 0))
        r = resolved.get(u.id, (0, 0, 0, 0))
        ret = int(returns.get(u.id, 0))
        has_work = bool(d[0] or r[0] or ret or u.id in open_late or u.id in rated)
        parts = {
            "sign_rate": _rate(d[1], d[0]),
            "on_time_rate": _rate(r[1], r[0]),
            "return_rate": _rate(ret, ret + d[0]),
            "overdue": Part(float(r[3] + open_late.get(u.id, (0,))[0]) if has_work else None,
                            r[3] + open_late.get(u.id, (0,))[0]),
            "reopen_rate": _rate(r[2], r[0]),
            "satisfaction_rate": _rate(*rated.get(u.id, (0, 0))[::-1]),
            "supervised": Part(float(supervised.get(u.id, 0)) if has_work else None,
                               int(supervised.get(u.id, 0))),
        }
        card = Card(u.id, u.name, parts)
        card.score = score_of(parts, cfg)
        cards.append(card)
    scored = sorted((c for c in cards if c.score is not None), key=lambda c: -c.score)
    for i, c in enumerate(scored):
        c.rank = 1 + sum(1 for o in scored[:i] if o.score > c.score)
    return scored + [c for c in cards if c.score is None]


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def ranking(year: int, month: int, now: datetime | None = None) -> dict:
    """The month's cards and the year's (1 January to the month's end, or today)."""
    start, end = month_bounds(year, month)
    today = local_today()
    end = min(end, today) if start <= today else end
    return {"month": compute(start, end, now), "year": compute(date(year, 1, 1), end, now),
            "start": start, "end": end, "settings": settings()}


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
