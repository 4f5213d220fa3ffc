"""The province generator's 专班 (``crm.seed.province``): task forces scaled with the
province (14 at the county's size, about one per 25 leaders at full scale), their key
projects with milestones at every stage, a year of rhythm meetings laid out by the
product's own rule (``crm.taskforces.rhythm.occurrences``) and two inspection groups —
written in bulk (COPY on PostgreSQL) like the rest of the province. The province's
problems are generated elsewhere; the task forces' findings and milestone problems are
the county demo's (crm/seed/county/taskforces.py)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from crm.extensions import db
from crm.meetings.models import Meeting
from crm.taskforces import rhythm
from crm.taskforces.models import (
    DEFAULT_TEMPLATE,
    InspectionGroup,
    InspectionScope,
    Milestone,
    MilestoneKind,
    Project,
    RhythmMeeting,
    TaskForce,
    inspection_group_members,
    task_force_members,
    task_force_units,
)

TOPICS = ("招商引资", "项目建设", "营商环境优化", "工业稳增长", "科技创新", "乡村振兴", "城市更新",
          "安全生产", "生态环境保护", "民生保障", "数字经济", "新能源", "高端装备", "绿色食品")
SPACING = 40


def populate(w, rng, ctx, factor: float, leaders: list[int], coordinators: list[int],
             commissioners: list[int], depts, ents: list[tuple]) -> None:
    """Write the task forces and what hangs on them through ``w`` (a BulkWriter)."""
    today, now = ctx.today, ctx.now
    n = max(14, round(len(leaders) / 25))
    kinds = db.session.scalars(select(MilestoneKind).order_by(MilestoneKind.position)).all()
    if not kinds:
        kinds = [MilestoneKind(name=name, position=i + 1, is_active=True)
                 for i, name in enumerate(DEFAULT_TEMPLATE)]
        db.session.add_all(kinds)
        db.session.flush()
    meeting_id = db.session.scalar(select(func.max(Meeting.id))) or 0
    start = today - timedelta(days=380)
    tfs, units, members, projects, milestones, meetings, rms = [], [], [], [], [], [], []
    pid = mid = rid = 0
    for i in range(n):
        kind = "work" if i % 7 < 5 else "project"
        topic = TOPICS[i % len(TOPICS)]
        lead = depts[i % len(depts)]
        tf = TaskForce(id=i + 1, name=f"{topic}{'专班' if kind == 'work' else '项目推进专班'}"
                       + (f"（{i // len(TOPICS) + 1}）" if i >= len(TOPICS) else ""),
                       kind=kind, leader_id=leaders[i % len(leaders)],
                       deputy_id=leaders[(i + 1) % len(leaders)] if len(leaders) > 1 else None,
                       lead_unit_id=lead.id, start_date=start, state="active",
                       weekly_on=True, weekly_day=i % 5, fortnightly_on=kind == "project",
                       fortnightly_day=(i + 2) % 5, monthly_on=True, monthly_day=(i + 4) % 5)
        tfs.append(dict(id=tf.id, name=tf.name, kind=kind, leader_id=tf.leader_id,
                        deputy_id=tf.deputy_id, lead_unit_id=lead.id, start_date=start,
                        state="active", weekly_on=True, weekly_day=tf.weekly_day,
                        fortnightly_on=tf.fortnightly_on, fortnightly_day=tf.fortnightly_day,
                        monthly_on=True, monthly_day=tf.monthly_day, created_at=now, version=1))
        for d in {lead.id, depts[(i + 5) % len(depts)].id}:
            units.append(dict(task_force_id=tf.id, unit_id=d))
        for uid in {rng.choice(commissioners), rng.choice(coordinators)}:
            members.append(dict(task_force_id=tf.id, user_id=uid))
        for j in range(2 if kind == "work" else 4):
            pid += 1
            k = pid
            projects.append(dict(id=pid, name=f"{topic}重点项目{pid}", task_force_id=tf.id,
                                 enterprise_id=ents[(pid * 13) % len(ents)][0] if pid % 3 else None,
                                 investment=round(rng.uniform(1, 60), 2),
                                 location=rng.choice(("经开区", "高新区", "新区")), created_at=now))
            done_upto = k % (len(kinds) + 1)
            offset = (-rng.randint(4, 20), 2, 25)[k % 3]
            for jj, mk in enumerate(kinds):
                mid += 1
                if jj < done_upto:
                    due = today - timedelta(days=SPACING * (done_upto - jj) + 10)
                    state, done_on = "done", due - timedelta(days=rng.randint(0, 12))
                else:
                    due = today + timedelta(days=offset + SPACING * (jj - done_upto))
                    state, done_on = "open", None
                milestones.append(dict(id=mid, project_id=pid, kind_id=mk.id, name=mk.name,
                                       position=mk.position, unit_id=depts[(pid + jj) % len(depts)].id,
                                       due_date=due, count_mode="working", state=state,
                                       done_on=done_on, updated_at=now))
        for occ in rhythm.occurrences(tf, today - timedelta(days=365),
                                      today + timedelta(days=rhythm.PLAN_DAYS), ctx.cal):
            rid += 1
            held = occ.day < today
            meetings.append(dict(
                id=meeting_id + rid, kind="taskforce", number=f"TF{tf.id}-{occ.day:%Y%m%d}",
                title=f"{tf.name}{rhythm.SHORT[occ.rhythm]}（{occ.day:%m月%d日}）",
                period_start=occ.day, period_end=occ.day,
                starts_at=ctx.local(occ.day, 9), state="held" if held else "planning",
                created_at=now, version=1))
            rms.append(dict(id=rid, task_force_id=tf.id, meeting_id=meeting_id + rid,
                            rhythm=occ.rhythm, day=occ.day))
    w.write(TaskForce.__table__, tfs)
    w.write(task_force_units, units)
    w.write(task_force_members, members)
    w.write(Project.__table__, projects)
    w.write(Milestone.__table__, milestones)
    w.write(Meeting.__table__, meetings)
    w.write(RhythmMeeting.__table__, rms)
    groups = [dict(id=1, name="第一专项督查组", head_id=leaders[-1], scope="督查重点工作专班",
                   created_at=now),
              dict(id=2, name="第二专项督查组", head_id=leaders[-1], scope="督查重点项目推进专班",
                   created_at=now)]
    w.write(InspectionGroup.__table__, groups)
    w.write(inspection_group_members, [dict(group_id=g, user_id=coordinators[0]) for g in (1, 2)])
    w.write(InspectionScope.__table__, [
        dict(id=k + 1, group_id=1 if t["kind"] == "work" else 2, task_force_id=t["id"])
        for k, t in enumerate(tfs)])
    w.fix_sequences([TaskForce.__table__, Project.__table__, Milestone.__table__,
                     Meeting.__table__, RhythmMeeting.__table__, InspectionGroup.__table__,
                     InspectionScope.__table__])
