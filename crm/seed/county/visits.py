"""The commissioners' weekly visits (入企走访) over the demo's 26 weeks.

A visit has no workflow state, so the generator writes the rows the visit form would
store in three bulk INSERTs (visits, their factors, their policies) instead of calling
``record_visit`` 3,000 times; the problems raised in visits are raised later through
``crm.issues.services.raise_issue``, linked to their visit (``stories``)."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import insert, select

from crm.auth.models import User
from crm.core.timeutil import week_start
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.liaisons.models import Policy, Visit, VisitFactor, VisitFlag, VisitPolicy
from crm.liaisons.policies import policy_fits
from crm.seed.county.context import Ctx, VisitRef
from crm.seed.county.data import (
    FACTOR_NOTES,
    MODE_OPENINGS,
    NEXT_STEPS,
    SERVICES,
    STATUS_NOTES,
    SUMMARIES,
)


def _visit_days(ctx: Ctx, monday: date, start: date, end: date | None) -> list[date]:
    """The working days of the week starting ``monday`` within the assignment, up to today."""
    last = min(monday + timedelta(days=6), end or ctx.today, ctx.last_visit_day)
    return ctx.workdays(max(monday, start), last)


def _make_visit(ctx: Ctx, ent: Enterprise, author: User, day: date,
                fits: list[tuple[int, date | None, date | None]]) -> VisitRef:
    """One visit as the visit form would store it (written later, with the others);
    ``fits`` are the (id, valid from, valid to) of the policies that suit the enterprise."""
    rng = ctx.rng
    hour = rng.choice([8, 9, 10]) if day == ctx.today else rng.choice([8, 9, 10, 14, 15, 16])
    at = ctx.local(day, hour, 30 + rng.randint(0, 29))
    if day == ctx.today:   # logged (within 25 minutes) before the demo clock
        at = min(at, ctx.now - timedelta(minutes=30))
    factors = [(f, FACTOR_NOTES[f].format(n=rng.randint(2, 9)))
               for f in rng.sample(list(FACTOR_NOTES), rng.choice([0, 0, 0, 1, 1, 2]))]
    valid = [pid for pid, since, until in fits
             if (since is None or since <= day) and (until is None or until >= day)]
    mode = rng.choices(list(MODE_OPENINGS), [80, 10, 4, 6])[0]
    status = ent.status if day > ctx.today - timedelta(days=60) else "normal"
    summary = STATUS_NOTES.get(status) or rng.choice(SUMMARIES).format(
        contact=ctx.primary_contact[ent.id], p=rng.randint(60, 98), e=ent.employees)
    logged = at + timedelta(minutes=rng.randint(5, 25))
    row = dict(
        client_uuid=str(uuid.UUID(int=rng.getrandbits(128))), enterprise_id=ent.id,
        author_id=author.id, visit_date=day, mode=mode, status_seen=status,
        companions=(f"{ctx.person()}（{ctx.unit_names[author.unit_id]}）"
                    if mode == "onsite" and rng.random() < 0.3 else None),
        services=rng.choice(SERVICES) if rng.random() < 0.35 else None,
        summary=MODE_OPENINGS[mode] + summary, next_step=rng.choice(NEXT_STEPS),
        created_at=logged, updated_at=logged)
    policies = rng.sample(valid, min(len(valid), rng.choice([0, 0, 1, 1, 2])))
    ref = VisitRef(len(ctx.visits), row, at, author.id, ent.id, day, factors, policies)
    ctx.visits.append(ref)
    ctx.visits_by_day.setdefault(day, []).append(ref)
    return ref


# Health flags follow from what the visit saw (no random draw, so the rest of the demo
# stays as it was): a financing or labour factor, reduced or halted production.
FLAG_FROM_FACTOR = {"finance": "funding", "labour": "labour"}
FLAG_FROM_STATUS = {"reduced": "orders", "halted": "cutting"}


def _flags(ref: VisitRef) -> list[str]:
    flags = [FLAG_FROM_FACTOR[f] for f, _note in ref.factors if f in FLAG_FROM_FACTOR]
    status = FLAG_FROM_STATUS.get(ref.row.get("status_seen"))
    return sorted(set(flags + ([status] if status else [])))


def make_visits(ctx: Ctx, policies: list[Policy]) -> list[VisitRef]:
    """Weekly visits for every commissioner assignment over 26 ISO weeks (see the
    module doc for why as rows)."""
    rng, this_week = ctx.rng, week_start(ctx.today)
    weeks = [ctx.window_start + timedelta(weeks=i) for i in range(26)]
    elapsed = len(ctx.workdays(this_week, ctx.today)) / 5
    demo_pattern = [True, False, True, True, False]   # some, but not all, visited this week
    visits = []
    for ent, author, start, end, skip in ctx.active_commissions:
        fits = [(p.id, p.valid_from, p.valid_to) for p in policies if policy_fits(p, ent)]
        demo_index = ctx.demo_enterprises.index(ent) if author is ctx.demo["commissioner"] else None
        for monday in weeks:
            days = _visit_days(ctx, monday, start, end)
            if (not days and monday == this_week and demo_index is not None
                    and ctx.last_visit_day == ctx.today):
                days = [ctx.today]   # a holiday week: the demo still needs this week's visits
            if not days:
                continue
            if monday == this_week:
                go = (demo_pattern[demo_index] if demo_index is not None
                      else rng.random() < elapsed * (1 - skip))
            else:
                go = rng.random() >= skip
            if go:
                visits.append(_make_visit(ctx, ent, author, rng.choice(days), fits))
    if visits:
        db.session.execute(insert(Visit), [v.row for v in visits])
        ids = dict(db.session.execute(select(Visit.client_uuid, Visit.id)).all())
        for ref in visits:
            ref.id = ids[ref.row["client_uuid"]]
    factors = [dict(visit_id=v.id, factor=f, note=note) for v in visits for f, note in v.factors]
    links = [dict(visit_id=v.id, policy_id=p) for v in visits for p in v.policy_ids]
    flags = [dict(visit_id=v.id, flag=flag) for v in visits for flag in _flags(v)]
    for model, rows in ((VisitFactor, factors), (VisitPolicy, links), (VisitFlag, flags)):
        if rows:
            db.session.execute(insert(model), rows)
    return visits
