"""The demo's problems, played through the product's own verbs (DESIGN.md §4).

Each plan (``plans``) becomes a problem through ``raise_issue`` — all of them in the order
they were raised, so that their numbers follow the calendar — and then its story is
played: a script of steps, each one person doing one action at one instant, done
through ``workflow.transition`` (or, for a cooperating unit's opinion,
``cooperation.reply``) with that instant. An instant may depend on what the workflow did
before (a supervision comes after the due time the dispatch set, a late resolution
after it), so a script is a generator that the player resumes after each step. Nothing
here writes a problem's state, clock or timeline: a script asking for something the
product does not allow fails with the workflow's refusal.

The history is loaded without notices (``notify=False``: it is no news to anyone; the
bell entries the demo shows are written by ``meetings.notifications``) and written in
one flush at the end (``flush=False`` under ``no_autoflush``), which keeps ``make run``
quick.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crm.auth.models import User
from crm.core.timeutil import to_local
from crm.extensions import db
from crm.issues import cooperation
from crm.issues.models import Issue
from crm.issues.services import raise_issue
from crm.issues.workflow import EnterpriseRater, transition
from crm.seed.county.context import Ctx
from crm.seed.county.data import (
    COMMENTS,
    COOP_REPLIES,
    DISPATCH_NOTES,
    DUPLICATE_NOTE,
    ESCALATE_NOTE,
    GOV_OFFICE,
    INSTRUCT,
    PAUSE_REASONS,
    PROGRESS,
    RATING_COMMENTS,
    REDISPATCH_NOTE,
    RESUME_NOTE,
    RETURN_REASONS,
    SIGN_NOTE,
    SUPERVISE,
)
from crm.seed.county.plans import Plan


@dataclass
class Step:
    """One line of a script: ``actor`` does ``action`` at ``at`` with what the form
    would send (``data``). Besides the workflow's actions a script knows ``coop_reply``
    (a cooperating unit's opinion)."""

    at: datetime
    action: str
    actor: Any
    data: dict = field(default_factory=dict)


Script = Iterator[Step | None]   # None: a step that did not fit before the demo clock


class Story:
    """One problem on its way: the time of its last step, who acts, and one method per
    kind of step (times in office hours, after the last step, before the demo clock)."""

    def __init__(self, ctx: Ctx, plan: Plan, issue: Issue):
        self.ctx, self.plan, self.issue, self.rng = ctx, plan, issue, ctx.rng
        self.t = issue.raised_at
        self.coop_ids: list[int] = []

    # -- playing ---------------------------------------------------------------------
    def play(self, script: Script) -> None:
        """Do the script's steps in turn, each at its instant."""
        for step in script:
            if step is not None:
                self.do(step)

    def do(self, step: Step) -> None:
        """One step through the product's own verb."""
        issue = self.issue
        if step.action == "coop_reply":
            cooperation.reply(issue, step.actor, step.data["text"], now=step.at, notify=False)
        else:
            transition(issue, step.action, step.actor, now=step.at, notify=False, flush=False,
                       **step.data)
        self.t = step.at
        if step.action == "escalate":
            self.ctx.escalations.append((issue, step.at))

    # -- time ------------------------------------------------------------------------
    def cap(self, t: datetime) -> datetime:
        """``t`` kept after the last step and before the demo clock."""
        ctx = self.ctx
        if t <= self.t:
            t = self.t + timedelta(minutes=self.rng.randint(10, 60))
        if t >= ctx.now:
            t = self.t + (ctx.now - self.t) * self.rng.uniform(0.3, 0.8)
        return t

    def later(self, lo: int, hi: int, base: datetime | None = None,
              capped: bool = True) -> datetime | None:
        """A time ``lo``..``hi`` working days after the last step (or ``base``); with
        ``capped=False`` None when that is not before the demo clock."""
        ctx, base = self.ctx, max(self.t, base or self.t)
        k = self.rng.randint(lo, hi)
        if k == 0:
            t = base + timedelta(minutes=self.rng.randint(20, 240))
        else:
            t = ctx.local(ctx.add_wd(to_local(base).date(), k), 8,
                          40 + self.rng.randint(0, 540))
        t = ctx.daytime(t)
        return self.cap(t) if capped else (t if t < ctx.now else None)

    def resolve_time(self, late: bool) -> datetime:
        """When the unit resolves: before the due time, or (``late``) some hours after."""
        issue = self.issue
        if late:
            t = issue.due_at + timedelta(hours=self.rng.randint(16, 120))
        else:
            t = self.t + (issue.due_at - self.t) * self.rng.uniform(0.3, 0.9)
        return self.cap(self.ctx.daytime(t))

    @property
    def red(self) -> bool:
        """Whether the problem's light is red on the demo clock."""
        return self.ctx.light(self.issue.due_at, self.issue.warn_at) == "red"

    # -- who -------------------------------------------------------------------------
    @property
    def coordinator(self) -> User:
        """One of the joint office's coordinators."""
        return self.rng.choice(self.ctx.coordinators)

    @property
    def handler(self) -> User:
        """The handler who signed for the problem."""
        return self.ctx.user(self.issue.handler_id)

    def unit_name(self, unit_id: int) -> str:
        """The unit's name, for the texts."""
        return self.ctx.unit_names.get(unit_id, "承办单位")

    # -- steps -----------------------------------------------------------------------
    def dispatch(self, at: datetime, misrouted: bool = False) -> Script:
        """The coordinator dispatches (sometimes with a cooperating unit); a misrouted
        problem goes to the wrong unit first, which returns it, and the re-dispatch to
        the right one is final. A cooperating unit mostly sends its opinion soon."""
        ctx, rng, plan = self.ctx, self.rng, self.plan
        departments = [u for u in ctx.units.values() if u.kind == "department"
                       and u.id != plan.lead_unit_id and u.name != GOV_OFFICE]
        coop = None
        if plan.level != "consult" and rng.random() < 0.1:
            coop = rng.choice(departments)
            self.coop_ids = [coop.id]
        first = plan.lead_unit_id
        if misrouted:
            first = rng.choice([u.id for u in departments if u.id not in self.coop_ids])
        yield Step(at, "dispatch", self.coordinator, dict(
            unit_id=first, level=plan.level, coop_unit_ids=self.coop_ids,
            due_date=plan.due_day, text=rng.choice(DISPATCH_NOTES)))
        if misrouted:
            yield Step(self.later(0, 1), "return", ctx.handler_for(first),
                       dict(text=rng.choice(RETURN_REASONS)))
            yield Step(self.later(0, 1), "redispatch", self.coordinator, dict(
                unit_id=plan.lead_unit_id, level=plan.level, coop_unit_ids=self.coop_ids,
                text=REDISPATCH_NOTE))
        if coop is not None and rng.random() < 0.85:
            at = self.later(0, 2, capped=False)
            if at is not None:
                yield Step(at, "coop_reply", ctx.handler_for(coop.id),
                           dict(text=rng.choice(COOP_REPLIES)))

    def return_(self) -> Step:
        """The lead unit returns the problem to the coordinator."""
        return Step(self.later(0, 1), "return", self.ctx.handler_for(self.issue.lead_unit_id),
                    dict(text=self.rng.choice(RETURN_REASONS)))

    def sign(self, lo: int = 0, hi: int = 1) -> Step:
        """A handler of the lead unit signs (the demo handler most often in their unit)."""
        return Step(self.later(lo, hi), "sign", self.ctx.handler_for(self.issue.lead_unit_id),
                    dict(text=SIGN_NOTE))

    def progress(self, times: int, stop: datetime | None = None) -> Script:
        """Up to ``times`` progress reports, every few working days, before ``stop``."""
        for _ in range(times):
            at = self.later(1, 4, capped=False)
            if at is None or (stop is not None and at >= stop):
                return
            yield Step(at, "progress", self.handler, dict(text=self.rng.choice(PROGRESS)))

    def pause(self, at: datetime) -> Step:
        """The handler pauses: the enterprise owes something."""
        return Step(at, "pause", self.handler, dict(text=self.rng.choice(PAUSE_REASONS)))

    def resume(self, at: datetime) -> Step:
        """The handler resumes; the workflow moves the deadlines on."""
        return Step(at, "resume", self.handler, dict(text=RESUME_NOTE))

    def supervise(self, at: datetime, escalate: bool = False) -> Script:
        """A 督办 notice; with ``escalate`` the coordinator then puts the problem to the
        next joint meeting."""
        yield Step(at, "supervise", self.coordinator, dict(text=self.rng.choice(SUPERVISE)))
        if escalate:
            yield Step(self.cap(self.t + timedelta(minutes=5)), "escalate", self.coordinator,
                       dict(text=ESCALATE_NOTE))

    def red_actions(self, escalate_p: float) -> Script:
        """Once overdue: supervision (督办), a leader's instruction (批示), maybe
        escalation."""
        ctx, issue, rng = self.ctx, self.issue, self.rng
        for _ in range(rng.choice([0, 1, 1, 2, 2])):
            yield from self.supervise(self.later(1, 3, base=issue.due_at))
        if issue.enterprise_id and rng.random() < 0.4:
            text = rng.choice(INSTRUCT).format(unit=self.unit_name(issue.lead_unit_id))
            yield Step(self.later(0, 2), "instruct",
                       ctx.user(ctx.leader_a[issue.enterprise_id]), dict(text=text))
        if issue.supervise_count >= 2 and rng.random() < escalate_p:
            yield from self.supervise(self.later(0, 2), escalate=True)

    def comment(self) -> Step:
        """Whoever raised the problem passes on what the enterprise says."""
        return Step(self.later(0, 2), "comment", self.ctx.user(self.issue.raised_by_id),
                    dict(text=self.rng.choice(COMMENTS)))

    def resolve(self, at: datetime) -> Step:
        """The handler submits the resolution."""
        return Step(at, "resolve", self.handler, dict(text=self.plan.resolution))

    def rate(self, score: int) -> Step:
        """The enterprise rates: mostly itself, on its phone (channel ``self``, as through
        its rating link), else its commissioner records the rating taken by phone."""
        ctx, issue = self.ctx, self.issue
        at = self.later(1, 3)
        contact = ctx.primary_contact[issue.enterprise_id]
        data = dict(rating=score, text=RATING_COMMENTS[score], contact=contact)
        if self.rng.random() < 0.65:
            return Step(at, "rate", EnterpriseRater(contact), data)
        return Step(at, "rate", ctx.user(ctx.commissioner_of[issue.enterprise_id]), data)


# -- the scripts -------------------------------------------------------------------------

def script(s: Story) -> Script:
    """What happens to a county problem, by where its story should lead."""
    spec, rng = s.plan.spec, s.rng
    if spec.duplicate:
        yield Step(s.later(0, 1), "close", s.coordinator, dict(text=DUPLICATE_NOTE))
        return
    if s.plan.dispatch_at is None:
        return
    misrouted = spec.state not in ("dispatched", "returned") and rng.random() < 0.08
    yield from s.dispatch(s.plan.dispatch_at, misrouted)
    if spec.state == "returned":
        yield s.return_()
    elif spec.state == "dispatched":
        if s.red:
            yield from s.red_actions(0.0)
    else:
        yield s.sign()
        yield from _WORK[spec.state](s)


def _in_progress(s: Story) -> Script:
    yield from s.progress(s.rng.randint(1, 4))
    if s.red:
        yield from s.red_actions(0.5)
    elif s.rng.random() < 0.2 and s.issue.raised_by_id:
        yield s.comment()


def _paused(s: Story) -> Script:
    yield from s.progress(s.rng.randint(0, 1))
    yield s.pause(s.later(1, 3))


def _resolved(s: Story) -> Script:
    yield from s.progress(s.rng.randint(1, 2), stop=s.ctx.now - timedelta(days=2))
    recent = s.ctx.now - timedelta(hours=s.rng.randint(2, 80))
    yield s.resolve(s.cap(max(s.t, recent)))


def _reopened(s: Story) -> Script:
    yield from s.progress(s.rng.randint(1, 2))
    yield s.resolve(s.resolve_time(False))
    yield s.rate(s.rng.choice([1, 2, 2]))


def _closed(s: Story) -> Script:
    rng = s.rng
    yield from s.progress(rng.randint(1, 2))
    if rng.random() < 0.1:
        yield s.pause(s.later(1, 2))
        yield s.resume(s.later(2, 5))
    late = rng.random() < 0.12
    if late:
        yield from s.progress(1, stop=s.issue.due_at)
        yield from s.supervise(s.later(0, 1, base=s.issue.due_at), escalate=rng.random() < 0.4)
    yield s.resolve(s.resolve_time(late))
    if rng.random() < 0.07:   # not satisfied the first time: handled again
        yield s.rate(2)
        yield s.sign(1, 2)
        yield from s.progress(1)
        yield s.resolve(s.resolve_time(False))
    yield s.rate(rng.choices([5, 4, 3], [55, 30, 15])[0])


_WORK = {"in_progress": _in_progress, "paused": _paused, "resolved": _resolved,
         "reopened": _reopened, "closed": _closed}


def decision_script(s: Story) -> Script:
    """A meeting decision: dispatched the next working day with its deadline; the
    first two are under way."""
    yield from s.dispatch(s.later(1, 1))
    if s.plan.spec.state == "in_progress" and s.t < s.ctx.now - timedelta(days=1):
        yield s.sign()
        yield from s.progress(2)


# -- raising and playing -----------------------------------------------------------------

def raise_all(ctx: Ctx, plans: list[Plan]) -> list[Story]:
    """Raise every planned problem through ``raise_issue``, in the order they were
    raised (their numbers follow the calendar)."""
    stories = []
    for plan in sorted(plans, key=lambda p: p.raised_at):
        data = {"title": plan.title, "description": plan.description,
                "category_id": plan.category.id if plan.category else None,
                "level": plan.level}
        issue = raise_issue(ctx.enterprise_by_id.get(plan.enterprise_id), data,
                            ctx.user(plan.raiser_id), visit=plan.visit,
                            source=plan.spec.source, now=plan.raised_at)
        stories.append(Story(ctx, plan, issue))
    return stories


def play_all(stories: list[Story]) -> None:
    """Play every story to its end, then write what the steps changed in one flush.

    The steps read nothing another step of the same run could have left unflushed
    (the cooperating units' stages and opinions are flushed by their services)."""
    with db.session.no_autoflush:
        for story in stories:
            decision = story.plan.spec.source == "decision"
            story.play(decision_script(story) if decision else script(story))
    db.session.flush()
