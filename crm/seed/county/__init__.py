"""The fictional demo county (``flask crm demo``, ``flask crm seed --scale county``):
云岭市, a county-level city with 120 enterprises.

``populate(today, seed)`` adds six months of activity up to ``today`` — units, people,
enterprises with their 包联 assignments, the policy catalogue, weekly visits, about
300 problems in every state with their timelines, meetings with decisions, and a few
notifications — to ``db.session`` and flushes without committing.

The county is data (``data``) and a script of what happens (``plans``, ``stories``):
the problems are raised and moved on only through the product's own verbs —
``raise_issue``, ``workflow.transition`` and the rating link's and cooperating units'
services — at explicit instants, so the demo never shows a state the product cannot
reach. All randomness comes from one ``random.Random(seed)``, and the demo clock is
``today`` 12:00 Asia/Shanghai — or the present moment when the demo of today is
loaded in the morning, so that nothing in it has happened later than now — so the same
seed and ``today`` (past or after noon) always give the same data.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from crm.core.timeutil import local_midnight_utc, local_today, utcnow, week_start
from crm.extensions import db
from crm.issues.deadlines import overrides_between
from crm.issues.models import IssueEvent
from crm.seed.county import meetings as county_meetings
from crm.seed.county import papers
from crm.seed.county import stories
from crm.seed.county.context import Ctx
from crm.seed.county.data import DEMO_PASSWORD, DEMO_SIGNINS
from crm.seed.county.financing import populate_financing
from crm.seed.county.plans import plan, specs
from crm.seed.county.registry import populate_registry
from crm.seed.county.taskforces import populate_taskforces
from crm.seed.county.verification import populate_verification
from crm.seed.county.visits import make_visits

__all__ = ["DEMO_PASSWORD", "DEMO_SIGNINS", "populate"]


def populate(today: date | None = None, seed: int = 20261127) -> dict[str, int]:
    """Add the demo county to ``db.session`` (flushed, not committed); return counts.

    ``today`` (default: today in Asia/Shanghai) ends the six months of activity, at
    noon — or at the present moment when that is earlier on the same day, so that no
    visit, event or notice lies in the future; the same ``seed`` and ``today`` (past, or
    loaded after noon) give the same data.
    """
    today = today or local_today()
    window_start = week_start(today) - timedelta(weeks=25)
    now = local_midnight_utc(today) + timedelta(hours=12)   # the demo clock: noon …
    if today == local_today():   # … or now, in the morning: nothing happens in the future
        now = min(now, utcnow().replace(second=0, microsecond=0))
    ctx = Ctx(rng=random.Random(seed), today=today, now=now,
              window_start=window_start,
              overrides=overrides_between(window_start - timedelta(days=400),
                                          today + timedelta(days=120)))
    registry, policies = populate_registry(ctx)
    visits = make_visits(ctx, policies)
    db.session.flush()
    counts = {k: registry[k] for k in ("units", "users", "enterprises", "contacts",
                                       "assignments", "policies")}
    counts.update(visits=len(visits), categories=registry["categories"])
    counts.update(_populate_activity(ctx))
    tf_counts = populate_taskforces(ctx)   # 专班, key projects, rhythm, inspections
    counts["issues"] += tf_counts.pop("issues")   # their decisions, late milestones, findings
    counts.update(tf_counts)
    counts.update(populate_financing(ctx))    # 政银企: banks, needs, 停减产, sessions
    counts.update(populate_verification(ctx))  # 企业码, 回访, 申诉, 类案
    return counts


def _populate_activity(ctx: Ctx) -> dict[str, int]:
    """Meetings, then every problem (the county's and the decisions') raised and played
    through the workflow, then the agenda, typical cases and bell entries."""
    meetings = county_meetings.make_meetings(ctx)
    db.session.add_all(meetings)
    db.session.flush()
    minuted = [m for m in meetings if m.kind == "joint" and m.state == "minuted"]
    decisions = county_meetings.decision_plans(ctx, minuted[-1]) if minuted else []
    plans = [p for p in (plan(ctx, s) for s in specs(ctx)) if p is not None]
    played = stories.raise_all(ctx, plans + [p for p, _ in decisions])
    stories.play_all(played)
    issues = [s.issue for s in played]
    issue_of = {id(s.plan): s.issue for s in played}
    for p, decision in decisions:
        decision.issue_id = issue_of[id(p)].id
        db.session.add(decision)
    review = next((m for m in meetings if m.kind == "review" and m.state == "minuted"), None)
    agenda = county_meetings.agenda(ctx, meetings)
    cases = county_meetings.typical_cases(ctx, review, issues)
    planning = next((m for m in meetings if m.kind == "joint" and m.state == "planning"), None)
    notes = county_meetings.notifications(ctx, issues, planning)
    db.session.add_all(agenda + cases + notes)
    db.session.flush()
    papers.dress(ctx, meetings, agenda, issues)
    db.session.flush()
    events = db.session.scalar(select(func.count()).select_from(IssueEvent).where(
        IssueEvent.issue_id.in_([i.id for i in issues])))
    return {"issues": len(issues), "issue_events": events, "meetings": len(meetings),
            "decisions": len(decisions), "agenda_items": len(agenda),
            "notifications": len(notes)}
