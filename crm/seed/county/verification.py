"""The demo's enterprise codes, follow-up calls (回访), one appeal (申诉) and one case
group (类案), all through the product's own services and the workflow.

Every enterprise has its code from its creation (``Enterprise.channel_code``); the
ratings the stories gave already put their calls in the 回访 queue (``Rate.after``). Here
the coordinator makes the older calls — one finds a rating the enterprise did not give
itself, one sends a problem back to its unit (重办) — a unit appeals one low rating and
the coordinator upholds it, and problems of one category in one town are grouped with
a progress note.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, select

from crm.enterprises.models import Enterprise, new_channel_code
from crm.extensions import db
from crm.issues import appeals, case_groups, followups
from crm.issues.followups import FollowUp
from crm.issues.models import Issue, IssueEvent
from crm.seed.county.context import Ctx

SAID = ("企业表示问题已解决，对办理结果满意。", "企业反映只解决了一部分，仍有困难。",
        "联系人称评价是特派员代为点的，本人未评价。", "电话无人接听。")


def populate_verification(ctx: Ctx) -> dict[str, int]:
    """Codes, calls, one appeal, one case group; returns counts."""
    db.session.flush()
    for ent in db.session.scalars(select(Enterprise).where(Enterprise.channel_code.is_(None))):
        ent.channel_code = new_channel_code()
    coordinator = ctx.coordinators[0]
    calls = list(db.session.scalars(select(FollowUp).where(FollowUp.done_at.is_(None))
                                    .order_by(FollowUp.created_at, FollowUp.id)))
    made = 0
    latest = _last_events([fu.issue_id for fu in calls])
    for i, fu in enumerate(calls[: max(0, len(calls) - 4)][:12]):
        # The call comes a day after the rating, and after whatever happened since.
        at = max(fu.created_at + timedelta(days=1), latest[fu.issue_id] + timedelta(minutes=30))
        if at >= ctx.now:
            continue
        if i % 4 == 3:
            data = {"reached": False, "said": SAID[3]}
        elif fu.rating is not None and fu.rating <= 2 or fu.source == "unresolved":
            data = {"reached": True, "said": SAID[1], "verdict": "dissatisfied"}
        elif i % 4 == 1 and fu.rating_channel == "self":
            data = {"reached": True, "said": SAID[2], "verdict": "satisfied",
                    "self_confirmed": False}
        else:
            data = {"reached": True, "said": SAID[0], "verdict": "satisfied",
                    "self_confirmed": True if fu.rating_channel == "self" else None}
        followups.record_call(fu, data, coordinator, now=at)
        made += 1
    appealed = _one_appeal(ctx, coordinator)
    grouped = _one_case_group(ctx, coordinator)
    db.session.flush()
    return {"follow_ups": len(calls), "follow_up_calls": made, "appeals": appealed,
            "case_groups": grouped}


def _last_events(issue_ids) -> dict[int, object]:
    """{problem id: the instant of its latest timeline entry} (one query)."""
    if not issue_ids:
        return {}
    return dict(db.session.execute(
        select(IssueEvent.issue_id, func.max(IssueEvent.at))
        .where(IssueEvent.issue_id.in_(list(set(issue_ids)))).group_by(IssueEvent.issue_id)).all())


def _one_appeal(ctx: Ctx, coordinator) -> int:
    """A unit appeals a low rating the day after it, and the coordinator upholds it."""
    for issue in db.session.scalars(select(Issue).where(
            Issue.rating.is_not(None), Issue.rating <= 2, Issue.lead_unit_id.is_not(None),
            Issue.rated_at < ctx.now - timedelta(days=3)).order_by(Issue.rated_at.desc())):
        team = ctx.handlers.get(issue.lead_unit_id) or []
        if not team:
            continue
        at = max(issue.rated_at + timedelta(hours=20),
                 _last_events([issue.id])[issue.id] + timedelta(minutes=30))
        if at + timedelta(hours=4) >= ctx.now or appeals.refusal(issue, team[0], at):
            continue
        appeal = appeals.file_appeal(issue, {
            "reason": "企业诉求超出现行政策范围，已书面答复并说明原因。",
            "evidence": "11 月通话记录一份；书面答复函（已签收）；现场照片两张。"}, team[0], now=at)
        appeals.decide(appeal, True, "经核实通话记录和书面答复，申诉成立，该评价不计入单位考核。",
                       coordinator, now=at + timedelta(hours=4))
        return 1
    return 0


def _one_case_group(ctx: Ctx, coordinator) -> int:
    """Problems of one category in one town (e.g. power capacity) grouped as one case."""
    rows = db.session.execute(
        select(Issue, Enterprise.town_id).join(Enterprise, Enterprise.id == Issue.enterprise_id)
        .where(Issue.category_id.is_not(None), Issue.lead_unit_id.is_not(None),
               Issue.state.in_(("dispatched", "in_progress", "reopened", "paused")))
        .order_by(Issue.id)).all()
    by_key = defaultdict(list)
    for issue, town_id in rows:
        by_key[(issue.category_id, town_id)].append(issue)
    best = max(by_key.values(), key=len, default=[])
    if len(best) < 2:
        return 0
    members = best[:8]
    start = max(_last_events([i.id for i in members]).values()) + timedelta(minutes=30)
    if start + timedelta(hours=2) >= ctx.now:
        return 0
    category = next((c for c in ctx.categories.values() if c.id == members[0].category_id),
                    None)
    name = category.name if category is not None else "同类"
    group = case_groups.create_group({
        "title": f"{name}类共性问题（{len(members)} 家企业）",
        "cause": f"同一片区 {len(members)} 家企业反映的{name}问题原因相同，需在政策层面统一解决。",
        "lead_unit_id": members[0].lead_unit_id,
        "numbers": [i.number for i in members]}, coordinator, now=start)
    case_groups.post_update(group, "牵头单位已召开专题协调会，拟出台统一解决方案。", coordinator,
                            now=start + timedelta(hours=1))
    return 1
