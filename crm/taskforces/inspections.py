"""Inspection groups (专项督查组) and their inspections: each finding becomes a problem
(raised and dispatched through the workflow) or a 督办 (the workflow's ``supervise``) on
an existing problem; the month's 督查通报 lists what was found and what was fixed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.core import audit
from crm.core.timeutil import utcnow
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.issues.models import Issue
from crm.issues.services import raise_issue
from crm.issues.workflow import transition  # the only writer of a problem's state
from crm.taskforces.models import (
    Finding,
    Inspection,
    InspectionGroup,
    InspectionScope,
    Project,
    inspection_group_members,
)

FIXED_STATES = ("resolved", "closed")


class InspectionError(Exception):
    """A finding the rules refuse, with the sentence to show and the field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def save_group(group: InspectionGroup | None, data: dict, actor) -> InspectionGroup:
    """Create or change a group: name, head, scope text, members and scope targets
    (``task_force_ids``, ``project_ids``, ``unit_ids``)."""
    creating = group is None
    if creating:
        group = InspectionGroup()
        db.session.add(group)
    group.name = data["name"].strip()
    group.head_id = data.get("head_id") or None
    group.scope = (data.get("scope") or "").strip() or None
    db.session.flush()
    db.session.execute(inspection_group_members.delete().where(
        inspection_group_members.c.group_id == group.id))
    members = sorted({int(i) for i in data.get("member_ids") or [] if i})
    if members:
        db.session.execute(inspection_group_members.insert(),
                           [{"group_id": group.id, "user_id": uid} for uid in members])
    db.session.execute(InspectionScope.__table__.delete().where(
        InspectionScope.group_id == group.id))
    for key in ("task_force_id", "project_id", "unit_id"):
        for target in sorted({int(i) for i in data.get(key + "s") or [] if i}):
            db.session.add(InspectionScope(group_id=group.id, **{key: target}))
    db.session.flush()
    audit.record(actor, "create" if creating else "update", group,
                 after={"name": group.name, "members": members},
                 summary=f"{'创建' if creating else '修改'}督查组 {group.name}")
    return group


@dataclass
class FindingInput:
    """One line of an inspection's findings: a new problem for ``unit_id`` or a 督办 on
    the problem numbered ``issue_number``."""

    text: str
    unit_id: int | None = None
    issue_number: str | None = None


def record_inspection(group: InspectionGroup, day: date, target: dict, summary: str | None,
                      findings: list[FindingInput], actor,
                      now: datetime | None = None, notify: bool = True) -> Inspection:
    """Record an inspection with its findings; all or nothing (a refused finding raises
    InspectionError or the workflow's error before the caller commits)."""
    now = now or utcnow()
    inspection = Inspection(group_id=group.id, day=day, summary=(summary or "").strip() or None,
                            created_by_id=actor.id, **target)
    db.session.add(inspection)
    db.session.flush()
    enterprise = None
    if inspection.project_id:
        project = db.session.get(Project, inspection.project_id)
        if project is not None and project.enterprise_id:
            enterprise = db.session.get(Enterprise, project.enterprise_id)
    for i, f in enumerate(findings):
        text = (f.text or "").strip()
        if not text:
            continue
        if f.issue_number:
            issue = db.session.scalar(select(Issue).where(Issue.number == f.issue_number.strip()))
            if issue is None:
                raise InspectionError(_("No problem is numbered %(n)s.", n=f.issue_number),
                                      f"findings-{i}-issue_number")
            transition(issue, "supervise", actor, now=now, notify=notify,
                       text=f"督查发现：{text}")
            kind = "supervise"
        else:
            if not f.unit_id:
                raise InspectionError(_("Choose the unit responsible, or give the number of "
                                        "an existing problem."), f"findings-{i}-unit_id")
            issue = raise_issue(enterprise, {"title": f"督查发现：{text}"[:200],
                                             "description": text}, actor,
                                source="direct" if enterprise is not None else "decision",
                                now=now)
            transition(issue, "dispatch", actor, now=now, notify=notify, unit_id=f.unit_id,
                       text=_("From an inspection."))
            kind = "problem"
        db.session.add(Finding(inspection_id=inspection.id, kind=kind, text=text,
                               issue_id=issue.id))
    db.session.flush()
    audit.record(actor, "create", inspection, after={"group": group.id, "day": day.isoformat()},
                 summary=f"{group.name} 督查 {day.isoformat()}")
    return inspection


def month_findings(group_id: int, start: date, end: date) -> list[tuple]:
    """(inspection, finding, problem) of the group's inspections in [start, end]."""
    return db.session.execute(
        select(Inspection, Finding, Issue)
        .join(Finding, Finding.inspection_id == Inspection.id)
        .join(Issue, Issue.id == Finding.issue_id)
        .options(joinedload(Inspection.task_force), joinedload(Inspection.project),
                 joinedload(Inspection.unit), joinedload(Issue.lead_unit))
        .where(Inspection.group_id == group_id, Inspection.day.between(start, end))
        .order_by(Inspection.day, Inspection.id, Finding.id)).all()
