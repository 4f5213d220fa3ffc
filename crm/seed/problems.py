"""Problems with their timelines, and the twelve monthly meetings, for the province
generator (``crm.seed.province``): plain rows with explicit ids, written in bulk. The
rows' state, clock fields and events come from the workflow's own action objects
(``crm.issues.workflow.play_row``); there is no second writer of the state."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, select

from crm.core.timeutil import to_local
from crm.extensions import db
from crm.issues.models import Issue, IssueEvent, IssueUnit
from crm.issues.workflow import play_row, raise_row
from crm.meetings.models import Meeting
from crm.seed.county.data import PROBLEMS

_PROGRESS = "已与企业对接，正在会同相关科室研究解决方案。"
_PAUSE = "等待企业补充提交申报材料。"
_RETURN = "该事项不属于本单位职责范围，建议改派。"


def _target_state(rng, age_days: float) -> str:
    """A state plausible for a problem raised ``age_days`` ago (old ones mostly closed)."""
    if age_days < 1.5:
        table = {"new": 50, "dispatched": 35, "returned": 5, "in_progress": 10}
    elif age_days < 14:
        table = {"new": 4, "dispatched": 16, "returned": 4, "in_progress": 40, "paused": 6,
                 "resolved": 20, "closed": 10}
    elif age_days < 60:
        table = {"dispatched": 2, "returned": 1, "in_progress": 17, "paused": 4, "resolved": 10,
                 "reopened": 3, "closed": 63}
    else:
        table = {"in_progress": 3, "paused": 1, "resolved": 2, "reopened": 1, "closed": 93}
    return rng.choices(list(table), list(table.values()))[0]


class _Named(NamedTuple):
    """What a dispatch event names of a unit or a category."""

    id: int
    name: str


class _Issues:
    """Builds problem rows and their timeline events: raised by ``workflow.raise_row``
    and moved on by ``workflow.play_row``, which runs the workflow's own action objects
    on the rows (state, clock fields, event data), so the bulk load has no rules of its
    own. Only the instants, people and texts are chosen here."""

    def __init__(self, rng, ctx, categories, handlers, coordinators, leader_a, units):
        self.rng, self.ctx = rng, ctx
        self.categories, self.handlers = categories, handlers
        self.coordinators, self.leader_a = coordinators, leader_a
        self.units = {uid: _Named(uid, u.name) for uid, u in units.items()}
        self.issues, self.events, self.coop = [], [], []
        self.ibase = (db.session.scalar(select(func.max(Issue.id))) or 0) + 1
        self.ebase = (db.session.scalar(select(func.max(IssueEvent.id))) or 0) + 1
        self.numbers: dict[int, int] = {}
        self.unit_ids = sorted(handlers)
        self.fresh = 0  # problems raised in the last day and a half
        self.returned = 0  # problems left waiting for re-dispatch after a return
        self.written_issues = self.written_events = 0  # rows already handed to ``flush``
        self.open_written: list[int] = []  # … of which open (in progress or dispatched)

    def event(self, event: dict) -> None:
        self.events.append(dict(event, id=self.ebase + self.written_events + len(self.events)))

    def open_ids(self) -> list[int]:
        """The problems in progress or dispatched, written or not, in the order raised."""
        return self.open_written + [r["id"] for r in self.issues
                                    if r["state"] in ("in_progress", "dispatched")]

    def flush(self, w) -> None:
        """Write the problems built so far with their events and cooperating units, and
        let go of them (memory stays bounded at any size); ids continue where they were."""
        self.open_written = self.open_ids()
        w.write(Issue.__table__, self.issues)
        w.write(IssueEvent.__table__, self.events)
        w.write(IssueUnit.__table__, {(r["issue_id"], r["unit_id"]): r for r in self.coop}.values())
        self.written_issues += len(self.issues)
        self.written_events += len(self.events)
        self.issues, self.events, self.coop = [], [], []

    def play(self, row: dict, action: str, at: datetime, actor: int | None, **values) -> None:
        """``action`` on ``row`` at ``at`` by the workflow's action object."""
        self.event(play_row(row, action, at, actor, **values))

    def later(self, t: datetime, lo_h: float, hi_h: float) -> datetime:
        return t + timedelta(hours=self.rng.uniform(lo_h, hi_h))

    def build(self, visit_id, eid, author, raised_at, source="visit", title=None,
              unit_id=None, due: date | None = None) -> dict:
        """One problem raised at ``raised_at``, walked forward to a state fitting its age;
        ``due`` is a working day chosen at dispatch (a meeting decision's deadline)."""
        rng, ctx, now = self.rng, self.ctx, self.ctx.now
        cat_name, cat_id, cat_unit, level = rng.choice(self.categories)
        title_t, desc_t, res_t = rng.choice(PROBLEMS.get(cat_name) or PROBLEMS["融资信贷"])
        n = rng.randint(2, 9)
        iid = self.ibase + self.written_issues + len(self.issues)
        year = to_local(raised_at).year
        self.numbers[year] = self.numbers.get(year, 0) + 1
        unit = unit_id or (cat_unit if cat_unit in self.handlers and rng.random() < 0.8
                           else rng.choice(self.unit_ids))
        row, raised = raise_row(
            raised_at, author, id=iid, number=f"{year}-{self.numbers[year]:04d}",
            source=source, enterprise_id=eid, visit_id=visit_id,
            title=(title or title_t.format(n=n))[:200], description=desc_t.format(n=n),
            category_id=cat_id, level=level, is_redispatched=False, reopen_count=0,
            supervise_count=0, is_escalated=False, version=1)
        self.event(raised)
        age = (now - raised_at).total_seconds() / 86400
        target = _target_state(rng, age)
        if age < 1.5 and source == "visit" and not self.fresh:
            target = "new"  # at any scale, at least one problem still waits for triage
        elif 1.5 <= age < 20 and source == "visit" and not self.returned:
            target = "returned"  # … and one returned problem waits for re-dispatch
        if age < 1.5:
            self.fresh += 1
        if target == "returned":
            self.returned += 1
        t = raised_at
        coord = rng.choice(self.coordinators)
        if target != "new":
            t = min(self.later(t, 1, 20), now)
            self.play(row, "dispatch", t, coord, unit=self.units[unit], level=level,
                      category=_Named(cat_id, cat_name), coop=[], limits=ctx.limits[level],
                      due_day=due, cal=ctx.cal)
            if rng.random() < 0.08:
                self.coop.append(dict(issue_id=iid, unit_id=rng.choice(self.unit_ids)))
        handler = rng.choice(self.handlers[unit])
        if target == "returned":
            t = min(self.later(t, 1, 8), now)
            self.play(row, "return", t, handler, text=_RETURN)
        elif target not in ("new", "dispatched"):
            t = self._work(row, t, target, handler, coord)
        if row["state"] in ("dispatched", "in_progress", "reopened") and row["due_at"] < now \
                and rng.random() < 0.5:
            at = max(t, min(self.later(row["due_at"], 1, 30), now))
            self.play(row, "supervise", at, coord,
                      text="该问题已超期，请加快办理并于3个工作日内反馈进展。")
        self.issues.append(row)
        return row

    def _work(self, row, t, target, handler, coord):
        """Sign, progress, pause, resolve, rate (closing or reopening) as far as ``target``."""
        rng, ctx, now = self.rng, self.ctx, self.ctx.now
        t = min(self.later(t, 0.5, 20), now)
        self.play(row, "sign", t, handler)
        t = min(self.later(t, 4, 60), now)
        self.play(row, "progress", t, handler, text=_PROGRESS)
        if target == "in_progress":
            return t
        if target == "paused":
            t = min(self.later(t, 2, 48), now)
            self.play(row, "pause", t, handler, text=_PAUSE)
            return t
        span = max(1.0, (row["due_at"] - t).total_seconds() / 3600)
        t = min(self.later(t, 2, span * 1.25), now)
        self.play(row, "resolve", t, handler, text="已协调解决。")
        if target == "resolved":
            return t
        t = min(self.later(t, 4, 72), now)
        rating = rng.choice([1, 2]) if target == "reopened" else rng.choice([3, 4, 5, 5, 5])
        rated = dict(rating=rating, contact="企业联系人", limits=ctx.limits[row["level"]],
                     cal=ctx.cal)
        if rng.random() < 0.5:  # on the enterprise's own phone, through its link
            self.play(row, "rate", t, None, actor_name="企业联系人", channel="self", **rated)
        else:  # taken by phone and recorded by the joint office
            self.play(row, "rate", t, coord, channel="recorded", **rated)
        return t


def _meetings(w, rng, ctx, maker: _Issues, coordinator, depts, ents):
    """Twelve monthly joint meetings with agenda items and decisions (tracked as problems)."""
    first = date(ctx.today.year, ctx.today.month, 1)
    months = []
    y, m = first.year, first.month
    for _ in range(12):
        months.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    months.reverse()
    mbase = (db.session.scalar(select(func.max(Meeting.id))) or 0) + 1
    meetings, agenda, decisions = [], [], []
    open_ids = maker.open_ids()
    for k, month in enumerate(months):
        nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        held = min(nxt - timedelta(days=5), ctx.today)
        mid = mbase + k
        state = "planning" if k == len(months) - 1 else "minuted"
        meetings.append(dict(
            id=mid, kind="joint", number=f"{month.year}年第{month.month}次",
            title=f"{month.year}年{month.month}月企业帮扶联席会议", period_start=month,
            period_end=nxt - timedelta(days=1), starts_at=ctx.local(held, 1, 30),
            place="市政府第一会议室", attendees="市级包联领导、联席办成员单位负责同志",
            minutes=None if state == "planning" else "会议听取了本月企业帮扶工作情况汇报。",
            state=state, created_by_id=coordinator, version=1,
            created_at=min(ctx.local(month, 2), ctx.now)))
        for p in range(min(5, len(open_ids))):
            agenda.append(dict(meeting_id=mid, issue_id=rng.choice(open_ids), position=p + 1,
                               source="escalated", question="请会议协调明确牵头单位和办理时限。"))
        if state == "minuted":
            for p in range(3):
                unit = rng.choice(depts)
                due = ctx.cal.roll(held + timedelta(days=30))  # dispatch wants a working day
                at = ctx.local(held, 8)
                row = maker.build(None, None, coordinator, at, source="decision",
                                  title=f"议定事项：{month.month}月第{p + 1}项", unit_id=unit.id
                                  if unit.id in maker.handlers else None, due=due)
                decisions.append(dict(meeting_id=mid, issue_id=row["id"], position=p + 1,
                                      text=row["title"], unit_id=row.get("lead_unit_id") or unit.id,
                                      due_date=due))
    return meetings, agenda, decisions
