"""The demo county's 专班: the ten 重点工作专班 and four 重点项目推进专班 led by the city's
leaders, key projects in every stage (立项 … 投产) with red, yellow and green milestones,
a year of rhythm meetings (held, with decisions at the last ones, two task forces that
missed their last one), a late milestone turned into a problem, and the two 专项督查组
with three months of inspections whose findings became problems or 督办.

Everything happens at or before the demo clock (``ctx.now``) and goes through the
product's services and the problem workflow with explicit instants.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from crm.extensions import db
from crm.issues.models import Issue
from crm.issues.services import raise_issue
from crm.issues.workflow import transition  # the only writer of a problem's state
from crm.meetings.models import Decision, Meeting
from crm.seed.county.context import Ctx
from crm.seed.county.data import DEPARTMENTS
from crm.taskforces import inspections, milestones, rhythm, services
from crm.taskforces.models import Finding, RhythmMeeting

WORK = ("招商引资", "项目建设", "营商环境优化", "工业稳增长", "科技创新", "乡村振兴", "城市更新",
        "安全生产", "生态环境保护", "民生保障")
PROJECTS = {
    "新能源电池产业园项目推进专班": ("年产10GWh储能电池项目", "电池材料配套项目", "电池回收利用项目"),
    "高端装备制造基地项目推进专班": ("数控机床产业园项目", "精密铸造项目"),
    "绿色食品加工园项目推进专班": ("冷链物流中心项目", "中央厨房项目", "果蔬深加工项目"),
    "数字经济产业园项目推进专班": ("大数据中心项目", "软件园二期项目"),
}
WORK_PROJECTS = {"招商引资": ("云岭总部经济楼宇项目",), "项目建设": ("城东供热管网改造项目",
                                                            "污水处理厂提标项目")}
# Unit responsible for each template milestone (by department name).
UNIT_OF = {"立项": "市发展和改革局", "用地": "市自然资源局", "环评": "市行政审批服务局",
           "施工许可": "市住房和城乡建设局", "开工": None, "竣工": "市住房和城乡建设局",
           "投产": "市工业和信息化局"}
SPACING = 40   # days between two milestones of a project


def populate_taskforces(ctx: Ctx) -> dict[str, int]:
    """Add the county's task forces (see the module docstring); return counts."""
    rng = random.Random(20261216)
    today, now = ctx.today, ctx.now
    coordinator = ctx.demo["coordinator"]
    leaders = ctx.leaders
    depts = [ctx.units[n] for n in DEPARTMENTS]
    start = today - timedelta(days=380)
    names = [f"{w}专班" for w in WORK] + list(PROJECTS)
    tfs = []
    for i, name in enumerate(names):
        kind = "work" if i < len(WORK) else "project"
        # The demo leader (王建国) leads one of each kind; the others rotate.
        leader = ctx.demo["leader"] if i in (1, 10) else leaders[1 + i % (len(leaders) - 1)]
        deputy = leaders[1 + (i + 3) % (len(leaders) - 1)]
        if deputy.id == leader.id:
            deputy = None
        lead = depts[i % len(depts)]
        others = rng.sample([d for d in depts if d.id != lead.id], 3)
        members = (ctx.handlers.get(lead.id, [])[:2] + rng.sample(ctx.commissioners, 2))
        if i in (1, 10):
            members.append(ctx.demo["commissioner"])
        tfs.append(services.save_task_force(None, {
            "name": name, "kind": kind, "leader_id": leader.id,
            "deputy_id": deputy.id if deputy else None, "lead_unit_id": lead.id,
            "unit_ids": [lead.id] + [d.id for d in others],
            "member_ids": sorted({m.id for m in members}),
            "enterprise_ids": [e.id for e in rng.sample(ctx.enterprises, 4)],
            "description": f"统筹推进{name[:-2]}各项任务，按周碰头、双周调度、月推进。",
            "start_date": start, "end_date": None, "state": "active",
            "weekly_on": True, "weekly_day": i % 5, "fortnightly_on": kind == "project",
            "fortnightly_day": (i + 2) % 5, "monthly_on": True, "monthly_day": (i + 4) % 5,
        }, coordinator, now=now))
    counts = {"task_forces": len(tfs)}
    counts.update(_projects(ctx, rng, tfs))
    counts.update(_meetings(ctx, rng, tfs))
    counts.update(_inspections(ctx, rng, tfs))
    db.session.flush()
    counts["issues"] = (counts["milestone_problems"] + counts["rhythm_decisions"]
                        + counts.pop("inspection_problems"))
    return counts


def _projects(ctx: Ctx, rng, tfs) -> dict[str, int]:
    """Key projects at every stage: project k has its first (k mod 8) milestones done;
    the next one is red, yellow or green by turns."""
    coordinator = ctx.demo["coordinator"]
    kinds = [k for k in services.template() if k.is_active]
    by_name = {tf.name: tf for tf in tfs}
    plan = [(by_name[n], p) for n, ps in PROJECTS.items() for p in ps]
    plan += [(by_name[f"{w}专班"], p) for w, ps in WORK_PROJECTS.items() for p in ps]
    made, late = 0, []
    for k, (tf, name) in enumerate(plan):
        owner = ctx.enterprises[(k * 7) % len(ctx.enterprises)] if k % 3 else None
        project = services.save_project(tf, None, {
            "name": name, "enterprise_id": owner.id if owner else None,
            "investment": round(rng.uniform(1.5, 45.0), 2),
            "location": rng.choice(("经开区", "高新区", "城东新区", "青石工业园"))}, coordinator)
        done_upto = k % (len(kinds) + 1)           # 0 … 7: every stage, and all done
        turn = ("red", "yellow", "green")[k % 3]
        for j, kind in enumerate(kinds):
            unit_name = UNIT_OF.get(kind.name)
            unit_id = ctx.units[unit_name].id if unit_name else tf.lead_unit_id
            if j < done_upto:
                due = ctx.today - timedelta(days=SPACING * (done_upto - j) + 10)
                done_on = due - timedelta(days=rng.randint(0, 12))
            else:
                offset = {"red": -rng.randint(4, 20), "yellow": 2, "green": 25}[turn]
                due = ctx.today + timedelta(days=offset + SPACING * (j - done_upto))
                done_on = None
            m = services.save_milestone(project, None, {
                "name": kind.name, "unit_id": unit_id, "due_date": due,
                "count_mode": "calendar" if kind.name in ("开工", "竣工") else "working",
                "kind_id": kind.id}, coordinator)
            m.position = kind.position
            m.updated_at = ctx.now
            if done_on is not None:
                m.state, m.done_on = "done", done_on
            elif j == done_upto and turn == "red":
                late.append(m)
        if k % 4 == 0:   # a free milestone besides the template
            services.save_milestone(project, None, {
                "name": "电力接入", "unit_id": ctx.units["市供电公司"].id,
                "due_date": ctx.today + timedelta(days=30 + k), "count_mode": "working"},
                coordinator)
        made += 1
    db.session.flush()
    problems = 0
    for m in late[:3]:   # the first late milestones became problems (诉求)
        milestones.to_problem(m, coordinator, now=ctx.now - timedelta(hours=3),
                              note="专班调度会要求转办", notify=False)
        problems += 1
    return {"projects": made, "milestone_problems": problems}


def _meetings(ctx: Ctx, rng, tfs) -> dict[str, int]:
    """A year of rhythm meetings; the past ones held (two task forces missed their last
    one); the last held meeting of each task force has a decision, dispatched."""
    coordinator = ctx.demo["coordinator"]
    cal = ctx.work_calendar
    made = decisions = 0
    for i, tf in enumerate(tfs):
        made += rhythm.plan(tf, ctx.today - timedelta(days=365),
                            ctx.today + timedelta(days=rhythm.PLAN_DAYS), cal)
    rows = db.session.execute(
        db.select(RhythmMeeting, Meeting).join(Meeting, Meeting.id == RhythmMeeting.meeting_id)
        .where(RhythmMeeting.day < ctx.today).order_by(RhythmMeeting.task_force_id,
                                                      RhythmMeeting.day)).all()
    last: dict[int, tuple] = {}
    for rm, meeting in rows:
        meeting.state = "held"
        last[rm.task_force_id] = (rm, meeting)
    missed = {tfs[3].id, tfs[7].id}
    for tf in tfs:
        if tf.id not in last:
            continue
        rm, meeting = last[tf.id]
        if tf.id in missed:
            meeting.state = "planning"
            continue
        at = ctx.local(rm.day, 11)
        text = rng.choice(("加快推进用地报批，两周内完成组卷", "协调解决施工用电接入问题",
                           "督促企业补齐环评材料", "梳理本月节点清单并报联席办"))
        issue = raise_issue(None, {"title": text, "description": text}, coordinator,
                            source="decision", now=at)
        due = ctx.add_wd(rm.day, 10)
        transition(issue, "dispatch", coordinator, now=at, notify=False,
                   unit_id=tf.lead_unit_id, due_date=due)
        db.session.add(Decision(meeting_id=meeting.id, issue_id=issue.id, text=text,
                                unit_id=tf.lead_unit_id, due_date=due, position=1))
        decisions += 1
    db.session.flush()
    return {"rhythm_meetings": made, "rhythm_decisions": decisions}


def _inspections(ctx: Ctx, rng, tfs) -> dict[str, int]:
    """Two inspection groups, one inspection a month for three months each; a finding
    becomes a problem, the next month's visit supervises (督办) it if still open."""
    coordinator = ctx.demo["coordinator"]
    work = [tf for tf in tfs if tf.kind == "work"]
    projects = [tf for tf in tfs if tf.kind == "project"]
    groups = []
    for name, scope in (("第一专项督查组", work), ("第二专项督查组", projects)):
        groups.append((inspections.save_group(None, {
            "name": name, "head_id": ctx.leaders[-1].id,
            "member_ids": [coordinator.id] + [c.id for c in rng.sample(ctx.commissioners, 2)],
            "scope": f"督查{'十项重点工作' if scope is work else '重点项目推进'}专班",
            "task_force_ids": [tf.id for tf in scope]}, coordinator), scope))
    found = problems = 0
    for group, scope in groups:
        previous = None
        for months_ago in (2, 1, 0):
            day = _workday_back(ctx, ctx.today - timedelta(days=30 * months_ago + 3))
            tf = scope[months_ago % len(scope)]
            at = ctx.local(day, 15)
            lines = [inspections.FindingInput(
                rng.choice(("节点台账更新不及时", "责任单位对接不畅", "企业诉求未按期答复")),
                unit_id=tf.lead_unit_id)]
            if previous is not None and previous.state in ("dispatched", "in_progress"):
                lines.append(inspections.FindingInput("上次督查问题仍未整改",
                                                      issue_number=previous.number))
            inspection = inspections.record_inspection(
                group, day, {"task_force_id": tf.id}, f"对{tf.name}开展专项督查", lines,
                coordinator, now=at, notify=False)
            previous = db.session.execute(
                db.select(Issue).join(Finding, Finding.issue_id == Issue.id)
                .where(Finding.inspection_id == inspection.id, Finding.kind == "problem")
                .limit(1)).scalar()
            found += len(lines)
            problems += 1
    return {"inspection_groups": len(groups), "inspection_findings": found,
            "inspection_problems": problems}


def _workday_back(ctx: Ctx, day: date) -> date:
    while not ctx.workday(day):
        day -= timedelta(days=1)
    return day
