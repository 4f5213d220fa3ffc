"""Which problems the demo county has: for each, where its story should lead (a state,
and for a running clock a light), what it is about, who raised it in which visit, and
when it was dispatched. Nothing is written here; ``stories`` plays the plans."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from crm.auth.models import User
from crm.core.timeutil import to_local
from crm.issues.models import Category
from crm.issues.reference import CATEGORIES
from crm.seed.county.context import Ctx, VisitRef
from crm.seed.county.data import CATEGORY_WEIGHTS, IIT_BUREAU, LEVEL_CN, PROBLEMS


@dataclass
class Spec:
    """Where one generated problem's story should lead."""

    state: str
    light: str | None = None
    category: str | None = None
    author: User | None = None   # raise it in one of this commissioner's visits
    source: str = "visit"
    duplicate: bool = False      # closed straight from new as a duplicate


@dataclass
class Plan:
    """One problem as planned: what it is, who raised it when (and in which visit), when
    it is dispatched (None: it stays new, or is closed as a duplicate)."""

    spec: Spec
    title: str
    description: str
    resolution: str | None
    category: Category | None
    level: str
    raiser_id: int
    raised_at: datetime
    enterprise_id: int | None = None
    visit: VisitRef | None = None
    dispatch_at: datetime | None = None
    lead_unit_id: int | None = None
    due_day: date | None = None      # a meeting decision's deadline, chosen at dispatch


def specs(ctx: Ctx) -> list[Spec]:
    """Scripted problems for the demo sign-ins first, then the county's mix."""
    me = ctx.demo["commissioner"]
    scripted = [("new", None, "融资信贷"), ("dispatched", "green", "用工招工"),
                ("dispatched", "red", "用工招工"), ("in_progress", "green", "用工招工"),
                ("in_progress", "yellow", "用工招工"), ("in_progress", "red", "用工招工"),
                ("returned", None, "用地规划"), ("paused", None, "审批办证"),
                ("resolved", None, "用工招工"), ("reopened", None, "水电气暖"),
                ("closed", None, "用工招工"), ("closed", None, "政策兑现")]
    out = [Spec(s, light, cat, author=me) for s, light, cat in scripted]
    mix = [("closed", None, 165), ("resolved", None, 18), ("reopened", None, 6),
           ("in_progress", "green", 16), ("in_progress", "yellow", 8), ("in_progress", "red", 18),
           ("paused", None, 9), ("dispatched", "green", 9), ("dispatched", "yellow", 2),
           ("dispatched", "red", 3), ("returned", None, 6), ("new", None, 12)]
    county = [Spec(s, light) for s, light, n in mix for _ in range(n)]
    county += [Spec("closed", duplicate=True) for _ in range(3)]
    county += [Spec(s, light, source="direct") for s, light in
               [("closed", None)] * 4 + [("in_progress", "green"), ("in_progress", "red"),
                                         ("new", None), ("dispatched", "green")]]
    ctx.rng.shuffle(county)
    return out + county


def plan(ctx: Ctx, spec: Spec) -> Plan | None:
    """One problem: raised in a visit (or directly), dispatched when its story needs it;
    None when no visit fits."""
    rng = ctx.rng
    names = [c[0] for c in CATEGORIES]
    category = ctx.categories[spec.category or rng.choices(names, CATEGORY_WEIGHTS)[0]]
    level = category.default_level if rng.random() < 0.8 else rng.choice(list(LEVEL_CN))
    n = rng.randint(2, 9)
    title, description, resolution = (s.format(n=n) for s in rng.choice(PROBLEMS[category.name]))
    triaged = spec.state != "new" and not spec.duplicate
    dispatch_at = _pick_dispatch(ctx, spec, level) if triaged else None
    if spec.source == "visit":
        ref = _pick_visit(ctx, dispatch_at or ctx.now,
                          (dispatch_at and to_local(dispatch_at).date() - timedelta(3))
                          or ctx.sub_wd(ctx.today, 2),
                          spec.author.id if spec.author else None)
        if ref is None:
            return None
        ent_id, raiser, raised_at = ref.enterprise_id, ref.author_id, ref.at
    else:
        ref, ent_id, raiser = None, rng.choice(ctx.enterprises).id, ctx.demo["coordinator"].id
        raised_at = (dispatch_at or ctx.now) - timedelta(minutes=rng.randint(40, 200))
    return Plan(spec=spec, title=title, description=description, resolution=resolution,
                category=category, level=level, raiser_id=raiser, raised_at=raised_at,
                enterprise_id=ent_id, visit=ref, dispatch_at=dispatch_at,
                lead_unit_id=category.lead_unit_id or ctx.units[IIT_BUREAU].id)


def _dispatch_range(ctx: Ctx, spec: Spec, level: str) -> tuple[date, date]:
    """Which dispatch dates suit the target state (the light narrows them further)."""
    today, sub = ctx.today, ctx.sub_wd
    sign, progress, resolve, calendar = ctx.limits[level]
    span = resolve if calendar else resolve * 7 // 5 + 2
    earliest = ctx.window_start + timedelta(days=3)
    ranges = {
        "dispatched": ((sub(today, 1), today) if spec.light == "green"
                       else (today - timedelta(40), today)),
        "returned": (sub(today, 3), today),
        "in_progress": ((today - timedelta(40), sub(today, 1)) if spec.light == "green"
                        else (today - timedelta(75), today)),
        "paused": (today - timedelta(40), sub(today, 3)),
        "resolved": (today - timedelta(span + 6), sub(today, 3)),
        "reopened": (today - timedelta(span + 12), today - timedelta(5)),
        "closed": (earliest, today - timedelta(span + 16)),
    }
    lo, hi = ranges[spec.state]
    return max(lo, earliest), hi


def _pick_dispatch(ctx: Ctx, spec: Spec, level: str) -> datetime:
    """A dispatch time in the state's range giving the wanted light (if any) now."""
    rng = ctx.rng
    lo, hi = _dispatch_range(ctx, spec, level)
    minute = rng.randint(9 * 60, 16 * 60 + 30)
    # Dispatched today: in the morning, an hour before the demo clock at the latest.
    latest = ctx.now - timedelta(hours=1)
    found = []
    for day in ctx.workdays(lo, hi):
        at = ctx.local(day, 0, min(minute, 10 * 60 + 45) if day == ctx.today else minute)
        at = min(at, latest)
        if at < ctx.local(day, 8, 40):
            continue
        if spec.light and spec.state in ("dispatched", "in_progress"):
            clock = ctx.planned_clock(level, at)
            if ctx.light(clock.due_at, clock.warn_at) != spec.light:
                continue
        found.append(at)
    if not found:  # no date gives that light (e.g. a weekend today): take any date
        found = ([at for at in (ctx.local(d, 0, minute) for d in ctx.workdays(lo, hi))
                  if at <= latest] or [min(ctx.local(hi, 9), latest)])
    return rng.choice(found)


def _pick_visit(ctx: Ctx, before: datetime, earliest: date, author_id=None) -> VisitRef | None:
    """A visit between ``earliest`` and 30 minutes before ``before`` (widened when
    none), raising at most two problems each."""
    day, limit = to_local(before).date(), before - timedelta(minutes=30)
    for lo in (earliest, earliest - timedelta(7), earliest - timedelta(30), ctx.window_start):
        found = [r for k in range((day - lo).days + 1)
                 for r in ctx.visits_by_day.get(day - timedelta(days=k), ())
                 if r.at <= limit and ctx.visit_uses.get(r.index, 0) < 2
                 and (author_id is None or r.author_id == author_id)]
        if found:
            ref = ctx.rng.choice(found)
            ctx.visit_uses[ref.index] = ctx.visit_uses.get(ref.index, 0) + 1
            return ref
    return None
