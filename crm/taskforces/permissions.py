"""Who sees which task forces and milestones, in the shape of ``crm.auth.permissions``.

Coordinators and admins: all. A task force is seen by its leading leader (挂帅), its
deputy and its member people. A milestone is seen by whoever sees its task force and
by the handlers of the unit responsible for it. Changes are the coordinator's, except
marking a milestone of one's own unit done (its handlers) and instructions (批示: the
task force's leader and deputy, and coordinators).
"""
from __future__ import annotations

from crm.auth.permissions import matches
from crm.extensions import db
from crm.taskforces.models import (
    InspectionGroup,
    Milestone,
    Project,
    TaskForce,
    inspection_group_members,
    task_force_members,
)


def visibility(user):
    """SQL condition on ``TaskForce`` for what ``user`` may see."""
    if user.sees_all:
        return db.true()
    members = db.select(task_force_members.c.task_force_id).where(
        task_force_members.c.user_id == user.id)
    return ((TaskForce.leader_id == user.id) | (TaskForce.deputy_id == user.id)
            | TaskForce.id.in_(members))


def visible(query, user):
    """``query`` (a ``select`` of ``TaskForce``) narrowed to what ``user`` may see."""
    return query.where(visibility(user))


def can_view(user, tf: TaskForce) -> bool:
    """Record-level check; agrees with ``visible``."""
    return matches(TaskForce, tf, visibility(user))


def milestone_visibility(user):
    """SQL condition on ``Milestone``: its task force is visible, or it is the unit's."""
    if user.sees_all:
        return db.true()
    tfs = db.select(TaskForce.id).where(visibility(user))
    cond = Milestone.project_id.in_(db.select(Project.id).where(Project.task_force_id.in_(tfs)))
    if user.has_role("handler") and user.unit_id is not None:
        cond = cond | (Milestone.unit_id == user.unit_id)
    return cond


def can_view_milestone(user, milestone: Milestone) -> bool:
    return matches(Milestone, milestone, milestone_visibility(user))


def can_view_project(user, project: Project) -> bool:
    """Whoever sees the task force, and the handlers of a unit with a milestone in it."""
    if user.sees_all:
        return True
    tf_ok = db.select(TaskForce.id).where(TaskForce.id == project.task_force_id,
                                          visibility(user))
    unit = (db.select(Milestone.id).where(Milestone.project_id == project.id,
                                          Milestone.unit_id == user.unit_id)
            if user.has_role("handler") and user.unit_id else None)
    if db.session.scalar(db.select(db.exists(tf_ok))):
        return True
    return unit is not None and db.session.scalar(db.select(db.exists(unit)))


def can_edit(user) -> bool:
    """Task forces, projects and milestones are kept by coordinators."""
    return user.has_role("coordinator")


def can_instruct(user, tf: TaskForce) -> bool:
    """A 批示 on a milestone: the task force's leader or deputy, or a coordinator."""
    return user.has_role("coordinator") or (
        user.has_role("leader") and user.id in (tf.leader_id, tf.deputy_id))


def can_mark_done(user, milestone: Milestone) -> bool:
    """Coordinators, and handlers of the milestone's unit."""
    return user.has_role("coordinator") or (
        user.has_role("handler") and user.unit_id is not None
        and user.unit_id == milestone.unit_id)


def group_visibility(user):
    """SQL condition on ``InspectionGroup``: coordinators all, members their groups."""
    if user.sees_all:
        return db.true()
    mine = db.select(inspection_group_members.c.group_id).where(
        inspection_group_members.c.user_id == user.id)
    return InspectionGroup.id.in_(mine) | (InspectionGroup.head_id == user.id)


def can_view_group(user, group: InspectionGroup) -> bool:
    return matches(InspectionGroup, group, group_visibility(user))
