"""The county's meetings: monthly joint meetings (minuted, and this month's in
planning), the last quarter's review, the decisions of the latest joint meeting (each a
problem, planned here and played by ``stories``), the agenda of escalated problems, the
typical cases, and the demo sign-ins' bell."""
from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

from sqlalchemy import select

from crm.core.models import Notification
from crm.core.timeutil import to_local
from crm.extensions import db
from crm.issues.models import Issue
from crm.meetings.models import AgendaItem, Decision, Meeting, TypicalCase
from crm.seed.county.context import Ctx
from crm.seed.county.data import DECISIONS, HR_BUREAU
from crm.seed.county.plans import Plan, Spec


def _month_add(year: int, month: int, delta: int) -> tuple[int, int]:
    n = year * 12 + month - 1 + delta
    return n // 12, n % 12 + 1


def make_meetings(ctx: Ctx) -> list[Meeting]:
    """Joint meetings for the last four months (minuted) and this month (planning),
    and the review meeting of the last complete quarter."""
    meetings, coordinator = [], ctx.demo["coordinator"].id
    attendees = "、".join(f"{u.display_name}（{u.title}）" for u in ctx.leaders[:4]) + "；联席办及各成员单位负责同志"
    for delta in range(-4, 1):
        y, m = _month_add(ctx.today.year, ctx.today.month, delta)
        start, end = date(y, m, 1), date(y, m, monthrange(y, m)[1])
        held = ctx.add_wd(end, 3)
        meetings.append(Meeting(kind="joint", number=f"{y}年第{m}次", title=f"{y}年{m}月企业帮扶联席会议",
                                period_start=start, period_end=end, starts_at=ctx.local(held, 15),
                                place="市政府三楼第一会议室", attendees=attendees,
                                created_at=min(ctx.local(end - timedelta(days=10), 9),
                                               ctx.now - timedelta(hours=3)),
                                created_by_id=coordinator))
    q = (ctx.today.month - 1) // 3
    y, qm = _month_add(ctx.today.year, q * 3 + 1, -3)
    start = date(y, qm, 1)
    end = date(*_month_add(y, qm, 2), 1)
    end = date(end.year, end.month, monthrange(end.year, end.month)[1])
    meetings.append(Meeting(kind="review", number=f"{y}年第{(qm - 1) // 3 + 1}次",
                            title=f"{y}年第{(qm - 1) // 3 + 1}季度企业帮扶工作点评会",
                            period_start=start, period_end=end,
                            starts_at=ctx.local(ctx.add_wd(end, 10), 9, 30),
                            place="市政府五楼大会议室", attendees=attendees,
                            created_at=ctx.local(end, 9), created_by_id=coordinator))
    taken = set(db.session.execute(select(Meeting.kind, Meeting.number)).tuples())
    meetings = [mt for mt in meetings if (mt.kind, mt.number) not in taken]
    for mt in meetings:
        past = mt.starts_at < ctx.now
        mt.state = "minuted" if past else "planning"
        if past:
            _minutes(ctx, mt)
    return meetings


def _minutes(ctx: Ctx, mt: Meeting):
    visits = sum(1 for r in ctx.visits if mt.period_start <= r.visit_date <= mt.period_end)
    chair = ctx.leaders[0].display_name
    mt.minutes = (f"会议由{chair}同志主持。会议通报了{mt.period_start.month}月以来企业帮扶工作情况："
                  f"特派员入企走访{visits}家次，收集并交办企业诉求，办结率和满意率保持较高水平。"
                  "会议逐项研究了提交本次会议协调的问题，明确了牵头单位和完成时限。")
    if mt.kind == "review":
        mt.review_remarks = ("本季度各承办单位办理时效明显提升，但用地、融资类问题办理周期仍然偏长；"
                             "个别单位存在签收不及时、退回理由不充分的情况，请相关单位对照整改。")


def decision_plans(ctx: Ctx, meeting: Meeting) -> list[tuple[Plan, Decision]]:
    """The meeting's decisions, each tracked as a problem raised by the coordinator two
    hours after the meeting and dispatched to the responsible unit with the decision's
    deadline (a working day, as dispatch asks); the first two get under way."""
    out = []
    held = to_local(meeting.starts_at).date()
    for position, (unit_name, title, text, days) in enumerate(DECISIONS, 1):
        unit = ctx.units[unit_name]
        due_day = ctx.work_calendar.roll(held + timedelta(days=days))
        plan = Plan(spec=Spec("in_progress" if position < 3 else "dispatched", source="decision"),
                    title=f"议定事项：{title}", description=text, resolution=None,
                    category=None, level="complex", raiser_id=ctx.demo["coordinator"].id,
                    raised_at=meeting.starts_at + timedelta(hours=2), lead_unit_id=unit.id,
                    due_day=due_day)
        out.append((plan, Decision(meeting_id=meeting.id, position=position, text=text,
                                   unit_id=unit.id, due_date=due_day)))
    return out


def agenda(ctx: Ctx, meetings: list[Meeting]) -> list[AgendaItem]:
    """Escalated problems go on the agenda of the next joint meeting after escalation."""
    joint = sorted((m for m in meetings if m.kind == "joint"), key=lambda m: m.starts_at)
    items, counts = [], {}
    for issue, at in ctx.escalations:
        meeting = next((m for m in joint if m.starts_at > at), None)
        if meeting is None:
            continue
        counts[meeting.id] = counts.get(meeting.id, 0) + 1
        items.append(AgendaItem(meeting_id=meeting.id, issue_id=issue.id,
                                position=counts[meeting.id], source="escalated", title=issue.title,
                                question=f"请会议协调{issue.title}，明确牵头单位和完成时限。",
                                proposed_by_id=ctx.demo["coordinator"].id))
    return items


def typical_cases(ctx: Ctx, review: Meeting | None, issues: list[Issue]) -> list[TypicalCase]:
    """Two problems resolved in the review's quarter that the enterprise rated 5."""
    if review is None:
        return []
    done = [i for i in issues if i.state == "closed" and i.rating == 5 and i.resolved_at
            and review.period_start <= to_local(i.resolved_at).date() <= review.period_end]
    return [TypicalCase(meeting_id=review.id, issue_id=i.id, position=n, note="部门主动上门、快速办结的典型案例。")
            for n, i in enumerate(done[:2], 1)]


def notifications(ctx: Ctx, issues: list[Issue], planning: Meeting | None) -> list[Notification]:
    """The bell for the demo sign-ins: new dispatches, resolutions, overdue, returns."""
    d, out = ctx.demo, []

    def note(user, kind, issue, text, at, read=False):
        out.append(Notification(user_id=user.id, kind=kind, text=text, link=f"/problems/{issue.id}",
                                issue_id=issue.id, created_at=at, read_at=at + timedelta(hours=2)
                                if read else None, dedupe_key=f"demo:{kind}:{issue.id}"))

    hr = ctx.units[HR_BUREAU].id
    for issue in issues:
        if issue.lead_unit_id == hr and issue.state == "dispatched":
            note(d["handler"], "dispatched", issue, f"新交办问题 {issue.number}：{issue.title}，请及时签收。",
                 issue.dispatched_at)
        if issue.state == "returned":
            note(d["coordinator"], "returned", issue, f"问题 {issue.number} 被承办单位退回，请重新交办。",
                 issue.updated_at)
        if issue.enterprise_id and ctx.leader_a.get(issue.enterprise_id) == d["leader"].id \
                and issue.state in ("dispatched", "in_progress") and ctx.now > issue.due_at:
            note(d["leader"], "overdue", issue, f"您包联企业的问题 {issue.number} 已超期：{issue.title}",
                 issue.due_at + timedelta(hours=1))
        if issue.raised_by_id == d["commissioner"].id and issue.state in ("resolved", "closed"):
            note(d["commissioner"], "resolved", issue,
                 f"问题 {issue.number} 已办结，请回访企业并请企业评价。", issue.resolved_at or issue.closed_at,
                 read=issue.state == "closed")
    if planning is not None:
        out.append(Notification(user_id=d["leader"].id, kind="meeting",
                                link=f"/meetings/{planning.id}",
                                text=f"{planning.title}正在筹备，请审阅提交会议协调的问题。",
                                created_at=ctx.now - timedelta(hours=3),
                                dedupe_key=f"demo:meeting:{planning.id}"))
    return out
